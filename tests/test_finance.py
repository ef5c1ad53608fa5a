"""Unit tests of the money (sim/model/finance.py; docs/model.md: money and lever costs): the weekly
ledger, the accounts, and the cost of each lever in a running firm."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model import finance
from sim.model.finance import Accounts, Ledger
from sim.model.knowledge import WEEKS_PER_MONTH
from sim.model.model import Organisation
from sim.model.parameters import Parameters
from sim.results.stats import mean_interval

P = Parameters()

# == Ledger and Accounts ==========================================================================


def test_ledger_costs_and_profit_sum_their_lines():
    ledger = Ledger(revenue=100.0, salaries=30.0, it_run=5.0, saas=7.0, incidents=11.0, levers=13.0)
    assert ledger.costs == pytest.approx(66.0)
    assert ledger.profit == pytest.approx(34.0)
    ledger.incidents += 40.0
    assert ledger.profit == pytest.approx(-6.0)


def test_close_adds_one_off_costs_to_the_weeks_levers_and_resets_them():
    accounts = Accounts()
    accounts.one_off = 250.0
    accounts.close(Ledger(levers=10.0))
    assert accounts.this_week.levers == 260.0
    assert accounts.one_off == 0.0
    accounts.close(Ledger(levers=10.0))
    assert accounts.this_week.levers == 10.0
    assert [x.levers for x in accounts.history] == [260.0, 10.0]


def _accounts(revenues) -> Accounts:
    accounts = Accounts()
    for r in revenues:
        accounts.close(Ledger(revenue=float(r)))
    return accounts


def test_revenue_growth_is_nan_before_a_year_of_history():
    assert math.isnan(_accounts([]).revenue_growth())
    assert math.isnan(_accounts([100.0] * 55).revenue_growth())
    assert _accounts([100.0] * 56).revenue_growth() == pytest.approx(0.0)


def test_revenue_growth_compares_the_window_with_the_same_weeks_a_year_before():
    revenues = [100.0 + week for week in range(60)]
    window = 4
    now = sum(revenues[-window:])
    before = sum(revenues[-52 - window : -52])
    growth = _accounts(revenues).revenue_growth(window)
    assert growth == pytest.approx(now / before - 1.0)
    assert growth > 0
    assert _accounts([100.0] * 52 + [90.0] * 8).revenue_growth(4) == pytest.approx(-0.1)


def test_revenue_growth_of_a_firm_without_revenue_a_year_ago_is_nan():
    assert math.isnan(_accounts([0.0] * 52 + [10.0] * 8).revenue_growth())


# == lever costs in a running firm ==============================================================


def _weekly(weeks: int = 4, **overrides) -> list[Ledger]:
    m = Organisation(seed=3, n_marketers=4, n_technologists=4, n_customers=200, **overrides)
    ledgers = []
    for _ in range(weeks):
        m.step()
        ledgers.append(m.accounts.this_week)
    return ledgers


def test_a_traditional_firm_pays_no_lever_costs():
    p = Organisation(seed=3, n_marketers=4, n_technologists=4, n_customers=200).p
    for ledger in _weekly():
        assert ledger.levers == 0.0
        # 8 staff and two leaders at three salaries each.
        assert ledger.salaries == pytest.approx(p.salary * (8 + 2 * 3))
        assert ledger.costs == pytest.approx(
            ledger.cost_of_goods
            + ledger.overheads
            + ledger.salaries
            + ledger.it_run
            + ledger.saas
            + ledger.incidents
        )


@pytest.mark.parametrize("premium", [0.0, 0.3, 0.6])
def test_hybrid_hires_cost_a_salary_plus_the_premium_each(premium):
    base = _weekly()
    hired = _weekly(hybrid_hires=2, hybrid_premium=premium)
    salary = Organisation(n_customers=200).p.salary
    for b, h in zip(base, hired, strict=True):
        assert h.salaries - b.salaries == pytest.approx(2 * salary * (1.0 + premium))


def test_cross_training_adds_its_hours_at_the_salary_rate():
    m = Organisation(seed=3, n_marketers=4, n_technologists=4, n_customers=200)
    hours = 6.0
    hourly = m.p.salary / finance.HOURS_PER_WEEK
    for ledger in _weekly(cross_training=hours):
        assert ledger.levers == pytest.approx(hours / WEEKS_PER_MONTH * hourly * 10)


@pytest.mark.parametrize("start", [0, 3])
def test_the_glossary_costs_once_in_its_start_week_then_its_upkeep(start):
    ledgers = _weekly(6, shared_glossary=True, shared_glossary_start=start)
    first = max(1, start)
    for week, ledger in enumerate(ledgers, start=1):
        if week < first:
            expected = 0.0
        elif week == first:
            expected = P.glossary_cost + P.glossary_upkeep
        else:
            expected = P.glossary_upkeep
        assert ledger.levers == pytest.approx(expected), week


def test_joint_planning_costs_a_tenth_of_both_leaders_time():
    salary = Organisation(n_customers=200).p.salary
    expected = P.planning_time_share * 2 * P.leader_salary_multiple * salary
    assert expected > 0
    for ledger in _weekly(joint_planning=True):
        assert ledger.levers == pytest.approx(expected)


def test_colocation_introduced_mid_run_charges_the_desk_moves_once():
    ledgers = _weekly(5, colocation=0.5, colocation_start=3)
    moved = round(0.5 * 4)
    assert [x.levers for x in ledgers] == pytest.approx(
        [0.0, 0.0, P.desk_move_cost * moved, 0.0, 0.0]
    )


# -- the economy balances ---------------------------------------------------------------------


def _customers_ratio(churn: float, seeds: range, weeks: int = 104) -> np.ndarray:
    ratios = []
    for seed in seeds:
        w = Organisation(seed=seed, churn_monthly=churn, demand_shock_sd=0.0).run(weeks).weekly()
        ratios.append(w["active_customers"].iloc[-1] / w["active_customers"].iloc[0])
    return np.array(ratios)


@pytest.mark.slow
def test_a_traditional_firm_is_stationary_whatever_the_churn():
    """Acquisition is balanced against the churn expected at set-up, so a traditional firm keeps
    its customers at low and at high churn alike (it shrank to 0.87x at 0.045 when acquisition
    was a fixed constant); the paired difference between the two churn levels is small."""
    low, high = _customers_ratio(0.015, range(6)), _customers_ratio(0.045, range(6))
    for ratios in (low, high):
        assert 0.93 < ratios.mean() < 1.07, ratios
    diff = mean_interval(high - low)
    assert abs(diff.mean) < 0.05, diff  # acquisition as a constant: 0.13 lower at 0.045


@pytest.mark.slow
def test_a_traditional_firm_starts_in_its_steady_state():
    """Customers settle before week 0, the data flow starts where it balances and the offering is
    kept relative to a rising market, so a traditional firm neither drifts up nor down over three
    years (before: CX +1.8 points, maturity +0.10 and customers +11% at week 156)."""
    cx, maturity, customers = [], [], []
    # 16 seeds: a firm's maturity drift has an sd of about 0.045 across seeds, so 8 seeds
    # cannot pin its mean to the 0.06 width asked below.
    for seed in range(16):
        w = Organisation(seed=seed, demand_shock_sd=0.0).run(156).weekly()
        start, end = w.iloc[1], w.iloc[-13:].mean()
        cx.append(end["cx_index"] - start["cx_index"])
        maturity.append(end["data_maturity"] - start["data_maturity"])
        customers.append(end["active_customers"] / start["active_customers"] - 1.0)
    # Each mean change is small, and known well enough to tell (the interval is not wide).
    for values, bound, width in ((cx, 1.5, 3.0), (maturity, 0.03, 0.06), (customers, 0.05, 0.2)):
        change = mean_interval(np.array(values))
        assert abs(change.mean) < bound, change
        assert change.high - change.low < width, change


def test_a_traditional_firm_earns_a_large_firms_operating_margin():
    """The rest of the firm exists: with the cost of goods and the overheads, the traditional
    firm's operating margin, measured week by week, sits in the 0.08-0.15 of large firms."""
    margins = [
        Organisation(seed=seed).run(52).weekly()["margin"].iloc[1:].mean() for seed in range(3)
    ]
    assert 0.07 < np.mean(margins) < 0.14, margins


