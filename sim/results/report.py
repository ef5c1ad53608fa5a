"""The report of a batch folder: what the runs say, as figures, one table and one HTML page.

``build_report(DIR)`` reads what ``orgsim batch ... --out DIR`` stored (``manifest.json``, the
``runs/`` and ``weeks/`` Parquet datasets; see :mod:`sim.runs.store`) and writes, under
``DIR/report/`` and nowhere else:

- ``time_<outcome>.png``: each outcome week by week, one line per scenario (the mean over
  replications) inside its 95% band (a t-interval across replications, week by week);
- ``forest.png``: every scenario's paired difference from the baseline at the last week, with its
  95% interval, one panel per outcome;
- ``sweep_<name>.png``: for each sweep, the end-week CX index over the swept parameters (a heat map
  for a grid, coloured points for a Latin hypercube or Sobol sample, a line for one axis);
- ``summary.csv``: one row per (scenario, outcome) with the mean, its interval and the paired
  difference from the baseline;
- ``index.html``: the batch's facts, its failed runs with their errors, the figures and the table,
  referring to the PNGs by relative path so the folder can be moved or zipped whole.

Differences are paired by replication: replication r of every scenario ran on the same seed
(common random numbers, :mod:`sim.results.stats`), so the noise two scenarios share cancels. A
replication enters a difference only if it finished in both scenarios.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from scipy import stats as st

from sim.model.outcomes import BOUNDS, MODEL_REPORTERS
from sim.results.stats import mean_interval, paired_difference

REPORT_OUTCOMES = (
    "cx_index",
    "nps",
    "churn",
    "revenue_growth",
    "margin",
    "time_to_market",
    "saas_share",
    "cross_trust",
)
SWEEP_OUTCOME = "cx_index"  # what a sweep's map shows: the outcome customers feel first
LEVEL = 0.95  # confidence level of every interval in the report
REPORT_DIR = "report"
SUMMARY_COLUMNS = (
    "scenario",
    "outcome",
    "n_ok",
    "n_failed",
    "mean",
    "low",
    "high",
    "diff_vs_baseline",
    "diff_low",
    "diff_high",
    "n_pairs",
    "baseline",
    "sweep_of",
)
DPI = 100  # small files: the page shows them at about this size anyway
GRID_LABELS_MAX = 12  # a grid with more values per axis than this gets no number in each cell
FIGURE_PREFIXES = ("time_", "forest", "sweep_")  # PNGs this module owns inside DIR/report/


class ReportError(ValueError):
    """The folder cannot be reported on; the message names the folder and what is missing."""


@dataclass(frozen=True)
class Report:
    """What :func:`build_report` wrote.

    Attributes:
        summary: one row per (scenario, outcome), columns :data:`SUMMARY_COLUMNS`.
        index_html: the report page.
        summary_csv: ``summary`` as CSV.
        figures: every PNG written, in the order the page shows them.
    """

    summary: pd.DataFrame
    index_html: Path
    summary_csv: Path
    figures: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class Batch:
    """A batch folder as read: its manifest and one row per run."""

    path: Path
    manifest: dict[str, Any]
    runs: pd.DataFrame

    @property
    def scenarios(self) -> list[str]:
        """Scenario names in manifest order, then any run only in the runs table."""
        names = list(self.manifest.get("scenarios") or {})
        seen = set(names)
        for name in self.runs["scenario"].drop_duplicates():
            if name not in seen:
                names.append(name)
                seen.add(name)
        return names

    def sweeps(self) -> dict[str, list[str]]:
        """``{sweep name: [its point scenarios]}``, in manifest order."""
        found: dict[str, list[str]] = {}
        for name, spec in (self.manifest.get("scenarios") or {}).items():
            parent = (spec or {}).get("sweep_of")
            if parent:
                found.setdefault(parent, []).append(name)
        return found

    def sweep_axes(self, sweep: str) -> list[str]:
        """The parameters a sweep varies: as the manifest states them, else those of its points'
        overrides that take more than one value."""
        specs = self.manifest["scenarios"]
        points = self.sweeps()[sweep]
        stated = specs[points[0]].get("sweep_axes")
        if stated:
            return [a for a in stated if a in self.runs.columns]
        keys = {k for p in points for k in (specs[p].get("overrides") or {})}
        return sorted(
            k
            for k in keys
            if k in self.runs.columns
            and len({repr((specs[p].get("overrides") or {}).get(k)) for p in points}) > 1
        )

    def ordinary(self) -> list[str]:
        """Scenarios that are not sweep points: the ones drawn as lines and in the forest."""
        points = {p for pts in self.sweeps().values() for p in pts}
        return [s for s in self.scenarios if s not in points]


# -- reading ---------------------------------------------------------------------------------------
def load_batch(batch_dir: Path | str) -> Batch:
    """Read a batch folder's manifest and runs table.

    A replication stored twice (a resumed batch that re-ran a failed run) counts once, its finished
    version preferred.

    Raises:
        ReportError: the folder, its ``manifest.json`` or its runs are missing or unreadable.
    """
    path = Path(batch_dir)
    hint = f"run `orgsim batch ... --out {path}` first"
    if not path.is_dir():
        raise ReportError(f"not a batch folder: {path} does not exist or is not a folder; {hint}")
    manifest_path = path / "manifest.json"
    if not manifest_path.is_file():
        raise ReportError(f"not a batch folder: {path} has no manifest.json; {hint}")
    try:
        manifest = json.loads(manifest_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ReportError(f"{manifest_path} is damaged ({exc}); rerun the batch") from None
    if not isinstance(manifest, dict):
        raise ReportError(f"{manifest_path} is not a JSON object; rerun the batch")
    runs = read_dataset(path / "runs")
    if runs is None or runs.empty:
        raise ReportError(
            f"{path} has no runs: no finished run yet (runs/ is missing or empty); {hint}"
        )
    for column in ("scenario", "rep", "status"):
        if column not in runs.columns:
            raise ReportError(f"{path / 'runs'} has no {column!r} column; rerun the batch")
    runs["scenario"] = runs["scenario"].astype(str)
    runs["rep"] = runs["rep"].astype(int)
    runs["status"] = runs["status"].astype(str)
    if "error" not in runs.columns:
        runs["error"] = ""
    runs["error"] = runs["error"].fillna("").astype(str)
    if runs.duplicated(["scenario", "rep"]).any():
        ok_last = runs.assign(_ok=runs["status"] == "ok").sort_values("_ok", kind="stable")
        runs = ok_last.drop_duplicates(["scenario", "rep"], keep="last").drop(columns="_ok")
    return Batch(path, manifest, runs.sort_values(["scenario", "rep"]).reset_index(drop=True))


def read_dataset(
    folder: Path, columns: Sequence[str] | None = None, scenarios: Sequence[str] | None = None
) -> pd.DataFrame | None:
    """Read a Parquet dataset folder (None if it is missing or holds no file).

    Args:
        folder: a folder of ``*.parquet`` files with the same columns.
        columns: read only these (those a file lacks are left out).
        scenarios: keep only rows of these scenarios; pushed down to the reader, so a large sweep's
            weekly rows are never loaded when only the ordinary scenarios are wanted.
    """
    if not folder.is_dir() or not any(folder.glob("*.parquet")):
        return None
    filters = [("scenario", "in", list(scenarios))] if scenarios is not None else None
    try:
        df = pd.read_parquet(folder, columns=list(columns) if columns else None, filters=filters)
    except (pa.ArrowException, KeyError, ValueError):
        # Files whose schemas disagree (a failed run whose outcomes were written as nulls, a column
        # added by a later version) defeat the dataset reader; read them one by one instead.
        frames = [pd.read_parquet(f) for f in sorted(folder.glob("*.parquet"))]
        names = list(dict.fromkeys(c for f in frames for c in f.columns))
        # An all-null column says nothing about the column's type: leave it to the other files.
        frames = [f.dropna(axis=1, how="all") for f in frames if not f.empty]
        df = pd.concat(frames, ignore_index=True).reindex(columns=names)
        if scenarios is not None:
            df = df[df["scenario"].astype(str).isin(list(scenarios))]
        if columns:
            df = df[[c for c in columns if c in df.columns]]
    if "scenario" in df.columns:
        df["scenario"] = df["scenario"].astype(str)
    return df.reset_index(drop=True)


def read_weeks(batch: Batch, scenarios: Sequence[str], outcomes: Sequence[str]) -> pd.DataFrame:
    """The weekly rows of the finished runs of ``scenarios`` (empty if there are none)."""
    columns = ["scenario", "rep", "week", *outcomes]
    if not scenarios:
        return pd.DataFrame(columns=columns)
    weeks = read_dataset(batch.path / "weeks", columns, scenarios)
    if weeks is None or weeks.empty:
        return pd.DataFrame(columns=columns)
    ok = batch.runs.loc[batch.runs["status"] == "ok", ["scenario", "rep"]]
    weeks["rep"] = weeks["rep"].astype(int)
    # A run that failed part-way may have left weeks behind; bands are over finished runs only.
    weeks = weeks.merge(ok, on=["scenario", "rep"], how="inner")
    return weeks.drop_duplicates(["scenario", "rep", "week"], keep="last")


# -- computing -------------------------------------------------------------------------------------
def time_bands(weeks: pd.DataFrame, outcome: str, level: float = LEVEL) -> pd.DataFrame:
    """Week-by-week mean of ``outcome`` across replications, with its t-interval.

    The same numbers as :func:`sim.results.stats.mean_interval` on each (scenario, week), computed
    for all groups at once, clipped to the values the outcome can take
    (:data:`sim.model.outcomes.BOUNDS`).

    Returns:
        Columns ``scenario``, ``week``, ``mean``, ``low``, ``high``, ``n`` (finite values); ``low``
        and ``high`` are NaN where fewer than two replications have a value.
    """
    values = weeks[["scenario", "week"]].assign(value=weeks[outcome].astype(float))
    values.loc[~np.isfinite(values["value"]), "value"] = np.nan
    g = values.groupby(["scenario", "week"], sort=False)["value"]
    out = pd.DataFrame({"mean": g.mean(), "sd": g.std(ddof=1), "n": g.count()}).reset_index()
    n = out["n"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = st.t.ppf(0.5 + level / 2, np.where(n >= 2, n - 1, np.nan))
        half = t * out["sd"].to_numpy() / np.sqrt(n)
    low, high = BOUNDS.get(outcome, (None, None))
    out["low"] = (out["mean"] - half).clip(lower=low)
    out["high"] = (out["mean"] + half).clip(upper=high)
    return out[["scenario", "week", "mean", "low", "high", "n"]].sort_values(["scenario", "week"])


def summary_table(
    batch: Batch, baseline: str | None, outcomes: Sequence[str] = REPORT_OUTCOMES
) -> pd.DataFrame:
    """One row per (scenario, outcome) at the last week: counts, mean and paired difference.

    ``mean``/``low``/``high`` are over the finished runs; ``diff_vs_baseline``/``diff_low``/
    ``diff_high`` are the mean of ``scenario - baseline`` over the replications finished in both,
    with its t-interval (NaN for the baseline itself, and everywhere when ``baseline`` is None);
    ``n_pairs`` counts those replications. Scenarios of the manifest with no stored run yet appear
    with zero counts.
    """
    runs = batch.runs
    ok = runs[runs["status"] == "ok"]
    base = ok[ok["scenario"] == baseline].set_index("rep") if baseline is not None else None
    sweep_of = {p: s for s, pts in batch.sweeps().items() for p in pts}
    rows = []
    for name in batch.scenarios:
        mine = runs[runs["scenario"] == name]
        done = ok[ok["scenario"] == name].set_index("rep")
        common = done.index.intersection(base.index) if base is not None else None
        for outcome in outcomes:
            value = mean_interval(done[outcome].to_numpy(dtype=float))
            row = {
                "scenario": name,
                "outcome": outcome,
                "n_ok": len(done),
                "n_failed": int((mine["status"] != "ok").sum()),
                "mean": value.mean,
                "low": value.low,
                "high": value.high,
                "diff_vs_baseline": np.nan,
                "diff_low": np.nan,
                "diff_high": np.nan,
                "n_pairs": 0,
                "baseline": baseline or "",
                "sweep_of": sweep_of.get(name, ""),
            }
            if base is not None and name != baseline:
                diff = paired_difference(
                    done.loc[common, outcome].to_numpy(dtype=float),
                    base.loc[common, outcome].to_numpy(dtype=float),
                    LEVEL,
                )
                row.update(
                    diff_vs_baseline=diff.mean,
                    diff_low=diff.low,
                    diff_high=diff.high,
                    n_pairs=diff.n,
                )
            rows.append(row)
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def sweep_points(batch: Batch, sweep: str, outcome: str = SWEEP_OUTCOME) -> pd.DataFrame:
    """One row per point of ``sweep``: its axis values and the end-week mean of ``outcome`` over its
    finished runs, with the t-interval (columns ``mean``, ``low``, ``high``, ``n``)."""
    axes = batch.sweep_axes(sweep)
    runs = batch.runs[batch.runs["scenario"].isin(batch.sweeps()[sweep])]
    rows = []
    for name, group in runs.groupby("scenario", sort=False):
        value = mean_interval(group.loc[group["status"] == "ok", outcome].to_numpy(dtype=float))
        first = group.iloc[0]
        rows.append(
            {
                "scenario": name,
                **{a: first[a] for a in axes},
                "mean": value.mean,
                "low": value.low,
                "high": value.high,
                "n": value.n,
            }
        )
    return pd.DataFrame(rows, columns=["scenario", *axes, "mean", "low", "high", "n"])


# -- drawing ---------------------------------------------------------------------------------------
def _figure(width: float, height: float) -> Figure:
    # An Agg canvas of its own: no pyplot state, nothing shared between reports or threads.
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: Path) -> Path:
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    fig.clear()  # the canvas holds the renderer's buffers until the figure is dropped
    return path


def _describe(outcome: str) -> str:
    """The outcome's reporter docstring, first paragraph: one definition shared with the model."""
    reporter = MODEL_REPORTERS.get(outcome)
    doc = (reporter.__doc__ or "").strip() if reporter else ""
    return " ".join(doc.split("\n\n")[0].split()) or outcome


