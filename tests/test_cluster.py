"""Dask: fault tests against a real local cluster of worker processes. A worker killed mid-batch
loses nothing; a killed driver resumes to the uninterrupted result; Dask and local processes give
identical rows, and identical calibrations; an unreachable scheduler fails fast; mismatched workers
are named."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")

from sim.cli import main  # noqa: E402
from sim.experiments.calibration import calibrate  # noqa: E402
from sim.experiments.experiment import load_experiment  # noqa: E402
from sim.runs import scenarios  # noqa: E402
from sim.runs.batch import run_batch  # noqa: E402
from sim.runs.cluster import ClusterError, check_workers, connect  # noqa: E402
from sim.runs.store import BatchStore  # noqa: E402

pytestmark = pytest.mark.slow

SMALL = "n_marketers = 8\nn_technologists = 8\nn_customers = 400\n"


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    ) as local:
        yield local


@pytest.fixture
def files(tmp_path):
    out = []
    for name, extra in (("base", ""), ("lever", "shared_metrics = 0.8\n")):
        path = tmp_path / f"{name}.toml"
        path.write_text(f'name = "{name}"\n[parameters]\n{SMALL}{extra}')
        out.append(path)
    return out


def load(paths):
    return [s for p in paths for s in scenarios.load_file(str(p))]


def local_reference(files, out: Path, reps: int, weeks: int, posterior=None) -> BatchStore:
    store = BatchStore(out)
    run_batch(
        load(files),
        store,
        reps=reps,
        master_seed=5,
        weeks=weeks,
        workers=2,
        progress=False,
        posterior=posterior,
    )
    return store


def dask_run(cluster, files, out: Path, reps: int, weeks: int, posterior=None) -> BatchStore:
    """The batch of :func:`local_reference` on the cluster's workers."""
    client = connect(cluster.scheduler_address)
    try:
        store = BatchStore(out)
        run_batch(
            load(files),
            store,
            reps=reps,
            master_seed=5,
            weeks=weeks,
            executor=client.get_executor(),
            workers=2,
            progress=False,
            posterior=posterior,
        )
    finally:
        client.close()
    return store


def test_dask_and_local_processes_give_identical_rows(cluster, files, tmp_path):
    reference = local_reference(files, tmp_path / "local", reps=4, weeks=20)
    store = dask_run(cluster, files, tmp_path / "dask", reps=4, weeks=20)
    pd.testing.assert_frame_equal(store.load_runs(), reference.load_runs())
    pd.testing.assert_frame_equal(store.load_weeks(), reference.load_weeks())


def test_a_batch_on_a_fit_runs_on_dask_as_on_local_processes(cluster, files, tmp_path):
    """``orgsim batch --fit`` on Dask: each replication's draw reaches the workers, and the rows
    are those of local processes (the shipped fit's posterior)."""
    from sim.experiments.shipped import SHIPPED
    from sim.runs.posterior import load_posterior

    posterior = load_posterior(SHIPPED)
    local = local_reference(files, tmp_path / "local", reps=3, weeks=10, posterior=posterior)
    store = dask_run(cluster, files, tmp_path / "dask", reps=3, weeks=10, posterior=posterior)
    pd.testing.assert_frame_equal(store.load_runs(), local.load_runs())
    manifest = json.loads((tmp_path / "dask" / "manifest.json").read_text())
    drawn = manifest["fit"]["draw_of_replication"]
    assert len(drawn) == 3 and len(set(drawn)) > 1
    runs = store.load_runs()
    table = posterior.table.set_index("draw")
    for name in ("base", "lever"):
        mine = runs[runs.scenario == name].sort_values("rep")
        assert mine.misunderstanding.tolist() == table.loc[drawn, "misunderstanding"].tolist()


