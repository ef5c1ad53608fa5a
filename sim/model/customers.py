"""Customers as a vectorised population, and the offering they experience (docs/model.md:
customers and money).

Per customer: expectation, cumulative satisfaction, an active flag and a fixed
recommendation bias (kept as the satisfaction from which the customer recommends); all updated
by one rule in NumPy, never by per-customer Python.

- Experience: the offering's level (delivered features, their quality and freshness) plus a
  consistency bonus from data maturity, with per-customer noise whose spread shrinks as maturity
  makes touchpoints consistent.
- Expectation-disconfirmation (Oliver 1980): this week's satisfaction is the experience plus a
  reaction to its gap from expectation, a shortfall weighing ``loss_aversion`` times a surplus
  (Anderson and Sullivan 1993; Mittal, Ross and Baldasare 1998).
- Cumulative satisfaction is an anchor that each week's experience adjusts (Bolton 1998).
- Rising expectations: the industry's offering improves by ``expectation_drift`` points a year,
  so the firm's offering is kept relative to its market (:class:`Offering`): a firm that delivers
  nothing new falls behind by the drift (Forrester US CX Index 2022-2024: 3-4 points a year).
  Expectations are pulled towards the market's level and adapt a little to this firm.
- Churn: weekly hazard falls log-linearly with satisfaction, calibrated to ``churn_monthly`` at the
  reference satisfaction. Acquisition: marketing effort plus word of mouth from promoters.
"""

from __future__ import annotations

import numpy as np

from sim.model.parameters import DEFAULTS, Parameters

# Churned rows are dropped once they are this share of the rows. Every weekly update runs over
# all rows, so churned rows cost as much as active ones: at one half (the first version) a firm
# carried 1.44 rows per customer on average; at one eighth about 1.06, for a copy of the arrays
# every ~20 weeks (benchmarks/README.md).
COMPACT_AT_CHURNED_SHARE = 0.125


class Offering:
    """What the firm offers customers, relative to its market: the lead (positive) or lag of its
    delivered features over the industry's, in experience points.

    The industry's offering improves by ``expectation_drift`` points a year: that is the rate at
    which customers' bar rises. A firm keeps pace by delivering what the industry does, so a unit
    of delivered worth (value x quality x timeliness) is worth ``drift / reference inflow``
    points, where the reference inflow is a traditional firm's delivery (``delivery_reference``
    per raised request). Each week the stock loses the market's rise and a share ``ageing`` of
    any lead or lag (features age; competitors copy; laggards are carried along by suppliers).
    A traditional firm is therefore stationary by construction, a faster one builds a lead that
    saturates at (extra inflow) / ageing, and one that delivers nothing falls behind by the drift
    (the Forrester CX Index decline of 2022-2024 is the check of that, docs/model.md).

    Args:
        drift_per_week: the market's rise, experience points a week.
        reference_inflow: a traditional firm's delivered worth a week.
        ageing: weekly share of a lead or lag lost.
        lead: the firm's permanent standing over its market, experience points (what it built
            before week 0; it does not age).
        market_level: the market's experience level on the 0-100 scale (``market_level``).
        maturity_bonus: experience points of fully mature customer data above the starting
            maturity (``maturity_experience_bonus``).
    """

    def __init__(
        self,
        drift_per_week: float,
        reference_inflow: float,
        ageing: float,
        lead: float = 0.0,
        market_level: float = DEFAULTS.market_level,
        maturity_bonus: float = DEFAULTS.maturity_experience_bonus,
    ) -> None:
        self.lead = lead
        self.market_level = market_level
        self.maturity_bonus = maturity_bonus
        self.stock = 0.0
        self.delivered_value = 0.0
        self.erosion = drift_per_week
        self.ageing = ageing
        self.scale = drift_per_week / reference_inflow if reference_inflow > 0 else 0.0

    def add(self, value_quality: float, timeliness: float = 1.0) -> None:
        """A delivery of ``value_quality`` (value x quality), discounted by its ``timeliness``."""
        self.stock += self.scale * value_quality * timeliness
        self.delivered_value += value_quality

    def age(self) -> None:
        self.stock = self.stock * (1.0 - self.ageing) - self.erosion

    def level(self, maturity: float, maturity_at_start: float) -> float:
        """Mean experience on the 0-100 scale, before noise and incidents: the market's level,
        the firm's lead, and consistent personalisation from data maturity above its start."""
        return (
            self.market_level
            + self.lead
            + self.stock
            + self.maturity_bonus * (maturity - maturity_at_start)
        )


