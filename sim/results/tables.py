"""Tables of stored results, computed once for every page that shows them: reading a batch
folder, outcome bands over the weeks, paired differences from a baseline, the summary table and
sweep points. The CLI report, the browser's results page and the experiments all read through here.

Differences are paired by replication: replication r of every scenario ran on the same seed
(common random numbers, :mod:`sim.results.stats`), so the noise two scenarios share cancels. A
replication enters a difference only if it finished in both scenarios.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa

from sim.errors import UserError
from sim.model.outcomes import BOUNDS
from sim.results.stats import mean_interval, paired_difference, t_half_width
from sim.runs.store import CHECKSUMS, checksum_problems

# What the report and the results page show, in this order: the customer, money, delivery, trust.
SHOWN_OUTCOMES = (
    "cx_index",
    "nps",
    "churn",
    "revenue_growth",
    "margin",
    "time_to_market_it",
    "saas_share",
    "cross_trust",
)
SWEEP_OUTCOME = "cx_index"  # what a sweep's map shows: the outcome customers feel first
LEVEL = 0.95  # confidence level of every interval
MAX_DEFAULT_SCENARIOS = 4  # scenarios ticked when a batch is opened: readable bands
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
    "diff_spread_low",
    "diff_spread_high",
    "n_pairs",
    "baseline",
    "sweep_of",
    "point",
)
DIFFERENCE_COLUMNS = (
    "scenario",
    "outcome",
    "mean",
    "low",
    "high",
    "spread_low",
    "spread_high",
    "n",
)
# The spread of the replications' paired differences: the range a single firm's effect falls in
# (2.5th to 97.5th percentile), not the mean's interval. On `orgsim batch --fit` each replication
# runs a posterior draw, so the spread carries the model's uncertainty in full, where the mean's
# interval narrows with more replications whatever that uncertainty.
SPREAD = (2.5, 97.5)


class ResultsError(UserError, ValueError):
    """A folder cannot be read as a batch; the message names the folder and what to do."""


# Below this many replications a batch's intervals are flagged (the t quantile at 4 degrees of
# freedom is 2.8, against 2.1 at 15: the bands are wide and unstable).
FEW_REPLICATIONS = 5


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

    @property
    def finished(self) -> pd.DataFrame:
        """The runs that finished (status ok)."""
        return self.runs[self.runs["status"] == "ok"]

    def default_baseline(self) -> str:
        """``baseline`` when the batch has it, else its first scenario."""
        return "baseline" if "baseline" in self.scenarios else self.scenarios[0]

    def default_selection(self) -> list[str]:
        """The baseline and the next few scenarios that are not points of a sweep."""
        base = self.default_baseline()
        rest = [s for s in (self.ordinary() or self.scenarios) if s != base]
        return [base, *rest[: MAX_DEFAULT_SCENARIOS - 1]]

    def few_replications(self) -> str | None:
        """A warning when the batch has fewer than :data:`FEW_REPLICATIONS` replications, whose
        t-intervals are then wide and rest on a handful of runs; else None."""
        reps = self.manifest.get("reps")
        if isinstance(reps, int) and reps < FEW_REPLICATIONS:
            return (
                f"Only {reps} replication{'s' if reps != 1 else ''}: the 95% intervals rest on "
                f"very few runs and are wide; use --reps {2 * FEW_REPLICATIONS} or more before "
                "reading a difference off them."
            )
        return None

    def describe(self) -> str:
        """One line: the folder, its size and its status."""
        m = self.manifest
        return (
            f"{self.path}: {len(self.scenarios)} scenarios, {m.get('reps', '?')} replications, "
            f"{m.get('weeks', '?')} weeks, {len(self.finished)} of {len(self.runs)} runs "
            f"finished, status {m.get('status', 'unknown')}; parameters: {parameter_source(m)}"
        )


def parameter_source(manifest: dict[str, Any]) -> str:
    """Where a batch's parameters came from, and so what its intervals hold."""
    fit = manifest.get("fit")
    if not fit:
        return (
            "the model's defaults in every replication: intervals hold seed noise only, not the "
            "uncertainty of the parameters"
        )
    if fit.get("kind") == "point":
        return (
            f"the estimates of {fit['folder']}/{fit['file']} ({', '.join(fit['parameters'])}; "
            f"sha256 {fit['sha256'][:12]}) in every replication: intervals hold seed noise only, "
            "at the fitted model"
        )
    return (
        f"one draw per replication from {fit['folder']}/{fit['file']} ({fit['draws_available']} "
        f"draws of {', '.join(fit['parameters'])}; sha256 {fit['sha256'][:12]}), the same draw "
        "for every scenario: intervals hold seed noise and the fit's uncertainty"
    )


