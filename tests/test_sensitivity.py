"""Sensitivity analysis: Morris and Sobol' end to end on a tiny industry, an inert parameter ranks
below a strong one, exact indices of a known response, resume from the cache, and bad settings."""

from __future__ import annotations

import dataclasses
import json
import math
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import pytest

from sim.experiments import sensitivity
from sim.experiments.experiment import Evaluation, Free, load_experiment
from sim.experiments.sensitivity import (
    SensitivityError,
    format_indices,
    output_names,
    run_sensitivity,
)
from sim.runs import columns
from sim.runs.store import StoreError
from sim.survey.instrument import ITEMS

FILES = (
    "points.csv",
    "state.json",
    "indices.csv",
    "sensitivity_cx.png",
    "sensitivity_survey.png",
    "index.html",
)
# Tolerances are read only when respondents answer; shared metrics change what the firm does.
PARAMETERS = (
    Free("tolerance_cio", 0.2, 0.8),
    Free("tolerance_marketer", 0.2, 0.8),
    Free("shared_metrics", 0.0, 1.0),
)


@pytest.fixture(scope="module")
def tiny():
    """fit_2016 on three small firms (70 weeks, surveyed at the end) and three parameters."""
    e = load_experiment("fit_2016")
    population = e.population.with_overrides(
        n_marketers=6, n_technologists=6, n_customers=300, weeks=70, survey_week=70
    )
    return dataclasses.replace(
        e, population=population, sensitivity=PARAMETERS, sensitivity_firms=3
    )


@pytest.fixture(scope="module")
def pool():
    with ProcessPoolExecutor(max_workers=2) as executor:
        yield executor


@pytest.fixture(scope="module")
def morris(tiny, pool, tmp_path_factory):
    out = tmp_path_factory.mktemp("morris")
    return run_sensitivity(tiny, "morris", 12, out=out, executor=pool)


def fake_evaluate(calls):
    """A stand-in for the model with a known response: the CX index rises 10 points across the
    range of shared_metrics; every CIO share is tolerance_cio itself; nothing reads
    tolerance_marketer. Records each call."""

    def run(experiment, theta, n_firms, seed, workers=None, executor=None):
        assert (n_firms, seed) == (experiment.sensitivity_firms, experiment.seed)
        calls.append(dict(theta))
        shares = pd.DataFrame(
            [
                {
                    "id": qid,
                    "respondent": who,
                    "group": "all",
                    "share": theta["tolerance_cio"] if who == "CIO" else 0.5,
                    "low": 0.0,
                    "high": 1.0,
                    "n": 3,
                }
                for qid, who in ITEMS
            ]
        )
        firms = pd.DataFrame({"firm": [0, 1], "firm_cx": 60.0 + 10.0 * theta["shared_metrics"]})
        return Evaluation(shares, firms)

    return run


def test_morris_end_to_end_writes_every_file(morris, tiny):
    for name in FILES:
        assert (morris.out / name).stat().st_size > 0, name
    assert len(morris.points) == 12 and morris.evaluated + morris.reused <= 12
    indices = pd.read_csv(morris.out / "indices.csv")
    assert list(indices.columns) == [
        "output",
        "parameter",
        "mu",
        "mu_star",
        "mu_star_conf",
        "sigma",
    ]
    assert set(indices.output) == set(output_names())
    assert len(indices) == len(output_names()) * len(PARAMETERS)
    assert np.isfinite(indices[["mu", "mu_star", "mu_star_conf", "sigma"]].to_numpy()).all()
    assert (indices.mu_star >= 0).all()
    points = pd.read_csv(morris.out / "points.csv")
    assert list(points.columns) == [*(f.name for f in PARAMETERS), *output_names()]
    page = (morris.out / "index.html").read_text()
    for link in ("sensitivity_cx.png", "sensitivity_survey.png", "indices.csv", "points.csv"):
        assert link in page
    text = format_indices(morris)
    assert "CX index" in text and "mu*" in text
    for qid, who in ITEMS:
        assert f"{qid}/{who}" in text


def test_a_sensitivity_folder_holds_what_docs_outputs_describes(morris):
    """Every file, column and state key of the analysis is one docs/outputs.md lists."""
    stored = {p.name for p in morris.out.iterdir()}
    assert stored == set(columns.SENSITIVITY_FILES)
    indices = pd.read_csv(morris.out / "indices.csv")
    assert list(indices.columns) == list(columns.index_columns()["morris"])
    points = pd.read_csv(morris.out / "points.csv")
    documented = list(columns.point_columns())
    assert documented[0] == "<parameter>"  # one column per parameter varied, then the outputs
    assert list(points.columns) == [*(f.name for f in PARAMETERS), *documented[1:]]
    state = json.loads((morris.out / "state.json").read_text())
    assert list(state) == list(columns.sensitivity_state_keys())


def mu_star(result, output: str) -> dict[str, float]:
    table = result.indices[result.indices.output == output]
    return dict(zip(table.parameter, table.mu_star, strict=True))


def test_inert_parameter_ranks_below_a_strong_one(morris):
    # Each respondent's tolerance comes from its own uniform draw, so the marketers' mean
    # tolerance cannot reach any CIO or CMO answer; the CIO's own tolerance moves the CIO's.
    for qid, who in ITEMS:
        if who in ("CIO", "CMO"):
            assert mu_star(morris, f"{qid}/{who}")["tolerance_marketer"] == 0.0, qid
    cio_item = mu_star(morris, "need_alignment/CIO")
    assert cio_item["tolerance_cio"] > cio_item["tolerance_marketer"]
    # Tolerances only shape answers, never what the firm does, so the CX index ignores them.
    cx = mu_star(morris, "cx_index")
    assert cx["tolerance_cio"] == 0.0 and cx["tolerance_marketer"] == 0.0
    assert cx["shared_metrics"] > 0.0


