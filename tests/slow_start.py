"""The catalogue command with its modules' loading slowed by two seconds, for tests/test_faults.py: a signal sent
meanwhile comes while it starts.

    python -m tests.slow_start build --source site --out out
"""
from __future__ import annotations

import builtins
import sys
import time

load = builtins.__import__


def slowly(name: str, *args: object, **kwargs: object) -> object:
    if name == "generator.cli" and "generator.cli" not in sys.modules:
        time.sleep(2)
    return load(name, *args, **kwargs)


if __name__ == "__main__":
    builtins.__import__ = slowly
    from generator.command import run
    run()
