"""Robustness of the recommended portfolios, and when each stops paying.

Each recommended portfolio and the firm doing nothing run in the same ``futures``: a future is a
fresh seed, a posterior draw (with ``--fit``) and a value of every uncertain input of the profile
(a Latin hypercube over their ranges), so the comparison is paired in every future. For each
portfolio: the expected difference against doing nothing, its 10th percentile, and its regret
(how far it falls short of the best of the recommended portfolios and doing nothing, in that
future), on cumulative profit and on the CX index.

Then scenario discovery: PRIM (Friedman and Fisher 1999, as implemented by the EMA Workbench;
Kwakkel 2017) looks for the box of uncertain inputs (the profile's and the fitted parameters')
in which the portfolio's cumulative profit falls below doing nothing's. The box is read at the
point of its peeling trajectory with the highest coverage among those of density at least
``PRIM_DENSITY``; coverage is the share of all failing futures inside the box, density the share
of futures inside it that fail.
"""

from __future__ import annotations

import warnings
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from sim.advice.profile import Profile
from sim.advice.search import Portfolio, run_many
from sim.model.parameters import FIELDS
from sim.runs.posterior import PosteriorDraws

FUTURE_STREAM = 16  # seeds of the futures, apart from the search's (replicate_seeds) and draws
PRIM_DENSITY = 0.7  # the box must hold at least this share of failing futures
PRIM_PEEL = 0.1  # share of the futures peeled off at each PRIM step
RARE = 0.05  # fewer failing (or paying) futures than this share: no box is looked for


@dataclass(frozen=True)
class Futures:
    """The futures: seeds, posterior draws and uncertain inputs (one row each)."""

    seeds: tuple[int, ...]
    inputs: pd.DataFrame  # the uncertain inputs and the drawn parameters, one row per future
    uncertain: tuple[str, ...]  # the profile's uncertain inputs (columns of inputs)
    drawn: tuple[str, ...]  # the posterior's parameters (columns of inputs)

    @classmethod
    def make(cls, profile: Profile, posterior: PosteriorDraws | None) -> Futures:
        n = profile.search["futures"]
        seq = np.random.SeedSequence([profile.search["seed"], FUTURE_STREAM])
        seeds = tuple(int(c.generate_state(1, dtype=np.uint32)[0]) for c in seq.spawn(n))
        names = tuple(profile.uncertain)
        sample = qmc.LatinHypercube(d=len(names), seed=np.random.default_rng(seq)).random(n)
        lows = np.array([profile.uncertain[k][0] for k in names])
        highs = np.array([profile.uncertain[k][1] for k in names])
        inputs = pd.DataFrame(lows + sample * (highs - lows), columns=list(names))
        drawn: tuple[str, ...] = ()
        if posterior is not None:
            rows = posterior.rows_for(n, profile.search["seed"] + 1)
            values = pd.DataFrame([posterior.values(r) for r in rows])
            # An input the profile calls uncertain keeps the profile's range over the fit's.
            drawn = tuple(c for c in values.columns if c not in names)
            inputs = pd.concat([inputs, values[list(drawn)]], axis=1)
        return cls(seeds, inputs, names, drawn)

    def tasks(
        self, profile: Profile, portfolio: Portfolio
    ) -> list[tuple[dict[str, Any], int, bool]]:
        out = []
        for seed, (_, row) in zip(self.seeds, self.inputs.iterrows(), strict=True):
            values = {k: _typed(k, row[k]) for k in self.inputs.columns}
            params = profile.parameters(**portfolio.overrides)
            out.append((params.replace(**values).as_dict(), seed, True))
        return out


def _typed(name: str, value: Any) -> Any:
    default = FIELDS[name].default
    if isinstance(default, bool):
        return bool(value)
    if isinstance(default, int):
        return round(float(value))
    return float(value)


@dataclass
class Robustness:
    table: pd.DataFrame  # one row per portfolio: expected, p10, regret, chance worse
    futures: pd.DataFrame  # one row per (portfolio, future): inputs and differences
    paths: pd.DataFrame  # week, portfolio, mean, low, high of the CX index (doing nothing too)
    conditions: pd.DataFrame  # one row per portfolio: the failure condition in words
    ran: int


