"""What the browser's results page shows of a finished batch, computed from the stored results.

A batch folder (:mod:`sim.runs.store`) holds one row per run in ``runs/`` (outcomes at the last
week) and one row per (run, week) in ``weeks/``. This module reads them, without re-running
anything, into two views:

- **bands**: each outcome week by week, per scenario, as the mean over replications inside its 95%
  t-interval (:func:`sim.results.stats.mean_interval`, computed for all weeks at once);
- **paired differences** at the end week: each scenario minus the baseline, replication by
  replication (common random numbers), with the t-interval of the mean difference
  (:func:`sim.results.stats.paired_difference`), drawn as a forest plot.

Only finished runs enter; a difference uses the replications finished in both scenarios. Figures
are plain matplotlib ``Figure`` objects (no pyplot state), small enough to send to a browser.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.results.report import Batch, ReportError, load_batch, read_weeks, time_bands
from sim.results.stats import paired_difference

OUTCOMES = (
    "cx_index",
    "nps",
    "churn",
    "revenue",
    "time_to_market",
    "saas_share",
    "cross_trust",
)
LABELS = {
    "cx_index": "CX index (0-100)",
    "nps": "NPS (-100 to 100)",
    "churn": "churn (share/week)",
    "revenue": "revenue (currency/week)",
    "time_to_market": "time to market (weeks)",
    "saas_share": "SaaS share of requests",
    "cross_trust": "cross-department trust (0-1)",
}
WEEK0_UNDEFINED = ("churn", "revenue")  # zero at set-up: nothing has happened yet
LEVEL = 0.95
DPI = 100
MAX_DEFAULT_SCENARIOS = 4  # scenarios ticked when a batch is opened: readable bands


class ResultsError(ValueError):
    """The folder cannot be shown as a batch; the message names the folder and what to do."""


@dataclass(frozen=True)
class BatchResults(Batch):
    """A batch folder as the CLI report reads it (:func:`sim.results.report.load_batch`), with what
    the results page adds: finished runs, the default baseline and selection, a one-line summary."""

    @property
    def finished(self) -> pd.DataFrame:
        return self.runs[self.runs["status"] == "ok"]

    def default_baseline(self) -> str:
        """``baseline`` when the batch has it, else its first scenario."""
        return "baseline" if "baseline" in self.scenarios else self.scenarios[0]

    def default_selection(self) -> list[str]:
        """The baseline and the next few scenarios that are not points of a sweep."""
        specs = self.manifest.get("scenarios") or {}
        ordinary = [s for s in self.scenarios if not (specs.get(s) or {}).get("sweep_of")]
        base = self.default_baseline()
        rest = [s for s in (ordinary or self.scenarios) if s != base]
        return [base, *rest[: MAX_DEFAULT_SCENARIOS - 1]]

    def describe(self) -> str:
        m = self.manifest
        n_ok = len(self.finished)
        return (
            f"{self.path}: {len(self.scenarios)} scenarios, {m.get('reps', '?')} replications, "
            f"{m.get('weeks', '?')} weeks, {n_ok} of {len(self.runs)} runs finished, "
            f"status {m.get('status', 'unknown')}"
        )


def open_batch(folder: Path | str | None) -> BatchResults:
    """Read a batch folder's manifest and runs, as :func:`sim.results.report.load_batch` does.

    Raises:
        ResultsError: no folder given, or the folder is missing, is not a batch (no
            ``manifest.json``), has a damaged manifest, or holds no stored run yet.
    """
    hint = "run `orgsim batch SCENARIO... --out DIR` first, then `orgsim viz --results DIR`"
    if folder is None or not str(folder).strip():
        raise ResultsError(f"No batch folder chosen: enter one above, or {hint}.")
    path = Path(str(folder).strip()).expanduser()
    if not path.exists():
        raise ResultsError(f"No batch folder at {path}: it does not exist; {hint}.")
    if not path.is_dir():
        raise ResultsError(f"{path} is a file, not a batch folder; {hint}.")
    try:
        batch = load_batch(path)
    except ReportError as exc:
        raise ResultsError(str(exc)) from None
    return BatchResults(batch.path, batch.manifest, batch.runs)


def load_weeks(
    batch: BatchResults, scenarios: Sequence[str], outcomes: Sequence[str] = OUTCOMES
) -> pd.DataFrame:
    """The weekly rows of the finished runs of ``scenarios``: columns scenario, rep, week and the
    outcomes (:func:`sim.results.report.read_weeks`, which reads only those scenarios' rows)."""
    return read_weeks(batch, scenarios, outcomes)


def outcome_bands(weeks: pd.DataFrame, outcome: str, level: float = LEVEL) -> pd.DataFrame:
    """Week-by-week mean of ``outcome`` across replications with its t-interval: the CLI
    report's :func:`sim.results.report.time_bands` (clipped to the outcome's bounds), so both pages
    show the same numbers.

    Returns:
        Columns scenario, week, mean, low, high, n; sorted by scenario then week.
    """
    frame = weeks.assign(**{outcome: pd.to_numeric(weeks[outcome]).astype(float)})
    return time_bands(frame, outcome, level).reset_index(drop=True)


def end_differences(
    batch: BatchResults,
    baseline: str,
    scenarios: Sequence[str],
    outcomes: Sequence[str] = OUTCOMES,
    level: float = LEVEL,
) -> pd.DataFrame:
    """Each scenario minus ``baseline`` at the end week, paired by replication.

    Returns:
        One row per (scenario, outcome), baseline left out: mean, low, high and n (the number of
        replications finished in both; the interval is NaN below two).
    """
    ok = batch.finished
    base = ok[ok["scenario"] == baseline].set_index("rep")
    rows = []
    for name in scenarios:
        if name == baseline:
            continue
        mine = ok[ok["scenario"] == name].set_index("rep")
        common = mine.index.intersection(base.index).sort_values()
        for outcome in outcomes:
            if outcome not in mine.columns:
                continue
            diff = paired_difference(
                mine.loc[common, outcome].to_numpy(dtype=float),
                base.loc[common, outcome].to_numpy(dtype=float),
                level,
            )
            rows.append(
                {
                    "scenario": name,
                    "outcome": outcome,
                    "mean": diff.mean,
                    "low": diff.low,
                    "high": diff.high,
                    "n": diff.n,
                }
            )
    return pd.DataFrame(rows, columns=["scenario", "outcome", "mean", "low", "high", "n"])


# -- figures ---------------------------------------------------------------------------------------
def scenario_colours(scenarios: Sequence[str]) -> dict[str, Any]:
    """One colour per scenario, the same in every figure of the page."""
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return {name: cmap(k % 10) for k, name in enumerate(scenarios)}


def bands_figure(
    weeks: pd.DataFrame, scenarios: Sequence[str], outcomes: Sequence[str] = OUTCOMES
) -> Figure:
    """Small multiples: each outcome over the weeks, a line and 95% band per scenario."""
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(10.0, 4.6), dpi=DPI)
    axes = fig.subplots(2, 4).ravel()
    colours = scenario_colours(scenarios)
    for ax, outcome in zip(axes, outcomes, strict=False):
        shown = weeks[weeks["week"] > 0] if outcome in WEEK0_UNDEFINED else weeks
        bands = outcome_bands(shown, outcome) if len(shown) else pd.DataFrame()
        ax.yaxis.set_major_locator(MaxNLocator(5))
        for name in scenarios:
            b = bands[bands["scenario"] == name] if len(bands) else bands
            if b.empty:
                continue
            ax.fill_between(b["week"], b["low"], b["high"], color=colours[name], alpha=0.2, lw=0)
            ax.plot(b["week"], b["mean"], color=colours[name], lw=1.2, label=name)
        ax.set_title(LABELS.get(outcome, outcome), fontsize=9)
        ax.tick_params(labelsize=7)
        ax.set_xlabel("week", fontsize=7)
    legend_ax = axes[len(outcomes)] if len(outcomes) < len(axes) else None
    for ax in axes[len(outcomes) :]:
        ax.axis("off")
    if legend_ax is not None:
        handles = [legend_ax.plot([], [], color=colours[s], lw=3, label=s)[0] for s in scenarios]
        legend_ax.legend(
            handles=handles,
            loc="center",
            fontsize=8,
            frameon=False,
            title="mean and 95% band",
            title_fontsize=8,
        )
    fig.subplots_adjust(left=0.06, right=0.98, top=0.93, bottom=0.1, hspace=0.55, wspace=0.35)
    return fig


