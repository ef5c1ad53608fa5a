"""Batches of paired replications: plan, run on any ``concurrent.futures`` executor, store as
results arrive, resume.

Replication seeds are spawned from the master seed with ``numpy.random.SeedSequence``;
replication r of every scenario uses the same seed, so scenarios are compared on paired runs by
default. Runs are grouped in chunks (one task per chunk) so that scheduling overhead stays small;
each worker returns its results and only the driver writes them (:mod:`sim.runs.store`). A run that
raises is recorded with its error and does not stop the batch. The shape follows Mesa 4's
experimental ``run_scenarios``: frozen scenarios, seeds from one SeedSequence, an executor, a
store, failures as data.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.model.outcomes import OUTCOMES
from sim.model.parameters import Parameters
from sim.model.randomness import replicate_seeds
from sim.runs.pool import chunked, local_pool
from sim.runs.posterior import PosteriorDraws
from sim.runs.progress import progress_bar
from sim.runs.scenarios import Scenario
from sim.runs.store import (
    CHECKSUMS,
    BatchStore,
    EncodedRun,
    encode_run,
    environment,
    folder_lock,
    now,
    run_key,
)


@dataclass(frozen=True)
class RunSpec:
    """One run to do: which scenario, which replication, its seed and parameters."""

    scenario: str
    rep: int
    seed: int
    overrides: dict[str, Any]
    weeks: int | None

    @property
    def key(self) -> str:
        return run_key(self.scenario, self.rep)


@dataclass
class BatchResult:
    """What a batch call did."""

    total: int
    ran: int
    skipped: int
    failed: int
    interrupted: bool
    elapsed_s: float

    @property
    def runs_per_second(self) -> float:
        return self.ran / self.elapsed_s if self.elapsed_s > 0 else float("nan")


def plan(
    scenarios: Iterable[Scenario],
    reps: int,
    master_seed: int,
    weeks: int | None,
    posterior: PosteriorDraws | None = None,
) -> list[RunSpec]:
    """Every (scenario, replication) of the batch; replication r has the same seed everywhere,
    and with a ``posterior`` the same parameter draw everywhere (:mod:`sim.runs.posterior`). A
    scenario that sets a fitted parameter itself keeps its own value: it asks for that value."""
    seeds = replicate_seeds(master_seed, reps)
    drawn: list[dict[str, Any]] = [{} for _ in seeds]
    if posterior is not None:
        drawn = [posterior.values(row) for row in posterior.rows_for(reps, master_seed)]
    return [
        RunSpec(s.name, rep, seed, {**drawn[rep], **s.overrides}, weeks)
        for s in scenarios
        for rep, seed in enumerate(seeds)
    ]


def run_spec(spec: RunSpec) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """Run one spec in a worker: the run row and its weekly frame, or a failed row with the error.

    Module-level and self-contained, so any executor can ship it (processes, Dask).
    """
    from sim.model.model import Organisation
    from sim.runs.runner import release, summarise

    params = Parameters.from_flat(spec.overrides)
    if spec.weeks is not None:
        params = params.replace(weeks=spec.weeks)
    row: dict[str, Any] = {"scenario": spec.scenario, "rep": spec.rep, "seed": spec.seed}
    row.update(params.as_dict())
    model = None
    try:
        model = Organisation(params, seed=spec.seed)
        model.run()
        weekly = model.weekly()
        row.update(status="ok", error="")
        row.update(summarise(weekly))
    except Exception as exc:  # recorded as data: one failure must not stop the batch
        tail = "".join(traceback.format_exception(exc)[-3:]).strip()
        row.update(status="failed", error=f"{type(exc).__name__}: {exc}\n{tail}")
        row.update(
            dict.fromkeys([*OUTCOMES, *(f"mean_{o}" for o in OUTCOMES), "cx_index_w52"], np.nan)
        )
        return row, None
    finally:
        if model is not None:
            release(model)
    weekly = weekly.reset_index()
    weekly.insert(0, "seed", spec.seed)
    weekly.insert(0, "rep", spec.rep)
    weekly.insert(0, "scenario", spec.scenario)
    return row, weekly


def run_chunk(specs: list[RunSpec]) -> list[tuple[dict[str, Any], EncodedRun]]:
    """Run a chunk of specs in one task; each run comes back encoded as its Parquet files, so
    the driver only writes bytes (:func:`sim.runs.store.encode_run`)."""
    return [(row, encode_run(row, weekly)) for row, weekly in map(run_spec, specs)]


def manifest_for(
    scenarios: list[Scenario],
    reps: int,
    master_seed: int,
    weeks: int | None,
    command: list[str],
    posterior: PosteriorDraws | None = None,
) -> dict[str, Any]:
    return {
        # the parameter draws of --fit, one per replication (None: the defaults everywhere)
        "fit": posterior.manifest(reps, master_seed) if posterior is not None else None,
        "kind": "orgsim batch",
        "command": command,
        "master_seed": master_seed,
        "reps": reps,
        "weeks": weeks if weeks is not None else Parameters().weeks,
        "seeds": replicate_seeds(master_seed, reps),
        "scenarios": {
            s.name: {
                "description": s.description,
                "file": s.source,
                "sha256": s.digest,
                "overrides": s.overrides,
                "sweep_of": s.sweep_of,
                "sweep_axes": list(s.sweep_axes) if s.sweep_axes else None,
            }
            for s in scenarios
        },
        "environment": environment(),
        "started": now(),
        "finished": None,
        "status": "running",
    }


def run_batch(
    scenarios: list[Scenario],
    store: BatchStore,
    **kwargs: Any,
) -> BatchResult:
    """Run every missing (scenario, replication) and store each as it arrives, holding the
    folder's lock throughout (:func:`sim.runs.store.folder_lock`); the arguments are those of
    :func:`_run_batch`.

    Raises:
        StoreError: the folder holds a different batch (see :meth:`BatchStore.prepare`), cannot
            be written, or another orgsim command is working in it.
    """
    with folder_lock(store.out):
        return _run_batch(scenarios, store, **kwargs)


def _run_batch(
    scenarios: list[Scenario],
    store: BatchStore,
    *,
    reps: int,
    master_seed: int,
    weeks: int | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    fresh: bool = False,
    command: list[str] | None = None,
    progress: bool = True,
    on_result: Callable[[dict[str, Any]], None] | None = None,
    posterior: PosteriorDraws | None = None,
) -> BatchResult:
    """Run every missing (scenario, replication) and store each as it arrives.

    Args:
        scenarios: the scenarios (sweeps already expanded).
        store: the batch folder.
        reps, master_seed, weeks: the replications, their master seed, the horizon.
        workers: local worker processes when no executor is given (default: all cores).
        executor: any ``concurrent.futures.Executor`` (a Dask client's executor, say); the batch
            does not shut it down.
        fresh: move an existing batch in the folder aside and start again.
        progress: draw a progress bar on stderr.
        on_result: called with each stored run row (tests use it to interrupt a batch).
        posterior: parameter draws of a calibration (``--fit``): one per replication, shared by
            every scenario of it.

    Raises:
        StoreError: the folder holds a different batch (see :meth:`BatchStore.prepare`).
    """
    manifest = store.prepare(
        manifest_for(scenarios, reps, master_seed, weeks, command or [], posterior), fresh
    )
    specs = plan(scenarios, reps, master_seed, weeks, posterior)
    moved = store.move_damaged_aside()
    if moved:
        print(
            f"orgsim: {len(moved)} damaged result files moved aside into {moved[0].parents[1]}; "
            "their runs are run again",
            file=sys.stderr,
        )
    done = store.done()
    todo = [s for s in specs if s.key not in done]
    workers = workers or os.cpu_count() or 1
    started = time.perf_counter()
    ran = failed = 0
    interrupted = False
    own = executor is None and bool(todo)
    pool = executor or (local_pool(workers) if todo else None)
    bar = _progress(len(specs), len(specs) - len(todo), progress)
    pending: set[Future] = set()
    try:
        if pool is not None:  # None only when nothing is left to run
            pending = {pool.submit(run_chunk, chunk) for chunk in chunked(todo, workers)}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                for row, encoded in fut.result():
                    store.write_encoded(row, encoded)
                    ran += 1
                    failed += row["status"] != "ok"
                    bar.update(1)
                    bar.set_postfix(failed=failed, refresh=False)
                    if on_result is not None:
                        on_result(row)
    except KeyboardInterrupt:
        interrupted = True
        for fut in pending:
            fut.cancel()
    finally:
        bar.close()
        if own and pool is not None:
            pool.shutdown(wait=not interrupted, cancel_futures=True)
    elapsed = time.perf_counter() - started
    statuses = store.statuses()
    n_failed = sum(status != "ok" for status in statuses)
    # runs_total counts the folder's runs, those stored and those this call asked for: a resume
    # with fewer --reps, or another scenario added to a folder, used to overwrite it with this
    # call's count alone, below the runs the folder holds.
    requested = {s.key for s in specs}
    done = store.done()
    complete = requested <= done
    manifest.update(
        finished=now(),
        runs_total=len(done | requested),
        runs_asked_this_call=len(specs),
        runs_done_this_call=ran,
        # every result file's SHA-256, checked by report, the results page and a resume
        checksums=CHECKSUMS,
        checksummed_files=store.write_checksums(),
        runs_stored=len(statuses),
        runs_failed=n_failed,
        status=(
            "interrupted"
            if interrupted or not complete
            else "complete with failures"
            if n_failed
            else "complete"
        ),
    )
    store.write_manifest(manifest)
    return BatchResult(
        total=len(specs),
        ran=ran,
        skipped=len(specs) - len(todo),
        failed=failed,
        interrupted=interrupted,
        elapsed_s=elapsed,
    )


def _progress(total: int, initial: int, enabled: bool):
    return progress_bar(total, unit="run", quiet=not enabled, initial=initial, desc="runs")


def seeds_table(master_seed: int, reps: int) -> pd.DataFrame:
    """The replication seeds of a master seed, for a report or a check."""
    return pd.DataFrame({"rep": np.arange(reps), "seed": replicate_seeds(master_seed, reps)})