def test_overheads_follow_revenue_part_way_and_stick_on_the_way_down():
    """The rest of the firm's overheads are semi-fixed: they rise 0.55% per 1% of revenue above
    the set-up level and fall 0.35% per 1% below it (Anderson, Banker and Janakiraman 2003)."""
    m = Organisation(seed=3)
    base = m.overheads
    up = m._overheads(1.2 * m.start_revenue)  # no history yet: the week's revenue alone
    down = m._overheads(0.8 * m.start_revenue)
    assert up == pytest.approx(base * 1.2**m.p.overhead_elasticity_up)
    assert down == pytest.approx(base * 0.8**m.p.overhead_elasticity_down)
    assert base < up < 1.2 * base and 0.8 * base < down < base


def test_semi_fixed_overheads_damp_the_margin_a_growing_firm_gains():
    """Direction, over paired seeds: with revenue rising (a strong industry trend), the margin
    climbs less when overheads follow revenue than when they are fixed (elasticity 0)."""
    gaps = []
    for seed in range(8):
        kw = {"seed": seed, "industry_growth": 0.15}
        sticky = Organisation(**kw).run(80).weekly()["margin"].iloc[-13:].mean()
        fixed = Organisation(**kw, overhead_elasticity_up=0.0).run(80).weekly()["margin"]
        gaps.append(fixed.iloc[-13:].mean() - sticky)
    assert mean_interval(gaps).low > 0, gaps