def test_worker_killed_mid_batch_loses_nothing(cluster, files, tmp_path):
    reference = local_reference(files, tmp_path / "local", reps=8, weeks=30)
    client = connect(cluster.scheduler_address)
    killed = []

    def kill_a_worker(row):
        if not killed and len(BatchStore(tmp_path / "dask").done()) >= 2:
            pids = client.run(os.getpid)
            victim = sorted(pids.values())[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    try:
        store = BatchStore(tmp_path / "dask")
        result = run_batch(
            load(files),
            store,
            reps=8,
            master_seed=5,
            weeks=30,
            executor=client.get_executor(),
            workers=2,
            progress=False,
            on_result=kill_a_worker,
        )
    finally:
        client.close()
    assert killed, "no worker was killed: the test did not test anything"
    runs = store.load_runs()
    assert result.failed == 0 and len(runs) == 16
    assert not runs.duplicated(["scenario", "rep"]).any()
    pd.testing.assert_frame_equal(runs, reference.load_runs())
    cluster.wait_for_workers(2, timeout=60)


def test_killed_driver_resumes_on_dask(cluster, files, tmp_path):
    reference = local_reference(files, tmp_path / "local", reps=6, weeks=40)
    out = tmp_path / "dask"
    cmd = [
        sys.executable,
        "-m",
        "sim",
        "batch",
        *map(str, files),
        "--reps",
        "6",
        "--seed",
        "5",
        "--weeks",
        "40",
        "--out",
        str(out),
        "--quiet",
        "--scheduler",
        cluster.scheduler_address,
    ]
    proc = subprocess.Popen(
        cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(BatchStore(out).done()) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = len(BatchStore(out).done())
    assert 2 <= partial < 12, f"kill came too late ({partial} runs stored)"
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    pd.testing.assert_frame_equal(BatchStore(out).load_runs(), reference.load_runs())
    pd.testing.assert_frame_equal(BatchStore(out).load_weeks(), reference.load_weeks())


def test_calibration_on_dask_equals_local(cluster, tmp_path):
    pop = tmp_path / "pop.toml"
    pop.write_text(
        f'name = "p"\n[fixed]\nweeks = 65\nsurvey_week = 65\n{SMALL}'
        '[draw.shared_metrics]\ndist = "use"\nshare = 0.3\nlow = 0.2\nhigh = 0.6\n'
    )
    targets = Path(__file__).resolve().parent.parent / "experiments" / "targets.toml"
    exp = tmp_path / "fit.toml"
    exp.write_text(
        f'name = "t"\npopulation = "{pop}"\ntargets = "{targets}"\nbudget = 12\n'
        "firms = 4\nseed = 3\nrefit_firms = 4\nbootstrap = 50\n"
        "screen_trajectories = 0\n[free.tolerance_cio]\nprior = [0.1, 0.9]\n"
        "[free.saas_propensity]\nprior = [-3.0, 1.0]\n"
    )
    experiment = load_experiment(str(exp))
    local = calibrate(experiment, tmp_path / "local", workers=2, log=lambda _: None)
    client = connect(cluster.scheduler_address)
    try:
        remote = calibrate(
            experiment,
            tmp_path / "dask",
            executor=client.get_executor(),
            workers=2,
            log=lambda _: None,
        )
    finally:
        client.close()
    assert remote.estimates == local.estimates
    assert remote.intervals == local.intervals
    pd.testing.assert_frame_equal(remote.predictions, local.predictions)
    a = json.loads((tmp_path / "local" / "fit.json").read_text())
    b = json.loads((tmp_path / "dask" / "fit.json").read_text())
    assert a["fit"] == b["fit"]


def test_unreachable_scheduler_fails_fast(files, tmp_path, capsys):
    started = time.monotonic()
    status = main(
        [
            "batch",
            str(files[0]),
            "--out",
            str(tmp_path / "o"),
            "--reps",
            "1",
            "--scheduler",
            "tcp://127.0.0.1:9",
        ]
    )
    assert status == 2 and time.monotonic() - started < 15
    err = capsys.readouterr().err
    assert "tcp://127.0.0.1:9" in err and "dask scheduler" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


class FakeClient:
    """Stands in for a client whose workers answer the identity check differently."""

    def __init__(self, answers):
        self.answers = answers
        self.scheduler = type("S", (), {"address": "tcp://fake:8786"})()

    def run(self, func):
        return self.answers

    def scheduler_info(self):
        return {"workers": {w: {"nthreads": 1} for w in self.answers}}


def test_mismatched_or_bare_workers_are_named():
    from sim import __version__
    from sim.runs.store import model_fingerprint

    good = (__version__, model_fingerprint())
    assert check_workers(FakeClient({"tcp://a:1": good, "tcp://b:1": good})) == 2
    with pytest.raises(ClusterError, match="tcp://b:1: cannot import orgsim"):
        check_workers(
            FakeClient(
                {"tcp://a:1": good, "tcp://b:1": "cannot import orgsim: ModuleNotFoundError"}
            )
        )
    with pytest.raises(ClusterError, match=r"tcp://c:1: orgsim 0\.0\.1"):
        check_workers(FakeClient({"tcp://c:1": ("0.0.1", "abc" * 20)}))
    with pytest.raises(ClusterError, match="no workers"):
        check_workers(FakeClient({}))
