"""`python -m generator` runs the `catalogue` command."""
from .cli import run

run()
