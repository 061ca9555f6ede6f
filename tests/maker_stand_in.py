"""A stand-in for the spare's maker (generator/fast/programs/make_spare.py), for tests/test_incremental.py.

    python -m tests.maker_stand_in MAKING SPARE PID_FILE GO ENDING

Holds MAKING as a maker at work does (its number in PID_FILE) until GO exists or 30 s have passed; then,
with ENDING "made", puts MAKING in place as SPARE and ends as a maker does; with "died", ends leaving both.
"""
from __future__ import annotations

import os
import sys
import time


def main() -> None:
    making, spare, pid_file, go, ending = sys.argv[1:]
    with open(pid_file, "w") as f:
        f.write(str(os.getpid()))
    deadline = time.monotonic() + 30
    while not os.path.exists(go) and time.monotonic() < deadline:
        time.sleep(0.01)
    if ending == "made":
        os.rename(making, spare)
        os.unlink(pid_file)


if __name__ == "__main__":
    main()
