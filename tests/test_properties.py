"""Property tests (hypothesis): invariants that must hold for any firm and any dose of the levers.

Lever values are drawn across their documented ranges from the metadata of
:data:`sim.model.parameters.FIELDS` (group ``lever``), with start weeks inside the run so that
levers also switch on mid-run. Runs are short and firms small so that the whole file stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.agents import EMBEDDED, HYBRID, IT, LEAD
from sim.model.model import Organisation
from sim.model.parameters import FIELDS, LEVERS, OFFICE_LAYOUTS, Parameters
from sim.runs.runner import release

SETTINGS = settings(max_examples=15, deadline=None)

UNIT_SHARES = (
    "saas_share",
    "cross_contact_share",
    "churn",
    "tech_spend_outside_it",
    "data_maturity",
    "cross_trust",
    "trust_marketing_in_it",
    "trust_it_in_marketing",
    "mean_fluency",
    "it_priority",
)


def value_strategy(name: str) -> st.SearchStrategy:
    """Values of one parameter across its documented range or choices."""
    f = FIELDS[name]
    meta = f.metadata
    kind = {"int": int, "float": float, "bool": bool, "str": str}.get(f.type, f.type)
    if meta["choices"]:
        return st.sampled_from(meta["choices"])
    if kind is bool:
        return st.booleans()
    lo, hi = meta["range"]
    if kind is int:
        return st.integers(lo, hi)
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@dataclass(frozen=True)
class Firm:
    seed: int
    weeks: int
    params: dict


@st.composite
def firms(draw: st.DrawFn) -> Firm:
    """A small firm with every lever drawn across its range, each from a drawn start week."""
    weeks = draw(st.integers(20, 30), label="weeks")
    params = {
        "n_marketers": draw(st.integers(5, 15), label="n_marketers"),
        "n_technologists": draw(st.integers(5, 15), label="n_technologists"),
        "n_customers": draw(st.integers(200, 2000), label="n_customers"),
        "office_layout": draw(st.sampled_from(OFFICE_LAYOUTS), label="office_layout"),
        "expectation_drift": draw(value_strategy("expectation_drift"), label="drift"),
        "delivery_stop_week": draw(
            st.one_of(st.just(0), st.integers(1, weeks)), label="delivery_stop_week"
        ),
    }
    for name in LEVERS:
        params[name] = draw(value_strategy(name), label=name)
        params[f"{name}_start"] = draw(
            st.one_of(st.just(0), st.integers(0, weeks + 2)), label=f"{name}_start"
        )
    seed = draw(st.integers(0, 2**31 - 1), label="seed")
    return Firm(seed, weeks, params)


@dataclass
class Run:
    """One finished run, with what the invariants need week by week (index 0 = set-up)."""

    model: Organisation
    weekly: pd.DataFrame
    joined: list[int]
    on_grid: list[int]
    embedded: list[int]
    open_requests: list[int]


def _open_requests(model: Organisation) -> int:
    pipeline = model.pipeline
    return sum(len(q) for q in pipeline.queues.values()) + len(pipeline.saas_pending)


def simulate(firm: Firm) -> Run:
    model = Organisation(seed=firm.seed, **firm.params)
    run = Run(model, pd.DataFrame(), [], [], [], [0])

    def observe() -> None:
        run.joined.append(int(np.count_nonzero(model.staff.joined)))
        run.on_grid.append(sum(len(cell.agents) for cell in model.office.all_cells))
        run.embedded.append(int(np.count_nonzero(model.staff.role == EMBEDDED)))

    observe()
    for _ in range(firm.weeks):
        model.step()
        observe()
        run.open_requests.append(_open_requests(model))
    run.weekly = model.weekly()
    release(model)
    return run


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_every_value_in_a_documented_range_is_accepted(data):
    values = {name: data.draw(value_strategy(name), label=name) for name in LEVERS}
    p = Parameters(**values)
    for name, value in values.items():
        assert getattr(p, name) == value
        assert p.lever_value(name, 0) == value


@SETTINGS
@given(firm=firms())
def test_headcount_is_conserved(firm):
    run = simulate(firm)
    p = run.model.p
    base = p.n_marketers + p.n_technologists + 2
    assert len(run.model.agents) == base + p.hybrid_hires
    for week, joined in enumerate(run.joined):
        hybrids = p.hybrid_hires if week >= p.hybrid_hires_start else 0
        assert joined == base + hybrids, f"week {week}"
        assert run.on_grid[week] == joined, f"week {week}: desks on the drawn plan"
        analysts = p.embedded_analysts if week >= p.embedded_analysts_start else 0
        assert run.embedded[week] == min(analysts, p.n_technologists), f"week {week}"
    staff = run.model.staff
    assert np.count_nonzero(staff.role == LEAD) == 2
    assert np.count_nonzero(staff.role == HYBRID) == p.hybrid_hires
    assert np.all(staff.department[staff.role == EMBEDDED] == IT)


@SETTINGS
@given(firm=firms())
def test_active_customers_never_negative(firm):
    run = simulate(firm)
    df = run.weekly
    active = df["active_customers"].to_numpy()
    assert (active >= 0).all()
    assert np.array_equal(active, np.round(active))
    assert active[0] == firm.params["n_customers"]
    assert active[-1] == run.model.customers.n_active
    # This week's base is last week's less those who left (churn is their share), plus newcomers.
    churn = df["churn"].to_numpy()[1:]
    stayed = np.round(active[:-1] * (1.0 - churn))
    assert (active[1:] >= stayed).all()


@SETTINGS
@given(firm=firms())
def test_shares_and_indices_stay_in_range(firm):
    df = simulate(firm).weekly
    for name in UNIT_SHARES:
        values = df[name].to_numpy()
        assert np.isfinite(values).all(), name
        assert ((values >= 0.0) & (values <= 1.0)).all(), (name, values.min(), values.max())
    cx = df["cx_index"].to_numpy()
    assert ((cx >= 0.0) & (cx <= 100.0)).all(), (cx.min(), cx.max())
    nps = df["nps"].to_numpy()
    assert ((nps >= -100.0) & (nps <= 100.0)).all(), (nps.min(), nps.max())


@SETTINGS
@given(firm=firms())
def test_money_adds_up(firm):
    run = simulate(firm)
    p, df = run.model.p, run.weekly
    history = list(run.model.accounts.history)
    assert len(history) == firm.weeks  # one ledger a week, none lost (weeks < the deque's 60)
    for week, ledger in enumerate(history, start=1):
        row = df.loc[week]
        lines = [
            ledger.cost_of_goods,
            ledger.overheads,
            ledger.salaries,
            ledger.it_run,
            ledger.saas,
            ledger.incidents,
            ledger.levers,
        ]
        assert min(lines) >= 0.0, (week, lines)
        assert np.isclose(row["costs"], sum(lines)), week
        assert row["revenue"] == ledger.revenue, week
        assert ledger.revenue == row["active_customers"] * row["revenue_per_customer"], week
        assert np.isclose(ledger.cost_of_goods, (1 - p.gross_margin) * ledger.revenue), week
        # Semi-fixed: the overheads at set-up times the trailing revenue's ratio to set-up's,
        # to the power of the elasticity of its direction.
        m = run.model
        window = [x.revenue for x in history[max(week - p.overhead_window, 0) : week]]
        ratio = np.mean(window) / m.start_revenue if m.start_revenue > 0 else 1.0
        elasticity = p.overhead_elasticity_up if ratio >= 1.0 else p.overhead_elasticity_down
        expected = m.overheads * ratio**elasticity if m.overheads > 0 else m.overheads
        assert np.isclose(ledger.overheads, expected), (week, ledger.overheads, expected)
        assert ledger.revenue - ledger.costs == ledger.profit, week
        if ledger.revenue > 0:
            assert np.isclose(row["margin"] * row["revenue"], row["revenue"] - row["costs"])
        # Salaries are the headcount's pay: staff, leaders at three times, hybrids at a premium.
        hybrids = p.hybrid_hires if week >= p.hybrid_hires_start else 0
        staff = p.n_marketers + p.n_technologists + hybrids
        pay = p.salary * (staff + 3 * 2 + p.hybrid_premium * hybrids)
        assert np.isclose(ledger.salaries, pay), week
        # The reported lever cost is the lever line of the ledger, the premium and the pay of
        # staff rotated away from their own department's work.
        premium = p.salary * p.hybrid_premium * hybrids
        rotated = p.salary * row["rotated_staff"]
        assert np.isclose(row["lever_cost"], ledger.levers + premium + rotated), week


@SETTINGS
@given(firm=firms())
def test_requests_delivered_never_exceed_requests_raised(firm):
    run = simulate(firm)
    df = run.weekly
    raised = df["requests_raised"].cumsum().to_numpy()
    delivered = df["requests_delivered"].cumsum().to_numpy()
    assert (delivered <= raised).all()
    assert (df["requests_late"] <= df["requests_delivered"]).all()
    # Every request raised is delivered, abandoned or still open.
    abandoned = df["requests_abandoned"].cumsum().to_numpy()
    assert np.array_equal(raised, delivered + abandoned + np.array(run.open_requests))
    if firm.params["delivery_stop_week"]:
        stop = firm.params["delivery_stop_week"]
        assert (df["requests_delivered"].to_numpy()[stop:] == 0).all()
