"""Mechanism figures measured on simulated behaviour, never read back from the parameter that
sets them: the contact ratio between desks 2 m and 20 m apart is counted from the contacts the
model samples. Used by the calibration report and by the directional tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.model.model import Organisation
from sim.results.stats import Interval, mean_interval
from sim.runs.runner import release

NEAR_M = (1.9, 2.1)  # desk pairs counted as "2 m apart"
FAR_M = (18.0, 22.0)  # and as "20 m apart"


def contacts_by_distance(
    overrides: dict[str, Any], seed: int, weeks: int = 40
) -> tuple[float, float]:
    """Contacts a week per cross-department desk pair about 2 m and about 20 m apart, in a fully
    colocated firm of 60 + 60 on one floor (IT interleaved among marketers), counted over
    ``weeks`` weeks of the model's own contact process (sampling, then thinning)."""
    model = Organisation(
        seed=seed,
        **{
            **overrides,
            "colocation": 1.0,
            "office_layout": "same_floor",
            "n_marketers": 60,
            "n_technologists": 60,
            "n_customers": 500,
            "remote_share": 0.0,
        },
    )
    try:
        plan, dep = model.seating, model.staff.department
        staff = np.flatnonzero(model.staff.joined)
        xy = np.stack([plan.col[staff], plan.row[staff]], axis=1).astype(float)
        same_floor = plan.floor_of[staff][:, None] == plan.floor_of[staff][None, :]
        dist = 2.0 * np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
        cross = dep[staff][:, None] != dep[staff][None, :]
        upper = np.triu(np.ones_like(cross), k=1).astype(bool)
        pairs = cross & same_floor & upper
        near = pairs & (dist >= NEAR_M[0]) & (dist <= NEAR_M[1])
        far = pairs & (dist >= FAR_M[0]) & (dist <= FAR_M[1])
        index = np.full(len(model.staff), -1)
        index[staff] = np.arange(staff.size)
        counts = {"near": 0, "far": 0}
        nobody_remote = np.zeros(len(model.staff), dtype=bool)
        for week in range(1, weeks + 1):
            model.steps = week
            src, dst = model.contact_sampler.sample(
                model.streams.week("contacts", week), model.staff.joined
            )
            src, dst = model._thin_cross(src, dst, nobody_remote)
            a, b = index[src], index[dst]
            lo, hi = np.minimum(a, b), np.maximum(a, b)
            counts["near"] += int(near[lo, hi].sum())
            counts["far"] += int(far[lo, hi].sum())
        return counts["near"] / weeks / near.sum(), counts["far"] / weeks / far.sum()
    finally:
        release(model)


def contact_ratio(overrides: dict[str, Any], seeds: list[int]) -> tuple[float, Interval]:
    """The 2 m : 20 m contact ratio pooled over ``seeds`` and the interval of its log per seed
    (exponentiated), measured with :func:`contacts_by_distance`."""
    rates = np.array([contacts_by_distance(overrides, seed) for seed in seeds])
    pooled = float(rates[:, 0].sum() / rates[:, 1].sum())
    logs = mean_interval(np.log(rates[:, 0] / rates[:, 1]))
    return pooled, Interval(pooled, float(np.exp(logs.low)), float(np.exp(logs.high)), logs.n)