def plot_time_band(bands: pd.DataFrame, outcome: str, scenarios: Sequence[str], path: Path) -> Path:
    """Draw ``outcome`` week by week: one line per scenario (mean over replications) inside its
    shaded 95% band (t-interval across replications in that week). Overlapping bands mean the
    replications cannot tell the scenarios apart in that week; the paired forest plot is the
    sharper comparison."""
    fig = _figure(6.4, 3.6)
    ax = fig.add_subplot()
    for k, name in enumerate(scenarios):
        one = bands[bands["scenario"] == name]
        if one.empty:
            continue
        colour = f"C{k % 10}"
        ax.plot(one["week"], one["mean"], color=colour, lw=1.4, label=name)
        ax.fill_between(one["week"], one["low"], one["high"], color=colour, alpha=0.2, lw=0)
    ax.set_xlabel("week")
    ax.set_ylabel(outcome)
    ax.set_title(f"{outcome}: mean and 95% band across replications", fontsize=10)
    ax.grid(alpha=0.3)
    if ax.has_data():
        ax.legend(fontsize=8, frameon=False, loc="best")
    return _save(fig, path)


def plot_forest(summary: pd.DataFrame, outcomes: Sequence[str], path: Path) -> Path | None:
    """Draw the paired differences from the baseline at the last week: one panel per outcome, one
    row per scenario, a dot at the mean difference and a bar over its 95% interval. A filled dot's
    interval excludes zero (the dashed line); a hollow dot's does not. Returns None when there is
    nothing to compare (no baseline, or no scenario besides it)."""
    rows = summary[
        (summary["baseline"] != "")
        & (summary["scenario"] != summary["baseline"])
        & (summary["sweep_of"] == "")
    ]
    names = list(dict.fromkeys(rows["scenario"]))
    if not names:
        return None
    ncols = min(4, len(outcomes))
    nrows = math.ceil(len(outcomes) / ncols)
    height = nrows * (0.3 * len(names) + 1.0)
    fig = _figure(2.6 * ncols + 1.2, height)
    axes = fig.subplots(nrows, ncols, sharey=True, squeeze=False).ravel()
    y = np.arange(len(names))
    for ax, outcome in zip(axes, outcomes, strict=False):
        one = rows[rows["outcome"] == outcome].set_index("scenario").reindex(names)
        mean, low, high = (
            one[c].to_numpy(dtype=float) for c in ("diff_vs_baseline", "diff_low", "diff_high")
        )
        clear = (low > 0) | (high < 0)
        ax.axvline(0, color="0.5", lw=0.8, ls="--")
        ax.hlines(y, low, high, color="C0", lw=1.5)
        ax.plot(mean[clear], y[clear], "o", color="C0", ms=5)
        ax.plot(mean[~clear], y[~clear], "o", mfc="white", color="C0", ms=5)
        lo, hi = ax.get_xlim()
        ax.set_xlim(min(lo, -0.05 * (hi - lo)), max(hi, 0.05 * (hi - lo)))  # zero always shown
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.set_ylim(len(names) - 0.5, -0.5)  # manifest order reads top to bottom
        ax.set_title(outcome, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(axis="x", alpha=0.3)
    for ax in axes[len(outcomes) :]:
        ax.set_visible(False)
    axes[0].set_yticks(y, names)
    fig.subplots_adjust(hspace=0.45 + 0.1 / len(names), wspace=0.1, top=1 - 0.55 / height)
    baseline = rows["baseline"].iloc[0]
    fig.suptitle(f"Paired difference from {baseline} at the last week (95% intervals)", fontsize=10)
    return _save(fig, path)


def plot_sweep(points: pd.DataFrame, axes: Sequence[str], sweep: str, path: Path) -> Path | None:
    """Draw a sweep's end-week mean CX index over the parameters it varies.

    - two axes on a full grid: a heat map, one cell per point (numbered when the grid is small);
    - two axes sampled (Latin hypercube, Sobol): one dot per point, coloured by its value;
    - one axis: the mean with its 95% interval across replications, along the axis;
    - three or more: one panel per axis, each point's value against that axis (main effects).

    Points whose runs all failed are left blank. Returns None when the sweep has no axis.
    """
    if not axes or points.empty:
        return None
    title = f"{sweep}: end-week {SWEEP_OUTCOME} (mean over replications)"
    if len(axes) == 1:
        fig = _figure(5.2, 3.4)
        ax = fig.add_subplot()
        pos, labels = _positions(points[axes[0]])
        order = np.argsort(pos, kind="stable")
        ax.plot(pos[order], points["mean"].to_numpy()[order], "o-", color="C0")
        ax.fill_between(
            pos[order],
            points["low"].to_numpy()[order],
            points["high"].to_numpy()[order],
            color="C0",
            alpha=0.2,
            lw=0,
        )
        if labels is not None:
            ax.set_xticks(range(len(labels)), labels)
        ax.set_xlabel(axes[0])
        ax.set_ylabel(SWEEP_OUTCOME)
        ax.grid(alpha=0.3)
    elif len(axes) == 2:
        fig = _figure(5.2, 4.2)
        ax = fig.add_subplot()
        x_name, y_name = axes
        keys = points[[x_name, y_name]].astype(str)
        xs, ys = points[x_name].drop_duplicates(), points[y_name].drop_duplicates()
        is_grid = not keys.duplicated().any() and len(points) == len(xs) * len(ys)
        if is_grid:
            xs, ys = _sorted_values(xs), _sorted_values(ys)
            grid = points.pivot(index=y_name, columns=x_name, values="mean")
            grid = grid.reindex(index=ys, columns=xs)
            image = ax.imshow(
                np.ma.masked_invalid(grid.to_numpy(dtype=float)),
                origin="lower",
                aspect="auto",
                cmap="viridis",
            )
            ax.set_xticks(range(len(xs)), [_label(v) for v in xs])
            ax.set_yticks(range(len(ys)), [_label(v) for v in ys])
            if max(len(xs), len(ys)) <= GRID_LABELS_MAX:
                for (i, j), v in np.ndenumerate(grid.to_numpy(dtype=float)):
                    if np.isfinite(v):
                        ink = "black" if image.norm(v) > 0.5 else "white"  # legible on viridis
                        ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=8, color=ink)
        else:
            px, x_labels = _positions(points[x_name])
            py, y_labels = _positions(points[y_name])
            image = ax.scatter(
                px,
                py,
                c=points["mean"].to_numpy(dtype=float),
                cmap="viridis",
                s=40,
                edgecolors="0.3",
                linewidths=0.4,
                plotnonfinite=False,
            )
            if x_labels is not None:
                ax.set_xticks(range(len(x_labels)), x_labels)
            if y_labels is not None:
                ax.set_yticks(range(len(y_labels)), y_labels)
        fig.colorbar(image, ax=ax, label=SWEEP_OUTCOME)
        ax.set_xlabel(x_name)
        ax.set_ylabel(y_name)
    else:
        fig = _figure(2.8 * len(axes), 3.0)
        panels = fig.subplots(1, len(axes), sharey=True, squeeze=False).ravel()
        for ax, name in zip(panels, axes, strict=True):
            pos, labels = _positions(points[name])
            ax.plot(pos, points["mean"], "o", ms=3, alpha=0.7)
            if labels is not None:
                ax.set_xticks(range(len(labels)), labels)
            ax.set_xlabel(name)
            ax.grid(alpha=0.3)
        panels[0].set_ylabel(SWEEP_OUTCOME)
    fig.suptitle(title, fontsize=10)
    return _save(fig, path)


