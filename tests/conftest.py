"""Shared fixtures: one set of paired runs for all directional tests, computed once per session."""

from __future__ import annotations

from typing import Any

import pytest

from sim.model.randomness import replicate_seeds
from sim.runs.runner import run_paired
from sim.runs.scenarios import load

PAIRED_SEEDS = replicate_seeds(20261123, 20)


def shipped(name: str) -> dict[str, Any]:
    """The parameter overrides of the shipped scenario file ``scenarios/<name>.toml``."""
    return dict(load(name).overrides)


# Every scenario a directional test of docs/model.md: the patterns needs, at its dose: the shipped
# scenario file where one exists, so that the tests check the scenarios users run.
PATTERN_SCENARIOS = {
    "baseline": shipped("baseline"),
    "shared_metrics": shipped("shared_metrics"),
    "colocation": shipped("colocation"),
    "hybrid_hires": shipped("hybrid_hires"),
    "joint_occasions": shipped("joint_occasions_only"),
    # Fully remote (Yang et al. 2022); scenarios/remote_first.toml is four days in five (0.8).
    "remote": {"remote_share": 1.0},
    # An environment test, not a lever: no scenario file.
    "stop_delivering": {"delivery_stop_week": 52},
    "laissez_faire": shipped("saas_laissez_faire"),
}


@pytest.fixture(scope="session")
def paired_runs():
    """20 paired replications of every pattern scenario, 156 weeks, one row per run."""
    return run_paired(PATTERN_SCENARIOS, PAIRED_SEEDS, workers=2)
