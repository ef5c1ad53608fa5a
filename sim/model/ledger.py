"""What each person experienced, over a trailing window: the raw material of the survey
(docs/survey.md).

Respondents answer from what they lived through in the trailing 52 weeks. The ledger keeps, per
person and per event type, a ring buffer of weekly counts, so a trailing sum costs one vectorised
reduction. Leaders see their whole department: the CMO's row counts every marketing event and the
CIO's row every event that reached IT or broke its standards.
"""

from __future__ import annotations

import numpy as np

EVENTS = (
    "raised",  # requests this person raised
    "routed_saas",  # requests bought as SaaS around IT
    "promised_without_it",  # dates committed without IT's agreement
    "late",  # requests delivered after their due date
    "reworked",  # requests sent back because the result missed what was meant
    "broken_promise",  # promised dates that were missed
    "violation",  # technology used without regard to the company's standards
    "delivered",  # requests delivered (either route)
    "unmet",  # requests abandoned after waiting too long for IT
    "unintegrated_use",  # weeks of work with unintegrated SaaS tools (data silos)
    "contacts_cross",  # cross-department work contacts
    "contacts",  # all work contacts
)
EVENT = {name: k for k, name in enumerate(EVENTS)}
WINDOW = 52


class ExperienceLedger:
    """Per-person weekly event counts over a trailing window of :data:`WINDOW` weeks."""

    def __init__(self, n_staff: int, window: int = WINDOW) -> None:
        self.window = window
        self.counts = np.zeros((n_staff, len(EVENTS), window), dtype=np.float64)
        self.slot = 0

    def new_week(self, week: int) -> None:
        """Open this week's slot, forgetting what happened ``window`` weeks ago."""
        self.slot = week % self.window
        self.counts[:, :, self.slot] = 0.0

    def add(
        self, event: str, people: np.ndarray | list[int] | int, amount: float | np.ndarray = 1.0
    ) -> None:
        """Count ``amount`` of ``event`` for each of ``people`` this week (repeats add up)."""
        idx = np.atleast_1d(np.asarray(people, dtype=np.int64))
        np.add.at(self.counts[:, EVENT[event], self.slot], idx, amount)

    def trailing(self, event: str, weeks: int | None = None) -> np.ndarray:
        """Per-person total of ``event`` over the last ``weeks`` weeks (default: the window)."""
        weeks = self.window if weeks is None else min(weeks, self.window)
        slots = [(self.slot - k) % self.window for k in range(weeks)]
        return self.counts[:, EVENT[event], :][:, slots].sum(axis=1)
