"""Trust as a Beta reputation with asymmetric, fading evidence (docs/model.md: trust and fluency).

``trust = (r + 1) / (r + s + 2)``; each week old evidence fades, ``r <- g r`` and ``s <- g s``; a
success adds 1 to r and a failure adds k to s, with k between 1.5 and 3 because failures weigh more
than successes (Slovic 1993, the asymmetry principle; loss aversion of about 2.25, Tversky and
Kahneman 1992). Josang and Ismail (2002) give the Beta reputation system.
"""

from __future__ import annotations

import numpy as np

from sim.model.parameters import DEFAULTS


def trust(r: np.ndarray | float, s: np.ndarray | float) -> np.ndarray | float:
    """Expected trustworthiness in [0, 1] from success and failure evidence."""
    return (r + 1.0) / (r + s + 2.0)


class DepartmentTrust:
    """Trust of one department in the other (direction matters: marketing's trust in IT is not IT's
    trust in marketing).

    Args:
        memory: weekly fade g of old evidence, in (0, 1].
        failure_weight: weight k of a failure, in successes.
        r0, s0: prior evidence (``trust_prior_successes``, ``trust_prior_failures``); the
            default prior of a traditional firm leans to distrust.
    """

    def __init__(
        self,
        memory: float,
        failure_weight: float,
        r0: float = DEFAULTS.trust_prior_successes,
        s0: float = DEFAULTS.trust_prior_failures,
    ) -> None:
        self.memory = memory
        self.failure_weight = failure_weight
        self.r = r0
        self.s = s0

    @property
    def value(self) -> float:
        return float(trust(self.r, self.s))

    def fade(self) -> None:
        self.r *= self.memory
        self.s *= self.memory

    def record(self, successes: float, failures: float) -> None:
        self.r += successes
        self.s += self.failure_weight * failures