# -- reading ---------------------------------------------------------------------------------------
def load_batch(batch_dir: Path | str) -> Batch:
    """Read a batch folder's manifest and runs table.

    A replication stored twice (a resumed batch that re-ran a failed run) counts once, its finished
    version preferred.

    Raises:
        ResultsError: the folder, its ``manifest.json`` or its runs are missing or unreadable.
    """
    path = Path(batch_dir)
    hint = f"run `orgsim batch ... --out {path}` first"
    if path.is_file():
        raise ResultsError(f"{path} is a file, not a batch folder; give the folder of a batch")
    if not path.is_dir():
        raise ResultsError(f"not a batch folder: {path} does not exist or is not a folder; {hint}")
    manifest_path = path / "manifest.json"
    if not manifest_path.is_file():
        raise ResultsError(f"not a batch folder: {path} has no manifest.json; {hint}")
    try:
        manifest = json.loads(manifest_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{manifest_path} is damaged ({exc}); rerun the batch") from None
    if not isinstance(manifest, dict):
        raise ResultsError(
            f"{manifest_path} is not a JSON object, so {path} is not an orgsim batch; move the "
            "folder aside or choose another one"
        )
    changed = checksum_problems(path)
    if changed:
        first, why = changed[0]
        more = f" (and {len(changed) - 1} more)" if len(changed) > 1 else ""
        raise ResultsError(
            f"{first}: {why}{more} (it no longer matches the SHA-256 recorded in {CHECKSUMS} when "
            "the batch ended); run the same `orgsim batch` command again: it moves such files "
            "aside and runs them again"
        )
    runs = read_dataset(path / "runs")
    if runs is None or runs.empty:
        raise ResultsError(
            f"{path} has no runs: no finished run yet (runs/ is missing or empty); {hint}"
        )
    for column in ("scenario", "rep", "status"):
        if column not in runs.columns:
            raise ResultsError(f"{path / 'runs'} has no {column!r} column; rerun the batch")
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


def open_batch(folder: Path | str | None) -> Batch:
    """:func:`load_batch` for a folder typed by a person (the results page): also says when no
    folder was given, or the path is a file.

    Raises:
        ResultsError: no folder given, or the folder is missing, is not a batch, has a damaged
            manifest, or holds no stored run yet.
    """
    hint = "run `orgsim batch SCENARIO... --out DIR` first, then `orgsim viz --results DIR`"
    if folder is None or not str(folder).strip():
        raise ResultsError(f"No batch folder chosen: enter one above, or {hint}.")
    path = Path(str(folder).strip()).expanduser()
    if not path.exists():
        raise ResultsError(f"No batch folder at {path}: it does not exist; {hint}.")
    if not path.is_dir():
        raise ResultsError(f"{path} is a file, not a batch folder; {hint}.")
    return load_batch(path)


def _read_one(path: Path) -> pd.DataFrame:
    """One result file, or a message naming it when it is damaged (cut short, overwritten)."""
    try:
        return pd.read_parquet(path)
    except (OSError, pa.ArrowException) as exc:
        raise ResultsError(
            f"{path} is damaged ({exc}); run the same `orgsim batch` command again: it moves "
            "damaged files aside and runs them again"
        ) from None


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
        frames = [_read_one(f) for f in sorted(folder.glob("*.parquet"))]
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
    half = t_half_width(out["sd"].to_numpy(), out["n"].to_numpy(), level)
    low, high = BOUNDS.get(outcome, (None, None))
    out["low"] = (out["mean"] - half).clip(lower=low)
    out["high"] = (out["mean"] + half).clip(upper=high)
    return out[["scenario", "week", "mean", "low", "high", "n"]].sort_values(["scenario", "week"])


def paired_differences(
    batch: Batch,
    baseline: str,
    scenarios: Sequence[str],
    outcomes: Sequence[str] = SHOWN_OUTCOMES,
    level: float = LEVEL,
) -> pd.DataFrame:
    """Each scenario minus ``baseline`` at the last week, replication by replication.

    Returns:
        One row per (scenario, outcome), the baseline left out, columns
        :data:`DIFFERENCE_COLUMNS`: the mean difference over the replications finished in both,
        its t-interval (NaN below two), the 2.5th and 97.5th percentiles of the replications'
        differences (``spread_*``, NaN below two: see :data:`SPREAD`) and their number ``n``.
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
            treated = mine.loc[common, outcome].to_numpy(dtype=float)
            control = base.loc[common, outcome].to_numpy(dtype=float)
            diff = paired_difference(treated, control, level)
            each = (treated - control)[np.isfinite(treated - control)]
            spread = np.percentile(each, SPREAD) if len(each) >= 2 else (np.nan, np.nan)
            rows.append(
                {
                    "scenario": name,
                    "outcome": outcome,
                    "mean": diff.mean,
                    "low": diff.low,
                    "high": diff.high,
                    "spread_low": float(spread[0]),
                    "spread_high": float(spread[1]),
                    "n": diff.n,
                }
            )
    return pd.DataFrame(rows, columns=list(DIFFERENCE_COLUMNS))


def summary_table(
    batch: Batch, baseline: str | None, outcomes: Sequence[str] = SHOWN_OUTCOMES
) -> pd.DataFrame:
    """One row per (scenario, outcome) at the last week: counts, mean and paired difference.

    ``mean``/``low``/``high`` are over the finished runs; ``diff_vs_baseline``/``diff_low``/
    ``diff_high`` are the :func:`paired_differences` from ``baseline`` (NaN for the baseline
    itself, and everywhere when ``baseline`` is None); ``n_pairs`` counts their replications.
    Scenarios of the manifest with no stored run yet appear with zero counts.
    """
    runs = batch.runs
    ok = batch.finished
    sweep_of = {p: s for s, pts in batch.sweeps().items() for p in pts}
    diffs = (
        paired_differences(batch, baseline, batch.scenarios, outcomes).set_index(
            ["scenario", "outcome"]
        )
        if baseline is not None
        else None
    )
    rows = []
    specs = batch.manifest.get("scenarios", {})
    point: dict[str, str] = {}
    for sweep, names in batch.sweeps().items():
        axes = batch.sweep_axes(sweep)
        for n in names:
            values = specs.get(n, {}).get("overrides") or {}
            point[n] = ", ".join(f"{a}={values.get(a)!r}" for a in axes)
    for name in batch.scenarios:
        mine = runs[runs["scenario"] == name]
        done = ok[ok["scenario"] == name]
        for outcome in outcomes:
            value = mean_interval(done[outcome].to_numpy(dtype=float))
            row: dict[str, Any] = {
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
                "diff_spread_low": np.nan,
                "diff_spread_high": np.nan,
                "n_pairs": 0,
                "baseline": baseline or "",
                "sweep_of": sweep_of.get(name, ""),
                "point": point.get(
                    name, ""
                ),  # a sweep point's swept values, NAME[003] alone says none
            }
            if diffs is not None and (name, outcome) in diffs.index:
                # a full key of the unique (scenario, outcome) index: one row, as a Series
                d = cast(pd.Series, diffs.loc[(name, outcome)])
                row.update(
                    diff_vs_baseline=d["mean"],
                    diff_low=d["low"],
                    diff_high=d["high"],
                    diff_spread_low=d["spread_low"],
                    diff_spread_high=d["spread_high"],
                    n_pairs=d["n"],
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
