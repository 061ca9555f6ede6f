"""Small programs the build starts as processes of their own; standard library only, so they start with
`python -I -S` (no site packages to import: a few milliseconds)."""
from __future__ import annotations

import sys
from pathlib import Path


def command(name: str, *args: str) -> list[str]:
    """The command line that runs the program `name` (a module of this folder) with these arguments."""
    return [sys.executable, "-I", "-S", str(Path(__file__).resolve().parent / f"{name}.py"), *args]
