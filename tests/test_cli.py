"""The ``orgsim`` command line, through ``sim.cli.main`` (as sqlite-utils tests its CLI): every
command's happy path, and bad input reported in one line with exit status 2 and no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import DEMO_SCENARIOS, main
from sim.model.outcomes import OUTCOMES
from sim.model.parameters import FIELDS

ROOT = Path(__file__).resolve().parent.parent
QUICK = ["--weeks", "10", "--seed", "3"]
SMALL = ["--set", "n_customers=1000"]


def _fails_cleanly(capsys, argv: list[str]) -> str:
    """Run ``argv``, require exit status 2 with a one-line error and empty stdout; return stderr."""
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 2, (status, out, err)
    assert out == ""
    assert err.startswith("orgsim: error: ")
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    return err


# -- params ---------------------------------------------------------------------------------------


def test_params_lists_every_parameter(capsys):
    assert main(["params"]) == 0
    out = capsys.readouterr().out
    listed = [line.split()[0] for line in out.splitlines() if line.strip()]
    assert listed == list(FIELDS)
    assert "shared_metrics" in out and "a number from 0.0 to 1.0" in out
    assert "'forbid', 'guidelines', 'laissez-faire'" in out


def test_params_verbose_adds_each_meaning(capsys):
    assert main(["params", "--verbose"]) == 0
    out = capsys.readouterr().out
    for f in FIELDS.values():
        assert f.metadata["doc"] in out


def test_python_dash_m_sim_params_runs():
    done = subprocess.run(
        [sys.executable, "-m", "sim", "params"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    names = [line.split()[0] for line in done.stdout.splitlines() if line.strip()]
    assert names == list(FIELDS)


# -- run ----------------------------------------------------------------------------------------


def test_run_prints_a_summary(capsys):
    assert main(["run", "baseline", *QUICK, *SMALL]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("scenario baseline, seed 3, 10 weeks")
    reported = [line.split()[0] for line in lines[1:]]
    assert reported == list(OUTCOMES)


def test_run_is_reproducible_by_seed(capsys):
    def summary(seed: str) -> list[str]:
        assert main(["run", "baseline", "--weeks", "10", "--seed", seed, *SMALL]) == 0
        return capsys.readouterr().out.splitlines()[1:]  # drop the line with the timing

    first = summary("3")
    assert summary("3") == first
    assert summary("4") != first


def test_run_applies_set_values(capsys, tmp_path):
    target = tmp_path / "weeks.csv"
    argv = ["run", "baseline", *QUICK, *SMALL, "--set", "joint_occasions=8", "--weekly"]
    assert main([*argv, str(target), "--set", "joint_occasions=0"]) == 0
    without = pd.read_csv(target, index_col="week")
    target.unlink()
    assert main([*argv, str(target)]) == 0
    capsys.readouterr()
    social = pd.read_csv(target, index_col="week")
    assert without["lever_cost"].sum() == 0
    assert social["lever_cost"].sum() > 0


def test_unknown_parameter_suggests_the_closest_name(capsys):
    err = _fails_cleanly(capsys, ["run", "baseline", *QUICK, "--set", "shared_metric=0.5"])
    assert "unknown parameter 'shared_metric'" in err
    assert "did you mean shared_metrics" in err


def test_out_of_range_value_names_the_range(capsys):
    err = _fails_cleanly(capsys, ["run", "baseline", *QUICK, "--set", "shared_metrics=2"])
    assert "shared_metrics=2" in err
    assert "out of range" in err
    assert "from 0.0 to 1.0" in err


def test_unreadable_value_is_refused(capsys):
    err = _fails_cleanly(capsys, ["run", "baseline", *QUICK, "--set", "shared_metrics=abc"])
    assert "shared_metrics='abc' cannot be read" in err
    assert "a number from 0.0 to 1.0" in err


def test_set_without_equals_is_refused(capsys):
    err = _fails_cleanly(capsys, ["run", "baseline", *QUICK, "--set", "shared_metrics"])
    assert "expected name=value" in err


def test_unknown_scenario_lists_the_known_ones(capsys):
    err = _fails_cleanly(capsys, ["run", "no_such_scenario", *QUICK])
    assert "unknown scenario 'no_such_scenario'" in err
    for name in DEMO_SCENARIOS:
        assert name in err


def test_scenario_file_with_a_typo_names_the_file_and_the_fix(capsys, tmp_path):
    scenario = tmp_path / "typo.toml"
    scenario.write_text('name = "typo"\n[parameters]\ncolocaton = 0.5\n')
    err = _fails_cleanly(capsys, ["run", str(scenario), *QUICK])
    assert str(scenario) in err
    assert "did you mean colocation" in err


def test_weekly_writes_a_csv_and_will_not_overwrite_without_force(capsys, tmp_path):
    target = tmp_path / "weeks.csv"
    assert main(["run", "baseline", *QUICK, *SMALL, "--weekly", str(target)]) == 0
    assert f"written to {target}" in capsys.readouterr().out
    df = pd.read_csv(target, index_col="week")
    assert list(df.index) == list(range(11))
    assert list(df.columns) == list(OUTCOMES)
    written = target.read_bytes()

    argv = ["run", "baseline", "--weeks", "10", "--seed", "4", *SMALL, "--weekly", str(target)]
    err = _fails_cleanly(capsys, argv)
    assert "--force" in err and str(target) in err
    assert target.read_bytes() == written

    assert main([*argv, "--force"]) == 0
    capsys.readouterr()
    assert target.read_bytes() != written


def test_weekly_into_a_missing_directory_is_a_usage_error(capsys, tmp_path):
    target = tmp_path / "no_such_dir" / "weeks.csv"
    err = _fails_cleanly(capsys, ["run", "baseline", *QUICK, *SMALL, "--weekly", str(target)])
    assert "no_such_dir" in err
    assert not target.exists()


def test_negative_seed_is_a_usage_error(capsys):
    try:
        status = main(["run", "baseline", "--weeks", "3", "--seed", "-1"])
    except SystemExit as exc:  # refused by the argument parser, with its usage line
        status = exc.code
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert "seed" in err and "-1" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("flag", ["--weeks", "--reps", "--workers"])
def test_counts_below_one_are_usage_errors(capsys, flag):
    command = "run" if flag == "--weeks" else "demo"
    argv = [command, "baseline", flag, "0"] if command == "run" else [command, flag, "0"]
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert f"{flag} must be at least 1" in capsys.readouterr().err


# -- demo ----------------------------------------------------------------------------------------


def test_demo_prints_a_paired_table(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # whatever the demo stores goes under tmp_path
    assert main(["demo", "--reps", "2", "--weeks", "10", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    first_words = {line.split()[0] for line in out.splitlines() if line.strip()}
    for name in DEMO_SCENARIOS:
        assert name in first_words, f"no row for {name}"
    assert "baseline" in out
    assert "cx_index" in out
    assert "10 runs" in out
    # then the same seeds on the shipped fit's draws, and each lever's intervals side by side
    assert "seed noise alone" in out and "with the fit's uncertainty" in out
    table = pd.read_csv(tmp_path / "results/demo-fit/report/side_by_side.csv")
    assert set(table.scenario) == set(DEMO_SCENARIOS) - {"baseline"}
    manifest = json.loads((tmp_path / "results/demo-fit/manifest.json").read_text())
    assert len(manifest["fit"]["draw_of_replication"]) == 2
    assert json.loads((tmp_path / "results/demo/manifest.json").read_text())["fit"] is None
    point = json.loads((tmp_path / "results/demo-fit-point/manifest.json").read_text())["fit"]
    assert point["kind"] == "point" and point["draw_of_replication"] == [-1, -1]


def test_demo_moves_a_demo_of_another_horizon_aside_and_keeps_it(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = ["demo", "--reps", "1", "--workers", "1", "--fit", "none"]
    assert main([*argv, "--weeks", "4"]) == 0
    first = sorted(p.name for p in (tmp_path / "results/demo/runs").iterdir())
    capsys.readouterr()
    # Same demo again: resumed, nothing re-run, nothing moved.
    assert main([*argv, "--weeks", "4"]) == 0
    assert "0 runs done" in capsys.readouterr().out
    assert not list((tmp_path / "results/demo").glob("superseded-*"))
    # Another horizon (as after a model change): the old demo is moved aside, not refused.
    assert main([*argv, "--weeks", "5"]) == 0
    assert "moving it aside" in capsys.readouterr().err
    (aside,) = (tmp_path / "results/demo").glob("superseded-*")
    assert sorted(p.name for p in (aside / "runs").iterdir()) == first
    runs = pd.read_parquet(tmp_path / "results/demo/runs")
    assert len(runs) == len(DEMO_SCENARIOS)


# -- conventions ----------------------------------------------------------------------------------


def test_version_names_the_package(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == "orgsim 0.1.0"


def test_help_imports_none_of_the_heavy_libraries():
    """``orgsim --help`` stays fast because the CLI imports the library lazily: after importing
    sim.cli and building the parser, neither Mesa nor pandas nor SciPy is loaded."""
    code = (
        "import sys; from sim.cli import build_parser; build_parser(); "
        "print(','.join(m for m in ('mesa', 'pandas', 'scipy', 'matplotlib', 'numpy') "
        "if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert loaded.stdout.strip() == ""


def test_weekly_dash_writes_the_table_to_stdout(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "baseline", *QUICK, *SMALL, "--weekly", "-"]) == 0
    out, err = capsys.readouterr()
    assert not (tmp_path / "-").exists()
    table = pd.read_csv(__import__("io").StringIO(out), index_col="week")
    assert list(table.columns) == list(OUTCOMES) and len(table) == 11
    assert "scenario baseline, seed 3" in err  # the summary moved out of the pipe's way


def test_weekly_onto_a_folder_is_refused_before_the_run(capsys, tmp_path):
    err = _fails_cleanly(capsys, ["run", "baseline", *QUICK, "--weekly", str(tmp_path)])
    assert "is a folder" in err


def test_survey_out_dash_writes_the_shares_to_stdout(capsys, tmp_path, monkeypatch):
    population = tmp_path / "tiny.toml"
    population.write_text(
        'name = "tiny"\n[fixed]\nweeks = 66\nsurvey_week = 66\nn_marketers = 4\n'
        "n_technologists = 4\nn_customers = 200\n[draw.shared_metrics]\n"
        'dist = "uniform"\nlow = 0.0\nhigh = 0.2\n'
    )
    argv = ["survey", str(population), "--firms", "2", "--workers", "1", "-q", "--out", "-"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    shares = pd.read_csv(__import__("io").StringIO(out))
    assert {"id", "respondent", "group", "share", "low", "high", "n"} <= set(shares.columns)
    assert "2 firms of tiny" in err


def test_progress_bars_follow_tqdm_detection_and_tqdm_disable(tmp_path):
    """Into a pipe (not a terminal) the batch draws no progress frames; TQDM_DISABLE is obeyed."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    for extra in ({}, {"TQDM_DISABLE": "1"}):
        out = tmp_path / f"b{len(extra)}"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "sim",
                "batch",
                "baseline",
                "--reps",
                "1",
                "--weeks",
                "2",
                "--workers",
                "1",
                "--out",
                str(out),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**env, **extra},
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        assert (
            "runs:" not in done.stderr and "it/s" not in done.stderr and "run/s" not in done.stderr
        )
        assert "1 workers" in done.stderr  # the header names the worker count it uses


def test_a_closed_pipe_ends_quietly():
    """``orgsim params -v | head -1``: the reader goes away early; no BrokenPipeError traceback."""
    done = subprocess.run(
        f"{sys.executable} -m sim params -v | head -1",
        shell=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.stdout.startswith("n_marketers")
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
