"""Weekly outcomes (docs/outputs.md): one named function per outcome, collected by Mesa's
DataCollector. Each takes the model and returns a plain float (DataCollector deep-copies values).

Flow outcomes (time to market, SaaS share) are over the trailing 13 weeks, so one quiet week does
not read as a collapse; counts (requests raised, delivered, late, reworked) are this week's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa

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
    "rotated_staff",
)


def empty_week() -> dict[str, float]:
    """This week's raw statistics before anything has happened."""
    return dict.fromkeys(WEEK_KEYS, 0.0)


def run_seed(m: Organisation) -> int:
    """The run's root seed (recorded so that a row of Mesa's batch_run can be re-run)."""
    return m.seed


def cx_index(m: Organisation) -> float:
    """CX index, 0-100: mean cumulative satisfaction of active customers."""
    return m.customer_summary["cx_index"]


def nps(m: Organisation) -> float:
    """Net promoter score, -100 to 100."""
    return m.customer_summary["nps"]


def active_customers(m: Organisation) -> float:
    """Active customers at the end of the week."""
    return float(m.customers.n_active)


def churn(m: Organisation) -> float:
    """Share of last week's active customers who left this week."""
    return m.week_stats["churn"]


def revenue(m: Organisation) -> float:
    """Revenue this week, currency units."""
    return m.accounts.this_week.revenue if m.accounts.history else 0.0


def revenue_per_customer(m: Organisation) -> float:
    """Revenue of one active customer this week: the base, lifted by data maturity, along the
    industry trend, times the firm's demand shock (currency units)."""
    return m.revenue_per_customer()


def costs(m: Organisation) -> float:
    """All costs this week: cost of goods, the rest of the firm's overheads, marketing's and IT's
    costs and the levers (currency units)."""
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
    """Requests marketing raised this week (both routes)."""
    return m.week_stats["requests_raised"]


def requests_delivered(m: Organisation) -> float:
    """Requests delivered this week (both routes)."""
    return m.week_stats["requests_delivered"]


def requests_late(m: Organisation) -> float:
    """Requests delivered this week after their due week."""
    return m.week_stats["requests_late"]


def requests_reworked(m: Organisation) -> float:
    """Finished results sent back this week because they missed what was meant."""
    return m.week_stats["requests_reworked"]


def requests_promised(m: Organisation) -> float:
    """Requests whose date marketing committed this week without IT's agreement."""
    return m.week_stats["requests_promised"]


def requests_abandoned(m: Organisation) -> float:
    """Requests marketing gave up on this week after waiting too long for IT (unmet)."""
    return m.week_stats["requests_abandoned"]


def _median(weeks: list[int]) -> float:
    """The median of whole weeks, as ``np.median`` gives it (the mean of the two middle values
    of an even count), without building an array: three of these run every week."""
    if not weeks:
        return float("nan")
    ordered = sorted(weeks)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2.0


def time_to_market(m: Organisation) -> float:
    """Median weeks from request to delivery over the trailing 13 weeks (NaN if none)."""
    return _median([t for _, t, _ in m.recent_deliveries])


def _median_ttm(m: Organisation, route: str) -> float:
    return _median([t for _, t, r in m.recent_deliveries if r == route])


def time_to_market_it(m: Organisation) -> float:
    """Median weeks from request to delivery of the requests IT delivered over the trailing 13
    weeks (NaN if none): the overall median mixes in SaaS's fixed two-week lead."""
    return _median_ttm(m, "it")


def time_to_market_saas(m: Organisation) -> float:
    """Median weeks from request to go-live of the SaaS tools bought around IT over the trailing
    13 weeks (NaN if none)."""
    return _median_ttm(m, "saas")


def saas_share(m: Organisation) -> float:
    """Share of the trailing 13 weeks' requests bought as SaaS around IT."""
    routes = [r for _, r in m.recent_routes]
    return sum(r == "saas" for r in routes) / len(routes) if routes else 0.0


def tech_spend_outside_it(m: Organisation) -> float:
    """SaaS subscriptions as a share of all technology spend this week."""
    return m.week_stats["tech_spend_outside_it"]


def integration_debt(m: Organisation) -> float:
    """Integration debt: units of unintegrated SaaS work IT has yet to absorb."""
    return m.data_flow.debt


def data_maturity(m: Organisation) -> float:
    """Data maturity, 0-1: how consistently customer data serves every touchpoint."""
    return m.data_flow.maturity


def cross_trust(m: Organisation) -> float:
    """Mean of marketing's trust in IT and IT's trust in marketing, 0-1."""
    return m.cross_trust


def trust_marketing_in_it(m: Organisation) -> float:
    """Marketing's trust in IT, 0-1 (Beta reputation)."""
    return m.trust_marketing_in_it.value


def trust_it_in_marketing(m: Organisation) -> float:
    """IT's trust in marketing, 0-1 (Beta reputation)."""
    return m.trust_it_in_marketing.value


def cross_contact_share(m: Organisation) -> float:
    """Share of this week's contacts (work and social) that crossed departments."""
    total = m.week_stats["contacts"]
    return m.week_stats["cross_contacts"] / total if total else 0.0


def cross_contacts(m: Organisation) -> float:
    """Cross-department contacts this week (work and social)."""
    return m.week_stats["cross_contacts"]


def contacts(m: Organisation) -> float:
    """All contacts this week (work and social)."""
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


def rotated_staff(m: Organisation) -> float:
    """Marketers and technologists working in the other department this week (role rotation;
    the leaders aside)."""
    return m.week_stats["rotated_staff"]


def roadmap_agreed(m: Organisation) -> float:
    """1 in a week when a roadmap the CMO and CIO agreed at a meeting holds, else 0 (its mean
    over a run is the share of weeks the leaders worked to an agreed plan)."""
    return float(m.roadmap_agreed)


