"""Unit tests of the request pipeline (sim/model/work.py; docs/model.md: the request pipeline):
effort, clarity, routing, promises, priority, and the weekly work on each queue."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest

from sim.model.data_flow import silo_weight
from sim.model.model import Organisation
from sim.model.parameters import SAAS_POLICIES, Parameters
from sim.model.work import (
    N_UNIFORMS,
    U_MISSED,
    U_QUALITY,
    U_REWORK,
    U_ROUTE,
    Request,
    RequestPipeline,
    saas_damping,
)

P = Parameters()
ABANDON_WEEKS, LOW_RISK, MAX_REWORKS, SAAS_LEAD_WEEKS, PRIORITY_CAP = (
    P.abandon_weeks,
    P.low_risk_complexity,
    P.max_reworks,
    P.saas_lead_weeks,
    P.priority_cap,
)
REQUESTER, TECH = 0, 4  # a marketer and a technologist of the small firm below


def _org(**overrides) -> Organisation:
    return Organisation(seed=1, n_marketers=4, n_technologists=4, n_customers=200, **overrides)


def _request(m: Organisation, complexity: float = 0.3, **fields) -> Request:
    """A request by marketer 0 assigned to technologist 4, raised this week; every uniform 0.5
    unless ``fields`` says otherwise."""
    u = fields.pop("u", np.full(N_UNIFORMS, 0.5))
    req = Request(
        id=fields.pop("id", 0),
        requester=fields.pop("requester", REQUESTER),
        raised_week=fields.pop("raised_week", m.steps),
        value=1.0,
        complexity=complexity,
        urgency=fields.pop("urgency", 0.5),
        assignee=fields.pop("assignee", TECH),
        u=u,
        **fields,
    )
    return req


def _queued(m: Organisation, complexity: float = 0.3, **fields) -> Request:
    """A request on the assignee's queue, startable now, with its full effort left."""
    req = _request(m, complexity, **fields)
    req.effort_total = req.effort_left = RequestPipeline.effort(complexity, 0.0)
    m.pipeline.queues.setdefault(req.assignee, deque()).append(req)
    return req


def _set_trust(dept_trust, value: float) -> None:
    """Set a DepartmentTrust to ``value`` with ten units of evidence."""
    dept_trust.r = value * 12.0 - 1.0
    dept_trust.s = 12.0 - 2.0 - dept_trust.r
    assert dept_trust.value == pytest.approx(value)


# == effort ========================================================================================


def test_light_governance_trims_only_low_risk_work():
    for c in (0.1, 0.3, 0.49):
        assert RequestPipeline.effort(c, 1.0) == pytest.approx(0.7 * RequestPipeline.effort(c, 0))
        assert RequestPipeline.effort(c, 0.5) < RequestPipeline.effort(c, 0.0)
    for c in (LOW_RISK, 0.7, 1.0):
        assert RequestPipeline.effort(c, 1.0) == RequestPipeline.effort(c, 0.0)


@pytest.mark.parametrize("agility", [0.0, 0.5, 1.0])
def test_effort_grows_with_complexity(agility):
    efforts = [RequestPipeline.effort(c, agility) for c in np.linspace(0.0, 1.0, 21)]
    assert np.all(np.diff(efforts) > 0)
    assert RequestPipeline.effort(0.0, 0.0) == pytest.approx(0.3)
    assert RequestPipeline.effort(1.0, agility) == pytest.approx(1.7)


# == clarity =======================================================================================


def _clarity(m: Organisation, complexity: float = 0.6, bridge: int = -1) -> float:
    return m.pipeline.clarity(_request(m, complexity, bridge=bridge))


def _plain(m: Organisation, fluency: float = 0.2, skill: float = 0.2) -> Organisation:
    m.staff.fluency[[REQUESTER, TECH]] = fluency
    m.staff.tech_skill[REQUESTER] = skill
    return m


def test_clarity_falls_with_complexity():
    m = _plain(_org())
    values = [_clarity(m, c) for c in (0.1, 0.4, 0.7, 1.0)]
    assert np.all(np.diff(values) < 0)
    assert min(values) >= 0.0 and max(values) <= 1.0


def test_clarity_rises_with_the_pairs_fluency_and_the_requesters_tech_skill():
    m = _org()
    low = _clarity(_plain(m, fluency=0.1))
    high = _clarity(_plain(m, fluency=0.8))
    assert high > low
    assert _clarity(_plain(m, skill=0.9)) > _clarity(_plain(m, skill=0.1))


