"""The wheel as a user gets it: built from this checkout (sdist, then the wheel from the sdist),
installed with the locked dependencies into a fresh venv, and run from a folder outside the
checkout. The data folders must come from inside the installed package (sim/_data/), not from
the checkout.

Marked ``wheel``: ``make test`` (CI) runs it, ``make test-fast`` skips it. It needs uv, which the
dev extra installs beside the interpreter (``.venv/bin/uv``); uv's cache makes the install take
seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.wheel

REPO = Path(__file__).resolve().parent.parent
TIMEOUT = 300

POPULATION = """name = "tiny"
[fixed]
weeks = 65
survey_week = 65
n_marketers = 6
n_technologists = 6
n_customers = 300
[draw.shared_metrics]
dist = "use"
share = 0.3
low = 0.2
high = 0.6
"""
EXPERIMENT = """name = "tiny_fit"
description = "tiny: the installed wheel calibrates end to end"
population = "pop.toml"
targets = "{targets}"
budget = 12
firms = 4
seed = 3
refit_firms = 4
bootstrap = 20
screen_trajectories = 0
[free.tolerance_cio]
prior = [0.1, 0.9]
[free.tolerance_cmo]
prior = [0.1, 0.9]
"""


def find_uv() -> str:
    beside = Path(sys.executable).parent / "uv"
    uv = str(beside) if beside.is_file() else shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed (make setup installs it from the dev extra)")
    return uv


def clean_env(venv: Path | None = None) -> dict[str, str]:
    """The environment without this checkout's venv or paths; with ``venv`` on PATH first."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONHOME")
    }
    env["UV_PYTHON_DOWNLOADS"] = "never"
    if venv is not None:
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    assert done.returncode == 0, f"{cmd} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A venv holding the locked runtime dependencies and the freshly built wheel."""
    uv = find_uv()
    root = tmp_path_factory.mktemp("wheel")
    dist, venv = root / "dist", root / "venv"
    env = clean_env()
    run([uv, "build", "--quiet", "--out-dir", str(dist), str(REPO)], root, env)
    (wheel,) = dist.glob("orgsim-*.whl")
    assert len(list(dist.glob("orgsim-*.tar.gz"))) == 1

    names = set(zipfile.ZipFile(wheel).namelist())
    assert "sim/py.typed" in names and "sim/cli.py" in names
    for kind, example in (
        ("scenarios", "baseline"),
        ("populations", "industry_2016"),
        ("experiments", "targets"),
    ):
        assert f"sim/_data/{kind}/{example}.toml" in names, f"{kind}/ is not in the wheel"
    assert not [n for n in names if n.startswith(("tests/", "scenarios/", "benchmarks/"))]

    requirements = root / "requirements.txt"
    export = ["export", "--frozen", "--no-hashes", "--no-emit-project", "--quiet"]
    run([uv, *export, "--output-file", str(requirements)], REPO, env)
    run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], root, env)
    python = str(venv / "bin" / "python")
    # The export is the whole locked closure, so nothing else is resolved.
    install = ["pip", "install", "--quiet", "--python", python, "--no-deps"]
    run([uv, *install, "-r", str(requirements), str(wheel)], root, env)
    run([uv, "pip", "check", "--python", python], root, env)
    return venv


def test_installed_wheel_runs_outside_the_checkout(installed, tmp_path):
    venv = installed
    env = clean_env(venv)
    python, orgsim = str(venv / "bin" / "python"), str(venv / "bin" / "orgsim")

    where = run(
        [
            python,
            "-c",
            "import json, pathlib, sim; from sim.datafiles import data_dir; "
            "print(json.dumps({'sim': str(pathlib.Path(sim.__file__).resolve()), **{k: "
            "str(data_dir(k).resolve()) for k in ('scenarios', 'populations', 'experiments')}}))",
        ],
        tmp_path,
        env,
    ).stdout
    paths = json.loads(where)
    inside = venv.resolve()
    for what, path in paths.items():
        assert Path(path).is_relative_to(inside), f"{what} comes from {path}, not the venv"
        assert not Path(path).is_relative_to(REPO), f"{what} comes from the checkout: {path}"
    targets = Path(paths["experiments"]) / "targets.toml"
    assert targets.is_file()

    (tmp_path / "pop.toml").write_text(POPULATION)
    (tmp_path / "fit.toml").write_text(EXPERIMENT.format(targets=targets))
    commands = {
        "run": [orgsim, "run", "baseline", "--weeks", "3"],
        "survey": [orgsim, "survey", "industry_2016", "--firms", "2", "--workers", "1", "-q"],
        "calibrate": [orgsim, "calibrate", "fit.toml", "--workers", "1", "--out", "fit"],
    }
    # The three at once: most of each is importing the model, and there are two cores.
    procs = {
        name: subprocess.Popen(
            cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for name, cmd in commands.items()
    }
    out = {}
    try:
        for name, proc in procs.items():
            stdout, stderr = proc.communicate(timeout=TIMEOUT)
            assert proc.returncode == 0, f"orgsim {name} exited {proc.returncode}:\n{stderr}"
            out[name] = stdout + stderr
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    assert "scenario baseline, seed 0, 3 weeks" in out["run"] and "cx_index" in out["run"]
    assert "2 firms of industry_2016" in out["survey"]
    assert "substantial_growth" in out["survey"]
    assert "targets reproduced within their 95% bands" in out["calibrate"]
    fit = json.loads((tmp_path / "fit" / "fit.json").read_text())
    assert set(fit["estimates"]) == {"tolerance_cio", "tolerance_cmo"}
    assert (tmp_path / "fit" / "report.html").is_file()
