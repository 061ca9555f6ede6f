"""`python -m generator` runs the `catalogue` command."""
from generator.command import run

run()