def test_sobol_gives_first_and_total_indices(tiny, pool, tmp_path):
    result = run_sensitivity(tiny, "sobol", 10, out=tmp_path, executor=pool)
    assert len(result.points) == 10  # N = 2 base points x (3 parameters + 2)
    indices = pd.read_csv(tmp_path / "indices.csv")
    assert list(indices.columns) == ["output", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert list(indices.columns) == list(columns.index_columns()["sobol"])
    assert indices.ST.notna().all()
    assert (tmp_path / "sensitivity_survey.png").exists()
    assert "ST" in format_indices(result)


def test_morris_recovers_a_known_response(tiny, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(sensitivity, "evaluate", fake_evaluate(calls))
    result = run_sensitivity(tiny, "morris", 40, out=tmp_path)
    assert len(result.points) == 40
    # Elementary effects are per whole range: 10 CX points for shared_metrics, exactly.
    cx = mu_star(result, "cx_index")
    assert cx["shared_metrics"] == pytest.approx(10.0)
    assert cx["tolerance_cio"] == 0.0 and cx["tolerance_marketer"] == 0.0
    cio = mu_star(result, "ready_digital/CIO")
    assert cio["tolerance_cio"] == pytest.approx(0.6)  # the range of tolerance_cio
    assert cio["tolerance_marketer"] == 0.0
    assert mu_star(result, "need_alignment/CMO") == dict.fromkeys(cio, 0.0)
    assert "no parameter moves it" in format_indices(result)


def test_rerun_reuses_every_cached_point(tiny, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(sensitivity, "evaluate", fake_evaluate(calls))
    first = run_sensitivity(tiny, "morris", 12, out=tmp_path)
    assert len(calls) == first.evaluated > 0 and first.reused == 0
    calls.clear()
    seen = []
    again = run_sensitivity(tiny, "morris", 12, out=tmp_path, progress=lambda d, n: seen.append(d))
    assert calls == [] and again.evaluated == 0 and again.reused == first.evaluated
    assert seen == [first.evaluated]
    pd.testing.assert_frame_equal(again.indices, first.indices)


def test_interrupted_run_resumes_where_it_stopped(tiny, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(sensitivity, "evaluate", fake_evaluate(calls))
    first = run_sensitivity(tiny, "morris", 12, out=tmp_path)
    lines = (tmp_path / "points.csv").read_text().splitlines()
    # Five points finished, the sixth was cut off while being written.
    (tmp_path / "points.csv").write_text("\n".join([*lines[:6], lines[6][:7]]))
    calls.clear()
    resumed = run_sensitivity(tiny, "morris", 12, out=tmp_path)
    assert len(calls) == first.evaluated - 5
    assert resumed.reused == 5
    pd.testing.assert_frame_equal(resumed.indices, first.indices)
    points = pd.read_csv(tmp_path / "points.csv")
    assert len(points) == first.evaluated and points.notna().all().all()


def test_other_settings_in_the_same_folder_are_refused(tiny, tmp_path, monkeypatch):
    monkeypatch.setattr(sensitivity, "evaluate", fake_evaluate([]))
    run_sensitivity(tiny, "morris", 12, out=tmp_path)
    with pytest.raises(
        StoreError,
        match=r"different sensitivity analysis \(method 'morris', this one 'sobol'.*--out",
    ):
        run_sensitivity(tiny, "sobol", 10, out=tmp_path)
    with pytest.raises(StoreError, match="budget 12, this one 16"):
        run_sensitivity(tiny, "morris", 16, out=tmp_path)
    fewer = dataclasses.replace(tiny, sensitivity_firms=2)
    with pytest.raises(StoreError, match="firms 3, this one 2"):
        run_sensitivity(fewer, "morris", 12, out=tmp_path)
    # --fresh moves the old analysis aside, deleting nothing, and starts again.
    run_sensitivity(tiny, "morris", 16, out=tmp_path, fresh=True)
    assert len(list(tmp_path.glob("superseded-*/points.csv"))) == 1
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match=r"not empty.*--out"):
        run_sensitivity(tiny, "morris", 12, out=other)


@pytest.mark.parametrize(
    ("method", "budget", "need"),
    [("morris", 7, 8), ("morris", 0, 8), ("sobol", 9, 10)],
)
def test_budget_too_small_names_the_minimum(tiny, tmp_path, method, budget, need):
    out = tmp_path / "out"
    with pytest.raises(SensitivityError, match=f"too small for {method}.*at least {need} "):
        run_sensitivity(tiny, method, budget, out=out)
    assert not out.exists()


def test_unknown_method_and_no_parameters_are_refused(tiny, tmp_path):
    with pytest.raises(SensitivityError, match=r"unknown sensitivity method 'fast'.*morris, sobol"):
        run_sensitivity(tiny, "fast", out=tmp_path)
    none = dataclasses.replace(tiny, sensitivity=())
    with pytest.raises(SensitivityError, match="names no parameters"):
        run_sensitivity(none, out=tmp_path)


def test_default_budgets_fit_the_design():
    k = 12
    assert sensitivity.default_budget("morris", k) == 10 * (k + 1)
    n = sensitivity.default_budget("sobol", k) // (k + 2)
    assert n >= 2 and math.log2(n).is_integer()
    for method in ("morris", "sobol"):
        need = sensitivity.min_budget(method, k)
        frees = tuple(Free(f"p{i}", 0.0, 1.0) for i in range(k))
        assert len(sensitivity.design(method, frees, need, 0)) <= need
        sensitivity.check_budget(method, k, need)
        with pytest.raises(SensitivityError):
            sensitivity.check_budget(method, k, need - 1)
