"""Regenerate tests/baseline.json on purpose, after a deliberate change of model output.

Run ``make baseline``, then record in CHANGELOG.md what changed and why: the file is the model's
memory of what it used to produce, and test_baseline.py fails on any unrecorded drift.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sim import __version__  # noqa: E402
from sim.runs.runner import simulate  # noqa: E402

BASELINE_FILE = HERE / "baseline.json"
SEEDS = (1, 2, 3)
SCENARIOS = {
    "baseline": {},
    "three_levers": {"shared_metrics": 0.5, "colocation": 0.5, "hybrid_hires": 3},
}
WEEKS = 104


def compute() -> dict:
    runs = {
        f"{name}/seed={seed}": simulate(overrides, seed, WEEKS)
        for name, overrides in SCENARIOS.items()
        for seed in SEEDS
    }
    return {"version": __version__, "weeks": WEEKS, "scenarios": SCENARIOS, "runs": runs}


if __name__ == "__main__":
    BASELINE_FILE.write_text(json.dumps(compute(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {BASELINE_FILE}")
