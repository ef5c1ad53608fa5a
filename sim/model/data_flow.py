"""Customer data flow: data maturity and integration debt (docs/model.md: work).

Data maturity in [0, 1] stands for gathering interaction data from every channel, turning it into
insight, passing it to staff and serving it consistently at every touchpoint (Forrester, "Mastering
Customer Data"). Integrated IT work raises it; each SaaS tool bought around IT is a silo that lowers
it and adds integration debt, which IT's own (non-marketing) work pays down slowly.
"""

from __future__ import annotations

from dataclasses import dataclass

# Size of one silo's damage by SaaS policy: guidelines require export APIs and a data standard.
SILO_WEIGHT = {"forbid": 1.0, "guidelines": 0.4, "laissez-faire": 1.0}
# Share of SaaS purchases that break the company's standards: under "forbid" any purchase does;
# with no guidelines nobody knows the standards; guidelines make most purchases compliant.
VIOLATION_SHARE = {"forbid": 1.0, "guidelines": 0.3, "laissez-faire": 1.0}

INTEGRATED_GAIN = 0.012  # maturity gained per integrated delivery of quality 1, scaled by (1 - m)
SILO_LOSS = 0.010  # maturity lost per silo of weight 1, scaled by m
DEBT_DRAG = 0.0001  # weekly maturity loss per unit of integration debt, scaled by m
PAYDOWN = 0.04  # share of debt that IT's own work pays down per week at full share


@dataclass
class DataFlow:
    """The firm's data maturity and integration debt."""

    maturity: float  # 0-1; starts at Parameters.start_maturity
    debt: float  # units of integration debt; starts at Parameters.start_debt

    def integrate(self, quality: float) -> None:
        """An integrated delivery feeds the shared customer data."""
        self.maturity += INTEGRATED_GAIN * quality * (1.0 - self.maturity)

    def silo(self, weight: float) -> None:
        """A SaaS tool bought around IT: one more silo, one more thing to integrate later."""
        self.maturity -= SILO_LOSS * weight * self.maturity
        self.debt += weight

    def week(self, reliability_share: float) -> None:
        """Weekly drag of debt on maturity, and paydown by IT's own work."""
        self.maturity -= DEBT_DRAG * self.debt * self.maturity
        self.debt -= PAYDOWN * reliability_share * self.debt
        self.maturity = min(max(self.maturity, 0.0), 1.0)
