"""The `catalogue` command's entry point: a signal that stops it while it starts (its modules take some tenths of
a second to load) is said in one line, as `cli` says one that comes later; then `cli.run`."""
from __future__ import annotations

import os
import signal


def stopped_words(number: int) -> str:
    """How the command says it was stopped by signal `number` (here while it starts, in `cli` later)."""
    return "interrupted" if number == signal.SIGINT else f"stopped by {signal.Signals(number).name}"


def _stopped(number: int, frame: object) -> None:
    os.write(2, f"catalogue: {stopped_words(number)}\n".encode())
    os._exit(128 + number)  # (nothing was read or written yet)


def run() -> None:
    before = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    for number, handler in before.items():
        if handler is not signal.SIG_IGN:  # (nohup: a hang-up is to be ignored)
            signal.signal(number, _stopped)
    from generator.cli import run as command  # (loaded with the handlers above in place)
    signal.signal(signal.SIGINT, before[signal.SIGINT])  # Ctrl-C: KeyboardInterrupt again, which `cli` handles
    command()