def test_clarity_rises_with_tie_strength():
    m = _plain(_org())
    assert m.network.strength_of(REQUESTER, TECH) == 0.0
    none = _clarity(m)
    m.network.strength[m.network.row(REQUESTER, TECH)] = 0.9
    assert _clarity(m) > none


@pytest.mark.parametrize("lever", ["hybrid_hires", "embedded_analysts"])
def test_a_bridge_raises_clarity_even_when_less_fluent_than_the_pair(lever):
    m = _plain(_org(**{lever: 1}), fluency=0.4, skill=0.4)
    bridge = int(m.hybrid_rows[0] if lever == "hybrid_hires" else m.embedded_rows[0])
    m.staff.fluency[bridge] = 0.0
    m.staff.tech_skill[bridge] = 0.0
    alone, bridged = _clarity(m), _clarity(m, bridge=bridge)
    # A bridge who knows no more than the pair still takes part: 0.6 times the miss.
    assert 1.0 - bridged == pytest.approx(0.6 * (1.0 - alone))
    m.staff.fluency[bridge] = m.staff.tech_skill[bridge] = 0.95
    assert _clarity(m, bridge=bridge) > bridged


def test_an_embedded_analyst_bridges_every_request_within_reach():
    # One analyst serves ANALYST_REACH = 10 marketers; this firm has 4.
    m = _org(embedded_analysts=1)
    analyst = int(m.embedded_rows[0])
    raised = []
    for _ in range(8):
        m.step()
        raised += m.pipeline.raised_this_week
    assert raised
    assert all(r.bridge == analyst for r in raised)
    m = _org()
    for _ in range(8):
        m.step()
        assert all(r.bridge == -1 for r in m.pipeline.raised_this_week)


def test_a_hybrid_bridges_their_own_requests():
    m = _org(hybrid_hires=2)
    hybrid = int(m.hybrid_rows[0])
    req = _request(m, requester=hybrid)
    assert m.pipeline._bridge(req) == hybrid


def test_involving_it_early_cuts_the_miss_by_30_percent():
    late = _clarity(_plain(_org()))
    early = _clarity(_plain(_org(it_involved_early=True)))
    assert 1.0 - early == pytest.approx(0.7 * (1.0 - late))


@pytest.mark.parametrize("floor", [0.0, 0.35])
def test_the_glossary_caps_the_miss_at_half(floor):
    c = 0.9
    without = _clarity(_plain(_org(glossary_floor=floor), fluency=0.0, skill=0.0), c)
    m = _plain(_org(shared_glossary=True, glossary_floor=floor), fluency=0.0, skill=0.0)
    cap = 0.5 * m.p.misunderstanding * c
    assert 1.0 - without > cap
    assert 1.0 - _clarity(m, c) == pytest.approx(cap)


def test_clarity_stays_in_the_unit_interval_at_the_extremes():
    m = _plain(_org(misunderstanding=1.0), fluency=0.0, skill=0.0)
    assert _clarity(m, 1.0) == pytest.approx(0.0)
    assert _clarity(m, 0.0) == pytest.approx(1.0)


# == routing, promises and priority ================================================================


def test_saas_probability_rises_with_expected_weeks_and_urgency():
    m = _org()
    req = _request(m, 0.5)
    by_weeks = [m.pipeline.saas_probability(req, w) for w in (1.0, 6.0, 12.0, 30.0)]
    assert np.all(np.diff(by_weeks) > 0)
    calm = m.pipeline.saas_probability(_request(m, 0.5, urgency=0.1), 6.0)
    urgent = m.pipeline.saas_probability(_request(m, 0.5, urgency=0.9), 6.0)
    assert urgent > calm


def test_saas_probability_falls_with_trust_in_it():
    m = _org()
    req = _request(m, 0.5)
    probs = []
    for value in (0.2, 0.5, 0.8):
        _set_trust(m.trust_marketing_in_it, value)
        probs.append(m.pipeline.saas_probability(req, 6.0))
    assert np.all(np.diff(probs) < 0)


def test_saas_probability_falls_when_metrics_reward_speed_less():
    p_own = _org().pipeline
    p_shared = _org(shared_metrics=1.0).pipeline
    assert p_shared.saas_probability(_request(p_shared.model), 6.0) < p_own.saas_probability(
        _request(p_own.model), 6.0
    )


