"""What each person experienced, over a trailing window: the raw material of the survey
(docs/survey.md).

Respondents answer from what they lived through in the trailing 52 weeks (:data:`WINDOW`); one
question (has the relationship improved?) compares that year with the year before, so the ledger
remembers :data:`MEMORY` = 104 weeks. It keeps, per person and per event type, a ring buffer of
weekly counts, so a trailing sum costs one vectorised reduction and memory stays bounded. Leaders
see their whole department: the CMO's row counts every marketing event and the CIO's row every
event that reached IT or broke its standards.

The ledger is write-only for the model: nothing the firm does reads it back, so recording an event
never changes a simulated outcome.
"""

from __future__ import annotations

import numpy as np

EVENTS = (
    "raised",  # requests this person raised (either route)
    "routed_saas",  # requests bought as SaaS around IT (IT learns of every purchase)
    "promised_without_it",  # dates committed without IT's agreement
    "late",  # requests delivered after their due date
    "reworked",  # results sent back because they missed what was meant (per rework)
    "broken_promise",  # promised dates that were missed
    "violation",  # technology used without regard to the company's standards
    "delivered",  # requests delivered (either route)
    "unmet",  # requests abandoned after waiting too long for IT
    "unintegrated_use",  # each week: own unintegrated SaaS tools still in use (data silos)
    "contacts_cross",  # cross-department work contacts
    "contacts",  # all work contacts
    # -- one count per request, at the moment the outcome is known (survey v2) --
    "raised_it",  # a request routed to IT
    "delivered_it",  # an IT request delivered
    "saas_live",  # a SaaS tool bought around IT goes live
    "underdelivered",  # an IT request closed late, after rework, or abandoned
    "unclear_requirements",  # an IT request delivered after rework: its clarity draw failed
    "it_friction",  # an IT request closed that was reworked or promised without IT
    "delivered_working",  # an IT delivery that does what was meant (not delivered missing it)
    "it_started",  # IT starts work on a request
    "not_started_in_time",  # IT started it after work.START_WAIT_WEEKS, or never (abandoned)
    "joint_decision",  # raised under a roadmap the leaders agreed, routed to IT by agreement
    "handled_together",  # an IT request planned jointly or specified with an embedded analyst
    "good_interaction",  # leaders only: a dealing with the other department that went well
    "bad_interaction",  # leaders only: one that went badly
    "incidents",  # leaders only: production incidents this week
    "leader_meeting",  # leaders only: a meeting of the CMO and the CIO
    "roadmap_agreed",  # leaders only: a meeting at which they agreed the roadmap
)
EVENT = {name: k for k, name in enumerate(EVENTS)}
N_EVENTS = len(EVENTS)
WINDOW = 52  # the survey's trailing year
MEMORY = 2 * WINDOW  # the trailing year and the year before it


class ExperienceLedger:
    """Per-person weekly event counts over the last :data:`MEMORY` weeks."""

    def __init__(self, n_staff: int, window: int = MEMORY) -> None:
        self.window = window
        self.n_staff = n_staff
        # Stored week-major, (window, people, events), so a week's slot is one contiguous block
        # to clear and to add to; :attr:`counts` shows it as (people, events, window).
        self._store = np.zeros((window, n_staff, len(EVENTS)), dtype=np.float64)
        self.slot = 0
        # This week's events, kept as Python lists (and arrays) and counted in one pass when the
        # counts are next read: a week records about 80 events, and one np.add.at per event cost
        # more than the rest of the ledger (issue 14). Most events count 1 for each person: their
        # cells go to ``_unit`` (or ``_unit_arrays``) and are counted without weights. Every
        # amount is a whole number, so the sums are exact in any order.
        self._unit: list[int] = []
        self._unit_arrays: list[np.ndarray] = []
        self._cells: list[int] = []
        self._amounts: list[float] = []

    @property
    def counts(self) -> np.ndarray:
        """Per-person, per-event, per-slot counts, shape (people, events, window) (a view)."""
        self._flush()
        return self._store.transpose(1, 2, 0)

    def _flush(self) -> None:
        if not (self._unit or self._unit_arrays or self._cells):
            return
        # cell = person * n_events + event: one bincount over this week's (person, event) pairs.
        n_events = len(EVENTS)
        size = self.n_staff * n_events
        unit = np.concatenate([np.asarray(self._unit, dtype=np.int64), *self._unit_arrays])
        cells = np.asarray(self._cells, dtype=np.int64)
        both = np.concatenate([unit, cells])
        if both.size and (both.min() < 0 or both.max() >= size):
            raise IndexError(f"an event names a person outside the staff of {self.n_staff}")
        week = np.bincount(unit, minlength=size).astype(np.float64)
        if cells.size:
            week += np.bincount(cells, weights=self._amounts, minlength=size)
        self._store[self.slot] += week.reshape(self.n_staff, n_events)
        self._unit.clear()
        self._unit_arrays.clear()
        self._cells.clear()
        self._amounts.clear()

    def new_week(self, week: int) -> None:
        """Open this week's slot, forgetting what happened ``window`` weeks ago."""
        self._flush()
        self.slot = week % self.window
        self._store[self.slot] = 0.0

    def add(
        self, event: str, people: np.ndarray | list[int] | int, amount: float | np.ndarray = 1.0
    ) -> None:
        """Count ``amount`` of ``event`` for each of ``people`` this week (repeats add up)."""
        k = EVENT[event]
        if type(people) is list and type(amount) is float and amount == 1.0:
            # The common case (a request's requester and leaders), first and cheapest.
            self._unit.extend([i * N_EVENTS + k for i in people])
            return
        unit = not isinstance(amount, np.ndarray) and amount == 1.0
        if isinstance(people, np.ndarray):
            cells = people.astype(np.int64, copy=False).ravel() * N_EVENTS + k
            if unit:
                self._unit_arrays.append(cells)
                return
            cell_list = cells.tolist()
        elif isinstance(people, list):
            cell_list = [i * N_EVENTS + k for i in people]
        else:
            cell_list = [int(people) * N_EVENTS + k]
        if unit:
            self._unit.extend(cell_list)
            return
        self._cells.extend(cell_list)
        if isinstance(amount, np.ndarray):
            self._amounts.extend(np.broadcast_to(amount, (len(cell_list),)).tolist())
        else:
            self._amounts.extend([float(amount)] * len(cell_list))

    def weekly(self, event: str, weeks: int = WINDOW, skip: int = 0) -> np.ndarray:
        """Per-person weekly counts of ``event``, shape (people, weeks): the ``weeks`` weeks
        before the last ``skip`` ones, newest first (``skip=WINDOW`` gives the year before), at
        most as many as the ledger remembers."""
        if not 0 <= skip < self.window:
            raise ValueError(f"the ledger remembers {self.window} weeks; cannot skip {skip}")
        weeks = max(min(weeks, self.window - skip), 0)
        slots = [(self.slot - skip - k) % self.window for k in range(weeks)]
        self._flush()
        return self._store[slots, :, EVENT[event]].T

    def trailing(self, event: str, weeks: int = WINDOW, skip: int = 0) -> np.ndarray:
        """Per-person total of ``event`` over the last ``weeks`` weeks (default: the survey's
        year), or over the ``weeks`` before the last ``skip``."""
        return self.weekly(event, weeks, skip).sum(axis=1)
