"""The calibration that ships with orgsim (``experiments/fits/fit_2016``): what the demo's second
batch and ``orgsim batch --fit experiments/fits/fit_2016`` draw their parameters from.

It is the output of ``orgsim calibrate experiments/fit_2016.toml``, copied without its caches,
with ``made.json`` saying when and on which model output it was made. The model output is the
stored baseline (``tests/baseline.json``): when a deliberate change of output regenerates the
baseline, the shipped fit no longer describes the model, and ``make fit`` makes it again (about
22 minutes on two cores); tests/test_posterior.py fails until then.

    python -m sim.experiments.shipped CALIBRATION_DIR [DEST]
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

from sim.datafiles import data_dir
from sim.runs.posterior import POSTERIOR_FILE

SHIPPED = data_dir("experiments") / "fits" / "fit_2016"
FILES = (
    POSTERIOR_FILE,
    "fit.json",
    "predictions.csv",
    "state.json",
    "report.html",
    "fit_targets.png",
    "marginals.png",
    "predictions.png",
    "recovery.csv",
)
MADE = "made.json"
BASELINE = Path(__file__).resolve().parents[2] / "tests" / "baseline.json"


def baseline_digest(path: Path = BASELINE) -> str:
    """SHA-256 of the stored baseline: the model output a fit was made on."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ship(calibration: Path, dest: Path = SHIPPED) -> Path:
    """Copy a finished calibration's outputs into ``dest`` with ``made.json``."""
    missing = [name for name in FILES if not (calibration / name).is_file()]
    if missing:
        raise SystemExit(f"{calibration} is not a finished calibration: no {missing[0]}")
    dest.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copyfile(calibration / name, dest / name)
    fit = json.loads((calibration / "fit.json").read_text())
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=BASELINE.parent
    ).stdout.strip()
    made = {
        "experiment": fit.get("file"),
        "git_commit": commit or None,
        "baseline_sha256": baseline_digest(),
        "wall_time_s": fit.get("wall_time_s"),
        "targets_within_95_band": fit.get("targets_within_95_band"),
        "targets": fit.get("targets"),
    }
    (dest / MADE).write_text(json.dumps(made, indent=1) + "\n")
    return dest


if __name__ == "__main__":
    args = sys.argv[1:]
    if not 1 <= len(args) <= 2:
        raise SystemExit(__doc__)
    print(f"wrote {ship(Path(args[0]), *(Path(a) for a in args[1:]))}")
