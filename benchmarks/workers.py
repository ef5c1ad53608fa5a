"""Module-level functions that run in worker processes (picklable by reference under ``spawn``,
which importing Mesa 3.3.1 makes the start method), and the executors the suite times.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, wait
from contextlib import contextmanager

from sim.runs.pool import MAX_TASKS_PER_CHILD

WARM = ({"n_customers": 100}, 0, 2)  # simulate() arguments of the tiny firm that warms a worker


def warm_up(executor: Executor, workers: int) -> None:
    """Start every worker of a pool and have each import the model and run a tiny firm, so that
    start-up is not timed (best effort for a pool that hands tasks to whichever worker is free:
    a few tasks per worker). Only ``sim`` is shipped, so a remote Dask worker needs no
    ``benchmarks`` package."""
    from sim.runs.runner import simulate

    for future in wait([executor.submit(simulate, *WARM) for _ in range(2 * workers)]).done:
        future.result()


_POOLS: dict[int, ProcessPoolExecutor] = {}


def local_pool(workers: int) -> ProcessPoolExecutor:
    """A warmed local process pool shaped like ``run_batch``'s own (spawn, workers recycled after
    ``MAX_TASKS_PER_CHILD`` tasks), kept for the rest of the suite so that items share it and
    start-up is paid once; :func:`close_pools` ends them."""
    pool = _POOLS.get(workers)
    if pool is None:
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            max_tasks_per_child=MAX_TASKS_PER_CHILD,
        )
        warm_up(pool, workers)
        _POOLS[workers] = pool
    return pool


def close_pools() -> None:
    while _POOLS:
        _, pool = _POOLS.popitem()
        pool.shutdown(wait=True, cancel_futures=True)


def dask_available() -> bool:
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


@contextmanager
def dask_executor(workers: int, scheduler: str | None = None) -> Iterator[tuple[Executor, str]]:
    """A Dask ``concurrent.futures`` executor and a description of where it runs.

    With ``scheduler`` (an address such as ``tcp://127.0.0.1:8786``) the batch goes to that
    cluster through :func:`sim.runs.cluster.executor_for`, which checks its workers; without, a
    ``distributed.LocalCluster`` of ``workers`` single-threaded worker processes is started here.
    Raises ImportError when ``distributed`` is not installed.
    """
    if scheduler is not None:
        from sim.runs.cluster import executor_for

        with executor_for(scheduler) as (executor, threads):
            warm_up(executor, threads or workers)
            yield executor, f"scheduler {scheduler} ({threads} worker threads)"
        return

    import logging

    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    client = Client(cluster, set_as_default=False)
    try:
        from sim.runs.runner import simulate

        client.run(simulate, *WARM)
        yield client.get_executor(), f"LocalCluster({workers} workers x 1 thread, processes)"
    finally:
        client.close()
        cluster.close()
