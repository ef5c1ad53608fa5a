"""Customer data flow: data maturity and integration debt (docs/model.md: work).

Data maturity in [0, 1] stands for gathering interaction data from every channel, turning it into
insight, passing it to staff and serving it consistently at every touchpoint (Forrester, "Mastering
Customer Data"). Integrated IT work raises it; each SaaS tool bought around IT is a silo that lowers
it and adds integration debt, which IT's own (non-marketing) work pays down slowly.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.model.parameters import DEFAULTS, Parameters


def silo_weight(p: Parameters, policy: str) -> float:
    """Size of one silo's damage under SaaS ``policy``: 1 by definition for a tool bought against
    the rules ("forbid") or with no rules ("laissez-faire"); guidelines require export APIs and a
    data standard, so a tool bought under them weighs ``guidelines_silo_weight``."""
    return p.guidelines_silo_weight if policy == "guidelines" else 1.0


def violation_share(p: Parameters, policy: str) -> float:
    """Share of SaaS purchases that break the company's standards under ``policy``: under
    "forbid" any purchase does, and with no guidelines nobody knows the standards (1 for both);
    guidelines make most purchases compliant (``guidelines_violation_share``)."""
    return p.guidelines_violation_share if policy == "guidelines" else 1.0


@dataclass
class DataFlow:
    """The firm's data maturity and integration debt, and the coefficients that move them
    (``integrated_gain``, ``silo_loss``, ``debt_drag``, ``debt_paydown``; the defaults when not
    given)."""

    maturity: float  # 0-1; starts at Parameters.start_maturity
    debt: float  # units of integration debt; starts at Parameters.start_debt
    integrated_gain: float = DEFAULTS.integrated_gain
    silo_loss: float = DEFAULTS.silo_loss
    debt_drag: float = DEFAULTS.debt_drag
    debt_paydown: float = DEFAULTS.debt_paydown

    def integrate(self, quality: float) -> None:
        """An integrated delivery feeds the shared customer data."""
        self.maturity += self.integrated_gain * quality * (1.0 - self.maturity)

    def silo(self, weight: float) -> None:
        """A SaaS tool bought around IT: one more silo, one more thing to integrate later."""
        self.maturity -= self.silo_loss * weight * self.maturity
        self.debt += weight

    def week(self, reliability_share: float) -> None:
        """Weekly drag of debt on maturity, and paydown by IT's own work."""
        self.maturity -= self.debt_drag * self.debt * self.maturity
        self.debt -= self.debt_paydown * reliability_share * self.debt
        self.maturity = min(max(self.maturity, 0.0), 1.0)