class CustomerBase:
    """Arrays of customers; rows of churned customers are compacted away when they pile up.

    Args:
        n: customers at week 0.
        rng: the customers' random stream.
        params: the coefficients of expectations, disconfirmation, churn and recommendation
            (``market_level``, ``reference_satisfaction``, ``disconfirmation_weight``,
            ``expectation_pull``, ``expectation_adaptation``, ``expectation_spread``,
            ``recommend_spread``, ``ltr_scale``, ``promoter_ltr``, ``detractor_ltr``); the
            defaults when not given.
    """

    def __init__(self, n: int, rng: np.random.Generator, params: Parameters = DEFAULTS) -> None:
        self.n_start = n
        p = params
        self.market_level = p.market_level
        self.reference_satisfaction = p.reference_satisfaction
        self.disconfirmation_weight = p.disconfirmation_weight
        self.expectation_pull = p.expectation_pull
        self.expectation_adaptation = p.expectation_adaptation
        self.expectation_spread = p.expectation_spread
        self.recommend_spread = p.recommend_spread
        self.ltr_scale = p.ltr_scale
        self.promoter_ltr = p.promoter_ltr
        self.detractor_ltr = p.detractor_ltr
        cap = max(16, int(n * 1.5))
        self.expectation = np.zeros(cap, dtype=np.float32)
        self.satisfaction = np.zeros(cap, dtype=np.float32)
        # Likelihood to recommend (0-10) is 7.5 + (s - reference) / ltr_scale + bias, bias ~
        # N(0, recommend_spread): promoters score promoter_ltr (8.5) or more, detractors below
        # detractor_ltr (6.5). Kept as the satisfaction at which the customer starts to promote,
        # ref + 6 (1 - bias) at the defaults; they detract below that minus 12. A count is then
        # two comparisons over the arrays, with no packing of the active rows.
        self.promoter_from = np.zeros(cap, dtype=np.float32)
        self.active = np.zeros(cap, dtype=bool)
        self.size = 0
        self.market_expectation = self.market_level
        # The CX index as last measured: the firm's reputation, which newcomers join with.
        self.reputation = self.market_level + 1.0
        self._admit(n, rng, self.reputation)
        # Scratch buffers reused every week (no per-step allocation of large arrays).
        self._noise = np.zeros(cap, dtype=np.float32)
        self._work = np.zeros(cap, dtype=np.float32)
        self._work2 = np.zeros(cap, dtype=np.float32)
        self._mask = np.zeros(cap, dtype=bool)

    def settle(
        self,
        rng: np.random.Generator,
        levels: np.ndarray,
        spread: float,
        loss_aversion: float,
        weight: float,
    ) -> None:
        """Bring satisfaction and expectations to their steady state at the starting experience
        before week 0: a week of experience at each of ``levels``, nobody leaving or joining.
        Without it the firm's CX moved for a year after set-up (loss aversion on noisy experience
        costs points that no starting value guessed), and its customers with it."""
        for level in levels:
            self.experience(rng, float(level), spread, loss_aversion, weight)
        self.summary()

    @property
    def n_active(self) -> int:
        return int(np.count_nonzero(self.active[: self.size]))

    def _grow(self, need: int) -> None:
        cap = len(self.active)
        if need <= cap:
            return
        new_cap = max(need, 2 * cap)
        for name in (
            "expectation",
            "satisfaction",
            "promoter_from",
            "active",
            "_noise",
            "_work",
            "_work2",
            "_mask",
        ):
            if not hasattr(self, name):
                continue
            old = getattr(self, name)
            arr = np.zeros(new_cap, dtype=old.dtype)
            arr[: len(old)] = old
            setattr(self, name, arr)

    def compact(self) -> None:
        """Drop churned rows once they are :data:`COMPACT_AT_CHURNED_SHARE` of the rows; the order
        of active rows is kept."""
        n = self.size
        act = self.active[:n]
        k = int(np.count_nonzero(act))
        if n - k <= COMPACT_AT_CHURNED_SHARE * n:
            return
        for name in ("expectation", "satisfaction", "promoter_from"):
            arr = getattr(self, name)
            arr[:k] = arr[:n][act]
        self.active[:k] = True
        self.active[k:n] = False
        self.size = k

    def _admit(self, count: int, rng: np.random.Generator, prior: float) -> None:
        start = self.size
        self._grow(start + count)
        stop = start + count
        spread = self.expectation_spread
        e = self.market_expectation + spread * rng.standard_normal(count)
        self.expectation[start:stop] = e
        # A newcomer's satisfaction starts from the firm's reputation, the prior they join with.
        joined = prior + spread * rng.standard_normal(count)
        self.satisfaction[start:stop] = np.clip(joined, 0.0, 100.0)  # on the scale, as every week
        bias = self.recommend_spread * rng.standard_normal(count)
        self.promoter_from[start:stop] = self.reference_satisfaction + self.ltr_scale * (
            self.promoter_ltr - 7.5 - bias
        )
        self.active[start:stop] = True
        self.size = stop

    def experience(
        self,
        rng: np.random.Generator,
        level: float,
        spread: float,
        loss_aversion: float,
        weight: float,
    ) -> None:
        """One week of experience, disconfirmation, satisfaction and expectation updates.

        Every step writes into the preallocated float32 buffers (no temporaries the size of the
        customer base); the arithmetic is the same, operation by operation, as the plain
        expression ``s = (1-w) s + w (x + c(gap) gap)``, so results do not depend on it.
        """
        n = self.size
        x = self._noise[:n]
        rng.standard_normal(dtype=np.float32, out=x)
        x *= spread
        x += level
        e, s, gap = self.expectation[:n], self.satisfaction[:n], self._work[:n]
        np.subtract(x, e, out=gap)
        # Disconfirmation: a surplus adds w+ * gap, a shortfall loss_aversion times as much.
        # With loss aversion >= 1 that is min(w+ gap, w- gap) (max below 1): two plain products
        # instead of a masked ufunc, which NumPy runs several times slower.
        other = self._work2[:n]
        np.multiply(gap, np.float32(self.disconfirmation_weight * loss_aversion), out=other)
        gap *= np.float32(self.disconfirmation_weight)
        pick = np.minimum if loss_aversion >= 1.0 else np.maximum
        pick(gap, other, out=gap)
        gap += x
        s *= 1.0 - weight
        gap *= weight
        s += gap
        # e += pull (market - e) + adaptation (x - e), in place: gap and x are free again.
        np.subtract(self.market_expectation, e, out=gap)
        gap *= self.expectation_pull
        np.subtract(x, e, out=x)
        x *= self.expectation_adaptation
        gap += x
        e += gap
        np.clip(s, 0.0, 100.0, out=s)

    def expected_churn(self, churn_monthly: float, sensitivity: float) -> float:
        """Customers expected to leave this week at today's satisfaction (the sum of the weekly
        hazards of :meth:`churn_and_acquire`, without drawing)."""
        n = self.size
        base = 1.0 - (1.0 - churn_monthly) ** (12.0 / 52.0)
        s = self.satisfaction[:n][self.active[:n]].astype(np.float64)
        return float(base * np.exp(-sensitivity * (s - self.reference_satisfaction)).sum())

    def churn_and_acquire(
        self,
        rng: np.random.Generator,
        churn_monthly: float,
        sensitivity: float,
        new_customers_mean: float,
    ) -> int:
        """Customers leave by a satisfaction-dependent hazard, then newcomers join; returns the
        number who left."""
        n = self.size
        base = 1.0 - (1.0 - churn_monthly) ** (12.0 / 52.0)
        s = self.satisfaction[:n]
        hazard = self._work[:n]
        np.subtract(s, self.reference_satisfaction, out=hazard)
        hazard *= -sensitivity
        np.exp(hazard, out=hazard)
        hazard *= base
        u = self._noise[:n]
        rng.random(dtype=np.float32, out=u)
        leaving = self._mask[:n]
        np.less(u, hazard, out=leaving)
        leaving &= self.active[:n]
        left = int(np.count_nonzero(leaving))
        self.active[:n] ^= leaving  # leaving is a subset of active: xor clears exactly those
        newcomers = int(rng.poisson(max(new_customers_mean, 0.0)))
        if newcomers:
            self._admit(newcomers, rng, self.reputation)
        self.compact()
        return left

    def _active_values(self, values: np.ndarray, into: np.ndarray) -> np.ndarray:
        """``values`` of the active rows, packed into the scratch buffer ``into``."""
        act = self.active[: self.size]
        k = int(np.count_nonzero(act))
        return np.compress(act, values[: self.size], out=into[:k])

    def mean_satisfaction(self) -> float:
        s = self._active_values(self.satisfaction, self._noise)
        return float(s.mean()) if s.size else 0.0

    def summary(self) -> dict[str, float]:
        """CX index (mean satisfaction, 0-100), NPS (promoters scoring 9-10 minus detractors
        scoring 0-6, in points) and the number of promoters; also updates :attr:`reputation`.

        Likelihood to recommend (0-10) is satisfaction rescaled around the reference level,
        7.5 + (s - ref) / 6, plus each customer's fixed bias (see ``promoter_from``).
        """
        s = self._active_values(self.satisfaction, self._noise)
        if s.size == 0:
            return {"cx_index": 0.0, "nps": 0.0, "promoters": 0.0}
        cx = float(s.mean(dtype=np.float64))
        self.reputation = cx
        n = self.size
        sat, act, flag = self.satisfaction[:n], self.active[:n], self._mask[:n]
        np.greater_equal(sat, self.promoter_from[:n], out=flag)
        flag &= act
        promoters = int(np.count_nonzero(flag))
        gap = self.ltr_scale * (self.promoter_ltr - self.detractor_ltr)
        shifted = np.add(sat, gap, out=self._work[:n])
        np.less(shifted, self.promoter_from[:n], out=flag)
        flag &= act
        detractors = int(np.count_nonzero(flag))
        return {
            "cx_index": cx,
            "nps": 100.0 * (promoters - detractors) / s.size,
            "promoters": float(promoters),
        }
