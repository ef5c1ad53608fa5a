"""Advice for one firm (issue 16, in progress): profiles, the resumable portfolio search, and the
failure conditions found by PRIM."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from sim.advice.profile import ProfileError, load_profile
from sim.advice.robustness import Futures, failure_condition
from sim.advice.search import search
from sim.runs.pool import local_pool


def write(tmp_path, text: str):
    path = tmp_path / "firm.toml"
    path.write_text(text)
    return str(path)


def test_example_profile_loads():
    p = load_profile("example")
    assert p.budget == 150000.0
    assert "role_rotation" not in [c.name for c in p.choices]
    assert "shared_glossary" not in [c.name for c in p.choices]  # in place already
    colocation = next(c for c in p.choices if c.name == "colocation")
    assert colocation.starts[0] == 26


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[firm]\nn_marketer = 4\n[decision]\nbudget = 1", "n_marketers"),
        ("[firm]\nmisunderstanding = 0.5\n[decision]\nbudget = 1", "cannot be set"),
        ("[decision]\nbudget = -5", "at least 0"),
        ("[decision]\nbudget = 5\nlevers = ['colocation']\noff_table = ['colocation']", "off"),
        ("[decision]\nbudget = 5\nlevers = ['colocaton']", "colocation"),
        ("[decision]\nbudget = 5\n[decision.earliest_start]\ncolocation = 150", "horizon"),
        ("[firm]\nn_marketers = '4'\n[decision]\nbudget = 1", "wrong type"),
    ],
)
def test_bad_profiles_are_refused_by_name(tmp_path, text, words):
    with pytest.raises(ProfileError, match=words):
        load_profile(write(tmp_path, text))


def test_failure_condition_names_the_input_that_breaks_it():
    rng = np.random.default_rng(3)
    n = 200
    x = pd.DataFrame(
        {
            "revenue_per_customer": rng.uniform(200, 400, n),
            "expectation_drift": rng.uniform(1, 5, n),
        }
    )
    futures = Futures(tuple(range(n)), x, tuple(x.columns), ())
    found = failure_condition("p", futures, (x.revenue_per_customer < 260).to_numpy())
    assert found["inputs"] == "revenue_per_customer"
    assert found["coverage"] > 0.8 and found["density"] > 0.8
    assert "below" in found["condition"]


def test_search_resumes_without_running_again(tmp_path):
    p = load_profile(
        write(
            tmp_path,
            "[decision]\nbudget = 100000\nhorizon_weeks = 26\n"
            "levers = ['shared_metrics', 'joint_planning']\n",
        )
    )
    p = dataclasses.replace(p, search={**p.search, "replications": 2, "population": 4})
    with local_pool(1) as pool:
        first = search(p, 4, tmp_path, pool, 1, log=lambda _: None)
        again = search(p, 4, tmp_path, pool, 1, log=lambda _: None)
    assert first.ran > 0
    assert again.ran == 0
    assert [t["portfolio"] for t in again.trials] == [t["portfolio"] for t in first.trials]


SMALL = """name = "small"
[firm]
n_marketers = 10
n_technologists = 10
n_customers = 2000
[decision]
budget = 50000
horizon_weeks = 52
levers = ["shared_metrics", "joint_planning", "cross_training"]
[uncertain]
revenue_per_customer = [100.0, 400.0]
[search]
replications = 3
population = 6
futures = 24
top = 2
"""


def test_advise_writes_the_three_outputs_and_refuses_bad_input(tmp_path, capsys):
    from sim.cli import main

    profile = write(tmp_path, SMALL)
    out = tmp_path / "advice"
    assert main(["advise", profile, "--trials", "6", "--workers", "1", "--out", str(out)]) == 0
    for name in ("advice.csv", "advice.json", "advice.html"):
        assert (out / name).is_file()
    table = pd.read_csv(out / "advice.csv")
    assert len(table) >= 1 and table.fails_when.notna().all()
    bad = tmp_path / "bad.toml"
    bad.write_text(
        "[decision]\nbudget = 5\noff_table = "
        + str(list(__import__("sim.model.parameters", fromlist=["LEVERS"]).LEVERS)).replace(
            "'", '"'
        )
    )
    with pytest.raises(SystemExit) as stop:
        raise SystemExit(main(["advise", str(bad), "--out", str(tmp_path / "x")]))
    assert stop.value.code == 2
    assert "off the table" in capsys.readouterr().err


def test_a_budget_below_the_cheapest_lever_is_refused(tmp_path, capsys):
    from sim.cli import main

    text = SMALL.replace("budget = 50000", "budget = 1").replace(
        'levers = ["shared_metrics", "joint_planning", "cross_training"]',
        'levers = ["cross_training", "joint_planning"]',
    )
    code = main(["advise", write(tmp_path, text), "--workers", "1", "--out", str(tmp_path / "a")])
    assert code == 2
    assert "cheapest lever" in capsys.readouterr().err