def incidents(m: Organisation) -> float:
    """Incidents this week."""
    return m.week_stats["incidents"]


@dataclass(frozen=True)
class Outcome:
    """What one weekly outcome is: its reporter, a label for figures, its unit, and the values it
    can take (None: unbounded). Its meaning is the reporter's docstring, so the model, the
    report, the browser pages, the Parquet schema and docs/outputs.md share one definition."""

    name: str
    reporter: Callable[[Organisation], float]
    label: str
    unit: str
    bounds: tuple[float | None, float | None] = (None, None)

    @property
    def meaning(self) -> str:
        doc = (self.reporter.__doc__ or "").strip()
        return " ".join(doc.split("\n\n")[0].split())


SHARE = (0.0, 1.0)
COUNT = (0.0, None)
# A t-interval of a mean from few replications can reach past an outcome's bounds (a share's band
# below 0); figures clip bands there, which keeps their coverage, since the true mean lies inside.
TABLE = (
    Outcome("cx_index", cx_index, "CX index", "index points, 0-100", (0.0, 100.0)),
    Outcome("nps", nps, "NPS", "points, -100 to 100", (-100.0, 100.0)),
    Outcome("active_customers", active_customers, "active customers", "customers", COUNT),
    Outcome("churn", churn, "churn", "share/week", SHARE),
    Outcome("revenue", revenue, "revenue", "currency/week", COUNT),
    Outcome(
        "revenue_per_customer", revenue_per_customer, "revenue per customer", "currency/week", COUNT
    ),
    Outcome("costs", costs, "costs", "currency/week", COUNT),
    Outcome("margin", margin, "operating margin", "share of revenue"),
    Outcome("revenue_growth", revenue_growth, "revenue growth", "share/year"),
    Outcome("lever_cost", lever_cost, "lever cost", "currency/week", COUNT),
    Outcome("requests_raised", requests_raised, "requests raised", "requests/week", COUNT),
    Outcome("requests_delivered", requests_delivered, "requests delivered", "requests/week", COUNT),
    Outcome("requests_late", requests_late, "requests late", "requests/week", COUNT),
    Outcome("requests_reworked", requests_reworked, "requests reworked", "requests/week", COUNT),
    Outcome("requests_promised", requests_promised, "promised without IT", "requests/week", COUNT),
    Outcome("requests_abandoned", requests_abandoned, "requests abandoned", "requests/week", COUNT),
    Outcome("time_to_market", time_to_market, "time to market", "weeks", COUNT),
    Outcome("time_to_market_it", time_to_market_it, "time to market through IT", "weeks", COUNT),
    Outcome(
        "time_to_market_saas", time_to_market_saas, "time to market through SaaS", "weeks", COUNT
    ),
    Outcome("saas_share", saas_share, "SaaS share of requests", "share", SHARE),
    Outcome(
        "tech_spend_outside_it", tech_spend_outside_it, "tech spend outside IT", "share", SHARE
    ),
    Outcome("integration_debt", integration_debt, "integration debt", "units", COUNT),
    Outcome("data_maturity", data_maturity, "data maturity", "0-1", SHARE),
    Outcome("cross_trust", cross_trust, "cross-department trust", "0-1", SHARE),
    Outcome(
        "trust_marketing_in_it", trust_marketing_in_it, "marketing's trust in IT", "0-1", SHARE
    ),
    Outcome(
        "trust_it_in_marketing", trust_it_in_marketing, "IT's trust in marketing", "0-1", SHARE
    ),
    Outcome(
        "cross_contact_share", cross_contact_share, "cross-department contacts", "share", SHARE
    ),
    Outcome("cross_contacts", cross_contacts, "cross contacts", "contacts/week", COUNT),
    Outcome("contacts", contacts, "contacts", "contacts/week", COUNT),
    Outcome("cross_ties", cross_ties, "ties across departments", "ties", COUNT),
    Outcome("mean_fluency", mean_fluency, "mean fluency", "0-1", SHARE),
    Outcome("it_priority", it_priority, "IT priority for marketing", "share of IT effort", SHARE),
    Outcome("rotated_staff", rotated_staff, "staff rotated", "people", COUNT),
    Outcome("roadmap_agreed", roadmap_agreed, "agreed roadmap in force", "0 or 1", SHARE),
    Outcome("incidents", incidents, "incidents", "incidents/week", COUNT),
)
OUTCOME = {o.name: o for o in TABLE}
MODEL_REPORTERS = {o.name: o.reporter for o in TABLE}


class OutcomeCollector(mesa.DataCollector):
    """Mesa's DataCollector for the model reporters of this module, which return plain floats:
    after Mesa's own first collection (which validates the reporters) it appends each value
    without Mesa's deep copy, a third of the collector's cost (issue 14). The stored values, and
    ``model_vars`` and ``get_model_vars_dataframe`` that the browser and the runs read, are
    Mesa's."""

    def __init__(self, model_reporters: dict[str, Callable[[Organisation], float]]) -> None:
        super().__init__(model_reporters=model_reporters)
        self._first = True
        self._columns = [(self.model_vars[name], f) for name, f in model_reporters.items()]

    def collect(self, model: Organisation) -> None:
        if self._first:
            super().collect(model)
            self._first = False
            return
        for column, reporter in self._columns:
            column.append(reporter(model))


OUTCOMES = tuple(MODEL_REPORTERS)
BOUNDS = {o.name: o.bounds for o in TABLE}


def label(name: str) -> str:
    """A figure's title for an outcome: its label and unit (the name itself if unknown)."""
    o = OUTCOME.get(name)
    return f"{o.label} ({o.unit})" if o else name