def _sorted_values(values: pd.Series) -> list[Any]:
    try:
        return sorted(values.tolist())
    except TypeError:  # mixed kinds: keep the order the sweep listed them in
        return values.tolist()


def _positions(values: pd.Series) -> tuple[np.ndarray, list[str] | None]:
    """Numbers to plot a parameter at, and tick labels when it is not numeric (a policy name)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=float), None
    levels = _sorted_values(values.drop_duplicates())
    index = {repr(v): k for k, v in enumerate(levels)}
    return np.array([index[repr(v)] for v in values], dtype=float), [_label(v) for v in levels]


def _label(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "sweep"


# -- the report ------------------------------------------------------------------------------------
def build_report(
    batch_dir: Path | str,
    baseline: str | None = "baseline",
    outcomes: Sequence[str] = REPORT_OUTCOMES,
) -> Report:
    """Write the report of a batch folder under ``DIR/report/`` and return what was written.

    Args:
        batch_dir: a folder written by ``orgsim batch ... --out DIR``.
        baseline: the scenario every other is compared with, replication by replication; None for
            no comparison (no forest plot, NaN differences).
        outcomes: end-week outcomes to summarise and draw (names of
            :data:`sim.model.outcomes.OUTCOMES` stored in the runs table).

    Raises:
        ReportError: the folder is not a batch folder or holds no run, ``baseline`` is not one of
            its scenarios (the message lists them), or an outcome is not in its runs table. Nothing
            is written in that case.
    """
    batch = load_batch(batch_dir)
    outcomes = list(outcomes)
    if not outcomes:
        raise ReportError("no outcome to report; name at least one")
    missing = [o for o in outcomes if o not in batch.runs.columns]
    if missing:
        raise ReportError(
            f"{batch.path / 'runs'} has no outcome {', '.join(map(repr, missing))}; "
            f"known outcomes: {', '.join(o for o in MODEL_REPORTERS if o in batch.runs.columns)}"
        )
    if baseline is not None and baseline not in batch.scenarios:
        raise ReportError(
            f"baseline {baseline!r} is not a scenario of {batch.path}; its scenarios: "
            f"{', '.join(batch.ordinary())}"
            + (f" (and the points of sweep {', '.join(batch.sweeps())})" if batch.sweeps() else "")
            + "; choose one of them, or no baseline"
        )

    out = batch.path / REPORT_DIR
    if out.exists() and not out.is_dir():
        raise ReportError(f"{out} exists and is not a folder; move it aside to write the report")
    out.mkdir(exist_ok=True)
    for old in out.glob("*.png"):
        # Figures of an earlier report of this folder (a scenario since removed) must not linger.
        if old.name.startswith(FIGURE_PREFIXES):
            old.unlink()

    summary = summary_table(batch, baseline, outcomes)
    summary_csv = out / "summary.csv"
    summary.to_csv(summary_csv, index=False)

    ordinary = batch.ordinary()
    weeks = read_weeks(batch, ordinary, outcomes)
    time_figures: list[tuple[Path, str]] = []
    if not weeks.empty:
        for outcome in outcomes:
            bands = time_bands(weeks, outcome)
            path = plot_time_band(bands, outcome, ordinary, out / f"time_{outcome}.png")
            time_figures.append((path, f"{outcome}: {_describe(outcome)}"))
    forest = plot_forest(summary, outcomes, out / "forest.png")
    sweep_figures: list[tuple[Path, str]] = []
    for sweep in batch.sweeps():
        axes = batch.sweep_axes(sweep)
        path = plot_sweep(
            sweep_points(batch, sweep), axes, sweep, out / f"sweep_{_slug(sweep)}.png"
        )
        if path is not None:
            sweep_figures.append((path, f"sweep {sweep} over {', '.join(axes)}"))

    index_html = out / "index.html"
    index_html.write_text(
        _page(batch, summary, baseline, time_figures, forest, sweep_figures, weeks.empty),
        encoding="utf-8",
    )
    figures = [p for p, _ in time_figures] + ([forest] if forest else [])
    figures += [p for p, _ in sweep_figures]
    return Report(summary, index_html, summary_csv, figures)


# -- the page --------------------------------------------------------------------------------------
CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1.5em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.2em 0.6em; text-align: left; }
td.num, table.summary td { text-align: right; font-variant-numeric: tabular-nums; }
figure { display: inline-block; margin: 0.5em; vertical-align: top; }
figcaption { font-size: 0.8em; color: #555; max-width: 40em; }
pre { white-space: pre-wrap; font-size: 0.8em; background: #f6f6f6; padding: 0.5em; }
"""


