"""How the site is made: plan every file, make those whose inputs changed, publish atomically."""
