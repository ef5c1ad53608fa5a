"""Every lever of docs/model.md: levers acts through its mechanism, in the stated direction, over
paired seeds; levers introduced mid-run act only from their start week; no lever is free."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.model.model import Organisation
from sim.model.randomness import replicate_seeds
from sim.results.stats import paired_difference, require_effect
from sim.runs.runner import release, run_paired

pytestmark = pytest.mark.slow

SEEDS = replicate_seeds(777, 20)
WEEKS = 104
LEVER_SCENARIOS = {
    "baseline": {},
    "embedded_analysts": {"embedded_analysts": 3},
    "shared_glossary": {"shared_glossary": True},
    "cross_training": {"cross_training": 8.0},
    "joint_planning": {"joint_planning": True},
    "it_involved_early": {"it_involved_early": True},
    "governance_agility": {"governance_agility": 0.8},
    "guidelines": {"saas_policy": "guidelines"},
    "role_rotation": {"role_rotation": 0.3},
}


@pytest.fixture(scope="module")
def lever_runs():
    return run_paired(LEVER_SCENARIOS, SEEDS, weeks=WEEKS, workers=2)


def effect(runs, scenario, outcome, per=None):
    def col(name, what):
        return runs[runs.scenario == name].sort_values("rep")[what].to_numpy()

    treated, control = col(scenario, outcome), col("baseline", outcome)
    if per is not None:
        treated, control = treated / col(scenario, per), control / col("baseline", per)
    return paired_difference(treated, control)


REWORK = ("mean_requests_reworked", "mean_requests_raised")


@pytest.mark.parametrize(
    ("scenario", "outcome", "per", "sign", "why"),
    [
        ("embedded_analysts", *REWORK, -1, "analysts take part in requirements: fewer reworks"),
        ("embedded_analysts", "mean_cross_contacts", None, +1, "analysts sit with marketing"),
        ("shared_glossary", *REWORK, -1, "the glossary removes the worst misunderstandings"),
        ("shared_glossary", "mean_cross_contacts", None, +1, "a shared language eases contact"),
        ("cross_training", "mean_fluency", None, +1, "training teaches the other language"),
        ("cross_training", *REWORK, -1, "fluent pairs write clearer requirements"),
        (
            "joint_planning",
            "mean_requests_promised",
            "mean_requests_raised",
            -1,
            "joint planning: fewer dates promised over IT's head",
        ),
        ("joint_planning", "mean_it_priority", None, +1, "an agreed roadmap gets IT's effort"),
        ("it_involved_early", *REWORK, -1, "IT hears the need while it can shape it"),
        ("it_involved_early", "mean_saas_share", None, -1, "IT can offer a solution in time"),
        ("governance_agility", "mean_time_to_market", None, -1, "light governance: faster"),
        ("governance_agility", "mean_incidents", None, +1, "fewer checks: more incidents"),
        ("guidelines", "integration_debt", None, -1, "guidelines make SaaS integrable"),
        ("guidelines", "mean_time_to_market", None, -1, "allowed SaaS is quick"),
        ("role_rotation", "mean_fluency", None, +1, "a month a year in the other department"),
        ("role_rotation", "cross_ties", None, +1, "ties made while working among them"),
        ("role_rotation", *REWORK, -1, "people who know both sides ask more clearly"),
        ("role_rotation", "mean_requests_raised", None, -1, "the cost: their own output"),
        ("role_rotation", "mean_lever_cost", None, +1, "the weeks away are counted as cost"),
    ],
)
def test_lever_acts_through_its_mechanism(lever_runs, scenario, outcome, per, sign, why):
    require_effect(effect(lever_runs, scenario, outcome, per), sign, f"{scenario} ({why})")


def weekly(**overrides) -> pd.DataFrame:
    model = Organisation(seed=11, weeks=60, n_customers=2000, **overrides)
    try:
        return model.run().weekly()
    finally:
        release(model)


@pytest.mark.parametrize(
    "overrides",
    [
        {"shared_metrics": 1.0, "shared_metrics_start": 30},
        {"colocation": 1.0, "colocation_start": 30},
        {"hybrid_hires": 5, "hybrid_hires_start": 30},
        {"embedded_analysts": 4, "embedded_analysts_start": 30},
        {"remote_share": 1.0, "remote_share_start": 30},
        {"saas_policy": "laissez-faire", "saas_policy_start": 30},
    ],
)
def test_lever_starts_in_its_start_week(overrides):
    """Up to the week before the start the run is the baseline's to the last digit; after, it is
    not."""
    base, late = weekly(), weekly(**overrides)
    pd.testing.assert_frame_equal(late.iloc[:30], base.iloc[:30])
    assert not np.allclose(late.iloc[30:]["cx_index"], base.iloc[30:]["cx_index"]), overrides


def test_colocation_mid_run_moves_desks_and_costs_the_moves():
    model = Organisation(seed=4, weeks=12, colocation=1.0, colocation_start=6, n_customers=500)
    it = model.technologist_rows
    before = model.seating.floor_of[it].copy()
    model.run()
    assert (before == 1).all() and (model.seating.floor_of[it] == 0).all()
    costs = model.weekly()["lever_cost"]
    assert costs.iloc[6] > 0 and costs.iloc[:6].sum() == 0
    release(model)


@pytest.mark.parametrize(
    "overrides",
    [
        {"hybrid_hires": 2},
        {"cross_training": 4.0},
        {"joint_occasions": 4.0},
        {"shared_glossary": True},
        {"joint_planning": True},
    ],
)
def test_no_lever_is_free(overrides):
    costs = weekly(**overrides)["lever_cost"]
    assert costs.iloc[1:].sum() > 0, f"{overrides} cost nothing"
    assert weekly()["lever_cost"].sum() == 0
