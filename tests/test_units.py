"""Unit tests, module by module: office and contacts, trust, knowledge, the collaboration network,
the experience ledger, customers, paired statistics and random streams."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pytest

from sim.model.customers import CustomerBase
from sim.model.knowledge import effective_fluency, learn
from sim.model.ledger import EVENTS, ExperienceLedger
from sim.model.network import CollaborationNetwork
from sim.model.office import (
    ContactSampler,
    Floor,
    SeatingPlan,
    block_shape,
    interleave,
    plan_office,
)
from sim.model.parameters import OFFICE_LAYOUTS, Parameters
from sim.model.randomness import PROCESSES, Streams, replicate_seeds, stream
from sim.model.trust import DepartmentTrust, trust
from sim.results.stats import Interval, mean_interval, paired_difference, require_effect

DESK_PITCH_M = Parameters().desk_pitch_m
TIE_THRESHOLD = Parameters().tie_threshold

# == sim.model.office ==============================================================================


def _desks(plan: SeatingPlan, people) -> list[tuple[int, int, int]]:
    return [(int(plan.floor_of[i]), int(plan.col[i]), int(plan.row[i])) for i in people]


@pytest.mark.parametrize("layout", OFFICE_LAYOUTS)
@pytest.mark.parametrize(("n_marketing", "n_it"), [(1, 1), (31, 17), (62, 30), (5, 90)])
def test_plan_office_seats_everyone_once(layout, n_marketing, n_it):
    marketing = list(range(n_marketing))
    it = list(range(n_marketing, n_marketing + n_it))
    n = n_marketing + n_it + 3  # three rows for staff who have not joined
    plan = plan_office(layout, marketing, it, n, spare=2)
    seated = marketing + it
    assert (plan.floor_of[seated] >= 0).all()
    assert (plan.floor_of[n - 3 :] == -1).all()
    desks = _desks(plan, seated)
    assert len(set(desks)) == len(desks), "two people share a desk"
    for person, (floor, col, row) in zip(seated, desks, strict=True):
        assert plan.occupant[floor][col, row] == person
    occupied = sum(int((occ >= 0).sum()) for occ in plan.occupant)
    assert occupied == len(seated)


@pytest.mark.parametrize("layout", OFFICE_LAYOUTS)
def test_plan_office_separates_departments_by_layout(layout):
    marketing, it = list(range(20)), list(range(20, 40))
    plan = plan_office(layout, marketing, it, 40)
    m_floors, i_floors = set(plan.floor_of[marketing]), set(plan.floor_of[it])
    if layout == "same_floor":
        assert m_floors == i_floors == {0}
        # One aisle of two desks between the blocks.
        assert plan.col[it].min() - plan.col[marketing].max() >= 2
    else:
        assert m_floors.isdisjoint(i_floors)
        buildings = {plan.floors[f].building for f in m_floors | i_floors}
        assert len(buildings) == (2 if layout == "separate_buildings" else 1)
        assert math.isinf(plan.distance_m(marketing[0], it[0]))


def test_grid_positions_of_a_plan_are_distinct_and_inside_the_grid():
    plan = plan_office("separate_floors", list(range(25)), list(range(25, 60)), 60)
    width, height = plan.grid_size
    cells = [plan.grid_position(i) for i in range(60)]
    assert len(set(cells)) == 60
    assert all(0 <= x < width and 0 <= y < height for x, y in cells)


def test_seat_refuses_a_taken_desk_and_frees_the_old_one():
    plan = SeatingPlan([Floor(0, 3, 3, 0)], 2)
    plan.seat(0, 0, 1, 1)
    with pytest.raises(ValueError, match="taken"):
        plan.seat(1, 0, 1, 1)
    plan.seat(0, 0, 2, 2)
    assert plan.occupant[0][1, 1] == -1
    assert plan.occupant[0][2, 2] == 0
    assert plan.distance_m(0, 0) == 0.0


def test_block_shape_holds_n_desks_near_square():
    for n in (1, 2, 7, 30, 61, 1000):
        cols, rows = block_shape(n)
        assert cols * rows >= n
        assert abs(cols - rows) <= 1


@pytest.mark.parametrize(("n_major", "n_minor"), [(10, 0), (10, 3), (7, 7), (30, 4), (3, 5)])
def test_interleave_keeps_every_element_in_order(n_major, n_minor):
    major = list(range(n_major))
    minor = list(range(100, 100 + n_minor))
    out = interleave(major, minor)
    assert sorted(out) == sorted(major + minor)
    assert [x for x in out if x < 100] == major
    assert [x for x in out if x >= 100] == minor


@pytest.mark.parametrize(("n_major", "n_minor"), [(10, 3), (30, 4), (12, 12), (50, 7)])
def test_interleave_spreads_the_minority_evenly(n_major, n_minor):
    out = interleave(list(range(n_major)), list(range(100, 100 + n_minor)))
    where = [k for k, x in enumerate(out) if x >= 100]
    gaps = np.diff(where)
    # Evenly spaced: consecutive minority members are step or step +- 1 apart...
    step = len(out) / n_minor
    assert gaps.min() >= math.floor(step) and gaps.max() <= math.ceil(step)
    # ...no two of them side by side, and none bunched at either end.
    assert (gaps >= 2).all()
    assert where[0] < step and len(out) - 1 - where[-1] < step


def _full_floors(n_floors: int, side: int, building_of=None) -> SeatingPlan:
    building_of = building_of or [0] * n_floors
    floors = [Floor(building_of[f], side, side, f * (side + 2)) for f in range(n_floors)]
    plan = SeatingPlan(floors, n_floors * side * side)
    person = 0
    for f in range(n_floors):
        for row in range(side):
            for col in range(side):
                plan.seat(person, f, col, row)
                person += 1
    return plan


def _pair_rates(plan: SeatingPlan, sampler: ContactSampler, weeks: int, seed: int = 11):
    """Contacts per pair per week, keyed by (same floor?, distance in desks)."""
    rng = np.random.default_rng(seed)
    n = plan.floor_of.size
    present = np.ones(n, dtype=bool)
    counts = np.zeros((n, n))
    for _ in range(weeks):
        i, j = sampler.sample(rng, present)
        np.add.at(counts, (np.minimum(i, j), np.maximum(i, j)), 1.0)
    upper = np.triu_indices(n, 1)
    dist = np.hypot(plan.col[:, None] - plan.col[None, :], plan.row[:, None] - plan.row[None, :])[
        upper
    ]
    same = (plan.floor_of[:, None] == plan.floor_of[None, :])[upper]
    pair_counts = counts[upper]

    def rate(same_floor: bool, desks: float) -> float:
        mask = (same == same_floor) & np.isclose(dist, desks)
        assert mask.sum() > 100, "too few pairs at that distance for a rate"
        return float(pair_counts[mask].sum() / (mask.sum() * weeks))

    return rate


def test_contacts_follow_the_allen_curve_about_4_to_1_between_2_m_and_20_m():
    plan = _full_floors(1, 30)
    sampler = ContactSampler(plan, p0=0.5, lam=13.0, floor_factor=0.15, building_factor=0.03)
    rate = _pair_rates(plan, sampler, weeks=20)
    near, far = rate(True, 2.0 / DESK_PITCH_M), rate(True, 20.0 / DESK_PITCH_M)
    ratio = near / far
    assert math.exp(18.0 / 13.0) == pytest.approx(4.0, abs=0.02)
    assert 3.0 <= ratio <= 5.0, f"2 m : 20 m contact ratio {ratio:.2f}, expected about 4"
    # The intercept: pairs at 2 m talk a little less than p0 a week (p0 is at distance 0).
    assert 0.5 * math.exp(-2.5 / 13.0) < near < 0.5


def test_contacts_across_floors_are_rarer_by_the_floor_factor():
    plan = _full_floors(2, 20)
    sampler = ContactSampler(plan, p0=0.5, lam=13.0, floor_factor=0.2, building_factor=0.03)
    rate = _pair_rates(plan, sampler, weeks=20)
    for desks in (1.0, 5.0):
        ratio = rate(False, desks) / rate(True, desks)
        assert 0.2 * 0.8 <= ratio <= 0.2 * 1.25, f"cross-floor ratio {ratio:.3f} at {desks} desks"


def test_contact_factors_between_floors_and_buildings():
    floors = _full_floors(3, 4, building_of=[0, 0, 1]).floors
    plan = SeatingPlan(floors, 1)
    sampler = ContactSampler(plan, p0=0.5, lam=13.0, floor_factor=0.15, building_factor=0.03)
    assert np.allclose(np.diag(sampler.factor), 1.0)
    assert sampler.factor[0, 1] == sampler.factor[1, 0] == 0.15
    assert sampler.factor[0, 2] == sampler.factor[2, 1] == 0.03


def test_absent_people_have_no_contacts():
    plan = _full_floors(1, 10)
    sampler = ContactSampler(plan, p0=0.5, lam=13.0, floor_factor=0.15, building_factor=0.03)
    present = np.ones(100, dtype=bool)
    present[::2] = False
    rng = np.random.default_rng(3)
    i, j = sampler.sample(rng, present)
    assert i.size > 0
    assert present[i].all() and present[j].all()
    assert (i != j).all()
    none_i, _ = sampler.sample(rng, np.zeros(100, dtype=bool))
    assert none_i.size == 0


# == sim.model.trust ===============================================================================


def test_trust_formula_is_the_beta_reputation():
    assert trust(0.0, 0.0) == 0.5
    assert trust(3.0, 1.0) == pytest.approx(4.0 / 6.0)
    assert trust(0.0, 8.0) == pytest.approx(0.1)
    values = trust(np.array([0.0, 1.0, 10.0]), np.array([0.0, 0.0, 0.0]))
    assert np.all(np.diff(values) > 0) and np.all(values < 1.0)


def test_a_failure_weighs_more_than_a_success():
    up = DepartmentTrust(memory=1.0, failure_weight=2.25, r0=0.0, s0=0.0)
    down = DepartmentTrust(memory=1.0, failure_weight=2.25, r0=0.0, s0=0.0)
    up.record(1.0, 0.0)
    down.record(0.0, 1.0)
    assert up.value > 0.5 > down.value
    assert 0.5 - down.value > up.value - 0.5
    # One success and one failure leave trust below where it started.
    both = DepartmentTrust(memory=1.0, failure_weight=2.25, r0=0.0, s0=0.0)
    both.record(1.0, 1.0)
    assert both.value < 0.5
    # With a failure weight of 1 the two would balance.
    even = DepartmentTrust(memory=1.0, failure_weight=1.0, r0=0.0, s0=0.0)
    even.record(1.0, 1.0)
    assert even.value == pytest.approx(0.5)


def test_old_outcomes_fade_back_towards_neutral():
    t = DepartmentTrust(memory=0.9, failure_weight=2.25, r0=0.0, s0=0.0)
    t.record(0.0, 4.0)
    hurt = t.value
    for _ in range(10):
        t.fade()
    assert hurt < t.value < 0.5
    for _ in range(200):
        t.fade()
    assert t.value == pytest.approx(0.5, abs=1e-6)
    # Without fading, evidence is kept.
    kept = DepartmentTrust(memory=1.0, failure_weight=2.25, r0=0.0, s0=0.0)
    kept.record(0.0, 4.0)
    before = kept.value
    kept.fade()
    assert kept.value == before


def test_the_default_prior_leans_to_distrust():
    assert DepartmentTrust(memory=0.97, failure_weight=2.25).value < 0.5


# == sim.model.knowledge ===========================================================================


def _learn(fluency, contacts=0.0, hours=0.0, decay=0.0):
    return learn(
        np.atleast_1d(np.asarray(fluency, dtype=float)),
        np.atleast_1d(np.asarray(contacts, dtype=float)),
        hours,
        contact_gain=0.05,
        training_gain=0.01,
        decay=decay,
    )


def test_fluency_rises_with_contacts_and_with_training():
    contacts = np.arange(0, 30)
    grown = _learn(np.full(30, 0.2), contacts)
    assert grown[0] == pytest.approx(0.2)
    assert np.all(np.diff(grown) > 0)
    trained = [float(_learn(0.2, 0, hours)[0]) for hours in (0, 4, 8, 16, 40)]
    assert trained[0] == pytest.approx(0.2)
    assert np.all(np.diff(trained) > 0)


def test_fluency_returns_diminish():
    grown = _learn(np.zeros(41), np.arange(41))
    gains = np.diff(grown)
    assert np.all(np.diff(gains) < 0), "each extra contact should teach less"
    # Absorptive capacity: the fluent learn less from the same contacts.
    low, high = _learn([0.1, 0.8], [5, 5])
    assert low - 0.1 > high - 0.8 > 0
    hours = [float(_learn(0.0, 0, h)[0]) for h in (0, 20, 40)]
    assert hours[1] - hours[0] > hours[2] - hours[1]


def test_fluency_stays_in_the_unit_interval():
    grown = _learn([0.0, 0.5, 1.0], [1e6, 1e6, 1e6], hours=1e4)
    assert np.all((grown >= 0.0) & (grown <= 1.0))
    assert grown[0] == pytest.approx(1.0)
    faded = _learn([0.0, 0.5, 1.0], [0, 0, 0], decay=1.0)
    assert np.all(faded == 0.0)


def test_fluency_fades_when_unused():
    f = np.array([0.6])
    for _ in range(52):
        f = _learn(f, 0, decay=0.012)
    assert float(f[0]) == pytest.approx(0.6 * 0.988**52)


def test_the_glossary_raises_the_floor_of_fluency_only():
    fluency = np.array([0.0, 0.2, 0.35, 0.9])
    with_glossary = effective_fluency(fluency, True, 0.35)
    assert np.allclose(with_glossary, [0.35, 0.35, 0.35, 0.9])
    assert np.allclose(effective_fluency(fluency, False, 0.35), fluency)
    assert float(effective_fluency(0.1, True, 0.35)) == 0.35


# == sim.model.network =============================================================================


def _network(n=6, gain=0.15, decay=0.05):
    department = np.array([0, 0, 0, 1, 1, 1])[:n]
    return CollaborationNetwork(n, department, gain, decay, memory=0.97, failure_weight=2.25)


def _pairs(*pairs):
    i, j = zip(*pairs, strict=True)
    return np.array(i), np.array(j)


def test_reinforce_raises_strength_with_diminishing_returns():
    net = _network()
    levels = [net.strength_of(0, 3)]
    for _ in range(6):
        net.reinforce(*_pairs((0, 3)))
        levels.append(net.strength_of(0, 3))
    assert levels[0] == 0.0
    assert levels[1] == pytest.approx(0.15)
    gains = np.diff(levels)
    assert np.all(gains > 0) and np.all(np.diff(gains) < 0)
    assert levels[-1] < 1.0
    # Ties are symmetric, and a pair met twice in one week gains twice.
    assert net.strength_of(3, 0) == net.strength_of(0, 3)
    twice = _network()
    twice.reinforce(*_pairs((1, 4), (4, 1)))
    assert twice.strength_of(1, 4) == pytest.approx(levels[2])
    # A social encounter counts for a share of a work contact.
    social = _network()
    social.reinforce(*_pairs((2, 5)), gain_share=0.3)
    assert social.strength_of(2, 5) == pytest.approx(0.15 * 0.3)


def test_fade_lowers_strength_and_ties_compete_for_time():
    net = _network(decay=0.05)
    net.reinforce(*_pairs((0, 3), (1, 2)))
    before = net.strength_of(0, 3)
    net.fade()
    # Each person holds one tie of strength s: crowding s / capacity speeds the fade a little.
    crowding = before / net.tie_capacity
    assert net.strength_of(0, 3) == pytest.approx(before * (1 - 0.05 * (1 + crowding)))
    assert net.strength_of(1, 2) == pytest.approx(net.strength_of(0, 3))
    assert net.strength_of(0, 5) == 0.0
    # Person 0 takes on many more ties: her old tie with 3 now fades faster than 1's with 2.
    for partner in (1, 2, 4, 5):
        for _ in range(20):
            net.reinforce(*_pairs((0, partner)))
    s03, s12 = net.strength_of(0, 3), net.strength_of(1, 2)
    net.fade()
    assert net.strength_of(0, 3) / s03 < net.strength_of(1, 2) / s12


def test_record_outcome_moves_trust_with_failures_weighing_more():
    net = _network()
    assert net.trust_of(0, 3) == 0.5
    net.record_outcome(0, 3, success=True)
    net.record_outcome(1, 4, success=False)
    up, down = net.trust_of(3, 0), net.trust_of(4, 1)
    assert up > 0.5 > down
    assert 0.5 - down > up - 0.5
    net.record_outcome(0, 3, success=False)
    assert net.trust_of(0, 3) < 0.5


def test_graph_exports_ties_with_strength_and_trust_and_integer_nodes():
    net = _network(gain=0.3)
    net.reinforce(*_pairs((0, 3), (0, 3), (1, 4), (2, 5)))
    net.reinforce(*_pairs((1, 2)), gain_share=0.1)  # too weak to count as a tie
    net.record_outcome(0, 3, success=True)
    g = net.graph()
    assert isinstance(g, nx.Graph)
    assert sorted(g.nodes) == list(range(6))
    assert all(type(node) is int for node in g.nodes)
    assert g.nodes[4]["department"] == 1
    assert {frozenset(e) for e in g.edges} == {frozenset(p) for p in [(0, 3), (1, 4), (2, 5)]}
    for u, v, data in g.edges(data=True):
        assert type(u) is int and type(v) is int
        assert data["strength"] == pytest.approx(net.strength_of(u, v))
        assert data["trust"] == pytest.approx(net.trust_of(u, v))
        assert data["strength"] >= TIE_THRESHOLD
    assert g.edges[0, 3]["trust"] > g.edges[1, 4]["trust"]
    assert net.tie_count() == 3
    assert net.cross_tie_count() == 3


def test_cross_ties_count_only_pairs_across_departments():
    net = _network(gain=0.5)
    net.reinforce(*_pairs((0, 1), (0, 3), (4, 5)))
    assert net.tie_count() == 3
    assert net.cross_tie_count() == 1


def test_ties_of_gives_strength_and_trust_with_neutral_defaults():
    net = _network(gain=0.2)
    for k, partner in enumerate((3, 4, 5)):
        for _ in range(k + 2):
            net.reinforce(*_pairs((0, partner)))
    net.record_outcome(0, 5, True)
    net.record_outcome(0, 4, False)
    strength, trusted = net.ties_of(0, np.array([1, 3, 4, 5]))
    assert strength[0] == 0.0 and trusted[0] == 0.5  # never met: no tie, neutral trust
    assert strength[1] < strength[2] < strength[3]  # more contacts, stronger tie
    assert trusted[3] > 0.5 > trusted[2]  # trust follows the work they did together


def test_network_grows_beyond_its_initial_capacity():
    n = 30
    net = CollaborationNetwork(n, np.arange(n) % 2, 0.5, 0.0, 0.97, 2.25)
    i, j = np.triu_indices(n, 1)
    net.reinforce(i, j)
    assert net.n == i.size > 4 * n
    assert net.strength_of(0, n - 1) == pytest.approx(0.5)
    assert net.graph().number_of_edges() == i.size


# == sim.model.ledger ==============================================================================


def test_ledger_sums_over_a_trailing_window():
    ledger = ExperienceLedger(3, window=4)
    for week in range(3):
        ledger.new_week(week)
        ledger.add("raised", [0, 0, 1])  # repeats add up
        ledger.add("late", 2, amount=0.5)
    assert list(ledger.trailing("raised")) == [6.0, 3.0, 0.0]
    assert list(ledger.trailing("raised", weeks=1)) == [2.0, 1.0, 0.0]
    assert list(ledger.trailing("late")) == [0.0, 0.0, 1.5]
    assert list(ledger.trailing("delivered")) == [0.0, 0.0, 0.0]


def test_ledger_forgets_events_older_than_the_window():
    ledger = ExperienceLedger(2, window=4)
    ledger.new_week(0)
    ledger.add("violation", 0, amount=10.0)
    for week in range(1, 4):
        ledger.new_week(week)
        ledger.add("violation", 1)
    assert ledger.trailing("violation")[0] == 10.0
    ledger.new_week(4)  # week 0 leaves the window
    assert ledger.trailing("violation")[0] == 0.0
    assert ledger.trailing("violation")[1] == 3.0
    ledger.new_week(5)
    assert ledger.trailing("violation")[1] == 2.0
    # Asking for more weeks than the window holds gives the window.
    assert ledger.trailing("violation", weeks=100)[1] == 2.0


def test_ledger_adds_per_person_amounts():
    ledger = ExperienceLedger(3)
    ledger.new_week(0)
    ledger.add("unintegrated_use", np.array([0, 2]), np.array([1.5, 4.0]))
    assert list(ledger.trailing("unintegrated_use")) == [1.5, 0.0, 4.0]
    with pytest.raises(KeyError):
        ledger.add("no_such_event", 0)
    assert len(EVENTS) == ledger.counts.shape[1]


def test_ledger_counts_every_form_of_people_and_repeats_within_a_week():
    """The ledger buffers a week's events and counts them when read: lists, single people,
    arrays and repeats all add up, and a person outside the staff is refused."""
    ledger = ExperienceLedger(4)
    ledger.new_week(0)
    ledger.add("raised", [0, 3])
    ledger.add("raised", 3)
    ledger.add("raised", np.array([3, 3, 1]))
    ledger.add("incidents", [2, 3], 5)
    assert list(ledger.trailing("raised")) == [1.0, 1.0, 0.0, 4.0]
    assert list(ledger.trailing("incidents")) == [0.0, 0.0, 5.0, 5.0]
    ledger.new_week(1)
    ledger.add("raised", [0])
    assert list(ledger.weekly("raised", weeks=2)[0]) == [1.0, 1.0]
    ledger.add("raised", [4])
    with pytest.raises(IndexError, match="outside the staff"):
        ledger.trailing("raised")


# == sim.model.customers ===========================================================================


def _uniform_base(n=1000, expectation=65.0, satisfaction=65.0, seed=5) -> CustomerBase:
    base = CustomerBase(n, np.random.default_rng(seed))
    base.expectation[:n] = expectation
    base.satisfaction[:n] = satisfaction
    base.market_expectation = expectation
    return base


def _after_experience(level: float, loss_aversion: float) -> float:
    base = _uniform_base()
    base.experience(
        np.random.default_rng(1),
        level=level,
        spread=0.0,
        loss_aversion=loss_aversion,
        weight=0.1,
    )
    return base.mean_satisfaction()


def test_a_shortfall_hurts_more_than_an_equal_surplus_pleases():
    rise = _after_experience(75.0, loss_aversion=2.0) - 65.0
    fall = 65.0 - _after_experience(55.0, loss_aversion=2.0)
    assert rise > 0 and fall > 0
    assert fall > 1.2 * rise
    # Without loss aversion the two balance, so the asymmetry comes from that parameter.
    rise1 = _after_experience(75.0, loss_aversion=1.0) - 65.0
    fall1 = 65.0 - _after_experience(55.0, loss_aversion=1.0)
    assert rise1 == pytest.approx(fall1, rel=1e-4)


def test_satisfaction_is_an_anchor_that_experience_adjusts():
    heavy = _uniform_base()
    light = _uniform_base()
    for base, weight in ((heavy, 0.5), (light, 0.05)):
        base.experience(np.random.default_rng(1), 80.0, 0.0, 2.0, weight)
    assert 65.0 < light.mean_satisfaction() < heavy.mean_satisfaction()


def test_the_market_rises_so_a_firm_must_deliver_to_keep_pace():
    from sim.model.customers import Offering

    weekly = 100.0  # a traditional firm's delivered worth a week
    idle, keeping, ahead = (Offering(2.5 / 52, weekly, 0.0015) for _ in range(3))
    for _ in range(52):
        keeping.add(weekly)
        ahead.add(1.5 * weekly)
        for o in (idle, keeping, ahead):
            o.age()
    assert idle.level(0.7, 0.7) == pytest.approx(70.0 - 2.5, abs=0.15)  # less a little ageing
    assert keeping.level(0.7, 0.7) == pytest.approx(70.0, abs=0.01)
    assert ahead.level(0.7, 0.7) > 70.0 + 1.0
    # A faster-rising market leaves a firm that delivers nothing further behind.
    idle_fast = Offering(10.0 / 52, weekly, 0.0015)
    for _ in range(52):
        idle_fast.age()
    assert idle_fast.level(0.7, 0.7) < idle.level(0.7, 0.7) - 5.0
    # Late deliveries are worth less; maturity above its start adds personalisation.
    late = Offering(2.5 / 52, weekly, 0.0)
    late.add(weekly, 0.5)
    assert late.stock == pytest.approx(0.5 * keeping.scale * weekly)
    assert keeping.level(0.8, 0.7) > keeping.level(0.7, 0.7)


def test_expectations_are_pulled_to_the_market_and_adapt_to_the_firm():
    base = _uniform_base()
    for _ in range(52):
        base.experience(np.random.default_rng(1), 75.0, 0.0, 2.0, 0.1)
    mean = base.expectation[: base.size].mean()
    assert base.market_expectation < mean < 75.0


def _churned(satisfaction: float, seed: int = 2) -> int:
    base = _uniform_base(n=20_000, satisfaction=satisfaction)
    before = base.n_active
    left = base.churn_and_acquire(np.random.default_rng(seed), 0.03, 0.08, 0.0)
    assert base.n_active == before - left
    return left


def test_churn_falls_with_satisfaction():
    counts = [_churned(s) for s in (30.0, 50.0, 62.0, 80.0, 95.0)]
    assert all(a > b for a, b in itertools.pairwise(counts)), counts
    # At the reference satisfaction the weekly hazard matches churn_monthly.
    weekly = 1.0 - (1.0 - 0.03) ** (12.0 / 52.0)
    assert counts[2] == pytest.approx(weekly * 20_000, rel=0.2)


def test_acquisition_adds_newcomers():
    base = _uniform_base(n=5000, satisfaction=95.0)
    before = base.n_active
    left = base.churn_and_acquire(np.random.default_rng(4), 0.03, 0.08, 400.0)
    joined = base.n_active - (before - left)
    assert 300 < joined < 500


def test_compact_keeps_the_active_customers_in_order():
    base = _uniform_base(n=1000)
    base.satisfaction[:1000] = np.arange(1000, dtype=np.float32) / 10.0
    base.active[:1000] = np.arange(1000) % 3 == 0
    kept = base.satisfaction[:1000][base.active[:1000]].copy()
    summary = base.summary()
    base.compact()
    assert base.size == kept.size == base.n_active
    assert base.active[: base.size].all()
    assert not base.active[base.size : 1000].any()
    assert np.array_equal(base.satisfaction[: base.size], kept)
    assert base.summary() == pytest.approx(summary)


def test_compact_leaves_a_mostly_active_base_alone():
    base = _uniform_base(n=100)
    base.active[:10] = False
    base.compact()
    assert base.size == 100
    assert base.n_active == 90


def test_summary_reads_cx_and_nps_on_their_scales():
    happy = _uniform_base(n=2000, satisfaction=95.0).summary()
    sad = _uniform_base(n=2000, satisfaction=20.0).summary()
    assert happy["cx_index"] == pytest.approx(95.0)
    assert happy["nps"] > 50 > -50 > sad["nps"]
    assert -100 <= sad["nps"] <= happy["nps"] <= 100
    assert happy["promoters"] > sad["promoters"]


# == sim.results.stats =============================================================================


def test_paired_difference_on_known_data():
    result = paired_difference([3.0, 4.0, 5.0], [1.0, 1.0, 1.0])
    half = 4.302652729911275 / math.sqrt(3)  # t(0.975, 2) * sd 1 / sqrt(3)
    assert result.n == 3
    assert result.mean == pytest.approx(3.0)
    assert result.low == pytest.approx(3.0 - half)
    assert result.high == pytest.approx(3.0 + half)
    assert result.excludes_zero()


def test_paired_difference_is_taken_within_pairs():
    # Large shared noise, a constant +1 effect: the paired interval is tight around 1.
    control = np.array([10.0, 50.0, 90.0, 30.0])
    result = paired_difference(control + 1.0, control)
    assert result.mean == pytest.approx(1.0)
    assert result.high - result.low == pytest.approx(0.0, abs=1e-12)


def test_paired_difference_refuses_unpaired_samples():
    with pytest.raises(ValueError, match="differ in size"):
        paired_difference([1.0, 2.0], [1.0, 2.0, 3.0])


def test_mean_interval_drops_non_finite_values():
    result = mean_interval([1.0, float("nan"), 3.0, float("inf")])
    assert result.n == 2
    assert result.mean == pytest.approx(2.0)
    single = mean_interval([4.0])
    assert single.n == 1 and math.isnan(single.low)
    assert mean_interval([]).n == 0


def test_require_effect_passes_on_the_right_side_of_zero():
    require_effect(Interval(1.0, 0.2, 1.8, 10), +1, "gain")
    require_effect(Interval(-1.0, -1.8, -0.2, 10), -1, "loss")


def test_require_effect_raises_when_the_interval_straddles_zero():
    straddling = paired_difference([1.0, -1.0, 2.0, -1.5], [0.0, 0.0, 0.0, 0.0])
    assert straddling.low < 0 < straddling.high
    with pytest.raises(AssertionError, match="cx gain: expected a 95% interval wholly above"):
        require_effect(straddling, +1, "cx gain")
    with pytest.raises(AssertionError, match="wholly below zero"):
        require_effect(straddling, -1, "cx loss")


def test_require_effect_raises_on_the_wrong_sign():
    with pytest.raises(AssertionError, match="over 10 paired seeds"):
        require_effect(Interval(1.0, 0.2, 1.8, 10), -1, "loss")


def test_require_effect_raises_on_an_undefined_interval():
    with pytest.raises(AssertionError):
        require_effect(mean_interval([1.0]), +1, "single seed")


# == sim.model.randomness ==========================================================================


def test_same_seed_and_name_give_the_same_stream():
    a = stream(7, "contacts").random(20)
    b = stream(7, "contacts").random(20)
    assert np.array_equal(a, b)
    assert np.array_equal(Streams(7)["contacts"].random(20), a)


def test_different_names_or_seeds_give_different_streams():
    draws = {name: stream(7, name).random(5) for name in PROCESSES}
    rows = np.array(list(draws.values()))
    assert len({tuple(r) for r in rows}) == len(PROCESSES)
    assert not np.array_equal(stream(8, "contacts").random(5), draws["contacts"])


def test_streams_do_not_share_state():
    streams = Streams(3)
    expected = stream(3, "customers").random(5)
    streams["contacts"].random(1000)  # heavy use of one process...
    assert np.array_equal(streams["customers"].random(5), expected)  # ...leaves others alone
    assert streams["contacts"] is streams["contacts"]


def test_weekly_streams_are_reproducible_and_distinct_by_week():
    week3 = stream(7, "customers", 3).random(5)
    assert np.array_equal(stream(7, "customers", 3).random(5), week3)
    assert not np.array_equal(stream(7, "customers", 4).random(5), week3)
    assert not np.array_equal(stream(7, "customers").random(5), week3)
    # A run's weekly stream: the same object all week; week t's draws are the same whatever
    # earlier weeks drew (common random numbers), and differ between weeks, processes and seeds.
    streams = Streams(7)
    same_week = streams.week("customers", 3)
    assert streams.week("customers", 3) is same_week
    first = same_week.random(5)
    busy = Streams(7)
    busy.week("customers", 2).random(1000)
    assert np.array_equal(busy.week("customers", 3).random(5), first)
    assert np.array_equal(Streams(7).week("customers", 3).random(5), first)
    others = (
        Streams(7).week("customers", 4),
        Streams(7).week("churn", 3),
        Streams(8).week("customers", 3),
    )
    for other in others:
        assert not np.array_equal(other.random(5), first)
    # Going back to a week starts it again from its first number.
    streams.week("customers", 4).random(3)
    assert np.array_equal(streams.week("customers", 3).random(5), first)


def test_unknown_process_is_refused():
    with pytest.raises(KeyError, match="contact"):
        stream(1, "contact")


def test_replicate_seeds_are_deterministic_and_distinct():
    seeds = replicate_seeds(2026, 20)
    assert seeds == replicate_seeds(2026, 20)
    assert len(set(seeds)) == 20
    assert all(isinstance(s, int) and s >= 0 for s in seeds)
    assert replicate_seeds(2027, 20) != seeds
    # Adding replications keeps the earlier ones, so a larger batch extends a smaller one.
    assert replicate_seeds(2026, 5) == seeds[:5]
