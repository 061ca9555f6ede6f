"""What the site is: its theme, its pages and its data files."""
