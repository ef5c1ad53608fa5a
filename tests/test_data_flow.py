"""Unit tests of the customer data flow (sim/model/data_flow.py; docs/model.md: data flow): data
maturity and integration debt."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.data_flow import DataFlow, silo_weight, violation_share
from sim.model.parameters import SAAS_POLICIES, Parameters

P = Parameters()
INTEGRATED_GAIN, SILO_LOSS, DEBT_DRAG, PAYDOWN = (
    P.integrated_gain,
    P.silo_loss,
    P.debt_drag,
    P.debt_paydown,
)


def test_a_traditional_firm_starts_part_mature_and_in_debt():
    flow = DataFlow(0.6, 70.0)
    assert flow.maturity == 0.6 and flow.debt == 70.0


def test_integration_raises_maturity_scaled_by_what_is_left():
    flow = DataFlow(maturity=0.2, debt=0.0)
    flow.integrate(1.0)
    assert flow.maturity == pytest.approx(0.2 + INTEGRATED_GAIN * 0.8)
    half = DataFlow(maturity=0.2, debt=0.0)
    half.integrate(0.5)
    assert half.maturity - 0.2 == pytest.approx(0.5 * (flow.maturity - 0.2))


def test_integration_returns_diminish():
    gains = []
    for start in (0.1, 0.5, 0.9):
        flow = DataFlow(maturity=start, debt=0.0)
        flow.integrate(1.0)
        gains.append(flow.maturity - start)
    assert np.all(np.diff(gains) < 0)
    flow = DataFlow(maturity=0.0, debt=0.0)
    steps = []
    for _ in range(500):
        before = flow.maturity
        flow.integrate(1.0)
        steps.append(flow.maturity - before)
    assert np.all(np.diff(steps) < 0)
    assert 0.99 < flow.maturity < 1.0


@pytest.mark.parametrize("weight", [0.4, 1.0])
def test_a_silo_lowers_maturity_and_adds_debt_equal_to_its_weight(weight):
    flow = DataFlow(maturity=0.5, debt=10.0)
    flow.silo(weight)
    assert flow.maturity == pytest.approx(0.5 - SILO_LOSS * weight * 0.5)
    assert flow.debt == pytest.approx(10.0 + weight)


def test_guidelines_make_a_silo_lighter_and_most_purchases_compliant():
    weight = {policy: silo_weight(P, policy) for policy in SAAS_POLICIES}
    violations = {policy: violation_share(P, policy) for policy in SAAS_POLICIES}
    assert weight["guidelines"] < weight["forbid"] == weight["laissez-faire"] == 1.0
    assert violations["guidelines"] < violations["forbid"] == violations["laissez-faire"] == 1.0
    assert weight["guidelines"] == P.guidelines_silo_weight
    assert violations["guidelines"] == P.guidelines_violation_share


def test_the_coefficients_come_from_the_constructor():
    flow = DataFlow(0.5, 10.0, integrated_gain=0.1, silo_loss=0.2, debt_drag=0.0, debt_paydown=0.5)
    flow.integrate(1.0)
    assert flow.maturity == pytest.approx(0.5 + 0.1 * 0.5)
    flow.week(1.0)
    assert flow.debt == pytest.approx(5.0)


@pytest.mark.parametrize("share", [0.0, 0.3, 1.0])
def test_the_week_pays_debt_down_in_proportion_to_reliability_work(share):
    flow = DataFlow(maturity=0.5, debt=50.0)
    flow.week(share)
    assert flow.debt == pytest.approx(50.0 * (1.0 - PAYDOWN * share))


def test_debt_drags_maturity_down_in_proportion():
    light, heavy = DataFlow(maturity=0.5, debt=10.0), DataFlow(maturity=0.5, debt=100.0)
    light.week(0.5)
    heavy.week(0.5)
    assert light.maturity == pytest.approx(0.5 - DEBT_DRAG * 10.0 * 0.5)
    assert heavy.maturity == pytest.approx(0.5 - DEBT_DRAG * 100.0 * 0.5)
    clean = DataFlow(maturity=0.5, debt=0.0)
    clean.week(0.5)
    assert clean.maturity == 0.5


def test_maturity_stays_in_the_unit_interval():
    rng = np.random.default_rng(4)
    flow = DataFlow(maturity=0.6, debt=70.0)
    for _ in range(2000):
        for _ in range(rng.integers(0, 6)):
            flow.integrate(float(rng.random()))
        for _ in range(rng.integers(0, 20)):
            flow.silo(1.0)
        flow.week(float(rng.random()))
        assert 0.0 <= flow.maturity <= 1.0
    drowned = DataFlow(maturity=0.5, debt=50_000.0)
    drowned.week(0.0)
    assert drowned.maturity == 0.0
