"""The stored baseline: the model's output for fixed seeds, checked to the last digit that matters.

A failure means the model's output changed. If the change is deliberate, run ``make baseline`` and
say what changed and why in CHANGELOG.md; if not, it is a bug.
"""

from __future__ import annotations

import json
import math

import pytest

from tests.update_baseline import BASELINE_FILE, SCENARIOS, WEEKS, compute


def test_stored_baseline_is_reproduced():
    stored = json.loads(BASELINE_FILE.read_text())
    assert stored["weeks"] == WEEKS and stored["scenarios"] == SCENARIOS
    fresh = compute()["runs"]
    assert set(fresh) == set(stored["runs"])
    mismatches = []
    for run, outcomes in stored["runs"].items():
        for name, value in outcomes.items():
            new = fresh[run][name]
            same = (math.isnan(value) and math.isnan(new)) or new == pytest.approx(
                value, rel=1e-9, abs=1e-12
            )
            if not same:
                mismatches.append(f"{run} {name}: stored {value!r}, now {new!r}")
    if mismatches:
        raise AssertionError(
            "model output changed (run `make baseline` if deliberate, and "
            "record it in CHANGELOG.md):\n" + "\n".join(mismatches[:20])
        )
