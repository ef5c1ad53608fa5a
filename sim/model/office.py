"""The office: floors of desks on a Mesa grid, the seating plan, and who bumps into whom.

Desks sit on a regular grid with a pitch of ``desk_pitch_m`` metres. Floors are drawn side by
side on one Mesa ``OrthogonalMooreGrid`` (so the browser can draw the floor plan), but distances are
measured within a floor, and a contact between floors or buildings is damped by ``floor_factor`` or
``building_factor``.

Contacts follow the Allen curve (Allen 1977; Waber, Magnolfi and Lindsay 2014): the weekly chance
that two people at distance d talk is ``p0 * exp(-d / lambda)`` times a floor factor and a trust and
shared-knowledge factor. The rates of every pair of desks are fixed while nobody moves, so they
are computed once per seating (a few thousand pairs in a default firm), and a week's contacts are
one Poisson draw of their total and one weighted pick of a pair per contact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.model.parameters import DEFAULTS

FLOOR_GAP_CELLS = 2  # empty columns drawn between floors on the shared grid


@dataclass
class Floor:
    """One floor: a rectangle of desks, its building, and where it is drawn on the grid."""

    building: int
    columns: int
    rows: int
    grid_x0: int  # first grid column of this floor on the drawn plan


class SeatingPlan:
    """Who sits where: floor, local desk coordinates, and an occupancy map per floor; desks are
    ``pitch_m`` metres apart (``desk_pitch_m``)."""

    def __init__(
        self, floors: list[Floor], n_staff: int, pitch_m: float = DEFAULTS.desk_pitch_m
    ) -> None:
        self.floors = floors
        self.pitch_m = pitch_m
        self.floor_of = np.full(n_staff, -1, dtype=np.int64)
        self.col = np.zeros(n_staff, dtype=np.int64)
        self.row = np.zeros(n_staff, dtype=np.int64)
        self.occupant = [np.full((f.columns, f.rows), -1, dtype=np.int64) for f in floors]

    @property
    def grid_size(self) -> tuple[int, int]:
        """(width, height) of the Mesa grid that draws every floor side by side."""
        last = self.floors[-1]
        return last.grid_x0 + last.columns, max(f.rows for f in self.floors)

    def seat(self, person: int, floor: int, col: int, row: int) -> None:
        """Put ``person`` at a free desk, leaving their old desk free."""
        if self.occupant[floor][col, row] not in (-1, person):
            raise ValueError(f"desk {(floor, col, row)} is taken")
        old = self.floor_of[person]
        if old >= 0:
            self.occupant[old][self.col[person], self.row[person]] = -1
        self.floor_of[person], self.col[person], self.row[person] = floor, col, row
        self.occupant[floor][col, row] = person

    def free_desks(self, floor: int) -> list[tuple[int, int]]:
        """Free desks of a floor in reading order (row by row)."""
        occ = self.occupant[floor]
        return [(c, r) for r in range(occ.shape[1]) for c in range(occ.shape[0]) if occ[c, r] < 0]

    def grid_position(self, person: int) -> tuple[int, int]:
        """The person's cell on the drawn Mesa grid."""
        floor = self.floors[self.floor_of[person]]
        return int(floor.grid_x0 + self.col[person]), int(self.row[person])

    def distance_m(self, a: int, b: int) -> float:
        """Walking distance in metres between two desks of one floor (inf across floors)."""
        if self.floor_of[a] != self.floor_of[b]:
            return math.inf
        return self.pitch_m * math.hypot(self.col[a] - self.col[b], self.row[a] - self.row[b])


def block_shape(n: int) -> tuple[int, int]:
    """Columns and rows of a near-square block holding ``n`` desks."""
    columns = max(1, math.ceil(math.sqrt(n)))
    return columns, max(1, math.ceil(n / columns))


def interleave(majority: list[int], minority: list[int]) -> list[int]:
    """Spread ``minority`` evenly through ``majority`` so that each minority member has majority
    neighbours: colocation seats IT *beside* marketers, not in a corner of their floor."""
    if not minority:
        return list(majority)
    total = len(majority) + len(minority)
    step = total / len(minority)  # >= 1, so the slots below are distinct
    slots = {int(i * step + step / 2) for i in range(len(minority))}
    majority_left, minority_left = iter(majority), iter(minority)
    return [next(minority_left) if pos in slots else next(majority_left) for pos in range(total)]