def test_saas_policy_damps_forbid_below_guidelines_below_laissez_faire():
    probs = {}
    for policy in SAAS_POLICIES:
        m = _org(saas_policy=policy)
        probs[policy] = m.pipeline.saas_probability(_request(m, 0.5), 8.0)
    assert probs["forbid"] < probs["guidelines"] < probs["laissez-faire"]
    assert probs["forbid"] / probs["laissez-faire"] == pytest.approx(saas_damping(P, "forbid"))
    assert probs["guidelines"] / probs["laissez-faire"] == pytest.approx(P.guidelines_saas_damping)


def test_promises_fall_under_an_agreed_roadmap_and_with_trust():
    m = _org()
    req = _request(m)
    base = m.pipeline.promise_probability(req)
    assert 0.0 < base < 1.0
    planned = _org()
    planned.roadmap_until = planned.steps + 4  # the leaders agreed the roadmap at a meeting
    cut = 1.0 - planned.p.roadmap_promise_cut
    assert planned.pipeline.promise_probability(_request(planned)) == pytest.approx(cut * base)
    _set_trust(m.trust_marketing_in_it, 0.9)
    assert m.pipeline.promise_probability(req) < base


def test_priority_rises_with_shared_metrics_trust_and_an_agreed_roadmap():
    base = _org().pipeline.priority_share()
    assert _org(shared_metrics=0.5).pipeline.priority_share() > base
    planned = _org(joint_planning=True)
    assert planned.pipeline.priority_share() == pytest.approx(base)  # the lever alone: nothing
    planned.roadmap_until = planned.steps + 4
    gain = 1.0 + planned.p.roadmap_priority_gain
    assert planned.pipeline.priority_share() == pytest.approx(gain * base)
    m = _org()
    _set_trust(m.trust_it_in_marketing, 0.9)
    assert m.pipeline.priority_share() > base
    assert base < PRIORITY_CAP


def test_priority_is_capped():
    m = _org(marketing_priority=1.0, shared_metrics=1.0)
    m.roadmap_until = m.steps + 4
    assert m.pipeline.priority_share() == PRIORITY_CAP


# == the queue ====================================================================================


def test_a_request_is_delivered_when_its_effort_is_spent():
    m = _org()
    req = _queued(m, 0.3, clarity=1.0)
    m.pipeline.allowance[TECH] = 0.5 * req.effort_total
    m.pipeline.work_on_queue(TECH)
    assert req.effort_left == pytest.approx(0.5 * req.effort_total)
    assert req.delivered_week == -1 and m.pipeline.allowance[TECH] == 0.0
    m.steps = 3
    m.pipeline.allowance[TECH] = req.effort_total  # more than is left
    m.pipeline.work_on_queue(TECH)
    assert req.delivered_week == 3
    assert m.pipeline.delivered_this_week == [req]
    assert not m.pipeline.queues[TECH]
    assert m.pipeline.allowance[TECH] == pytest.approx(0.5 * req.effort_total)
    skill = m.staff.tech_skill[TECH]
    assert req.quality == pytest.approx(0.4 + 0.3 * skill + 0.3 * 1.0)


def test_work_waits_for_the_start_week():
    m = _org()
    req = _queued(m, start_week=2)
    m.pipeline.allowance[TECH] = 10.0
    m.pipeline.work_on_queue(TECH)
    assert req.effort_left == req.effort_total
    assert m.pipeline.allowance[TECH] == 10.0


def test_the_queue_is_worked_oldest_first():
    m = _org()
    old = _queued(m, 0.6, id=0)
    new = _queued(m, 0.6, id=1)
    m.pipeline.allowance[TECH] = old.effort_total
    m.pipeline.work_on_queue(TECH)
    assert old.delivered_week == 0
    assert new.effort_left == new.effort_total


