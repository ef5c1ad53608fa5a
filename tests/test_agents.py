"""Unit tests of staff (sim/model/agents.py; docs/model.md: staff and roles): the KPI mix and the
skills and fluency the staff table draws."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.agents import (
    CX,
    HYBRID,
    IT,
    LEAD,
    MARKETING,
    SHARED_KPI,
    SPEED,
    STAFF,
    StaffTable,
    department_kpis,
    kpi_mix,
)
from sim.model.model import Organisation
from sim.model.parameters import ParameterError, Parameters

MARKETING_KPI, IT_KPI = department_kpis(Parameters())

DEPARTMENTS = np.array([MARKETING, IT, MARKETING, IT])

# == kpi_mix ======================================================================================


@pytest.mark.parametrize("shared", [0.0, 0.25, 0.5, 1.0])
def test_kpi_rows_sum_to_one(shared):
    mix = kpi_mix(DEPARTMENTS, shared)
    assert mix.shape == (4, 4)
    np.testing.assert_allclose(mix.sum(axis=1), 1.0)
    assert (mix >= 0).all()


def test_no_shared_metrics_keeps_each_departments_own_mix():
    mix = kpi_mix(DEPARTMENTS, 0.0)
    np.testing.assert_array_equal(mix[DEPARTMENTS == MARKETING], [MARKETING_KPI] * 2)
    np.testing.assert_array_equal(mix[DEPARTMENTS == IT], [IT_KPI] * 2)


def test_the_own_mixes_are_parameters_and_must_sum_to_one():
    np.testing.assert_array_equal(MARKETING_KPI, [0.6, 0.05, 0.05, 0.3])
    np.testing.assert_array_equal(IT_KPI, [0.1, 0.5, 0.3, 0.1])
    p = Parameters(marketing_kpi_speed=0.5, marketing_kpi_cx=0.4)
    mix = kpi_mix(np.array([MARKETING, IT]), 0.0, p)
    np.testing.assert_array_equal(mix[0], [0.5, 0.05, 0.05, 0.4])
    with pytest.raises(ParameterError, match="sum to 1"):
        Parameters(it_kpi_speed=0.3)


def test_fully_shared_metrics_give_the_pure_cx_column():
    mix = kpi_mix(DEPARTMENTS, 1.0)
    np.testing.assert_array_equal(mix, [SHARED_KPI] * 4)
    assert (mix[:, CX] == 1.0).all()


@pytest.mark.parametrize("shared", [0.0, 0.5, 0.9])
def test_marketing_weights_speed_more_than_it(shared):
    mix = kpi_mix(np.array([MARKETING, IT]), shared)
    assert mix[0, SPEED] > mix[1, SPEED]


def test_shared_metrics_move_both_departments_towards_cx():
    weights = np.array([kpi_mix(DEPARTMENTS, s)[:2, CX] for s in np.linspace(0.0, 1.0, 6)])
    assert np.all(np.diff(weights, axis=0) > 0)
    speed = np.array([kpi_mix(DEPARTMENTS, s)[0, SPEED] for s in np.linspace(0.0, 1.0, 6)])
    assert np.all(np.diff(speed) < 0)


# == StaffTable ===================================================================================

N = 4000


def _filled(seed: int = 9) -> StaffTable:
    rng = np.random.default_rng(seed)
    table = StaffTable(3 * N)
    table.fill(range(N), MARKETING, STAFF, rng)
    table.fill(range(N, 2 * N), IT, STAFF, rng)
    table.fill(np.arange(2 * N, 3 * N), MARKETING, HYBRID, rng)
    return table


def test_fill_sets_department_and_role():
    table = _filled()
    assert (table.department[:N] == MARKETING).all() and (table.role[:N] == STAFF).all()
    assert (table.department[N : 2 * N] == IT).all()
    assert (table.department[2 * N :] == MARKETING).all() and (table.role[2 * N :] == HYBRID).all()
    assert not table.joined.any()  # filling draws attributes; it does not hire
    assert len(table) == 3 * N


def test_hybrids_are_more_technical_and_fluent_than_marketers():
    t = _filled()
    marketers, hybrids = slice(0, N), slice(2 * N, 3 * N)
    assert t.tech_skill[hybrids].mean() > t.tech_skill[marketers].mean() + 0.3
    assert t.fluency[hybrids].mean() > t.fluency[marketers].mean() + 0.4


def test_each_department_knows_its_own_field_and_speaks_little_of_the_other():
    t = _filled()
    marketers, technologists = slice(0, N), slice(N, 2 * N)
    assert t.tech_skill[marketers].mean() == pytest.approx(2 / 8, abs=0.02)
    assert t.tech_skill[technologists].mean() == pytest.approx(8 / 11, abs=0.02)
    for rows in (marketers, technologists):
        assert t.fluency[rows].mean() == pytest.approx(0.2, abs=0.02)


def test_all_attributes_lie_in_the_unit_interval():
    t = _filled()
    for values in (t.tech_skill, t.fluency, t.capacity):
        assert ((values >= 0.0) & (values <= 1.0)).all()
    assert (t.capacity == 1.0).all()


def test_fill_is_reproducible_from_a_seed():
    a, b, c = _filled(5), _filled(5), _filled(6)
    for name in ("tech_skill", "fluency"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        assert not np.array_equal(getattr(a, name), getattr(c, name))


def test_hiring_hybrids_leaves_everyone_elses_draws_as_they_were():
    kw = dict(seed=11, n_marketers=6, n_technologists=5, n_customers=200)
    plain, hired = Organisation(**kw), Organisation(hybrid_hires=3, **kw)
    n = len(plain.staff)
    for name in ("tech_skill", "fluency", "department", "role"):
        np.testing.assert_array_equal(getattr(plain.staff, name), getattr(hired.staff, name)[:n])
    assert (hired.staff.role[hired.hybrid_rows] == HYBRID).all()
    assert hired.staff.role[hired.cmo] == LEAD and hired.staff.role[hired.cio] == LEAD
    np.testing.assert_array_equal(plain.it_move_order, hired.it_move_order)


def test_employees_read_their_row_of_the_table():
    m = Organisation(seed=2, n_marketers=3, n_technologists=3, n_customers=200, shared_metrics=1.0)
    agent = m.employees[0]
    m.staff.fluency[0] = 0.42
    assert agent.fluency == 0.42
    assert agent.department == "marketing" and agent.role == "staff"
    assert m.employees[m.cio].department == "IT" and m.employees[m.cio].role == "lead"
    assert agent.kpi == {"speed": 0.0, "reliability": 0.0, "cost": 0.0, "cx": 1.0}