def test_data_maturity_raises_revenue_per_customer():
    m = Organisation(seed=2, n_customers=300, demand_shock_sd=0.0)
    before = m.revenue_per_customer()
    m.data_flow.maturity += 0.2
    lift = m.revenue_per_customer() / before - 1.0
    assert lift == pytest.approx(0.2 * m.p.maturity_revenue_lift)


def test_acquisition_follows_what_marketing_delivers():
    """New customers come from delivered campaigns and features, not from headcount: a firm that
    stops delivering sees its delivery pace, and with it acquisition, fall."""
    going = Organisation(seed=4, n_customers=500).run(40)
    stopped = Organisation(seed=4, n_customers=500, delivery_stop_week=1).run(40)
    assert stopped.delivery_pace < 0.2 * going.delivery_pace
    assert going.delivery_pace == pytest.approx(going.p.delivery_reference, rel=0.3)


def test_the_demand_shock_moves_revenue_per_customer():
    calm = Organisation(seed=5, n_customers=300, demand_shock_sd=0.0, industry_growth=0.0)
    stormy = Organisation(seed=5, n_customers=300, demand_shock_sd=0.3, industry_growth=0.0)
    calm_rpc, stormy_rpc = [], []
    for _ in range(30):
        calm.step()
        stormy.step()
        calm_rpc.append(calm.revenue_per_customer() / calm.p.revenue_per_customer)
        stormy_rpc.append(stormy.revenue_per_customer() / stormy.p.revenue_per_customer)
    assert np.std(np.log(stormy_rpc)) > 5 * np.std(np.log(calm_rpc))


def test_competitors_moves_make_churn_vary_whatever_the_experience():
    """The competition shock moves the churn hazard for months at a time: a year's churn differs
    more between firms (paired seeds) with it than by sampling and experience alone."""
    spreads = {}
    for sd in (0.0, 0.5):
        yearly = []
        for seed in range(8):
            m = Organisation(seed=seed, n_customers=3000, competition_shock_sd=sd)
            yearly.append(sum(m.run(1).week_stats["churn"] for _ in range(52)))
        spreads[sd] = float(np.std(yearly))
    assert spreads[0.5] > 2.0 * spreads[0.0], spreads


@pytest.mark.slow
def test_cx_and_growth_correlate_weakly_across_the_industry():
    """Across the industry's firms, CX and year-over-year revenue growth correlate at 0.10-0.35
    (Otto et al. 2019); it was 0.95 when growth had one channel, and 0.54 before firms differed in
    a CX level that their customer base had long adjusted to."""
    from sim import Parameters
    from sim.model.randomness import replicate_seeds
    from sim.survey.population import load_population

    firms = load_population("industry_2016").draw(120, 2016)
    cx, growth = [], []
    for firm, seed in zip(firms, replicate_seeds(2016, len(firms)), strict=True):
        p = Parameters.from_flat(firm)
        w = Organisation(p, seed=seed).run(p.survey_week).weekly()
        cx.append(w["cx_index"].iloc[-1])
        growth.append(w["revenue_growth"].iloc[-1])
    r = float(np.corrcoef(cx, growth)[0, 1])
    assert 0.10 < r < 0.35, r
