"""What every column of a batch's stored results means: one table, from which ``docs/outputs.md``
is written (``python -m sim.runs.columns > docs/outputs.md``; a test keeps the two equal) and
which travels inside every Parquet file as schema metadata (key ``orgsim.columns``, JSON of
``{column: {"unit": ..., "meaning": ...}}``), so a file read years later still says what it holds.
"""

from __future__ import annotations

import json
from functools import cache

from sim.model.outcomes import TABLE
from sim.model.parameters import FIELDS

METADATA_KEY = b"orgsim.columns"
RUN_KEYS = {
    "scenario": (
        "name",
        "Scenario name; a sweep point is NAME[k] (see manifest.json for its values).",
    ),
    "rep": ("index", "Replication, from 0; replication r ran on the same seed in every scenario."),
    "seed": ("integer", "Root seed of the run (spawned from the batch's master seed)."),
}
STATUS = {
    "status": ("ok or failed", "Whether the run finished."),
    "error": ("text", "The error of a failed run, with the last lines of its traceback."),
}
WEEK = {"week": ("week", "Week of the run; 0 is the state at set-up, 1 the first simulated week.")}
W52 = {
    "cx_index_w52": ("index points", "CX index at week 52 (empty for runs of 52 weeks or less).")
}


def _outcomes(prefix: str = "", when: str = "") -> dict[str, tuple[str, str]]:
    return {f"{prefix}{o.name}": (o.unit, f"{o.meaning}{when}") for o in TABLE}


@cache
def run_columns() -> dict[str, tuple[str, str]]:
    """Columns of ``runs/``: one row per run."""
    params = {
        name: (f.metadata["unit"] or "-", f"Parameter ({f.metadata['group']}): {f.metadata['doc']}")
        for name, f in FIELDS.items()
    }
    return {
        **RUN_KEYS,
        **params,
        **STATUS,
        **_outcomes(when=" At the last week."),
        **_outcomes("mean_", " Mean over weeks 1 to the last."),
        **W52,
    }


@cache
def week_columns() -> dict[str, tuple[str, str]]:
    """Columns of ``weeks/``: one row per (run, week)."""
    return {**RUN_KEYS, **WEEK, **_outcomes()}


@cache
def schema_metadata(kind: str) -> dict[bytes, bytes]:
    """The Parquet schema metadata of a ``runs`` or ``weeks`` file."""
    columns = run_columns() if kind == "runs" else week_columns()
    text = {name: {"unit": unit, "meaning": meaning} for name, (unit, meaning) in columns.items()}
    return {METADATA_KEY: json.dumps(text).encode()}


def markdown() -> str:
    """docs/outputs.md."""

    def table(columns: dict[str, tuple[str, str]]) -> list[str]:
        rows = ["| column | unit | meaning |", "|---|---|---|"]
        rows += [f"| `{n}` | {u} | {m.replace('|', '/')} |" for n, (u, m) in columns.items()]
        return rows

    lines = [
        "# Outputs: what a batch folder holds",
        "",
        "<!-- Written by `python -m sim.runs.columns > docs/outputs.md`; do not edit by hand: the",
        "     text comes from sim/model/outcomes.py and sim/model/parameters.py. -->",
        "",
        "`orgsim batch ... --out DIR` writes:",
        "",
        "- `DIR/manifest.json`: what the batch is (scenarios and their file hashes, seeds,",
        "  versions, git commit, model fingerprint, times, status);",
        "- `DIR/runs/*.parquet`: one file per run, one row each (columns below);",
        "- `DIR/weeks/*.parquet`: one file per run, one row per week (columns below);",
        "- `DIR/report/` after `orgsim report DIR`: `index.html`, `summary.csv` and the figures.",
        "",
        "Every Parquet file carries this same text as schema metadata under the key",
        "`orgsim.columns` (JSON: `{column: {unit, meaning}}`), e.g.",
        "`pyarrow.parquet.read_schema(path).metadata[b'orgsim.columns']`.",
        "",
        "Flow outcomes (time to market, SaaS share) are over the trailing 13 weeks; counts",
        "(requests raised, delivered, late, reworked) are the week's. Money is in currency units",
        "of the model (the parameters' `revenue_per_customer` and `salary` set the scale).",
        "",
        "## `runs/`: one row per run",
        "",
        *table(run_columns()),
        "",
        "## `weeks/`: one row per run and week",
        "",
        *table(week_columns()),
        "",
        "## `report/summary.csv`",
        "",
        "One row per (scenario, outcome) at the last week: `n_ok`, `n_failed` (runs), `mean`,",
        "`low`, `high` (the mean over finished runs and its 95% Student-t interval),",
        "`diff_vs_baseline`, `diff_low`, `diff_high` (the paired difference from the baseline,",
        "replication by replication, and its 95% interval), `n_pairs` (replications finished in",
        "both), `baseline`, `sweep_of` (the sweep a point belongs to, else empty), `point` (a",
        "sweep point's swept values, e.g. `colocation=0.5, shared_metrics=1.0`).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(), end="")
