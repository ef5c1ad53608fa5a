"""Weekly outcomes (docs/outputs.md): one named function per outcome, collected by Mesa's
DataCollector. Each takes the model and returns a plain float (DataCollector deep-copies values).

Flow outcomes (time to market, SaaS share) are over the trailing 13 weeks, so one quiet week does
not read as a collapse; counts (requests raised, delivered, late, reworked) are this week's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model.model import Organisation

WEEK_KEYS = (
    "contacts",
    "cross_contacts",
    "social_contacts",
    "remote_people",
    "requests_raised",
    "requests_delivered",
    "requests_late",
    "requests_reworked",
    "requests_promised",
    "requests_abandoned",
    "it_priority",
    "churned",
    "churn",
    "incidents",
    "experience_level",
    "lever_cost",
    "tech_spend_outside_it",
)


def empty_week() -> dict[str, float]:
    """This week's raw statistics before anything has happened."""
    return dict.fromkeys(WEEK_KEYS, 0.0)


def cx_index(m: Organisation) -> float:
    """CX index, 0-100: mean cumulative satisfaction of active customers."""
    return m.customer_summary["cx_index"]


def nps(m: Organisation) -> float:
    """Net promoter score, -100 to 100."""
    return m.customer_summary["nps"]


def active_customers(m: Organisation) -> float:
    return float(m.customers.n_active)


def churn(m: Organisation) -> float:
    """Share of last week's active customers who left this week."""
    return m.week_stats["churn"]


def revenue(m: Organisation) -> float:
    """Revenue this week, currency units."""
    return m.accounts.this_week.revenue if m.accounts.history else 0.0


def costs(m: Organisation) -> float:
    """All costs this week, levers included, currency units."""
    return m.accounts.this_week.costs if m.accounts.history else 0.0


def margin(m: Organisation) -> float:
    """Profit over revenue this week (NaN without revenue)."""
    if not m.accounts.history or m.accounts.this_week.revenue <= 0:
        return float("nan")
    return m.accounts.this_week.profit / m.accounts.this_week.revenue


def revenue_growth(m: Organisation) -> float:
    """Year-over-year revenue growth of the last four weeks (NaN in the first year)."""
    return m.accounts.revenue_growth()


def lever_cost(m: Organisation) -> float:
    """What the levers cost this week: hybrid premium, training hours, occasions, moves, glossary,
    planning time."""
    return m.week_stats["lever_cost"]


def requests_raised(m: Organisation) -> float:
    return m.week_stats["requests_raised"]


def requests_delivered(m: Organisation) -> float:
    return m.week_stats["requests_delivered"]


def requests_late(m: Organisation) -> float:
    return m.week_stats["requests_late"]


def requests_reworked(m: Organisation) -> float:
    return m.week_stats["requests_reworked"]


def requests_promised(m: Organisation) -> float:
    """Requests whose date marketing committed this week without IT's agreement."""
    return m.week_stats["requests_promised"]


def requests_abandoned(m: Organisation) -> float:
    """Requests marketing gave up on this week after waiting too long for IT (unmet)."""
    return m.week_stats["requests_abandoned"]


def time_to_market(m: Organisation) -> float:
    """Median weeks from request to delivery over the trailing 13 weeks (NaN if none)."""
    ttm = [t for _, t, _ in m.recent_deliveries]
    return float(np.median(ttm)) if ttm else float("nan")


def saas_share(m: Organisation) -> float:
    """Share of the trailing 13 weeks' requests bought as SaaS around IT."""
    routes = [r for _, r in m.recent_routes]
    return sum(r == "saas" for r in routes) / len(routes) if routes else 0.0


def tech_spend_outside_it(m: Organisation) -> float:
    """SaaS subscriptions as a share of all technology spend this week."""
    return m.week_stats["tech_spend_outside_it"]


def integration_debt(m: Organisation) -> float:
    return m.data_flow.debt


def data_maturity(m: Organisation) -> float:
    return m.data_flow.maturity


def cross_trust(m: Organisation) -> float:
    """Mean of marketing's trust in IT and IT's trust in marketing, 0-1."""
    return m.cross_trust


def trust_marketing_in_it(m: Organisation) -> float:
    return m.trust_marketing_in_it.value


def trust_it_in_marketing(m: Organisation) -> float:
    return m.trust_it_in_marketing.value


def cross_contact_share(m: Organisation) -> float:
    """Share of this week's contacts (work and social) that crossed departments."""
    total = m.week_stats["contacts"]
    return m.week_stats["cross_contacts"] / total if total else 0.0


def cross_contacts(m: Organisation) -> float:
    return m.week_stats["cross_contacts"]


def contacts(m: Organisation) -> float:
    return m.week_stats["contacts"]


def cross_ties(m: Organisation) -> float:
    """Number of ties between a marketer and a technologist."""
    return float(m.network.cross_tie_count())


def mean_fluency(m: Organisation) -> float:
    """Mean fluency of joined staff in the other department's language."""
    return float(m.staff.fluency[m.staff.joined].mean())


def it_priority(m: Organisation) -> float:
    """Share of IT effort given to marketing's requests this week."""
    return m.week_stats["it_priority"]


def incidents(m: Organisation) -> float:
    return m.week_stats["incidents"]


MODEL_REPORTERS = {
    f.__name__: f
    for f in (
        cx_index,
        nps,
        active_customers,
        churn,
        revenue,
        costs,
        margin,
        revenue_growth,
        lever_cost,
        requests_raised,
        requests_delivered,
        requests_late,
        requests_reworked,
        requests_promised,
        requests_abandoned,
        time_to_market,
        saas_share,
        tech_spend_outside_it,
        integration_debt,
        data_maturity,
        cross_trust,
        trust_marketing_in_it,
        trust_it_in_marketing,
        cross_contact_share,
        cross_contacts,
        contacts,
        cross_ties,
        mean_fluency,
        it_priority,
        incidents,
    )
}
OUTCOMES = tuple(MODEL_REPORTERS)

_SHARES = (
    "churn",
    "saas_share",
    "tech_spend_outside_it",
    "data_maturity",
    "cross_trust",
    "trust_marketing_in_it",
    "trust_it_in_marketing",
    "cross_contact_share",
    "mean_fluency",
    "it_priority",
)
_COUNTS_AND_AMOUNTS = (
    "active_customers",
    "revenue",
    "costs",
    "lever_cost",
    "requests_raised",
    "requests_delivered",
    "requests_late",
    "requests_reworked",
    "requests_promised",
    "requests_abandoned",
    "time_to_market",
    "integration_debt",
    "cross_contacts",
    "contacts",
    "cross_ties",
    "incidents",
)
# The values an outcome can take (None: unbounded). A t-interval of a mean from few replications
# can reach past them (a share's band below 0); the plots clip bands here, which keeps their
# coverage, since the true mean lies inside the bounds.
BOUNDS: dict[str, tuple[float | None, float | None]] = {
    "cx_index": (0.0, 100.0),
    "nps": (-100.0, 100.0),
    **{name: (0.0, 1.0) for name in _SHARES},
    **{name: (0.0, None) for name in _COUNTS_AND_AMOUNTS},
}
