"""Directional tests of the patterns any honest version must show (docs/model.md: the patterns).

Each claim is tested over 20 paired seeds (common random numbers): the paired mean difference must
have the stated sign with a 95% interval that excludes zero. Each headline lever must also act
through its own path (contacts and ties; requirement clarity; priority).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.experiments.mechanisms import contacts_by_distance
from sim.results.stats import mean_interval, paired_difference, require_effect

pytestmark = pytest.mark.slow


def column(runs, scenario: str, outcome: str) -> np.ndarray:
    return runs[runs.scenario == scenario].sort_values("rep")[outcome].to_numpy()


def effect(runs, scenario: str, outcome: str, control: str = "baseline"):
    return paired_difference(column(runs, scenario, outcome), column(runs, control, outcome))


@pytest.mark.parametrize("lever", ["shared_metrics", "colocation", "hybrid_hires"])
def test_headline_lever_raises_cx_at_week_156(paired_runs, lever):
    require_effect(effect(paired_runs, lever, "cx_index"), +1, f"{lever}: CX index at week 156")


def _effect_bounds() -> list[dict]:
    from sim.datafiles import read_toml

    path = Path(__file__).parents[1] / "experiments" / "effect_bounds.toml"
    return read_toml(path, ValueError)[0]["bound"]


# Measured on these paired runs (2026-12-03, the streams of issue 14) to exceed their bound:
# findings of model v2 that docs/model.md reports. Strict, so that a change of the model that
# brings one inside fails here and the list (and the docs) are brought up to date.
KNOWN_MISFITS = {
    ("shared_metrics", "nps"): "+16.6 [+15.3, +18.0] against 15",
    ("shared_metrics", "revenue_growth"): "+0.042 [+0.037, +0.046] against 0.035",
    ("shared_metrics", "margin"): "+0.035 [+0.030, +0.039] against 0.02",
}


@pytest.mark.parametrize("lever", ["shared_metrics", "colocation", "hybrid_hires"])
@pytest.mark.parametrize("bound", _effect_bounds(), ids=lambda b: b["outcome"])
def test_headline_lever_effect_stays_inside_how_far_real_firms_move(
    paired_runs, lever, bound, request
):
    """Each headline lever's paired effect at week 156 stays below the sourced bound of
    experiments/effect_bounds.toml (its mean, and its interval's upper end within 1.5x)."""
    misfit = KNOWN_MISFITS.get((lever, bound["outcome"]))
    if misfit:
        request.applymarker(pytest.mark.xfail(strict=True, reason=f"known misfit: {misfit}"))
    diff = effect(paired_runs, lever, bound["outcome"])
    assert diff.mean <= bound["max"], f"{lever} {bound['outcome']}: {diff} ({bound['source']})"
    assert diff.high <= 1.5 * bound["max"], f"{lever} {bound['outcome']}: {diff}"


def test_colocation_acts_through_contacts_and_ties(paired_runs):
    require_effect(
        effect(paired_runs, "colocation", "mean_cross_contacts"),
        +1,
        "colocation: weekly cross-department contacts",
    )
    require_effect(
        effect(paired_runs, "colocation", "cross_ties"),
        +1,
        "colocation: cross-department ties at week 156",
    )
    require_effect(
        effect(paired_runs, "colocation", "mean_fluency"), +1, "colocation: fluency at week 156"
    )


def test_hybrid_hires_act_through_requirement_clarity(paired_runs):
    """Hybrids translate requirements: fewer requests come back for rework per request raised."""

    def rework_rate(scenario):
        runs = paired_runs
        return column(runs, scenario, "mean_requests_reworked") / column(
            runs, scenario, "mean_requests_raised"
        )

    diff = paired_difference(rework_rate("hybrid_hires"), rework_rate("baseline"))
    require_effect(diff, -1, "hybrid hires: reworks per request raised")
    # ...and not through contacts: the office is the same.
    contacts = effect(paired_runs, "hybrid_hires", "mean_cross_contact_share")
    assert abs(contacts.mean) < 0.02, f"hybrids should barely move the contact mix: {contacts}"


def test_shared_metrics_act_through_it_priority(paired_runs):
    require_effect(
        effect(paired_runs, "shared_metrics", "mean_it_priority"),
        +1,
        "shared metrics: share of IT effort on marketing's requests",
    )
    require_effect(
        effect(paired_runs, "shared_metrics", "mean_time_to_market"),
        -1,
        "shared metrics: time to market",
    )


def test_joint_occasions_add_contacts_but_little_cx(paired_runs):
    """Kahn 1996: interaction is not collaboration."""
    require_effect(
        effect(paired_runs, "joint_occasions", "mean_cross_contacts"),
        +1,
        "joint occasions: weekly cross-department contacts",
    )
    occasions = column(paired_runs, "joint_occasions", "cx_index")
    shared = column(paired_runs, "shared_metrics", "cx_index")
    base = column(paired_runs, "baseline", "cx_index")
    # Occasions' CX gain is less than a third of the shared metric's, seed by seed.
    diff = mean_interval((occasions - base) - (shared - base) / 3.0)
    require_effect(diff, -1, "joint occasions' CX gain minus a third of shared metrics' gain")


def test_fully_remote_cuts_cross_department_share_by_about_a_quarter(paired_runs):
    """Yang et al. 2022: fully remote work, about -25% (band -35% to -15%)."""
    remote = column(paired_runs, "remote", "mean_cross_contact_share")
    office = column(paired_runs, "baseline", "mean_cross_contact_share")
    change = mean_interval(remote / office - 1.0)
    require_effect(change, -1, "remote: relative change of the cross-department contact share")
    assert change.low >= -0.35 and change.high <= -0.15, f"outside the band [-35%, -15%]: {change}"


def test_firm_that_stops_delivering_loses_cx(paired_runs):
    """Rising expectations: Forrester CX Index 2022-2024, about -3.5 points a year (band -4.5 to
    -2.5) for a firm that delivers nothing new."""
    require_effect(
        effect(paired_runs, "stop_delivering", "cx_index"),
        -1,
        "stopping delivery at week 52: CX at week 156",
    )
    stopped = column(paired_runs, "stop_delivering", "cx_index")
    at_stop = column(paired_runs, "stop_delivering", "cx_index_w52")
    per_year = mean_interval((stopped - at_stop) / 2.0)
    require_effect(per_year, -1, "CX change per year after delivery stops")
    assert -4.5 <= per_year.mean <= -2.5, f"CX change per year {per_year} outside [-4.5, -2.5]"


def test_saas_policy_trades_silos_for_speed(paired_runs):
    """A forbidding policy (the default) cuts silos but slows delivery; laissez-faire the
    reverse."""
    require_effect(
        effect(paired_runs, "laissez_faire", "mean_saas_share"),
        +1,
        "laissez-faire: share of requests bought as SaaS",
    )
    require_effect(
        effect(paired_runs, "laissez_faire", "integration_debt"),
        +1,
        "laissez-faire: integration debt at week 156",
    )
    require_effect(
        effect(paired_runs, "laissez_faire", "data_maturity"),
        -1,
        "laissez-faire: data maturity at week 156",
    )
    require_effect(
        effect(paired_runs, "laissez_faire", "mean_time_to_market"),
        -1,
        "laissez-faire: time to market",
    )


def test_contacts_fall_about_fourfold_from_2m_to_20m():
    """Allen 1977; Waber et al. 2014: about 4:1 between 2 m and 20 m (band 3 to 5)."""
    rates = np.array([contacts_by_distance({}, seed) for seed in range(8)])
    ratio = rates[:, 0].sum() / rates[:, 1].sum()
    assert 3.0 <= ratio <= 5.0, f"contact ratio 2 m : 20 m = {ratio:.2f}, outside [3, 5]"
    require_effect(
        mean_interval(np.log(rates[:, 0] / rates[:, 1])), +1, "log contact ratio 2 m : 20 m"
    )
