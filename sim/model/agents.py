"""Staff: marketers, technologists, hybrid hires, embedded analysts, the CMO and the CIO.

Each employee is a Mesa ``CellAgent`` sitting on a desk cell of the office grid. Their numeric
state (technology skill, fluency, KPI mix, capacity) lives in one :class:`StaffTable` of NumPy
arrays, indexed by ``agent.index``, so that weekly learning and contact sampling are vectorised;
the agent's properties read that table. docs/model.md: staff.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from mesa.discrete_space import CellAgent

from sim.model.knowledge import WEEKS_PER_MONTH
from sim.model.parameters import DEFAULTS, KPI_WEIGHTS, Parameters

if TYPE_CHECKING:
    from sim.model.model import Organisation

MARKETING, IT = 0, 1
DEPARTMENTS = ("marketing", "IT")

STAFF, LEAD, HYBRID, EMBEDDED = 0, 1, 2, 3
ROLES = ("staff", "lead", "hybrid", "embedded analyst")

# KPI mix columns: what each department's metrics reward.
SPEED, RELIABILITY, COST, CX = 0, 1, 2, 3
KPI_NAMES = KPI_WEIGHTS
# Marketers are judged on speed and leads; technologists on reliability, standards and cost
# (Accenture, The CMO-CIO Disconnect; Forrester 2016): their mixes are the parameters
# marketing_kpi_<name> and it_kpi_<name>. Shared metrics blend both towards CX, which is what a
# shared metric is (its definition, not a coefficient).
SHARED_KPI = np.array([0.0, 0.0, 0.0, 1.0])


def department_kpis(p: Parameters = DEFAULTS) -> tuple[np.ndarray, np.ndarray]:
    """Marketing's and IT's own KPI mixes (weights on speed, reliability, cost and CX, each
    summing to 1)."""
    marketing = np.array([getattr(p, f"marketing_kpi_{name}") for name in KPI_NAMES])
    it = np.array([getattr(p, f"it_kpi_{name}") for name in KPI_NAMES])
    return marketing, it


def kpi_mix(department: np.ndarray, shared_metrics: float, p: Parameters = DEFAULTS) -> np.ndarray:
    """KPI weights (n x 4, rows sum to 1) of staff in ``department`` under ``shared_metrics``."""
    marketing, it = department_kpis(p)
    own = np.where((department == MARKETING)[:, None], marketing, it)
    return (1.0 - shared_metrics) * own + shared_metrics * SHARED_KPI


class StaffTable:
    """Vectorised attributes of everyone who works (or will work) for the firm.

    Rows are allocated for every employee the run will ever have, including hybrid hires who join
    later; ``present`` marks who has joined.

    Attributes:
        department: MARKETING or IT.
        role: STAFF, LEAD, HYBRID or EMBEDDED.
        tech_skill: technology skill, in [0, 1].
        fluency: fluency in the other department's language, in [0, 1].
        capacity: share of a full working week available for the work, in [0, 1].
        joined: whether the person has joined the firm.
    """

    def __init__(self, n: int) -> None:
        self.department = np.zeros(n, dtype=np.int64)
        self.role = np.zeros(n, dtype=np.int64)
        self.tech_skill = np.zeros(n)
        self.fluency = np.zeros(n)
        self.capacity = np.ones(n)
        self.joined = np.zeros(n, dtype=bool)

    def __len__(self) -> int:
        return len(self.department)

    def fill(
        self, rows: np.ndarray | Sequence[int], department: int, role: int, rng: np.random.Generator
    ) -> None:
        """Draw technology skill and fluency for new staff of one department and role.

        Marketers know little technology and speak little IT; technologists are skilled and
        speak little marketing; hybrids are skilled and fluent (docs/model.md: staff).

        Both a high and a low skill are drawn for everyone: the other one was the person's
        marketing skill, which no mechanism read and which is no longer kept, and drawing it
        still keeps every later draw of the stream as it was.
        """
        rows = np.asarray(rows, dtype=np.int64)
        n = rows.size
        self.department[rows] = department
        self.role[rows] = role
        high = rng.beta(8, 3, n)
        low = rng.beta(2, 6, n)
        if role == HYBRID:
            self.tech_skill[rows] = rng.beta(8, 3, n)
            self.fluency[rows] = rng.beta(8, 2, n)
        elif department == MARKETING:
            self.tech_skill[rows] = low
            self.fluency[rows] = rng.beta(2, 8, n)
        else:
            self.tech_skill[rows] = high
            self.fluency[rows] = rng.beta(2, 8, n)


class Employee(CellAgent):
    """One member of staff at a desk; state lives in the model's staff table."""

    def __init__(self, model: Organisation, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def department(self) -> str:
        return DEPARTMENTS[self.model.staff.department[self.index]]

    @property
    def role(self) -> str:
        return ROLES[self.model.staff.role[self.index]]

    @property
    def fluency(self) -> float:
        return float(self.model.staff.fluency[self.index])

    @property
    def tech_skill(self) -> float:
        return float(self.model.staff.tech_skill[self.index])

    @property
    def capacity(self) -> float:
        return float(self.model.staff.capacity[self.index])

    @property
    def kpi(self) -> dict[str, float]:
        """This person's KPI mix: weights on speed, reliability, cost and CX."""
        row = self.model.kpi[self.index]
        return dict(zip(KPI_NAMES, map(float, row), strict=True))

    def take_desk(self) -> None:
        """Move to the desk the seating plan gives this person."""
        x, y = self.model.seating.grid_position(self.index)
        self.cell = self.model.office[(x, y)]


class Marketer(Employee):
    """Marketing staff: raise customer-facing requests and choose IT or SaaS for them."""


class Technologist(Employee):
    """IT staff: work through the marketing requests assigned to them, after IT's own work
    (:meth:`sim.model.work.RequestPipeline.work_queues`)."""


class HybridHire(Marketer):
    """A marketer with high technology skill and fluency who bridges the two departments
    (paid a premium: Burning Glass 2019)."""


def kpi_alignment(a: np.ndarray, b: np.ndarray) -> float:
    """How far two KPI mixes agree, in [0, 1]: one minus half their L1 distance (1 when they
    reward the same things; a traditional CMO and CIO agree at 0.3)."""
    return float(1.0 - 0.5 * np.abs(a - b).sum())


class CMO(Employee):
    """Chief marketing officer: meets the CIO about marketing's technology, agrees a roadmap or
    not, and answers the survey for marketing from what marketing lived through."""

    def meet(self, cio: CIO, rng: np.random.Generator) -> bool:
        """This week's meeting with the CIO, if there is one: they agree a roadmap when their
        KPI mixes and their departments' trust allow (shared metrics and trust make agreement
        likelier). Returns whether a roadmap was agreed."""
        m = self.model
        p = m.p
        per_month = p.joint_planning_meetings if m.lever("joint_planning") else p.leader_meetings
        if rng.random() >= per_month / WEEKS_PER_MONTH:
            return False
        m.ledger.add("leader_meeting", [self.index, cio.index])
        aligned = kpi_alignment(m.kpi[self.index], m.kpi[cio.index])
        floor = p.agreement_trust_floor
        agree = aligned * (floor + (1.0 - floor) * m.cross_trust)
        if rng.random() >= agree:
            return False
        m.roadmap_until = m.steps + p.roadmap_weeks
        m.ledger.add("roadmap_agreed", [self.index, cio.index])
        return True


class CIO(Employee):
    """Chief information officer: sets IT's share of effort for marketing each week, from IT's
    KPI mix, IT's trust in marketing, the roadmap agreed with the CMO and the incidents IT had to
    fight; answers the survey for IT."""

    def __init__(self, model: Organisation, index: int) -> None:
        super().__init__(model, index)
        self.alarm = 0.0  # incidents a week over about the last month (EWMA)
        self.usual_incidents = 0.0  # what the firm had at set-up (set by the model)

    def react(self, incidents: int) -> None:
        """Remember this week's incidents (a month-long memory)."""
        self.alarm += (incidents - self.alarm) / WEEKS_PER_MONTH

    def marketing_share(self) -> float:
        """Share of IT's effort for marketing's requests this week (docs/model.md: work, step 3)."""
        m = self.model
        p = m.p
        it_kpi = m.kpi[self.index]
        customer_weight = float(it_kpi[SPEED] + it_kpi[CX])
        # 0.2 is a traditional IT's speed + CX weight: its rule gives marketing_priority.
        share = p.marketing_priority * (1.0 + p.priority_kpi_sensitivity * (customer_weight - 0.2))
        share *= p.priority_trust_base + p.priority_trust_weight * m.trust_it_in_marketing.value
        if m.roadmap_agreed:
            share *= 1.0 + p.roadmap_priority_gain
        if m.lever("it_involved_early"):
            share *= 1.0 + p.early_priority_gain
        if self.usual_incidents > 0:
            excess = min(max(self.alarm / self.usual_incidents - 1.0, 0.0), 2.0)
            share *= 1.0 - p.incident_reaction * excess
        return min(share, p.priority_cap)
