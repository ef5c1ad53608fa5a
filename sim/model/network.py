"""The collaboration network: ties that form from repeated contact, fade slowly, and carry trust.

Ties are stored as NumPy arrays (one row per pair that has ever met) so that the weekly fade costs
O(ties) in vectorised code; :meth:`CollaborationNetwork.graph` exports the networkx graph whose
edges carry ``strength`` and ``trust``. docs/model.md: office and contacts.

- Formation: each work contact moves strength towards 1 by ``tie_gain`` (repeated contacts build a
  tie; proximity drives formation, Catalini 2018). A social encounter (a joint lunch) counts for
  ``occasion_gain_share`` of a work contact (Kahn 1996).
- Decay: strength fades by ``tie_decay`` a week whatever the distance: separation does not end an
  existing collaboration (Catalini 2018).
- Trust per tie: a Beta reputation on the outcomes of the work the pair did together
  (:mod:`sim.model.trust`).
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from sim.model.parameters import DEFAULTS
from sim.model.trust import trust


class CollaborationNetwork:
    """Pairwise tie strength and trust between staff.

    Args:
        n_staff: size of the staff table (node ids are 0..n_staff-1).
        department: department of each node.
        tie_gain: strength gained per work contact, scaled by (1 - strength).
        tie_decay: weekly fade of strength.
        memory: weekly fade of trust evidence.
        failure_weight: weight of a failed outcome against a success.
        tie_capacity: tie strength a person holds before more ties crowd each other out.
        threshold: strength from which a pair counts as a tie (``tie_threshold``).
    """

    def __init__(
        self,
        n_staff: int,
        department: np.ndarray,
        tie_gain: float,
        tie_decay: float,
        memory: float,
        failure_weight: float,
        tie_capacity: float = DEFAULTS.tie_capacity,
        threshold: float = DEFAULTS.tie_threshold,
    ) -> None:
        self.n_staff = n_staff
        self.threshold = threshold
        self.tie_capacity = tie_capacity
        self.department = department
        self.tie_gain = tie_gain
        self.tie_decay = tie_decay
        self.memory = memory
        self.failure_weight = failure_weight
        cap = 4 * n_staff
        self.u = np.zeros(cap, dtype=np.int64)
        self.v = np.zeros(cap, dtype=np.int64)
        self.strength = np.zeros(cap)
        self.r = np.zeros(cap)
        self.s = np.zeros(cap)
        self.n = 0
        # Dense pair -> row index (-1: never met). int32 keeps 2,000 staff at 16 MB and makes every
        # lookup a vectorised gather instead of a Python dict access per contact.
        self.row_of = np.full((n_staff, n_staff), -1, dtype=np.int32)

    # -- structure ---------------------------------------------------------------------------
    def rows_for(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Rows of many pairs at once, created where the pair has never met."""
        rows = self.row_of[i, j].astype(np.int64)
        new = rows < 0
        if new.any():
            lo, hi = np.minimum(i[new], j[new]), np.maximum(i[new], j[new])
            keys = np.unique(lo * self.n_staff + hi)
            lo, hi = keys // self.n_staff, keys % self.n_staff
            k = keys.size
            self._reserve(self.n + k)
            created = np.arange(self.n, self.n + k)
            self.u[created], self.v[created] = lo, hi
            self.row_of[lo, hi] = created
            self.row_of[hi, lo] = created
            self.n += k
            rows = self.row_of[i, j].astype(np.int64)
        return rows

    def row(self, i: int, j: int) -> int:
        """Row of the pair (i, j), created on first contact."""
        k = int(self.row_of[i, j])
        if k >= 0:  # the pair has met: no arrays for one lookup (it runs for every delivery)
            return k
        return int(self.rows_for(np.array([i]), np.array([j]))[0])

    def _reserve(self, need: int) -> None:
        cap = len(self.u)
        if need <= cap:
            return
        new_cap = max(need, 2 * cap)
        for name in ("u", "v", "strength", "r", "s"):
            arr = getattr(self, name)
            grown = np.zeros(new_cap, dtype=arr.dtype)
            grown[:cap] = arr
            setattr(self, name, grown)

    # -- weekly dynamics
    def reinforce(self, i: np.ndarray, j: np.ndarray, gain_share: float = 1.0) -> None:
        """Strengthen the ties of contact pairs; a pair met k times this week gains k times."""
        if len(i) == 0:
            return
        # Each row met and how often: a count over the rows (sorted, as np.unique gives them).
        counts = np.bincount(self.rows_for(i, j), minlength=self.n)
        rows = np.flatnonzero(counts)
        counts = counts[rows]
        keep = (1.0 - self.tie_gain * gain_share) ** counts
        self.strength[rows] = 1.0 - (1.0 - self.strength[rows]) * keep

    def fade(self) -> None:
        """Weekly decay of strength and of trust evidence. Ties compete for a person's time: a
        tie fades faster the more tie strength its two people already hold, beyond
        ``tie_capacity`` each, so only ties kept up by repeated contact stay strong and strength
        keeps its information (it no longer saturates across the whole firm)."""
        n = self.n
        u, v, strength = self.u[:n], self.v[:n], self.strength[:n]
        held = np.bincount(u, strength, self.n_staff) + np.bincount(v, strength, self.n_staff)
        crowding = 0.5 * (held[u] + held[v]) / self.tie_capacity
        self.strength[:n] *= 1.0 - np.minimum(self.tie_decay * (1.0 + crowding), 1.0)
        self.r[:n] *= self.memory
        self.s[:n] *= self.memory

    def record_outcome(self, i: int, j: int, success: bool) -> None:
        """Evidence for the trust of pair (i, j) from work they did together."""
        k = self.row(i, j)
        if success:
            self.r[k] += 1.0
        else:
            self.s[k] += self.failure_weight

    # -- queries
    def strength_of(self, i: int, j: int) -> float:
        k = self.row_of[i, j]
        return 0.0 if k < 0 else float(self.strength[k])

    def trust_of(self, i: int, j: int) -> float:
        k = self.row_of[i, j]
        return 0.5 if k < 0 else float(trust(self.r[k], self.s[k]))

    def strengths_of(self, i: int | np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """Strength of i's tie with each of ``candidates`` (0 where they never met); ``i`` and
        ``candidates`` broadcast, so arrays of shape (n, 1) and (1, k) give every pair."""
        rows = self.row_of[i, candidates]
        return np.where(rows >= 0, self.strength[rows], 0.0)

    def trust_in(self, i: int | np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """i's trust in each of ``candidates`` from the work they did together (0.5, the neutral
        prior, where they never met)."""
        rows = self.row_of[i, candidates]
        return np.where(rows >= 0, trust(self.r[rows], self.s[rows]), 0.5)

    def ties_of(self, i: int | np.ndarray, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Strength of i's tie with each of ``candidates`` and i's trust in each
        (:meth:`strengths_of`, :meth:`trust_in`)."""
        return self.strengths_of(i, candidates), self.trust_in(i, candidates)

    def cross(self) -> np.ndarray:
        """Mask of rows that join the two departments."""
        n = self.n
        return self.department[self.u[:n]] != self.department[self.v[:n]]

    def cross_tie_count(self) -> int:
        n = self.n
        return int(np.count_nonzero(self.cross() & (self.strength[:n] >= self.threshold)))

    def tie_count(self) -> int:
        return int(np.count_nonzero(self.strength[: self.n] >= self.threshold))

    def graph(self) -> nx.Graph[int]:
        """The collaboration network as networkx: nodes are staff indices (with ``department``),
        edges are ties above the threshold with ``strength`` and ``trust``."""
        g: nx.Graph[int] = nx.Graph()
        g.add_nodes_from((i, {"department": int(d)}) for i, d in enumerate(self.department))
        n = self.n
        keep = np.flatnonzero(self.strength[:n] >= self.threshold)
        tr = np.asarray(trust(self.r[keep], self.s[keep]))  # arrays in, an array out
        g.add_edges_from(
            (
                int(self.u[k]),
                int(self.v[k]),
                {"strength": float(self.strength[k]), "trust": float(t)},
            )
            for k, t in zip(keep, tr, strict=True)
        )
        return g
