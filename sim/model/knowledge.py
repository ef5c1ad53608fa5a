"""Fluency in the other department's language, and the shared glossary (docs/model.md: trust and
fluency).

Fluency is a slow variable: it grows with cross-department work contact and with cross-training,
with diminishing returns (absorptive capacity: what one already knows limits what one can take in
next, Cohen and Levinthal 1990, here the factor ``1 - fluency``), and fades slowly when unused.
Shared domain knowledge is what drives long-term alignment (Reich and Benbasat 2000).
"""

from __future__ import annotations

import numpy as np

WEEKS_PER_MONTH = 52.0 / 12.0


def learn(
    fluency: np.ndarray,
    cross_contacts: np.ndarray,
    training_hours_per_month: float,
    contact_gain: float,
    training_gain: float,
    decay: float,
) -> np.ndarray:
    """Next week's fluency.

    Args:
        fluency: current fluency per person, in [0, 1].
        cross_contacts: cross-department work contacts per person this week (social encounters
            count in proportion to their weight).
        training_hours_per_month: cross-training hours per person per month.
        contact_gain: fluency learned per cross contact, at zero fluency.
        training_gain: fluency learned per training hour, at zero fluency.
        decay: weekly forgetting.
    """
    hours = training_hours_per_month / WEEKS_PER_MONTH
    # Each contact and each hour closes a share of the remaining gap, so returns diminish.
    keep = (1.0 - contact_gain) ** cross_contacts * (1.0 - training_gain) ** hours
    grown = 1.0 - (1.0 - fluency) * keep
    return np.clip(grown * (1.0 - decay), 0.0, 1.0)


def effective_fluency(fluency: np.ndarray | float, glossary: bool, floor: float) -> np.ndarray:
    """Fluency as used in a conversation: a shared glossary guarantees a floor, since the worst
    misunderstandings ("DR": direct response or disaster recovery?) are settled in writing."""
    return np.maximum(fluency, floor) if glossary else np.asarray(fluency)
