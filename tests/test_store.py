"""The result store's claims on a folder: fingerprints that cannot go stale, one claim for every
kind of work, and --fresh that moves work aside without deleting it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim.runs.store import (
    StoreError,
    claim_folder,
    differing,
    fingerprint_files,
    model_fingerprint,
)

REPO = Path(__file__).resolve().parent.parent


def test_the_fingerprint_covers_every_model_and_survey_module():
    covered = {p.relative_to(REPO / "sim").as_posix() for p in fingerprint_files()}
    on_disk = {
        p.relative_to(REPO / "sim").as_posix()
        for pkg in ("model", "survey")
        for p in (REPO / "sim" / pkg).rglob("*.py")
    }
    assert on_disk <= covered
    assert {"survey/instrument.py", "survey/population.py", "model/work.py"} <= covered


def _copy_of_the_package(tmp_path: Path) -> Path:
    copy = tmp_path / "checkout"
    shutil.copytree(REPO / "sim", copy / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    for kind in ("scenarios", "populations", "experiments"):
        shutil.copytree(REPO / kind, copy / kind)
    return copy


def _run(copy: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin", "TQDM_DISABLE": "1"},
    )


def test_an_edited_survey_module_cannot_resume_a_batch(tmp_path):
    """A batch stored by one version of the survey is refused by a checkout whose survey module
    was edited, even though no model module changed: resume would mix two instruments."""
    copy = _copy_of_the_package(tmp_path)
    out = tmp_path / "batch"
    first = _run(copy, "batch", "baseline", "--reps", "1", "--weeks", "2", "--out", str(out))
    assert first.returncode == 0, first.stderr
    instrument = copy / "sim" / "survey" / "instrument.py"
    instrument.write_text(instrument.read_text() + "\n# an edit of the instrument\n")
    again = _run(copy, "batch", "baseline", "--reps", "2", "--weeks", "2", "--out", str(out))
    assert again.returncode == 2
    assert "different batch (model version" in again.stderr and "--fresh" in again.stderr
    assert "Traceback" not in again.stderr
    assert len(list((out / "runs").glob("*.parquet"))) == 1  # nothing stored was touched


def test_the_fingerprint_is_the_same_in_any_process():
    code = "from sim.runs.store import model_fingerprint; print(model_fingerprint())"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert other.stdout.strip() == model_fingerprint()


def test_claim_refuses_a_strangers_folder_and_another_kind(tmp_path):
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "manifest.json").write_text(json.dumps({"tool": "someone else's"}))
    with pytest.raises(
        StoreError,
        match=r"manifest\.json of another kind, not an .orgsim batch.; choose another --out",
    ):
        claim_folder(stranger, "orgsim batch", {}, fresh=True, differences=lambda o, n: [])
    assert (stranger / "manifest.json").exists()  # --fresh did not move a stranger's files
    mine = tmp_path / "mine"
    (mine).mkdir()
    (mine / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="not empty and holds no batch"):
        claim_folder(mine, "orgsim batch", {}, fresh=True, differences=lambda o, n: [])


def test_fresh_moves_aside_and_differences_are_named(tmp_path):
    out = tmp_path / "out"
    state = {"kind": "orgsim calibration", "seed": 1}
    assert (
        claim_folder(out, "orgsim calibration", state, False, lambda o, n: [], "state.json") is None
    )
    (out / "state.json").write_text(json.dumps(state))
    (out / "fit.json").write_text("{}")
    new = {"kind": "orgsim calibration", "seed": 2}
    with pytest.raises(StoreError, match=r"different calibration \(seed 1, this one 2\)"):
        claim_folder(
            out,
            "orgsim calibration",
            new,
            False,
            lambda o, n: differing(o, n, ["seed"]),
            "state.json",
        )
    assert claim_folder(out, "orgsim calibration", new, True, lambda o, n: [], "state.json") is None
    asides = list(out.glob("superseded-*"))
    assert (
        len(asides) == 1
        and (asides[0] / "fit.json").exists()
        and (asides[0] / "state.json").exists()
    )
    # Two --fresh in the same second get two folders (the name carries microseconds).
    (out / "state.json").write_text(json.dumps(new))
    claim_folder(out, "orgsim calibration", new, True, lambda o, n: [], "state.json")
    assert len(list(out.glob("superseded-*"))) == 2
