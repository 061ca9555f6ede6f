"""Process tuning: the garbage collector, thread priorities and Python's switch interval, leaving at once."""
from __future__ import annotations

import gc
import logging
import os
import sys
import threading
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def collecting_rarely() -> Iterator[None]:
    """The garbage collector's youngest generation collected every 100,000 new objects, not every 700: a build
    makes hundreds of thousands that all live until its end (artifacts, keys, the manifest's entries), and
    rendering a page leaves no cycles behind, so memory does not grow for it."""
    before = gc.get_threshold()
    gc.set_threshold(100_000, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


@contextmanager
def frozen() -> Iterator[None]:
    """Objects made so far live until the end: the garbage collector stops scanning them again and again,
    and forked copies of the process stop touching their memory pages."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def giving_way() -> Iterator[None]:
    """This thread gives way to work started beside it (the search index's processes): its priority lowered
    by 10 and Python's switch interval at 1 ms, so the other thread gets the lock at each of its steps."""
    thread = threading.get_native_id()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, 0.001))
    try:
        try:
            before = os.getpriority(os.PRIO_PROCESS, thread)
            os.setpriority(os.PRIO_PROCESS, thread, min(before + 10, 19))
        except (OSError, AttributeError):  # AttributeError: not a Unix
            yield
            return
        try:
            yield
        finally:
            try:  # (raising a priority back may need privileges)
                os.setpriority(os.PRIO_PROCESS, thread, before)
            except OSError:
                pass
    finally:
        sys.setswitchinterval(interval)


def lower_priority() -> None:
    """Lower this thread's priority, and that of the processes it starts (background work of the preview)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass


def leave(code: int) -> None:
    """End the process at once with `code`, once the standard streams are flushed: every file is written and
    closed by then, and Python's shutdown would free the build's objects one by one."""
    logging.shutdown()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # (a closed pipe: nothing more can be said)
        code = code or 1
    os._exit(code)
