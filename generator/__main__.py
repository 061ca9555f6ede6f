"""`python -m generator` runs the `catalogue` command."""
from generator.cli import run

run()
