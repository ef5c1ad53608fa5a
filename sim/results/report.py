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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.model.outcomes import MODEL_REPORTERS, OUTCOME
from sim.results.figures import _slug, forest_figure, save, sweep_figure_file, time_band_figure
from sim.results.pages import CSS, image, table_html
from sim.results.tables import (
    SHOWN_OUTCOMES,
    Batch,
    ResultsError,
    load_batch,
    paired_differences,
    parameter_source,
    read_weeks,
    summary_table,
    sweep_points,
)
from sim.runs.store import StoreError, writable_folder

REPORT_DIR = "report"
FIGURE_PREFIXES = ("time_", "forest", "sweep_")  # PNGs this module owns inside DIR/report/
REPORT_OUTCOMES = SHOWN_OUTCOMES  # the report shows what the results page shows


class ReportError(ResultsError):
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


def _describe(outcome: str) -> str:
    """The outcome's meaning, as the model defines it (:data:`sim.model.outcomes.TABLE`)."""
    o = OUTCOME.get(outcome)
    return f"{o.meaning} Unit: {o.unit}." if o else outcome


def build_report(
    batch_dir: Path | str,
    baseline: str | None = "baseline",
    outcomes: Sequence[str] = SHOWN_OUTCOMES,
    out: Path | str | None = None,
) -> Report:
    """Write the report of a batch folder under ``DIR/report/`` (or ``out``) and return what was
    written.

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
    try:
        batch = load_batch(batch_dir)
    except ResultsError as exc:
        raise ReportError(str(exc)) from None
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

    out = batch.path / REPORT_DIR if out is None else Path(out)
    try:
        writable_folder(out)  # the one check of an output folder (a file, uncreatable, read-only)
    except StoreError as exc:
        raise ReportError(str(exc)) from None
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
            if not weeks[outcome].astype(float).notna().any():
                # revenue_growth is year over year: a horizon under a year has no value to draw.
                continue
            path = save(time_band_figure(weeks, outcome, ordinary), out / f"time_{outcome}.png")
            time_figures.append((path, f"{outcome}: {_describe(outcome)}"))
    forest = None
    others = [s for s in ordinary if s != baseline]
    if baseline is not None and others:
        diffs = paired_differences(batch, baseline, others, outcomes)
        forest = save(
            forest_figure(diffs, baseline, [baseline, *others], outcomes), out / "forest.png"
        )
    sweep_figures: list[tuple[Path, str]] = []
    for sweep in batch.sweeps():
        axes = batch.sweep_axes(sweep)
        sweep_file = sweep_figure_file(
            sweep_points(batch, sweep), axes, sweep, out / f"sweep_{_slug(sweep)}.png"
        )
        if sweep_file is not None:
            sweep_figures.append((sweep_file, f"sweep {sweep} over {', '.join(axes)}"))

    index_html = out / "index.html"
    index_html.write_text(
        _page(batch, summary, baseline, time_figures, forest, sweep_figures, weeks.empty),
        encoding="utf-8",
    )
    figures = [p for p, _ in time_figures] + ([forest] if forest else [])
    figures += [p for p, _ in sweep_figures]
    return Report(summary, index_html, summary_csv, figures)


# -- the page --------------------------------------------------------------------------------------
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
        *(
            [f'<p class="warning"><strong>{e(w)}</strong></p>']
            if (w := batch.few_replications())
            else []
        ),
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
        "<p>mean, low, high: over finished runs; diff_vs_baseline, diff_low, diff_high: the "
        "paired difference from the baseline and its mean's 95% interval (n_pairs "
        "replications); diff_spread_low, diff_spread_high: the range (2.5th to 97.5th "
        "percentile) of the replications' differences, where one firm's effect falls "
        + (
            "(each replication a posterior draw: the model's uncertainty in full)"
            if (m.get("fit") or {}).get("kind", "posterior") != "point" and m.get("fit")
            else "(seed noise only)"
        )
        + '. Also in <a href="summary.csv">summary.csv</a>.</p>'
    )
    shown = summary.drop(columns=["baseline", "sweep_of"])
    ordinary = summary["sweep_of"] == ""
    parts.append(table_html(shown[ordinary]))
    for sweep in batch.sweeps():
        part = shown[summary["sweep_of"] == sweep]
        parts.append(
            f"<details><summary>sweep {e(sweep)}: {part['scenario'].nunique()} points</summary>"
            f"{table_html(part)}</details>"
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
        ("parameters", parameter_source(m)),
    ]
    shown = {"master_seed", "reps", "weeks", "status", "scenarios", "fit"}
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


def _img(root: Path, path: Path, caption: str) -> str:
    # Every figure is written beside index.html, wherever the report goes (--out).
    return image(path.name, caption)


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
    r: Any  # itertuples() fields: pandas-stubs types each as the whole Scalar union
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


SIDE_BY_SIDE_OUTCOMES = ("cx_index", "nps", "revenue_growth", "margin")
SIDE_BY_SIDE_COLUMNS = (
    "scenario",
    "outcome",
    "diff_seeds",
    "low_seeds",
    "high_seeds",
    "diff_fit",
    "low_fit",
    "high_fit",
    "width_ratio",
)


def side_by_side(
    seeds_report: Path, fit_report: Path, outcomes: Sequence[str] = SIDE_BY_SIDE_OUTCOMES
) -> pd.DataFrame:
    """Each scenario's paired difference from the baseline in two batches of the same seeds: one
    whose intervals hold seed noise alone (the demo's: the fit's estimates in every replication)
    and one on a parameter draw per replication (seed noise and the fit's uncertainty), from
    their ``summary.csv``; ``width_ratio`` is the second interval's
    width over the first's (columns :data:`SIDE_BY_SIDE_COLUMNS`)."""
    keys = ["scenario", "outcome"]
    wanted = ["diff_vs_baseline", "diff_low", "diff_high"]

    def read(folder: Path, tag: str) -> pd.DataFrame:
        table = pd.read_csv(folder / "summary.csv")
        table = table[(table["scenario"] != table["baseline"]) & table["outcome"].isin(outcomes)]
        names = dict(zip(wanted, (f"diff_{tag}", f"low_{tag}", f"high_{tag}"), strict=True))
        return table[keys + wanted].rename(columns=names)

    both = read(seeds_report, "seeds").merge(read(fit_report, "fit"), on=keys, how="inner")
    width = both["high_seeds"] - both["low_seeds"]
    both["width_ratio"] = (both["high_fit"] - both["low_fit"]) / width.where(width > 0)
    # merge keeps the order of the first summary: scenarios as the batch lists them
    return both.reset_index(drop=True)[list(SIDE_BY_SIDE_COLUMNS)]


def format_side_by_side(table: pd.DataFrame) -> str:
    """:func:`side_by_side` for the terminal, one line per scenario and outcome."""

    def interval(mean: float, low: float, high: float) -> str:
        return f"{mean:+.3g} [{low:+.3g}, {high:+.3g}]"

    rows = [("scenario", "outcome", "seed noise alone", "with the fit's uncertainty", "width")]
    r: Any
    for r in table.itertuples(index=False):
        rows.append(
            (
                r.scenario,
                r.outcome,
                interval(r.diff_seeds, r.low_seeds, r.high_seeds),
                interval(r.diff_fit, r.low_fit, r.high_fit),
                "n/a" if pd.isna(r.width_ratio) else f"x{r.width_ratio:.2f}",
            )
        )
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
