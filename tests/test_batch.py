"""Batches: paired seeds, results stored as they arrive, failures as data, resume after a killed
driver identical to an uninterrupted batch, refusal to mix batches, and every bad-input case of the
batch CLI (exit 2, a message naming the file and key, no traceback, nothing stored is touched)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.datafiles import data_dir
from sim.model.randomness import replicate_seeds
from sim.runs import scenarios
from sim.runs.batch import plan, run_batch
from sim.runs.store import BatchStore, StoreError

SMALL = "n_marketers = 8\nn_technologists = 8\nn_customers = 400\n"


def write_scenario(folder: Path, name: str, extra: str = "") -> Path:
    path = folder / f"{name}.toml"
    path.write_text(f'name = "{name}"\ndescription = "test"\n\n[parameters]\n{SMALL}{extra}')
    return path


@pytest.fixture
def small(tmp_path):
    files = [
        write_scenario(tmp_path, "base"),
        write_scenario(tmp_path, "lever", "shared_metrics = 0.8\n"),
    ]
    return tmp_path, files


def load(files):
    out = []
    for f in files:
        out.extend(scenarios.load_file(str(f)))
    return out


def test_plan_pairs_replications_across_scenarios(small):
    _, files = small
    specs = plan(load(files), reps=4, master_seed=9, weeks=10)
    seeds = replicate_seeds(9, 4)
    assert [s.seed for s in specs if s.scenario == "base"] == seeds
    assert [s.seed for s in specs if s.scenario == "lever"] == seeds
    assert replicate_seeds(9, 6)[:4] == seeds  # more reps later extend, never reshuffle


def test_batch_stores_runs_and_weeks_with_parameters(small):
    folder, files = small
    store = BatchStore(folder / "out")
    result = run_batch(
        load(files), store, reps=3, master_seed=1, weeks=12, workers=2, progress=False
    )
    assert (result.total, result.ran, result.failed) == (6, 6, 0)
    runs, weeks = store.load_runs(), store.load_weeks()
    assert len(runs) == 6 and runs.groupby(["scenario", "rep"]).size().max() == 1
    assert len(weeks) == 6 * 13
    assert {
        "scenario",
        "rep",
        "seed",
        "status",
        "cx_index",
        "nps",
        "churn",
        "revenue_growth",
        "margin",
        "saas_share",
        "cross_trust",
        "shared_metrics",
        "colocation",
    } <= set(runs)
    assert set(runs[runs.scenario == "lever"].shared_metrics) == {0.8}
    manifest = json.loads((folder / "out" / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["master_seed"] == 1
    assert manifest["scenarios"]["base"]["sha256"] and manifest["environment"]["dependencies"]
    # Running the same command again runs nothing and changes nothing.
    again = run_batch(
        load(files), store, reps=3, master_seed=1, weeks=12, workers=2, progress=False
    )
    assert again.ran == 0 and again.skipped == 6
    pd.testing.assert_frame_equal(store.load_runs(), runs)


def test_failed_run_is_recorded_and_batch_goes_on(small, monkeypatch):
    folder, files = small
    from sim.model import model as model_module

    bad_seed = replicate_seeds(1, 3)[1]
    original = model_module.Organisation.step

    def failing_step(self):
        if self.seed == bad_seed and self.steps == 5:
            raise RuntimeError("simulated failure in week 5")
        original(self)

    monkeypatch.setattr(model_module.Organisation, "step", failing_step)
    store = BatchStore(folder / "out")
    with ThreadPoolExecutor(2) as pool:
        result = run_batch(
            load(files), store, reps=3, master_seed=1, weeks=8, executor=pool, progress=False
        )
    assert result.failed == 2 and result.ran == 6
    runs = store.load_runs()
    failed = runs[runs.status == "failed"]
    assert set(failed.rep) == {1} and failed.error.str.contains("simulated failure").all()
    assert failed.cx_index.isna().all() and runs[runs.status == "ok"].cx_index.notna().all()
    assert json.loads(store.manifest_path.read_text())["status"] == "complete with failures"


def test_resume_refuses_a_different_batch(small, monkeypatch):
    folder, files = small
    store = BatchStore(folder / "out")
    run_batch(load(files), store, reps=2, master_seed=1, weeks=6, workers=1, progress=False)
    before = store.load_runs()
    with pytest.raises(StoreError, match="master seed"):
        run_batch(load(files), store, reps=2, master_seed=2, weeks=6, workers=1, progress=False)
    write_scenario(folder, "lever", "shared_metrics = 0.3\n")
    with pytest.raises(StoreError, match="scenario 'lever'"):
        run_batch(load(files), store, reps=2, master_seed=1, weeks=6, workers=1, progress=False)
    write_scenario(folder, "lever", "shared_metrics = 0.8\n")
    monkeypatch.setattr("sim.runs.store.model_fingerprint", lambda: "another-model")
    with pytest.raises(StoreError, match=r"different batch \(model version"):
        run_batch(load(files), store, reps=2, master_seed=1, weeks=6, workers=1, progress=False)
    pd.testing.assert_frame_equal(store.load_runs(), before)


def test_fresh_moves_the_old_batch_aside(small):
    folder, files = small
    store = BatchStore(folder / "out")
    run_batch(load(files), store, reps=2, master_seed=1, weeks=6, workers=1, progress=False)
    run_batch(
        load(files), store, reps=2, master_seed=5, weeks=6, workers=1, fresh=True, progress=False
    )
    aside = list((folder / "out").glob("superseded-*"))
    assert len(aside) == 1 and len(list((aside[0] / "runs").glob("*.parquet"))) == 4
    assert set(store.load_runs().seed) == set(replicate_seeds(5, 2))


def _batch_cmd(files, out, workers):
    return [
        sys.executable,
        "-m",
        "sim",
        "batch",
        *map(str, files),
        "--reps",
        "6",
        "--seed",
        "3",
        "--weeks",
        "40",
        "--workers",
        str(workers),
        "--out",
        str(out),
        "--quiet",
    ]


def test_killed_driver_resumes_to_the_uninterrupted_result(small):
    """SIGKILL the driver (and its workers) partway; the same command completes the batch, and the
    stored runs and weeks equal those of an uninterrupted batch row for row."""
    folder, files = small
    reference, interrupted = folder / "reference", folder / "interrupted"
    subprocess.run(_batch_cmd(files, reference, 2), check=True, capture_output=True)

    proc = subprocess.Popen(
        _batch_cmd(files, interrupted, 1),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        stored = list((interrupted / "runs").glob("*.parquet")) if interrupted.exists() else []
        if len(stored) >= 3:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = len(list((interrupted / "runs").glob("*.parquet")))
    assert 3 <= partial < 12, f"the kill came too late to test anything ({partial} runs stored)"

    done = subprocess.run(_batch_cmd(files, interrupted, 2), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"{12 - partial} runs done, {partial} already stored" in done.stdout
    a, b = BatchStore(reference), BatchStore(interrupted)
    pd.testing.assert_frame_equal(a.load_runs(), b.load_runs())
    pd.testing.assert_frame_equal(a.load_weeks(), b.load_weeks())


# -- bad input through the CLI: exit 2, one clear line, no traceback, nothing touched ----------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('name = "x"\n[parameters\nshared_metrics = 0.5\n', "line 2"),
        ('name = "x"\n[parameters]\nshared_metric = 0.5\n', "did you mean shared_metrics"),
        ('name = "x"\n[parameters]\nshared_metrics = 1.5\n', "out of range"),
        ('name = "x"\n[parameters]\nshared_metrics = "0.5"\n', "wrong type"),
        ('name = "x"\n[parameters]\nsaas_policy = "ban"\n', "choose one of"),
        ('name = "x"\n[start_weeks]\nsharedmetrics = 4\n', "is not a lever"),
        (
            'name = "x"\n[sweep]\nmethod = "sobol"\nsamples = 5\n[sweep.ranges]\ncolocation = '
            "[0.0, 1.0]\n",
            "power of two",
        ),
        ('name = "x"\nlevers = 1\n', "unknown key 'levers'"),
    ],
)
def test_bad_scenario_file(tmp_path, capsys, content, expected):
    bad = tmp_path / "bad.toml"
    bad.write_text(content)
    out = tmp_path / "out"
    for argv in (["check", str(bad)], ["batch", str(bad), "--out", str(out), "--reps", "1"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert expected in err and str(bad) in err and "Traceback" not in err
    assert not out.exists()


def test_unknown_scenario_name(capsys, tmp_path):
    assert main(["batch", "no_such_scenario", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "unknown scenario 'no_such_scenario'" in err and "baseline" in err


def test_output_folder_with_a_different_batch_is_refused(small, capsys):
    folder, files = small
    out = folder / "out"
    args = [
        "batch",
        *map(str, files),
        "--reps",
        "2",
        "--weeks",
        "5",
        "--workers",
        "1",
        "--out",
        str(out),
        "--quiet",
    ]
    assert main(args) == 0
    before = BatchStore(out).load_runs()
    capsys.readouterr()
    assert main([*args, "--seed", "99"]) == 2
    err = capsys.readouterr().err
    assert "different batch" in err and "--fresh" in err and "Traceback" not in err
    pd.testing.assert_frame_equal(BatchStore(out).load_runs(), before)


def test_output_folder_that_is_not_a_batch_is_refused(small, capsys):
    folder, files = small
    out = folder / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("precious")
    assert main(["batch", str(files[0]), "--out", str(out), "--reps", "1"]) == 2
    assert "holds no batch" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "precious" and len(list(out.iterdir())) == 1


def test_check_accepts_every_shipped_scenario(capsys):
    files = sorted(str(p) for p in data_dir("scenarios").glob("*.toml"))
    assert main(["check", *files]) == 0
    out = capsys.readouterr().out
    assert out.count("ok ") == len(files) and "a sweep of 9 points" in out
