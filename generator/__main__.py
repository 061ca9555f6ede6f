"""`python -m generator` runs the `catalogue` command."""
from .cli import main

raise SystemExit(main())
