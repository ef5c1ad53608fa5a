"""Running many firms: one run as a module-level function (picklable, for any
``concurrent.futures`` executor), paired replications, and release of Mesa 3.3.1's per-model caches.
"""

from __future__ import annotations

from concurrent.futures import Executor
from typing import Any

import mesa
import pandas as pd
from mesa.discrete_space import Cell

from sim.model.model import Organisation
from sim.model.outcomes import OUTCOMES
from sim.runs.pool import chunked, executor_or_pool, worker_count


def release(model: Organisation) -> None:
    """Free what Mesa 3.3.1 keeps after a model is done: its agent-id counter keyed by the model
    and the unbounded neighbourhood caches of ``Cell`` (docs/architecture.md, "Mesa notes")."""
    ids = getattr(mesa.Agent, "_ids", None)  # Mesa 3.3; from 3.4.2 ids are counted per model
    if ids is not None:
        ids.pop(model, None)
    for cached in (Cell.get_neighborhood, Cell._neighborhood):
        clear = getattr(cached, "cache_clear", None)
        if clear is not None:
            clear()


def summarise(weekly: pd.DataFrame) -> dict[str, float]:
    """One run as one row: each outcome at the last week, its mean over weeks 1..end
    (``mean_<outcome>``), and the CX index at week 52 (``cx_index_w52``, NaN for shorter runs)."""
    last = weekly.iloc[-1]
    means = weekly.iloc[1:].mean()
    row = {name: float(last[name]) for name in OUTCOMES}
    row.update({f"mean_{name}": float(means[name]) for name in OUTCOMES})
    row["cx_index_w52"] = float(weekly["cx_index"].iloc[52]) if len(weekly) > 52 else float("nan")
    return row


def simulate(overrides: dict[str, Any], seed: int, weeks: int | None = None) -> dict[str, float]:
    """Run one firm and summarise it (:func:`summarise`)."""
    model = Organisation(seed=seed, **overrides)
    try:
        model.run(weeks)
        return summarise(model.weekly())
    finally:
        release(model)


def _simulate_task(task: tuple[str, int, int, dict[str, Any], int | None]) -> dict[str, Any]:
    scenario, rep, seed, overrides, weeks = task
    row = simulate(overrides, seed, weeks)
    return {"scenario": scenario, "rep": rep, "seed": seed, **row}


def _simulate_chunk(tasks: list[tuple[str, int, int, dict[str, Any], int | None]]) -> list[dict]:
    return [_simulate_task(task) for task in tasks]


def run_paired(
    scenarios: dict[str, dict[str, Any]],
    seeds: list[int],
    weeks: int | None = None,
    executor: Executor | None = None,
    workers: int | None = None,
) -> pd.DataFrame:
    """Run every scenario on every seed (replication r uses ``seeds[r]`` in all scenarios) and
    return one row per run: ``scenario``, ``rep``, ``seed`` and the end-week outcomes."""
    tasks = [
        (name, rep, seed, overrides, weeks)
        for name, overrides in scenarios.items()
        for rep, seed in enumerate(seeds)
    ]
    with executor_or_pool(executor, workers) as pool:
        chunks = chunked(tasks, worker_count(workers))
        rows = [row for chunk in pool.map(_simulate_chunk, chunks) for row in chunk]
    return pd.DataFrame(rows)
