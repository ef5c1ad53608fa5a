"""Running on a Dask cluster: the same commands, the same store, the same seeds.

``--scheduler ADDRESS`` connects to a running Dask scheduler (``dask scheduler``, or one started
by ``dask-jobqueue`` on SLURM or PBS) and hands the batch, survey, calibration or sensitivity runs
to its workers through Dask's ``concurrent.futures`` executor (``client.get_executor()``). What is
sent to a worker is a chunk of run specifications (scenario name, replication, seed, parameter
overrides); what comes back is each run's row and weekly frame. Only the driver writes results,
so the resumable store behaves exactly as with local processes, and a worker lost mid-batch only
means its chunk is run again elsewhere (Dask reschedules it).

Before any work is sent, every worker is asked which orgsim and which model it runs; a worker
without orgsim, or with another version of the model, is named and the command stops.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager

from sim.errors import UserError

CONNECT_TIMEOUT_S = 5.0


class ClusterError(UserError, RuntimeError):
    """The scheduler cannot be reached, or its workers cannot run this orgsim."""


def _identity() -> tuple[str, str] | str:
    """Run on each worker: (orgsim version, model fingerprint), or why orgsim is unusable.

    Defined so that cloudpickle ships it by value: the worker needs no orgsim to run it."""
    import importlib

    try:
        sim = importlib.import_module("sim")
        store = importlib.import_module("sim.runs.store")
        return sim.__version__, store.model_fingerprint()
    except Exception as exc:  # reported, not raised: the driver names the worker
        return f"cannot import orgsim: {type(exc).__name__}: {exc}"


def check_workers(client) -> int:
    """Number of worker threads; raises ClusterError naming any worker that lacks orgsim or runs
    another version of it."""
    import cloudpickle

    from sim import __version__
    from sim.runs.store import model_fingerprint

    cloudpickle.register_pickle_by_value(__import__(__name__, fromlist=["_identity"]))
    try:
        answers = client.run(_identity)
    finally:
        cloudpickle.unregister_pickle_by_value(__import__(__name__, fromlist=["_identity"]))
    if not answers:
        raise ClusterError(
            f"the scheduler at {client.scheduler.address} has no workers; start "
            "some with `dask worker ADDRESS`"
        )
    ours = (__version__, model_fingerprint())
    bad = []
    for worker, identity in sorted(answers.items()):
        if isinstance(identity, str):
            bad.append(f"{worker}: {identity}")
        elif tuple(identity) != ours:
            bad.append(
                f"{worker}: orgsim {identity[0]}, model {identity[1][:12]} (driver: orgsim "
                f"{ours[0]}, model {ours[1][:12]})"
            )
    if bad:
        raise ClusterError(
            "workers cannot run this orgsim; install the same orgsim on them "
            "(pip install -e . in the same checkout):\n  " + "\n  ".join(bad)
        )
    return worker_threads(client)


def worker_threads(client) -> int:
    """Worker threads the cluster offers now (sizes the chunks of a batch)."""
    info = client.scheduler_info()
    return sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()) or 1


ADDRESS = re.compile(r"^(?:(?:tcp|tls|ws|wss|ucx)://)?(\[[0-9a-fA-F:.]+\]|[^\s/:\[\]]+):(\d{1,5})$")


def check_address(address: str) -> None:
    """Refuse a malformed scheduler address before a Dask client is made: a client built on one
    raised, and then printed a stray traceback at exit while it timed out closing itself.

    Raises:
        ClusterError: ``address`` is not ``[scheme://]HOST:PORT`` with a port of 1-65535.
    """
    match = ADDRESS.match(address.strip())
    if match is None or not 0 < int(match.group(2)) < 65536:
        raise ClusterError(
            f"{address!r} is not a scheduler address; give it as tcp://HOST:PORT, e.g. "
            "tcp://127.0.0.1:8786 (the address `dask scheduler` prints)"
        )


def connect(address: str, timeout: float = CONNECT_TIMEOUT_S):
    """A Dask client for the scheduler at ``address``, its workers checked.

    Raises:
        ClusterError: the scheduler does not answer within ``timeout`` seconds, or its workers are
            missing or mismatched; the message names the address.
    """
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - distributed is a dependency
        raise ClusterError(
            "Dask distributed is not installed; pip install 'dask[distributed]'"
        ) from None
    check_address(address)
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(
            f"cannot reach a Dask scheduler at {address} within {timeout:g} s "
            f"({type(exc).__name__}); start one with `dask scheduler` and pass "
            "the address it prints, e.g. tcp://127.0.0.1:8786"
        ) from None
    try:
        check_workers(client)
    except Exception:
        client.close()
        raise
    return client


@contextmanager
def executor_for(address: str | None) -> Iterator[tuple[Executor | None, int | None]]:
    """``(executor, worker threads)`` for a scheduler address, or ``(None, None)`` for local
    processes; the client is closed on exit."""
    if address is None:
        yield None, None
        return
    client = connect(address)
    try:
        yield client.get_executor(), worker_threads(client)
    finally:
        client.close()
