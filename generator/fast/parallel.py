"""Work shared between this process and forked copies of it, for the CPU-bound stages of large builds.

Forked children inherit the catalogue, the theme and the jobs as they are in memory: only results cross
between processes. Small batches, a process with other threads (forking those is unsafe) and systems without
fork run the jobs here; so does the share of a child that failed or died, so errors are raised here.
"""
from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import threading
from contextlib import contextmanager
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Generic, Iterator, Sequence, TypeVar

T = TypeVar("T")

PARALLEL_FROM = 400  # jobs; below this, forking costs more than it saves

_jobs: Sequence[Callable[[], Any]] = ()
forked = 0  # batches run across processes so far (for tests and benchmarks)


def run_all(jobs: Sequence[Callable[[], Any]], at_least: int | None = None) -> list[Any]:
    """Each job's result, in order; shared out when there are at least `at_least` jobs (PARALLEL_FROM)."""
    global _jobs, forked
    workers = min(os.cpu_count() or 1, 8)
    if len(jobs) < (PARALLEL_FROM if at_least is None else at_least) or workers < 2 or not can_fork():
        return [job() for job in jobs]
    _jobs = jobs
    forked += 1
    try:  # every n-th job to each process: neighbouring jobs tend to cost alike, so the shares come out even
        # (an executor, not a Pool: a child that dies, say killed for memory, fails its share instead of hanging)
        with ProcessPoolExecutor(workers - 1, mp_context=multiprocessing.get_context("fork"),
                                 initializer=_plain_signals) as pool:
            with signals_held():  # (the processes are forked here)
                pending = [pool.submit(_run_share, (share, workers)) for share in range(1, workers)]
            shares: list[list[Any] | None] = [[job() for job in jobs[0::workers]]]  # this process's share
            for future in pending:
                try:
                    shares.append(future.result())
                except BrokenProcessPool:
                    shares.append(None)
    finally:
        _jobs = ()
    results: list[Any] = [None] * len(jobs)
    for share, part in enumerate(shares):
        if part is None:
            part = [job() for job in jobs[share::workers]]
        results[share::workers] = part
    return results


STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold the signals that stop a build while this process forks: one that came during the fork's own clean-up
    in either process would be raised there, printed and lost. Held, it is handled once the fork is done."""
    before = signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _plain_signals() -> None:
    """In a forked copy: stopped as a plain process is (not by the build's handlers), and no longer held."""
    for number in STOPPING:
        signal.signal(number, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPPING)


def can_fork() -> bool:
    """Whether this process may fork copies of itself now: the system can, and no other thread runs."""
    return threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()


def _run_share(share: tuple[int, int]) -> list[Any] | None:
    start, step = share
    try:
        return [job() for job in _jobs[start::step]]
    except Exception:  # noqa: BLE001 — the parent runs the share again and reports the error
        return None


class Ahead(Generic[T]):
    """A job worked out in a forked copy of this process while this one goes on (`forked_job`)."""

    def __init__(self, job: Callable[[], T]) -> None:
        self.job, self.pid, self.fd = job, 0, -1
        if not can_fork():
            return
        read, write = os.pipe()
        try:
            with signals_held():
                pid = os.fork()
                if pid == 0:  # the copy: works, says its result through the pipe, and leaves at once
                    _work_and_leave(job, read, write)
                os.close(write)
                self.pid, self.fd = pid, read
        except BaseException:  # (stopped as the fork was done: the copy is stopped too)
            self.cancel()
            raise

    def result(self) -> T:
        """The job's result: the copy's, or (if it could not start or failed) worked out here."""
        if self.pid:
            with os.fdopen(self.fd, "rb") as said:
                data = said.read()
            self._reap()
            try:
                return pickle.loads(data)  # (from a copy of this very process)
            except Exception:  # noqa: BLE001 — nothing or half said: worked out here instead
                pass
        return self.job()

    def cancel(self) -> None:
        """Stop the copy, if it still runs; its result is not needed."""
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
            os.close(self.fd)
            self._reap()

    def _reap(self) -> None:
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        self.pid = 0


def forked_job(job: Callable[[], T]) -> Ahead[T]:
    """Start `job` in a forked copy of this process (when it may fork): `result()` waits for what it found."""
    return Ahead(job)


def _work_and_leave(job: Callable[[], Any], read: int, write: int) -> None:
    code = 1
    try:
        os.close(read)
        _plain_signals()
        data = pickle.dumps(job(), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write, "wb") as said:
            said.write(data)
        code = 0
    finally:
        os._exit(code)  # (none of the parent's clean-up: its lock and staged files are its own)
