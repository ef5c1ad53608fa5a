"""The batch report: files written, paired differences, bands, sweeps, errors, terminal table."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from sim.model.model import Organisation
from sim.model.outcomes import OUTCOMES
from sim.model.randomness import replicate_seeds
from sim.results.figures import sweep_figure_file as plot_sweep
from sim.results.report import REPORT_OUTCOMES, ReportError, build_report, format_summary
from sim.results.stats import mean_interval
from sim.results.tables import SUMMARY_COLUMNS, Batch, load_batch, summary_table, time_bands
from sim.runs.runner import summarise

REPS = 3
WEEKS = 20
SMALL = {"weeks": WEEKS, "n_customers": 500}  # a cheap firm: about 0.1 s a run
SCENARIOS = {
    "baseline": {},
    "shared_metrics": {"shared_metrics": 0.5},
    "colocation": {"colocation": 0.5},
}
SWEEP = "colocation_x_shared_metrics"
SWEEP_AXES = ["colocation", "shared_metrics"]
GRID = [(c, s) for c in (0.0, 0.5) for s in (0.0, 0.5)]
FAILED = ("shared_metrics", 2)
ERROR = "RuntimeError: customer base emptied at week 7"


def _key(scenario: str, rep: int) -> str:
    return f"{quote(scenario, safe='')}__rep{rep:05d}"


def write_batch(out: Path) -> Path:
    """A batch folder as ``orgsim batch`` writes it: three scenarios, a 2x2 grid sweep, three
    paired replications, one failed run."""
    seeds = replicate_seeds(20260101, REPS)
    specs = {
        name: {
            "description": f"the {name} firm",
            "file": f"scenarios/{name}.toml",
            "sha256": "0" * 64,
            "overrides": overrides,
            "sweep_of": None,
            "sweep_axes": None,
        }
        for name, overrides in SCENARIOS.items()
    }
    for k, (c, s) in enumerate(GRID):
        specs[f"{SWEEP}[{k:03d}]"] = {
            "description": "colocation against shared metrics",
            "file": f"scenarios/{SWEEP}.toml",
            "sha256": "1" * 64,
            "overrides": {"colocation": c, "shared_metrics": s},
            "sweep_of": SWEEP,
            "sweep_axes": SWEEP_AXES,
        }
    (out / "runs").mkdir(parents=True)
    (out / "weeks").mkdir()
    environment = {"orgsim": "0.1.0", "git_commit": "abc123"}
    manifest = {
        "scenarios": specs,
        "master_seed": 20260101,
        "reps": REPS,
        "weeks": WEEKS,
        "status": "complete",
        "environment": environment,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    for name, spec in specs.items():
        for rep, seed in enumerate(seeds):
            model = Organisation(seed=seed, **SMALL, **spec["overrides"])
            head = {"scenario": name, "rep": rep, "seed": seed}
            if (name, rep) == FAILED:
                nan = dict.fromkeys(summarise(_dummy_weekly()), float("nan"))
                row = {
                    **head,
                    "status": "failed",
                    "error": ERROR,
                    "elapsed_s": 0.01,
                    **model.p.as_dict(),
                    **nan,
                }
            else:
                weekly = model.run().weekly()
                rows = weekly.reset_index().assign(**head)
                rows = rows[["scenario", "rep", "seed", "week", *OUTCOMES]]
                rows.to_parquet(out / "weeks" / f"{_key(name, rep)}.parquet", index=False)
                row = {
                    **head,
                    "status": "ok",
                    "error": "",
                    "elapsed_s": 0.1,
                    **model.p.as_dict(),
                    **summarise(weekly),
                }
            pd.DataFrame([row]).to_parquet(out / "runs" / f"{_key(name, rep)}.parquet", index=False)
    return out


def _dummy_weekly() -> pd.DataFrame:
    return pd.DataFrame(0.0, index=range(2), columns=list(OUTCOMES))


@pytest.fixture(scope="module")
def batch_dir(tmp_path_factory) -> Path:
    return write_batch(tmp_path_factory.mktemp("batch") / "b1")


@pytest.fixture(scope="module")
def report(batch_dir):
    return build_report(batch_dir)


def _snapshot(root: Path) -> dict[str, float]:
    return {
        str(p.relative_to(root)): p.stat().st_mtime_ns
        for p in root.rglob("*")
        if p.is_file() and "report" not in p.relative_to(root).parts
    }


# -- files -----------------------------------------------------------------------------------------
def test_report_writes_page_table_and_figures(batch_dir, report):
    out = batch_dir / "report"
    assert report.index_html == out / "index.html" and report.index_html.stat().st_size > 0
    assert report.summary_csv == out / "summary.csv" and report.summary_csv.stat().st_size > 0
    names = sorted(p.name for p in report.figures)
    # The batch is shorter than a year: year-over-year growth has no value to draw.
    drawn = [o for o in REPORT_OUTCOMES if o != "revenue_growth"]
    assert names == sorted([f"time_{o}.png" for o in drawn] + ["forest.png", f"sweep_{SWEEP}.png"])
    for fig in report.figures:
        assert fig.parent == out
        assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert fig.stat().st_size > 2000, f"{fig.name} looks empty"
    page = report.index_html.read_text()
    for fig in report.figures:
        assert f'src="{fig.name}"' in page  # relative, so the folder can be moved
    assert "20260101" in page and "complete" in page and "the colocation firm" in page


def test_report_touches_nothing_outside_its_folder(batch_dir, tmp_path):
    copy = shutil.copytree(batch_dir, tmp_path / "copy")
    (copy / "report" / "time_gone.png").write_bytes(b"stale")
    (copy / "report" / "notes.txt").write_text("mine")
    before = _snapshot(copy)
    time.sleep(0.01)
    build_report(copy, outcomes=["cx_index"])
    assert _snapshot(copy) == before
    assert not (copy / "report" / "time_gone.png").exists(), "a stale figure of ours lingers"
    assert (copy / "report" / "notes.txt").read_text() == "mine"


# -- numbers ---------------------------------------------------------------------------------------
def test_summary_pairs_replications_with_the_baseline(batch_dir, report):
    runs = pd.read_parquet(batch_dir / "runs")
    summary = report.summary
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    base_rows = summary[summary.scenario == "baseline"]
    assert base_rows[["diff_vs_baseline", "diff_low", "diff_high"]].isna().all().all()
    ok = runs[runs.status == "ok"].set_index(["scenario", "rep"])
    checked = 0
    for name in [*SCENARIOS, f"{SWEEP}[003]"]:
        if name == "baseline":
            continue
        reps = [r for r in range(REPS) if (name, r) in ok.index]
        for outcome in REPORT_OUTCOMES:
            diffs = [ok.loc[(name, r), outcome] - ok.loc[("baseline", r), outcome] for r in reps]
            diffs = np.array(diffs, dtype=float)
            diffs = diffs[np.isfinite(diffs)]
            row = summary[(summary.scenario == name) & (summary.outcome == outcome)].iloc[0]
            if diffs.size == 0:  # revenue growth is undefined in a 20-week run
                assert np.isnan(row.diff_vs_baseline)
                continue
            assert row.diff_vs_baseline == pytest.approx(diffs.mean(), rel=1e-12, abs=1e-12)
            assert row.n_pairs == diffs.size
            if diffs.size >= 2 and diffs.std() > 0:
                assert row.diff_low < row.diff_vs_baseline < row.diff_high
                # the spread: where the replications' differences fall, not the mean's interval
                low, high = np.percentile(diffs, [2.5, 97.5])
                assert (row.diff_spread_low, row.diff_spread_high) == pytest.approx((low, high))
            checked += 1
    assert checked >= 3 * 7
    sm = summary[(summary.scenario == "shared_metrics") & (summary.outcome == "cx_index")].iloc[0]
    assert sm.n_pairs == 2, "the failed replication must leave the pairing"


def test_failed_run_is_counted_and_shown(report):
    rows = report.summary[report.summary.scenario == FAILED[0]]
    assert (rows.n_ok == REPS - 1).all() and (rows.n_failed == 1).all()
    others = report.summary[report.summary.scenario != FAILED[0]]
    assert (others.n_ok == REPS).all() and (others.n_failed == 0).all()
    page = report.index_html.read_text()
    assert "Failed runs (1)" in page
    assert ERROR in page


def test_sweep_points_are_in_the_table_not_in_the_lines(batch_dir, report):
    csv = pd.read_csv(report.summary_csv)
    points = sorted(csv.loc[csv.sweep_of == SWEEP, "scenario"].unique())
    assert points == [f"{SWEEP}[{k:03d}]" for k in range(4)]
    assert len(csv) == (len(SCENARIOS) + 4) * len(REPORT_OUTCOMES)
    batch = load_batch(batch_dir)
    assert batch.ordinary() == list(SCENARIOS)
    assert batch.sweep_axes(SWEEP) == SWEEP_AXES


def test_time_bands_on_a_hand_made_frame():
    weeks = pd.DataFrame(
        {
            "scenario": ["a"] * 6 + ["b"] * 2,
            "rep": [0, 1, 2, 0, 1, 2, 0, 0],
            "week": [0, 0, 0, 1, 1, 1, 0, 1],
            "cx_index": [1.0, 2.0, 3.0, 5.0, np.nan, 7.0, 4.0, 9.0],
        }
    )
    bands = time_bands(weeks, "cx_index").set_index(["scenario", "week"])
    half = st.t.ppf(0.975, 2) * 1.0 / np.sqrt(3)  # values 1, 2, 3: sd 1, n 3
    assert bands.loc[("a", 0), "mean"] == pytest.approx(2.0)
    assert 2.0 - half < 0  # a t-interval past the CX index's floor ...
    assert bands.loc[("a", 0), "low"] == 0.0  # ... is clipped to it
    assert bands.loc[("a", 0), "high"] == pytest.approx(2.0 + half)
    expected = mean_interval([5.0, 7.0])  # the NaN replication is left out
    assert bands.loc[("a", 1), ["mean", "low", "high", "n"]].tolist() == pytest.approx(
        [expected.mean, max(expected.low, 0.0), expected.high, 2]
    )
    single = bands.loc[("b", 1)]
    assert single["mean"] == 9.0 and np.isnan(single["low"]) and np.isnan(single["high"])


def test_time_bands_stay_within_what_an_outcome_can_take():
    # Two replications of a share far apart: the t-interval (t = 12.7) reaches far past [0, 1].
    weeks = pd.DataFrame(
        {"scenario": ["a", "a"], "rep": [0, 1], "week": [5, 5], "saas_share": [0.1, 0.9]}
    )
    raw = mean_interval([0.1, 0.9])
    assert raw.low < 0 and raw.high > 1
    band = time_bands(weeks, "saas_share").iloc[0]
    assert (band["low"], band["mean"], band["high"]) == pytest.approx((0.0, 0.5, 1.0))
    # An unbounded outcome keeps its interval.
    weeks = weeks.rename(columns={"saas_share": "margin"})
    assert time_bands(weeks, "margin").iloc[0]["low"] == pytest.approx(raw.low)


def _hand_batch(runs: pd.DataFrame, names: list[str]) -> Batch:
    specs = {
        n: {"description": n, "overrides": {}, "sweep_of": None, "sweep_axes": None} for n in names
    }
    return Batch(Path("nowhere"), {"scenarios": specs}, runs)


def test_paired_differences_on_a_hand_made_frame():
    runs = pd.DataFrame(
        {
            "scenario": ["base"] * 4 + ["lever"] * 4,
            "rep": [0, 1, 2, 3] * 2,
            "status": ["ok", "ok", "ok", "failed", "ok", "ok", "failed", "ok"],
            "cx_index": [10.0, 12.0, 11.0, np.nan, 13.0, 14.0, np.nan, 99.0],
        }
    )
    table = summary_table(_hand_batch(runs, ["base", "lever"]), "base", ["cx_index"])
    lever = table[table.scenario == "lever"].iloc[0]
    # Only replications 0 and 1 finished in both: differences 3 and 2.
    half = st.t.ppf(0.975, 1) * np.std([3.0, 2.0], ddof=1) / np.sqrt(2)
    assert lever.diff_vs_baseline == pytest.approx(2.5)
    assert lever.diff_low == pytest.approx(2.5 - half)
    assert lever.diff_high == pytest.approx(2.5 + half)
    assert lever.n_pairs == 2
    assert (lever.n_ok, lever.n_failed) == (3, 1)
    assert lever["mean"] == pytest.approx(np.mean([13.0, 14.0, 99.0]))
    base = table[table.scenario == "base"].iloc[0]
    assert np.isnan(base.diff_vs_baseline) and base.n_pairs == 0

    none = summary_table(_hand_batch(runs, ["base", "lever"]), None, ["cx_index"])
    assert none["diff_vs_baseline"].isna().all() and (none["baseline"] == "").all()


def test_no_baseline_means_no_forest(batch_dir, tmp_path):
    copy = shutil.copytree(batch_dir, tmp_path / "copy", ignore=shutil.ignore_patterns("report"))
    report = build_report(copy, baseline=None, outcomes=["cx_index", "nps"])
    assert report.summary["diff_vs_baseline"].isna().all()
    assert "forest.png" not in {p.name for p in report.figures}
    assert "no baseline was chosen" in report.index_html.read_text()


# -- sweeps ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("axes", "values"),
    [
        (
            ["colocation", "shared_metrics"],
            lambda r: {"colocation": r.random(7), "shared_metrics": r.random(7)},
        ),
        (["colocation"], lambda r: {"colocation": [0.0, 0.25, 0.5, 0.75, 1.0, 0.1, 0.2]}),
        (
            ["saas_policy", "shared_glossary"],
            lambda r: {
                "saas_policy": [
                    "forbid",
                    "tolerate",
                    "forbid",
                    "tolerate",
                    "sanction",
                    "sanction",
                    "forbid",
                ],
                "shared_glossary": [True, True, False, False, True, False, True],
            },
        ),
        (
            ["colocation", "shared_metrics", "hybrid_hires"],
            lambda r: {
                "colocation": r.random(7),
                "shared_metrics": r.random(7),
                "hybrid_hires": r.integers(0, 5, 7),
            },
        ),
    ],
    ids=["scattered", "one-axis", "categorical", "three-axes"],
)
def test_sweep_maps_for_every_design(tmp_path, axes, values):
    rng = np.random.default_rng(1)
    points = pd.DataFrame(values(rng))
    points["mean"] = rng.normal(60, 5, len(points))
    points.loc[0, "mean"] = np.nan  # a point whose runs all failed
    points["low"], points["high"] = points["mean"] - 1, points["mean"] + 1
    points["scenario"] = [f"s[{k:03d}]" for k in range(len(points))]
    if axes == ["saas_policy", "shared_glossary"]:
        points = points.drop_duplicates(axes)
    path = plot_sweep(points, axes, "s", tmp_path / "sweep_s.png")
    assert path is not None and path.stat().st_size > 2000


# -- reading and errors ----------------------------------------------------------------------------
def test_runs_with_disagreeing_schemas_are_read(batch_dir, tmp_path):
    copy = shutil.copytree(batch_dir, tmp_path / "copy", ignore=shutil.ignore_patterns("report"))
    failed = copy / "runs" / f"{_key(*FAILED)}.parquet"
    row = pd.read_parquet(failed).astype({o: object for o in OUTCOMES})
    for outcome in OUTCOMES:
        row[outcome] = None  # written as a null column, not a float one
    failed.unlink()
    row.to_parquet(copy / "runs" / f"000_{_key(*FAILED)}.parquet", index=False)
    report = build_report(copy, outcomes=["cx_index"])
    assert report.summary.loc[report.summary.scenario == FAILED[0], "n_failed"].tolist() == [1]


def test_missing_folder_is_refused(tmp_path):
    with pytest.raises(ReportError, match=r"not a batch folder.*does not exist"):
        build_report(tmp_path / "nope")


def test_folder_without_manifest_is_refused(tmp_path):
    (tmp_path / "runs").mkdir()
    with pytest.raises(ReportError, match=r"has no manifest\.json; run `orgsim batch"):
        build_report(tmp_path)
    assert not (tmp_path / "report").exists()


def test_folder_without_runs_is_refused(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"scenarios": {}, "status": "running"}))
    (tmp_path / "runs").mkdir()
    with pytest.raises(ReportError, match="has no runs"):
        build_report(tmp_path)
    assert not (tmp_path / "report").exists()


def test_unknown_baseline_lists_the_scenarios(batch_dir, tmp_path):
    copy = shutil.copytree(batch_dir, tmp_path / "copy", ignore=shutil.ignore_patterns("report"))
    with pytest.raises(ReportError, match="'status_quo' is not a scenario") as info:
        build_report(copy, baseline="status_quo")
    for name in [*SCENARIOS, SWEEP]:
        assert name in str(info.value)
    assert not (copy / "report").exists()


def test_unknown_outcome_is_refused(batch_dir):
    with pytest.raises(ReportError, match="no outcome 'happiness'"):
        build_report(batch_dir, outcomes=["cx_index", "happiness"])


# -- terminal --------------------------------------------------------------------------------------
def test_format_summary_names_every_scenario(report):
    text = format_summary(report.summary)
    for name in SCENARIOS:
        assert name in text
    assert f"sweep {SWEEP}: 4 points" in text
    assert "baseline (baseline)" in text and "(1 failed)" in text
    assert text.count("[") >= len(SCENARIOS) - 1, "each lever shows diff [low, high]"
    assert format_summary(pd.read_csv(report.summary_csv)) == text


def test_format_summary_fits_the_width_and_condenses_sweeps(report):
    text = format_summary(report.summary, width=80)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert text.count("scenario ") >= 2, "outcomes that do not fit continue below"
    for outcome in REPORT_OUTCOMES:
        assert outcome in text
    sweep_only = report.summary[report.summary.sweep_of == SWEEP]
    assert (
        format_summary(sweep_only).splitlines()[0] == f"sweep {SWEEP}: 4 points (see summary.csv)"
    )
