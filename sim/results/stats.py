"""Paired comparisons over common random numbers.

Replication r of every scenario runs on the same seed, so the difference between two scenarios is
taken within each replication and the noise they share cancels. Intervals are Student-t intervals
on the mean of the paired differences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as st


@dataclass(frozen=True)
class Interval:
    """A mean with its two-sided confidence interval, from ``n`` finite values."""

    mean: float
    low: float
    high: float
    n: int

    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0

    def __str__(self) -> str:
        return f"{self.mean:+.3g} [{self.low:+.3g}, {self.high:+.3g}]"


def t_half_width(sd: np.ndarray, n: np.ndarray, level: float = 0.95) -> np.ndarray:
    """Half-widths of Student-t intervals of means with standard deviations ``sd`` from ``n``
    values each, elementwise (NaN where ``n`` < 2): the one t-interval of the project, used by
    :func:`mean_interval` and by the bands computed for many weeks at once."""
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = st.t.ppf(0.5 + level / 2, np.where(n >= 2, n - 1, np.nan))
        return t * np.asarray(sd, dtype=float) / np.sqrt(n)


def mean_interval(values: np.ndarray | list[float], level: float = 0.95) -> Interval:
    """Mean and t-interval of the finite values (NaN where fewer than two)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return Interval(float("nan"), float("nan"), float("nan"), 0)
    mean = float(x.mean())
    if n < 2:
        return Interval(mean, float("nan"), float("nan"), n)
    half = float(t_half_width(np.array(x.std(ddof=1)), np.array(n), level))
    return Interval(mean, mean - half, mean + half, n)


def paired_difference(
    treated: np.ndarray | list[float], control: np.ndarray | list[float], level: float = 0.95
) -> Interval:
    """Mean and t-interval of ``treated - control``, replication by replication."""
    a, b = np.asarray(treated, dtype=float), np.asarray(control, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired samples differ in size: {a.shape} vs {b.shape}")
    return mean_interval(a - b, level)


def require_effect(interval: Interval, sign: int, what: str) -> None:
    """Raise unless the interval lies wholly on the side of zero given by ``sign`` (+1 or -1).

    Raises:
        AssertionError: naming ``what``, the interval and the expected sign.
    """
    ok = interval.low > 0 if sign > 0 else interval.high < 0
    if not ok:
        side = "above" if sign > 0 else "below"
        raise AssertionError(
            f"{what}: expected a 95% interval wholly {side} zero, got {interval}"
            f" over {interval.n} paired seeds"
        )
