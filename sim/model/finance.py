"""Money: revenue from active customers, and every cost the firm and its levers incur
(docs/model.md: customers and money; docs/outputs.md).

The firm is more than its marketing and IT: revenue pays the cost of goods (``gross_margin``) and
the rest of the firm's fixed overheads, set at set-up so that the firm starts at
``operating_margin``. Revenue per customer rises with data maturity (personalisation), follows an
industry trend and the firm's own demand shock. Marketing's and IT's costs are salaries (leaders
cost three staff, hybrid hires carry a premium), IT's run cost (which grows with integration
debt), SaaS subscriptions bought around IT, incidents, and the levers themselves (training hours,
joint occasions, desk moves, the glossary, leaders' planning time), so that no lever is free.
Satisfaction and financial results are linked through customers staying and joining, and
revenue has other channels too, so across firms the two correlate only moderately
(Otto et al. 2019).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

# The working week, by which a salary becomes an hourly rate (training and occasion hours): a
# definition of the units, not a coefficient of a mechanism. Every cost coefficient is a field of
# Parameters (leader_salary_multiple, it_run_share, debt_cost, saas_subscription_cost,
# saas_life_weeks, incident_cost, desk_move_cost, glossary_cost, glossary_upkeep, occasion_cost,
# occasion_hours, planning_time_share).
HOURS_PER_WEEK = 40.0


@dataclass
class Ledger:
    """This week's money, by line, in currency units per week."""

    revenue: float = 0.0
    cost_of_goods: float = 0.0
    overheads: float = 0.0
    salaries: float = 0.0
    it_run: float = 0.0
    saas: float = 0.0
    incidents: float = 0.0
    levers: float = 0.0

    @property
    def costs(self) -> float:
        return (
            self.cost_of_goods
            + self.overheads
            + self.salaries
            + self.it_run
            + self.saas
            + self.incidents
            + self.levers
        )

    @property
    def profit(self) -> float:
        return self.revenue - self.costs


@dataclass
class Accounts:
    """Weekly ledgers kept long enough for year-over-year comparisons."""

    history: deque[Ledger] = field(default_factory=lambda: deque(maxlen=70))
    one_off: float = 0.0  # lever costs incurred this week outside the weekly rates

    @property
    def this_week(self) -> Ledger:
        return self.history[-1]

    def close(self, ledger: Ledger) -> None:
        ledger.levers += self.one_off
        self.one_off = 0.0
        self.history.append(ledger)

    def revenue_growth(self, window: int = 4) -> float:
        """Revenue of the last ``window`` weeks against the same weeks a year before, minus one;
        NaN until a year of history exists."""
        h = self.history
        if len(h) < 52 + window:
            return float("nan")
        now = sum(x.revenue for x in list(h)[-window:])
        before = sum(x.revenue for x in list(h)[-52 - window : -52])
        return now / before - 1.0 if before > 0 else float("nan")
