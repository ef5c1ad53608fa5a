"""Local worker processes: the one process-pool factory and the one way work is cut into tasks.

Every command that runs many firms (batches, surveys, calibrations, sensitivity analyses) takes
either an executor it was given (a Dask client's, say; never shut down here) or a pool of local
processes made by :func:`local_pool`. Mesa 3.3.1 keeps state per model in every process that
ran one (docs/architecture.md, "Mesa notes"); :func:`sim.runs.runner.release` frees it after each
run. Workers are not recycled (:data:`MAX_TASKS_PER_CHILD` is None): CPython's
``max_tasks_per_child`` deadlocks a pool with queued work once a worker exits at its limit
(python/cpython#115634, Python 3.11 to 3.15 beta): the default calibration hung for good at its
refit, with no worker left. ``make bench`` checks that a worker's memory stays flat without it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
MAX_TASKS_PER_CHILD: int | None = None  # no recycling: see the module's docstring
TASKS_PER_WORKER = 4  # enough tasks to balance the load and show progress
MAX_CHUNK = 8  # firms per task at most: a lost worker costs at most this much work
PARENT_CHECK_SECONDS = 1.0  # how often a worker checks that its driver is still alive


def worker_count(workers: int | None) -> int:
    """The worker processes to use: as asked, else every core."""
    return workers if workers else (os.cpu_count() or 1)


def local_pool(workers: int | None) -> ProcessPoolExecutor:
    """A pool of ``workers`` local processes (all cores by default), recycled as above; each
    worker ends itself when its driver dies (:func:`_watch_driver`)."""
    return ProcessPoolExecutor(
        max_workers=worker_count(workers),
        max_tasks_per_child=MAX_TASKS_PER_CHILD,
        initializer=_watch_driver,
        initargs=(os.getpid(),),
    )


def _watch_driver(driver: int) -> None:
    """Start a thread in a worker that ends the worker once ``driver`` (the process that made the
    pool) is gone: a driver killed with SIGKILL cannot shut its pool down, and its workers were
    seen blocked for over 90 s holding about 195 MB each. An orphan is re-parented, so its
    parent id changes."""

    def watch() -> None:
        while os.getppid() == driver:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(3)  # no clean-up to wait for: the driver that wanted the results is dead

    threading.Thread(target=watch, name="orgsim-driver-watch", daemon=True).start()


@contextmanager
def executor_or_pool(executor: Executor | None, workers: int | None) -> Iterator[Executor]:
    """``executor`` as it is, or a local pool for the duration of the block (then shut down)."""
    if executor is not None:
        yield executor
        return
    pool = local_pool(workers)
    try:
        yield pool
    finally:
        pool.shutdown(cancel_futures=True)


def chunked(items: Sequence[T], workers: int, max_chunk: int = MAX_CHUNK) -> list[list[T]]:
    """Chunks of about :data:`TASKS_PER_WORKER` per worker, at most ``max_chunk`` items each:
    few enough tasks to keep scheduling overhead small, enough to balance the load and report
    progress."""
    if not items:
        return []
    size = max(1, min(max_chunk, len(items) // max(1, TASKS_PER_WORKER * workers)))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]