def forest_figure(
    diffs: pd.DataFrame,
    baseline: str,
    scenarios: Sequence[str],
    outcomes: Sequence[str] = OUTCOMES,
    colours: dict[str, Any] | None = None,
) -> Figure:
    """Forest plot: per outcome, each scenario's paired difference from the baseline at the end
    week with its 95% interval; a zero line marks no effect. ``colours`` (by scenario) keeps the
    colours of the bands figure."""
    from matplotlib.ticker import MaxNLocator

    others = [s for s in scenarios if s != baseline]
    fig = Figure(figsize=(10.0, 1.4 + 0.5 * max(1, len(others))), dpi=DPI)
    axes = fig.subplots(2, 4).ravel()
    colours = colours or scenario_colours(scenarios)
    for k, (ax, outcome) in enumerate(zip(axes, outcomes, strict=False)):
        d = diffs[diffs["outcome"] == outcome].set_index("scenario") if len(diffs) else diffs
        for y, name in enumerate(others):
            if name not in d.index:
                continue
            row = d.loc[name]
            if np.isfinite(row["low"]):
                ax.plot([row["low"], row["high"]], [y, y], color=colours[name], lw=2)
            ax.plot([row["mean"]], [y], "o", color=colours[name], ms=4)
        ax.axvline(0.0, color="0.4", lw=0.8, ls="--")
        ax.set_yticks(range(len(others)))
        ax.set_yticklabels(others if k % 4 == 0 else [], fontsize=7)
        ax.set_ylim(-0.7, len(others) - 0.3)
        ax.invert_yaxis()
        ax.set_title(LABELS.get(outcome, outcome), fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(4))
    for ax in axes[len(outcomes) :]:
        ax.axis("off")
    fig.suptitle(f"Difference from {baseline} at the end week (paired, 95% interval)", fontsize=9)
    fig.subplots_adjust(left=0.16, right=0.98, top=0.86, bottom=0.08, hspace=0.6, wspace=0.3)
    return fig
