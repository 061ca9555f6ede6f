"""Work shared between this process and forked copies of it, for the CPU-bound stages of large builds.

Rendering thousands of pages is pure Python and holds one core; the machine usually has more. Forked
children inherit the catalogue, the theme and the list of jobs as they are in memory, so nothing but the
results (bytes) crosses between processes. Each job must be a pure function: whatever a child changes
besides its result is lost. Small batches, a process with other threads running (forking those is not
safe) and systems without fork run the jobs here, one after the other; so does a batch in which a job
failed in a child, so that the error is raised here and reported like any other.
"""
from __future__ import annotations

import multiprocessing
import os
import threading
from typing import Any, Callable, Sequence

PARALLEL_FROM = 400  # jobs; below this, forking costs more than it saves

_jobs: Sequence[Callable[[], Any]] = ()
forked = 0  # batches run across processes so far (for tests and benchmarks)


def run_all(jobs: Sequence[Callable[[], Any]], at_least: int | None = None) -> list[Any]:
    """Each job's result, in order; shared out when there are at least `at_least` jobs (PARALLEL_FROM)."""
    global _jobs, forked
    workers = min(os.cpu_count() or 1, 8)
    if (len(jobs) < (PARALLEL_FROM if at_least is None else at_least) or workers < 2 or threading.active_count() > 1
            or "fork" not in multiprocessing.get_all_start_methods()):
        return [job() for job in jobs]
    _jobs = jobs
    forked += 1
    try:  # every n-th job to each process: neighbouring jobs tend to cost alike, so the shares come out even
        with multiprocessing.get_context("fork").Pool(workers - 1) as pool:
            pending = pool.map_async(_run_share, [(share, workers) for share in range(1, workers)])
            shares = [[job() for job in jobs[0::workers]]]  # this process takes the first share
            shares += pending.get()
    finally:
        _jobs = ()
    results: list[Any] = [None] * len(jobs)
    for share, part in enumerate(shares):
        if part is None:
            part = [job() for job in jobs[share::workers]]
        results[share::workers] = part
    return results


def _run_share(share: tuple[int, int]) -> list[Any] | None:
    start, step = share
    try:
        return [job() for job in _jobs[start::step]]
    except Exception:  # noqa: BLE001 — the parent runs the share again and reports the error
        return None
