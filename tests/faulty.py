"""The catalogue command with one fault of the machine put in, for tests/test_faults.py.

    python -m tests.faulty FAULT[:ARGUMENT] build --source site --out out

enospc, edquot   writing the third file of the site fails: the disk is full, or the quota used up
gone:NAME        the file NAME (a path under the site) is deleted just after the files are found
logo-gone:NAME   the file NAME is deleted just after the content is read, before the pages are made
hold:PATH        the build stops once pages are staged, says "held" on stderr, and goes on when PATH exists
"""
from __future__ import annotations

import errno
import os
import sys
import time
from pathlib import Path

from generator import cli
from generator.content import load as loading
from generator.engine import build as building
from generator.engine import output


def disk_full(code: int) -> None:
    """Every file put into the staged site after the second fails with `code`."""
    put = output.Sink.put
    count = [0]

    def failing(self: output.Sink, rel: str, data: bytes) -> tuple[str, bool]:
        count[0] += 1
        if count[0] > 2:
            raise OSError(code, os.strerror(code), f"{self.staging}/{rel}")
        return put(self, rel, data)
    output.Sink.put = failing  # type: ignore[method-assign]


def gone_after(module: object, name: str, path: Path) -> None:
    """`module.name` (a stage of the build) deletes `path` once it has run."""
    stage = getattr(module, name)

    def deleting(*args: object, **kwargs: object) -> object:
        result = stage(*args, **kwargs)
        path.unlink()
        return result
    setattr(module, name, deleting)


def hold(until: Path) -> None:
    """The build waits once its pages are staged, until `until` exists (a minute at most)."""
    link_reused = building.StagedSite.link_reused

    def holding(self: building.StagedSite, made: object) -> None:
        print("held", file=sys.stderr, flush=True)
        deadline = time.monotonic() + 60
        while not until.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        link_reused(self, made)
    building.StagedSite.link_reused = holding  # type: ignore[method-assign]


def main() -> None:
    fault, _, argument = sys.argv[1].partition(":")
    if fault in ("enospc", "edquot"):
        disk_full(errno.ENOSPC if fault == "enospc" else errno.EDQUOT)
    elif fault == "gone":
        gone_after(loading, "discover", Path(argument))
    elif fault == "logo-gone":
        gone_after(building, "load", Path(argument))
    elif fault == "hold":
        hold(Path(argument))
    else:
        raise SystemExit(f"unknown fault {fault!r}")
    sys.argv = ["catalogue", *sys.argv[2:]]
    cli.run()


if __name__ == "__main__":
    main()
