"""Shared fixtures: one set of paired runs for all directional tests, computed once per session."""

from __future__ import annotations

import pytest

from sim.model.randomness import replicate_seeds
from sim.runs.runner import run_paired

PAIRED_SEEDS = replicate_seeds(20261123, 20)

# Every scenario a directional test of docs/model.md: the patterns needs, at its dose.
PATTERN_SCENARIOS = {
    "baseline": {},
    "shared_metrics": {"shared_metrics": 0.5},
    "colocation": {"colocation": 0.5},
    "hybrid_hires": {"hybrid_hires": 3},
    "joint_occasions": {"joint_occasions": 4.0},
    "remote": {"remote_share": 1.0},
    "stop_delivering": {"delivery_stop_week": 52},
    "laissez_faire": {"saas_policy": "laissez-faire"},
}


@pytest.fixture(scope="session")
def paired_runs():
    """20 paired replications of every pattern scenario, 156 weeks, one row per run."""
    return run_paired(PATTERN_SCENARIOS, PAIRED_SEEDS, workers=2)