def test_a_result_is_reworked_when_its_own_uniform_exceeds_clarity():
    m = _org()
    u = np.full(N_UNIFORMS, 0.5)
    u[U_REWORK] = 0.8
    req = _queued(m, 0.6, clarity=0.7, u=u)
    m.pipeline.allowance[TECH] = 10.0
    m.pipeline.work_on_queue(TECH)
    assert req.reworks == 1 and req.delivered_week == -1
    assert req.effort_left == pytest.approx(0.5 * req.effort_total)
    assert m.pipeline.reworked_this_week == 1
    assert m.ledger.trailing("reworked")[[REQUESTER, m.cmo, m.cio]].tolist() == [1, 1, 1]
    # Below clarity: delivered at once.
    u = np.full(N_UNIFORMS, 0.5)
    u[U_REWORK] = 0.6
    other = _queued(m, 0.6, clarity=0.7, u=u, id=1)
    m.pipeline.allowance[TECH] = 10.0
    m.pipeline.work_on_queue(TECH)
    assert other.reworks == 0 and other.delivered_week == m.steps


@pytest.mark.parametrize("missed", [False, True])
def test_reworks_stop_at_the_maximum_and_a_miss_halves_quality(missed):
    m = _org()
    u = np.full(N_UNIFORMS, 0.99)
    u[U_MISSED] = 0.99 if missed else 0.01
    req = _queued(m, 0.8, clarity=0.5, u=u)
    for week in range(MAX_REWORKS + 3):
        m.steps = week
        m.pipeline.allowance[TECH] = 10.0
        m.pipeline.work_on_queue(TECH)
    assert req.reworks == MAX_REWORKS
    assert req.delivered_week == MAX_REWORKS  # one rework per week, then delivered
    full = 0.4 + 0.3 * m.staff.tech_skill[TECH] + 0.3 * 0.5
    assert req.quality == pytest.approx(0.5 * full if missed else full)


def test_a_request_never_started_is_abandoned_after_abandon_weeks():
    m = _org()
    m.steps = 100
    trust_before = m.trust_marketing_in_it.value
    on_time = _queued(m, raised_week=100 - ABANDON_WEEKS, id=0, start_week=200)
    late = _queued(m, raised_week=100 - ABANDON_WEEKS - 1, id=1, promised=True, start_week=200)
    m.pipeline.allowance[TECH] = 10.0
    m.pipeline.work_on_queue(TECH)
    assert list(m.pipeline.queues[TECH]) == [on_time]
    assert m.pipeline.abandoned_this_week == 1
    assert late.delivered_week == -1
    people = [REQUESTER, m.cmo, m.cio]
    for event in ("unmet", "late", "broken_promise"):
        assert m.ledger.trailing(event)[people].tolist() == [1, 1, 1], event
    assert m.trust_marketing_in_it.value < trust_before


def test_a_started_request_is_not_abandoned():
    m = _org()
    m.steps = 100
    req = _queued(m, raised_week=100 - ABANDON_WEEKS - 10)
    req.effort_left = 0.9 * req.effort_total
    m.pipeline.allowance[TECH] = 0.1
    m.pipeline.work_on_queue(TECH)
    assert m.pipeline.abandoned_this_week == 0
    assert list(m.pipeline.queues[TECH]) == [req]


def test_nothing_is_worked_once_delivery_stops():
    m = _org()
    req = _queued(m)
    m.delivery_stopped = True
    m.pipeline.allowance[TECH] = 10.0
    m.pipeline.work_on_queue(TECH)
    assert req.effort_left == req.effort_total and req.delivered_week == -1


def test_an_integrated_delivery_records_events_raises_maturity_and_trust():
    m = _org()
    req = _queued(m, 0.3, clarity=1.0, promised=True, due_week=0)
    maturity = m.data_flow.maturity
    r_mk, r_it = m.trust_marketing_in_it.r, m.trust_it_in_marketing.r
    m.pipeline.allowance[TECH] = 10.0
    m.pipeline.work_on_queue(TECH)
    ledger = m.ledger
    assert ledger.trailing("delivered")[[REQUESTER, m.cmo]].tolist() == [1, 1]
    assert ledger.trailing("late").sum() == 0
    assert ledger.trailing("broken_promise").sum() == 0
    assert m.data_flow.maturity == pytest.approx(
        maturity + P.integrated_gain * req.quality * (1.0 - maturity)
    )
    # On time and right first time: a success on both sides.
    assert m.trust_marketing_in_it.r == r_mk + 1.0
    assert m.trust_it_in_marketing.r == r_it + 1.0
    assert m.offering.delivered_value == pytest.approx(req.value * req.quality)


