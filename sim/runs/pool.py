"""Local worker processes: the one process-pool factory and the one way work is cut into tasks.

Every command that runs many firms (batches, surveys, calibrations, sensitivity analyses) takes
either an executor it was given (a Dask client's, say; never shut down here) or a pool of local
processes made by :func:`local_pool`. Workers are recycled after
:data:`MAX_TASKS_PER_CHILD` tasks, because Mesa 3.3.1 keeps state per model in every process that
ran one (docs/architecture.md, "Mesa notes"); :func:`sim.runs.runner.release` frees most of it
after each run, recycling bounds the rest.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
MAX_TASKS_PER_CHILD = 100
TASKS_PER_WORKER = 4  # enough tasks to balance the load and show progress
MAX_CHUNK = 8  # firms per task at most: a lost worker costs at most this much work


def worker_count(workers: int | None) -> int:
    """The worker processes to use: as asked, else every core."""
    return workers if workers else (os.cpu_count() or 1)


def local_pool(workers: int | None) -> ProcessPoolExecutor:
    """A pool of ``workers`` local processes (all cores by default), recycled as above."""
    return ProcessPoolExecutor(
        max_workers=worker_count(workers), max_tasks_per_child=MAX_TASKS_PER_CHILD
    )


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