def plan_office(
    layout: str,
    marketing_side: list[int],
    it_side: list[int],
    n_staff: int,
    spare: int = 0,
    pitch_m: float = DEFAULTS.desk_pitch_m,
) -> SeatingPlan:
    """Seat marketing's side (marketers, CMO, hybrids, embedded and colocated IT, already in the
    order they should sit) and IT's side of the office.

    Args:
        layout: ``same_floor`` (one floor, IT's block beside marketing's), ``separate_floors`` or
            ``separate_buildings``.
        marketing_side: staff indices seated on marketing's block, in seating order.
        it_side: staff indices seated on IT's block.
        n_staff: size of the staff table (seats may be left for staff who join later).
        spare: extra free desks on each block for people who move or join mid-run.
        pitch_m: distance between neighbouring desks, metres.
    """
    m_cols, m_rows = block_shape(len(marketing_side) + spare)
    i_cols, i_rows = block_shape(len(it_side) + spare)
    if layout == "same_floor":
        # One floor; IT's block starts one aisle (two desks) after marketing's.
        cols = m_cols + 2 + i_cols
        floors = [Floor(0, cols, max(m_rows, i_rows), 0)]
        plan = SeatingPlan(floors, n_staff, pitch_m)
        _fill(plan, 0, marketing_side, 0, m_cols)
        _fill(plan, 0, it_side, m_cols + 2, i_cols)
        return plan
    building_b = 1 if layout == "separate_buildings" else 0
    floors = [
        Floor(0, m_cols, m_rows, 0),
        Floor(building_b, i_cols, i_rows, m_cols + FLOOR_GAP_CELLS),
    ]
    plan = SeatingPlan(floors, n_staff, pitch_m)
    _fill(plan, 0, marketing_side, 0, m_cols)
    _fill(plan, 1, it_side, 0, i_cols)
    return plan


def _fill(plan: SeatingPlan, floor: int, people: list[int], col0: int, columns: int) -> None:
    for k, person in enumerate(people):
        plan.seat(person, floor, col0 + k % columns, k // columns)


class ContactSampler:
    """Samples one week's in-office contacts straight from the Allen-curve rates of every pair
    of desks (module docstring), precomputed while the seating and who has joined stay as they
    are.

    Args:
        plan: the seating plan (a new sampler is built when people move desks).
        p0: weekly chance that two people at distance 0 on one floor talk.
        lam: Allen decay length in metres.
        floor_factor, building_factor: contact multipliers across floors and buildings.
    """

    def __init__(
        self, plan: SeatingPlan, p0: float, lam: float, floor_factor: float, building_factor: float
    ) -> None:
        self.plan = plan
        self.p0 = p0
        self.lam = lam
        n_floors = len(plan.floors)
        self.factor = np.ones((n_floors, n_floors))
        for a in range(n_floors):
            for b in range(n_floors):
                if a != b:
                    same_building = plan.floors[a].building == plan.floors[b].building
                    self.factor[a, b] = floor_factor if same_building else building_factor
        self._present_key: bytes | None = None
        self._people = np.zeros(0, dtype=np.int64)
        self._pairs = np.zeros(0, dtype=np.int64)
        self._cumulative = np.zeros(0)

    def pair_rates(self, people: np.ndarray) -> np.ndarray:
        """Expected contacts a week of each ordered pair of ``people`` (seated), one half of the
        pair's ``p0 * exp(-d / lam) * f`` from each end; 0 on the diagonal. Across floors d is
        measured between local coordinates as if the floors were stacked."""
        plan = self.plan
        col, row, floor = plan.col[people], plan.row[people], plan.floor_of[people]
        d = plan.pitch_m * np.hypot(col[:, None] - col[None, :], row[:, None] - row[None, :])
        rates = 0.5 * self.p0 * self.factor[floor[:, None], floor[None, :]] * np.exp(-d / self.lam)
        np.fill_diagonal(rates, 0.0)
        return rates

    def _prepare(self, present: np.ndarray) -> None:
        key = present.tobytes()
        if key == self._present_key:
            return
        people = np.flatnonzero(present & (self.plan.floor_of >= 0))
        flat = self.pair_rates(people).ravel()
        self._pairs = np.flatnonzero(flat > 0.0)
        self._cumulative = np.cumsum(flat[self._pairs])
        self._people = people
        self._present_key = key

    def sample(
        self, rng: np.random.Generator, present: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Pairs (i, j) of people who talked this week; ``present`` marks people at their desk.

        Each ordered pair's contacts are Poisson with its rate, drawn at once: the week's total
        is Poisson with the sum of the rates, and each contact picks its pair with probability
        proportional to that pair's rate. Repeated contacts of a pair in one week are kept: each
        is one more conversation.
        """
        self._prepare(present)
        if self._cumulative.size == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        total = float(self._cumulative[-1])
        n = int(rng.poisson(total))
        picked = np.searchsorted(self._cumulative, rng.random(n) * total, side="right")
        np.minimum(picked, self._cumulative.size - 1, out=picked)
        source, target = np.divmod(self._pairs[picked], self._people.size)
        return self._people[source], self._people[target]