def test_a_late_promised_delivery_is_a_broken_promise():
    m = _org()
    m.steps = 10
    _queued(m, 0.3, clarity=1.0, promised=True, due_week=9, raised_week=5)
    trust_before = m.trust_it_in_marketing.value
    m.pipeline.allowance[TECH] = 10.0
    m.pipeline.work_on_queue(TECH)
    people = [REQUESTER, m.cmo, m.cio]
    assert m.ledger.trailing("late")[people].tolist() == [1, 1, 1]
    assert m.ledger.trailing("broken_promise")[people].tolist() == [1, 1, 1]
    assert m.trust_it_in_marketing.value < trust_before


# == SaaS ========================================================================================


def test_saas_requests_go_live_after_the_lead_time():
    m = _org(saas_policy="laissez-faire", saas_propensity=3.0)
    saas = {}
    for _ in range(12):
        m.step()
        saas.update({r.id: r for r in m.pipeline.raised_this_week if r.route == "saas"})
        for r in m.pipeline.delivered_this_week:
            if r.route == "saas":
                assert r.time_to_market == SAAS_LEAD_WEEKS
    assert saas
    delivered = [r for r in saas.values() if r.delivered_week >= 0]
    assert delivered and all(r.time_to_market == SAAS_LEAD_WEEKS for r in delivered)


def test_a_saas_route_is_due_after_the_lead_time_and_records_the_route():
    m = _org()
    u = np.full(N_UNIFORMS, 0.5)
    u[U_ROUTE] = 0.0  # below any positive probability
    req = _request(m, u=u)
    m.pipeline._route(req, 6.0)
    assert req.route == "saas" and req.due_week == m.steps + SAAS_LEAD_WEEKS
    assert list(m.pipeline.saas_pending) == [req]
    assert m.ledger.trailing("routed_saas")[[REQUESTER, m.cmo]].tolist() == [1, 1]
    u[U_ROUTE] = 1.0
    it_req = _request(m, u=u, id=1)
    m.pipeline._route(it_req, 6.0)
    assert it_req.route == "it" and list(m.pipeline.queues[TECH]) == [it_req]
    assert it_req.effort_left == RequestPipeline.effort(it_req.complexity, 0.0)


@pytest.mark.parametrize("policy", SAAS_POLICIES)
def test_a_saas_go_live_lowers_maturity_and_adds_debt(policy):
    m = _org(saas_policy=policy)
    u = np.full(N_UNIFORMS, 0.5)
    u[U_QUALITY] = 1.0
    req = _request(m, route="saas", due_week=m.steps + SAAS_LEAD_WEEKS, u=u)
    m.pipeline.saas_pending.append(req)
    m.pipeline.deliver_saas()
    assert req.delivered_week == -1, "went live before its lead time"
    m.steps += SAAS_LEAD_WEEKS
    maturity, debt, tools = m.data_flow.maturity, m.data_flow.debt, m.saas_tools
    m.pipeline.deliver_saas()
    w = silo_weight(P, policy)
    assert req.delivered_week == m.steps
    assert m.data_flow.maturity == pytest.approx(maturity * (1.0 - P.silo_loss * w))
    assert m.data_flow.debt == pytest.approx(debt + w)
    assert m.saas_tools == tools + 1.0 and m.saas_owned[REQUESTER] == 1.0
    skill = m.staff.tech_skill[REQUESTER]
    assert req.quality == pytest.approx(min(1.0, 0.5 + 0.25 * skill + 0.35 * 0.5))
    assert m.ledger.trailing("delivered")[REQUESTER] == 1


def test_a_strong_tie_is_worth_a_wait_but_not_an_unbounded_one():
    """The requester asks the technologist whose tie is worth the queue: her strong tie while
    its queue is short, someone else once the wait passes what the tie is worth."""
    m = Organisation(seed=3, n_marketers=4, n_technologists=6, n_customers=200)
    pipeline = m.pipeline
    requester, friend = 0, int(m.technologist_rows[0])
    for _ in range(20):
        m.network.reinforce(np.array([requester]), np.array([friend]))
    pipeline.plan_week(0.3)
    req = Request(0, requester, 1, 1.0, 0.5, 0.5, u=np.full(N_UNIFORMS, 0.99))
    load = np.zeros(len(m.staff))
    assert pipeline._assign(req, load) == friend
    # A queue of many weeks at the friend's pace outweighs the tie.
    load[friend] = 50 * m.p.tie_worth_weeks * pipeline.allowance[friend]
    assert pipeline._assign(req, load) != friend