def _page(
    batch: Batch,
    summary: pd.DataFrame,
    baseline: str | None,
    time_figures: list[tuple[Path, str]],
    forest: Path | None,
    sweep_figures: list[tuple[Path, str]],
    no_weeks: bool,
) -> str:
    e = html.escape
    m = batch.manifest
    runs = batch.runs
    failed = runs[runs["status"] != "ok"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>orgsim report: {e(batch.path.name)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>orgsim batch report: {e(batch.path.name)}</h1>",
        "<h2>Batch</h2>",
        _facts(m, runs, baseline),
        "<h2>Scenarios</h2>",
        _scenario_table(batch),
        f"<h2>Failed runs ({len(failed)})</h2>",
    ]
    if failed.empty:
        parts.append("<p>None: every stored run finished.</p>")
    else:
        parts.append("<table><tr><th>scenario</th><th>rep</th><th>seed</th><th>error</th></tr>")
        for _, r in failed.iterrows():
            seed = r.get("seed", "")
            parts.append(
                f"<tr><td>{e(str(r['scenario']))}</td><td>{r['rep']}</td><td>{e(str(seed))}</td>"
                f"<td><pre>{e(r['error'] or r['status'])}</pre></td></tr>"
            )
        parts.append("</table>")

    parts.append("<h2>Outcomes over time</h2>")
    if no_weeks:
        parts.append(
            "<p>No time plots: weeks/ holds no weekly row of a finished run outside sweeps.</p>"
        )
    else:
        parts.append(
            "<p>Mean over finished replications, week by week, with its 95% band (Student-t "
            "interval across replications). Sweep points are left out; see the sweep maps.</p>"
        )
    parts += [_img(batch.path, p, c) for p, c in time_figures]
    parts.append("<h2>Differences from the baseline</h2>")
    if forest is None:
        why = "no baseline was chosen" if baseline is None else "no scenario besides the baseline"
        parts.append(f"<p>No comparison: {why}.</p>")
    else:
        parts.append(
            f"<p>Paired difference scenario &minus; {e(str(baseline))} at the last week: mean over "
            "the replications finished in both (same seed), with its 95% interval. A filled dot's "
            "interval excludes zero.</p>"
        )
        parts.append(_img(batch.path, forest, "paired differences from the baseline"))
    if sweep_figures:
        parts.append("<h2>Sweeps</h2>")
        parts += [_img(batch.path, p, c) for p, c in sweep_figures]

    parts.append("<h2>Summary at the last week</h2>")
    parts.append(
        "<p>mean, low, high: over finished runs; diff_*: paired difference from the baseline "
        '(n_pairs replications). Also in <a href="summary.csv">summary.csv</a>.</p>'
    )
    shown = summary.drop(columns=["baseline", "sweep_of"])
    ordinary = summary["sweep_of"] == ""
    parts.append(_table_html(shown[ordinary]))
    for sweep in batch.sweeps():
        part = shown[summary["sweep_of"] == sweep]
        parts.append(
            f"<details><summary>sweep {e(sweep)}: {part['scenario'].nunique()} points</summary>"
            f"{_table_html(part)}</details>"
        )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _facts(m: dict[str, Any], runs: pd.DataFrame, baseline: str | None) -> str:
    e = html.escape
    facts: list[tuple[str, Any]] = [
        ("master seed", m.get("master_seed", "?")),
        ("replications", m.get("reps", "?")),
        ("weeks", m.get("weeks", "?")),
        ("status", m.get("status", "?")),
        ("runs stored", f"{len(runs)} ({int((runs['status'] == 'ok').sum())} finished)"),
        ("baseline", baseline if baseline is not None else "none"),
    ]
    shown = {"master_seed", "reps", "weeks", "status", "scenarios"}
    for key, value in m.items():
        if key in shown:
            continue
        if isinstance(value, dict):
            facts += [(f"{key}.{k}", v) for k, v in value.items() if not isinstance(v, dict | list)]
        elif not isinstance(value, list):
            facts.append((key, value))
    rows = "".join(f"<tr><th>{e(str(k))}</th><td>{e(str(v))}</td></tr>" for k, v in facts)
    return f"<table>{rows}</table>"


def _scenario_table(batch: Batch) -> str:
    e = html.escape
    specs = batch.manifest.get("scenarios") or {}
    rows = ["<table><tr><th>scenario</th><th>description</th><th>overrides</th><th>file</th></tr>"]
    for name in batch.ordinary():
        spec = specs.get(name) or {}
        overrides = ", ".join(f"{k}={v}" for k, v in (spec.get("overrides") or {}).items())
        rows.append(
            f"<tr><td>{e(name)}</td><td>{e(str(spec.get('description', '')))}</td>"
            f"<td>{e(overrides or 'none')}</td><td>{e(str(spec.get('file', '')))}</td></tr>"
        )
    for sweep, points in batch.sweeps().items():
        spec = specs[points[0]]
        rows.append(
            f"<tr><td>{e(sweep)}[...]</td><td>{e(str(spec.get('description', '')))}</td>"
            f"<td>sweep of {len(points)} points over {e(', '.join(batch.sweep_axes(sweep)))}</td>"
            f"<td>{e(str(spec.get('file', '')))}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def _table_html(df: pd.DataFrame) -> str:
    return df.to_html(
        index=False, float_format=lambda v: f"{v:.4g}", na_rep="", border=0, classes="summary"
    )


def _img(root: Path, path: Path, caption: str) -> str:
    rel = path.relative_to(root / REPORT_DIR).as_posix()
    e = html.escape
    return (
        f'<figure><img src="{e(rel)}" alt="{e(caption)}">'
        f"<figcaption>{e(caption)}</figcaption></figure>"
    )


# -- the terminal ----------------------------------------------------------------------------------
def format_summary(
    summary: pd.DataFrame, outcomes: Sequence[str] = REPORT_OUTCOMES, width: int = 100
) -> str:
    """A compact table for the terminal: one row per scenario and, per outcome, its mean and, under
    it for scenarios other than the baseline, ``diff [low, high]`` (the paired difference with its
    95% interval, ``*`` when the interval excludes zero). Outcomes that do not fit in ``width``
    columns continue in a further block below. Sweep points are condensed to one line per sweep
    (their rows are in summary.csv).

    Example (abridged)::

        scenario                   cx_index                 nps
        baseline (baseline)           63.83               12.57
        shared_metrics (1 failed)     65.69                26.8
                                  +1.69 [-4.5, +7.87]    +11 [-43.9, +66]

    Args:
        summary: :attr:`Report.summary`, or summary.csv read back with pandas.
        outcomes: the columns to show, in order (those absent from ``summary`` are skipped).
        width: the terminal width to fit; one outcome per block if even that does not fit.
    """
    df = summary.copy()
    df["sweep_of"] = df["sweep_of"].fillna("").astype(str)
    df["baseline"] = df["baseline"].fillna("").astype(str)
    outcomes = [o for o in outcomes if o in set(df["outcome"])]
    ordinary = df[df["sweep_of"] == ""]
    names = list(dict.fromkeys(ordinary["scenario"]))
    baseline = df["baseline"].iloc[0] if len(df) else ""
    cells = {}  # (scenario, outcome) -> (mean line, diff line)
    for r in ordinary.itertuples(index=False):
        if r.outcome not in outcomes:
            continue
        mean = "n/a" if pd.isna(r.mean) else f"{r.mean:.4g}"
        if not baseline or r.scenario == baseline:
            diff = ""
        elif pd.isna(r.diff_vs_baseline):
            diff = "diff n/a"
        else:
            clear = (r.diff_low > 0) or (r.diff_high < 0)
            diff = f"{r.diff_vs_baseline:+.3g} [{r.diff_low:+.3g}, {r.diff_high:+.3g}]" + (
                "*" if clear else ""
            )
        cells[r.scenario, r.outcome] = (mean, diff)
    labels = {}
    for name in names:
        fails = int(ordinary.loc[ordinary["scenario"] == name, "n_failed"].max())
        labels[name] = (
            name
            + (" (baseline)" if name == baseline else "")
            + (f" ({fails} failed)" if fails else "")
        )
    name_width = max([len("scenario"), *(len(label) for label in labels.values())])
    widths = {
        o: max([len(o), *(len(text) for n in names for text in cells.get((n, o), ("", "")))])
        for o in outcomes
    }
    blocks: list[list[str]] = [[]]
    used = name_width
    for o in outcomes if names else []:
        if blocks[-1] and used + 2 + widths[o] > width:
            blocks.append([])
            used = name_width
        blocks[-1].append(o)
        used += 2 + widths[o]
    lines: list[str] = []
    for block in filter(None, blocks):
        if lines:
            lines.append("")
        lines.append(
            "  ".join(["scenario".ljust(name_width), *(o.rjust(widths[o]) for o in block)])
        )
        for name in names:
            means = [cells.get((name, o), ("", ""))[0].rjust(widths[o]) for o in block]
            lines.append("  ".join([labels[name].ljust(name_width), *means]).rstrip())
            diffs = [cells.get((name, o), ("", ""))[1].rjust(widths[o]) for o in block]
            if any(d.strip() for d in diffs):
                lines.append("  ".join([" " * name_width, *diffs]).rstrip())
    for sweep, part in df[df["sweep_of"] != ""].groupby("sweep_of", sort=False):
        lines.append(f"sweep {sweep}: {part['scenario'].nunique()} points (see summary.csv)")
    if baseline:
        lines.append(
            f"diff [low, high]: paired difference from {baseline}, 95% interval; * excludes 0"
        )
    return "\n".join(lines)