def check(
    profile: Profile,
    portfolios: list[Portfolio],
    executor: Executor,
    workers: int,
    posterior: PosteriorDraws | None = None,
) -> Robustness:
    """Run the portfolios and doing nothing in every future, then look for failure conditions."""
    futures = Futures.make(profile, posterior)
    every = [Portfolio(()), *portfolios]
    tasks = [t for p in every for t in futures.tasks(profile, p)]
    rows = run_many(tasks, executor, workers)
    n = len(futures.seeds)
    runs = {p.label: rows[i * n : (i + 1) * n] for i, p in enumerate(every)}
    base = runs[every[0].label]
    diffs = {
        p.label: {
            k: np.array([r[k] - b[k] for r, b in zip(runs[p.label], base, strict=True)])
            for k in ("cx", "growth", "margin", "profit", "cost")
        }
        for p in portfolios
    }
    best_profit = np.max(np.vstack([np.zeros(n), *[d["profit"] for d in diffs.values()]]), axis=0)
    best_cx = np.max(np.vstack([np.zeros(n), *[d["cx"] for d in diffs.values()]]), axis=0)
    records, long = [], []
    for p in portfolios:
        d = diffs[p.label]
        regret_profit = best_profit - d["profit"]
        regret_cx = best_cx - d["cx"]
        records.append(
            {
                "portfolio": p.label,
                "cx_expected": float(d["cx"].mean()),
                "cx_p10": float(np.percentile(d["cx"], 10)),
                "profit_expected": float(d["profit"].mean()),
                "profit_p10": float(np.percentile(d["profit"], 10)),
                "margin_expected": float(d["margin"].mean()),
                "growth_expected": float(d["growth"].mean()),
                "cost_expected": float(d["cost"].mean()),
                "chance_worse": float((d["profit"] < 0).mean()),
                "regret_profit_mean": float(regret_profit.mean()),
                "regret_profit_p90": float(np.percentile(regret_profit, 90)),
                "regret_cx_mean": float(regret_cx.mean()),
            }
        )
        frame = futures.inputs.copy()
        frame.insert(0, "future", range(n))
        frame.insert(0, "portfolio", p.label)
        for k, v in d.items():
            frame[f"diff_{k}"] = v
        long.append(frame)
    path_rows = []
    for p in every:
        paths = np.array([r["path"] for r in runs[p.label]])
        for week in range(paths.shape[1]):
            col = paths[:, week]
            path_rows.append(
                {
                    "portfolio": p.label,
                    "week": week,
                    "mean": float(col.mean()),
                    "low": float(np.percentile(col, 10)),
                    "high": float(np.percentile(col, 90)),
                }
            )
    per_future = pd.concat(long, ignore_index=True) if long else pd.DataFrame()
    conditions = pd.DataFrame(
        [failure_condition(p.label, futures, diffs[p.label]["profit"] < 0) for p in portfolios]
    )
    return Robustness(
        pd.DataFrame(records), per_future, pd.DataFrame(path_rows), conditions, len(rows)
    )


def failure_condition(label: str, futures: Futures, fails: np.ndarray) -> dict[str, Any]:
    """The PRIM box of the futures in which ``label`` does worse than doing nothing, in words."""
    share = float(fails.mean())
    x = futures.inputs
    base = {"portfolio": label, "share_failing": share, "coverage": np.nan, "density": np.nan}
    if share < RARE:
        return {
            **base,
            "inputs": "",
            "condition": f"pays in {1 - share:.0%} of the futures: no "
            "condition under which it stops paying was found",
        }
    if share > 1 - RARE:
        return {
            **base,
            "inputs": "",
            "condition": f"does worse than doing nothing in {share:.0%} "
            "of the futures, whatever the uncertain inputs",
        }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim  # type: ignore[import-untyped]

        box = prim.Prim(
            x.reset_index(drop=True), fails, threshold=PRIM_DENSITY, peel_alpha=PRIM_PEEL
        ).find_box()
    trajectory = box.peeling_trajectory
    dense = trajectory[trajectory["density"] >= PRIM_DENSITY]
    if dense.empty:
        return {
            **base,
            "inputs": "",
            "condition": f"does worse than doing nothing in {share:.0%} "
            f"of the futures, with no region of the inputs where it fails in {PRIM_DENSITY:.0%} "
            "of them",
        }
    point = int(dense.sort_values(["coverage", "density"], ascending=False).iloc[0]["id"])
    box.select(point)
    limits = box.box_lims[point]
    parts, names = [], []
    for name in x.columns:
        lo, hi = float(limits[name].iloc[0]), float(limits[name].iloc[1])
        full_lo, full_hi = float(x[name].min()), float(x[name].max())
        span = full_hi - full_lo
        if span <= 0:
            continue
        low_cut = lo > full_lo + 1e-9 * span
        high_cut = hi < full_hi - 1e-9 * span
        if low_cut and high_cut:
            parts.append(f"{name} is between {lo:.3g} and {hi:.3g}")
        elif low_cut:
            parts.append(f"{name} is above {lo:.3g}")
        elif high_cut:
            parts.append(f"{name} is below {hi:.3g}")
        else:
            continue
        names.append(name)
    row = trajectory.set_index("id").loc[point]
    coverage, density = float(row["coverage"]), float(row["density"])
    words = " and ".join(parts) if parts else "anywhere in the ranges"
    return {
        **base,
        "coverage": coverage,
        "density": density,
        "inputs": ";".join(names),
        "condition": f"stops paying when {words} (coverage {coverage:.0%}, density {density:.0%})",
    }
