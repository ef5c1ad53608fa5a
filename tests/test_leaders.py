"""The leaders act: the CMO and CIO meet, agree a roadmap or not, and the CIO sets IT's share of
effort for marketing from IT's KPI mix, its trust, the roadmap and the incidents it fights."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.agents import IT, MARKETING, kpi_alignment, kpi_mix
from sim.model.model import Organisation
from sim.results.stats import paired_difference, require_effect

SMALL = {"n_marketers": 6, "n_technologists": 6, "n_customers": 300}
SEEDS = range(12)


def _run(weeks: int = 52, **levers) -> list[Organisation]:
    return [Organisation(seed=s, **SMALL, **levers).run(weeks) for s in SEEDS]


def _mean(models: list[Organisation], outcome: str) -> np.ndarray:
    return np.array([m.weekly()[outcome].iloc[1:].mean() for m in models])


def test_shared_metrics_align_the_leaders_kpis():
    dep = np.array([MARKETING, IT])
    traditional = kpi_mix(dep, 0.0)
    shared = kpi_mix(dep, 0.5)
    assert kpi_alignment(*traditional) == pytest.approx(0.3)
    assert kpi_alignment(*shared) > kpi_alignment(*traditional)
    assert kpi_alignment(*kpi_mix(dep, 1.0)) == pytest.approx(1.0)


@pytest.mark.slow
def test_joint_planning_means_more_meetings_and_more_weeks_on_an_agreed_roadmap():
    base, joint = _run(), _run(joint_planning=True)
    meetings = paired_difference(
        [m.ledger.trailing("leader_meeting")[m.cmo] for m in joint],
        [m.ledger.trailing("leader_meeting")[m.cmo] for m in base],
    )
    require_effect(meetings, +1, "joint planning: leaders' meetings a year")
    agreed = paired_difference(_mean(joint, "roadmap_agreed"), _mean(base, "roadmap_agreed"))
    require_effect(agreed, +1, "joint planning: share of weeks on an agreed roadmap")
    # Through the roadmap, IT gives marketing more effort and marketing promises less over IT.
    priority = paired_difference(_mean(joint, "it_priority"), _mean(base, "it_priority"))
    require_effect(priority, +1, "joint planning: IT priority through the agreed roadmap")


@pytest.mark.slow
def test_shared_metrics_make_the_leaders_agree_more_often():
    base, shared = _run(), _run(shared_metrics=0.8)
    agreed = paired_difference(_mean(shared, "roadmap_agreed"), _mean(base, "roadmap_agreed"))
    require_effect(agreed, +1, "shared metrics: share of weeks on an agreed roadmap")


def test_the_cio_pulls_effort_back_to_reliability_after_incidents():
    m = Organisation(seed=1, **SMALL)
    cio = m.cio_agent
    calm = cio.marketing_share()
    for _ in range(8):
        cio.react(int(10 * cio.usual_incidents) + 3)  # a bad month of incidents
    alarmed = cio.marketing_share()
    assert alarmed < calm
    assert alarmed == pytest.approx(calm * (1 - 2 * m.p.incident_reaction), rel=0.05)
    for _ in range(60):
        cio.react(0)  # quiet months: back to the CIO's own rule
    assert cio.marketing_share() == pytest.approx(calm)


def test_an_agreed_roadmap_raises_the_share_and_cuts_promises_while_it_holds():
    m = Organisation(seed=2, **SMALL)
    before = m.cio_agent.marketing_share()
    m.roadmap_until = m.steps + 4
    assert m.roadmap_agreed
    assert m.cio_agent.marketing_share() == pytest.approx(
        min(before * (1 + m.p.roadmap_priority_gain), 0.8)
    )
