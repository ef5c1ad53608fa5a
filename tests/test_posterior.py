"""Batches on a calibration's parameter draws (``orgsim batch --fit DIR``, issue 15): one draw per
replication shared by every scenario of it, stable when a batch is resumed or enlarged, recorded
in the manifest, refused when it would mix with another fit's; and every bad --fit folder named,
exit 2, nothing stored touched."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.runs import scenarios
from sim.runs.batch import plan, run_batch
from sim.runs.posterior import PosteriorError, load_posterior
from sim.runs.store import BatchStore, StoreError

SMALL = "n_marketers = 8\nn_technologists = 8\nn_customers = 400\n"


def write_posterior(folder: Path, rows: dict[str, list]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame(rows)
    table.insert(0, "draw", range(len(table)))
    table.to_csv(folder / "posterior.csv", index=False)
    return folder


@pytest.fixture
def files(tmp_path):
    out = []
    for name, extra in (
        ("base", ""),
        ("lever", "shared_metrics = 0.8\n"),
        ("own", "misunderstanding = 0.9\n"),
    ):
        path = tmp_path / f"{name}.toml"
        path.write_text(f'name = "{name}"\n[parameters]\n{SMALL}{extra}')
        out.append(path)
    return out


def load(paths):
    return [s for p in paths for s in scenarios.load_file(str(p))]


@pytest.fixture
def fit(tmp_path):
    return write_posterior(
        tmp_path / "fit",
        {
            "misunderstanding": [0.3, 0.45, 0.6, 0.75, 0.9, 1.0],
            "saas_propensity": [-2.0, -1.5, -1.0, -0.5, 0.0, 0.5],
        },
    )


def test_every_scenario_of_a_replication_runs_the_same_draw(files, fit):
    posterior = load_posterior(fit)
    specs = plan(load(files), reps=5, master_seed=3, weeks=10, posterior=posterior)
    by_rep: dict[int, dict[str, dict]] = {}
    for s in specs:
        by_rep.setdefault(s.rep, {})[s.scenario] = s.overrides
    drawn = []
    for runs in by_rep.values():
        assert runs["base"]["saas_propensity"] == runs["lever"]["saas_propensity"]
        assert runs["base"]["misunderstanding"] == runs["lever"]["misunderstanding"]
        assert runs["lever"]["shared_metrics"] == 0.8
        # a scenario that sets a fitted parameter itself keeps its own value
        assert runs["own"]["misunderstanding"] == 0.9
        assert runs["own"]["saas_propensity"] == runs["base"]["saas_propensity"]
        drawn.append(runs["base"]["saas_propensity"])
    # five replications, six draws: a permutation, so no draw twice
    assert len(set(drawn)) == 5
    # a larger batch gives the replications already run the same draws; another seed, others
    assert posterior.rows_for(9, 3)[:5] == posterior.rows_for(5, 3)
    assert posterior.rows_for(6, 3) != posterior.rows_for(6, 4)
    assert sorted(posterior.rows_for(12, 3)[:6]) == list(range(6))


def test_a_batch_on_a_fit_records_its_draws_and_runs_them(files, fit, tmp_path):
    posterior = load_posterior(fit)
    store = BatchStore(tmp_path / "out")
    run_batch(
        load(files[:2]),
        store,
        reps=3,
        master_seed=3,
        weeks=8,
        workers=1,
        progress=False,
        posterior=posterior,
    )
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    record = manifest["fit"]
    assert record["sha256"] == posterior.sha256 and record["draws_available"] == 6
    assert record["parameters"] == ["misunderstanding", "saas_propensity"]
    runs = store.load_runs().sort_values(["scenario", "rep"])
    table = posterior.table.set_index("draw")
    for scenario in ("base", "lever"):
        mine = runs[runs.scenario == scenario]
        expected = table.loc[record["draw_of_replication"], "misunderstanding"].to_numpy()
        assert mine.misunderstanding.to_numpy().tolist() == expected.tolist()
    # the drawn parameters change what the firm does: the same seeds without them differ
    plain = BatchStore(tmp_path / "plain")
    run_batch(load(files[:1]), plain, reps=3, master_seed=3, weeks=8, workers=1, progress=False)
    # the results page and the report say where the parameters came from
    from sim.results.tables import load_batch

    assert "one draw per replication" in load_batch(tmp_path / "out").describe()
    assert "seed noise only" in load_batch(tmp_path / "plain").describe()
    a = runs[runs.scenario == "base"].sort_values("rep").mean_requests_reworked.to_numpy()
    b = plain.load_runs().sort_values("rep").mean_requests_reworked.to_numpy()
    assert (a != b).any()


def test_a_batch_on_the_fits_estimates_runs_them_in_every_replication(files, tmp_path):
    from sim.runs.posterior import load_point

    folder = tmp_path / "fit"
    folder.mkdir()
    (folder / "fit.json").write_text(
        json.dumps({"estimates": {"misunderstanding": 0.42}, "fixed_after_screening": {}})
    )
    point = load_point(folder)
    specs = plan(load(files[:2]), reps=3, master_seed=3, weeks=4, posterior=point)
    assert {s.overrides["misunderstanding"] for s in specs} == {0.42}
    assert point.manifest(3, 3)["draw_of_replication"] == [-1, -1, -1]
    # the report and the results page say these intervals hold seed noise alone
    from sim.results.tables import parameter_source

    source = parameter_source({"fit": point.manifest(3, 3)})
    assert "seed noise only" in source and "estimates" in source
    # --fit and --fit-point together, or a folder without fit.json: named, exit 2
    argv = ["batch", str(files[0]), "--reps", "1", "--weeks", "4", "-q"]
    assert main([*argv, "--fit", str(folder), "--fit-point", str(folder)]) == 2
    assert main([*argv, "--fit-point", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert not (tmp_path / "o").exists()


def test_a_batch_is_not_resumed_on_another_fit(files, fit, tmp_path):
    store = BatchStore(tmp_path / "out")

    def batch(posterior=None):
        run_batch(
            load(files[:1]),
            store,
            reps=2,
            master_seed=3,
            weeks=6,
            workers=1,
            progress=False,
            posterior=posterior,
        )

    batch(load_posterior(fit))
    before = sorted(p.name for p in (tmp_path / "out" / "runs").iterdir())
    with pytest.raises(StoreError, match="parameter draws"):
        batch()
    other = write_posterior(tmp_path / "other", {"misunderstanding": [0.5, 0.6]})
    with pytest.raises(StoreError, match="parameter draws"):
        batch(load_posterior(other))
    assert sorted(p.name for p in (tmp_path / "out" / "runs").iterdir()) == before


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: d / "missing", "no such folder"),
        (lambda d: d, "holds no posterior.csv"),
        (lambda d: write_posterior(d / "f", {"misunderstandin": [0.5]}), "not a parameter"),
        (lambda d: write_posterior(d / "f", {"misunderstanding": [0.5, 7.0]}), "draw 1"),
        (lambda d: write_posterior(d / "f", {"misunderstanding": [0.5, None]}), "no value"),
        (lambda d: write_posterior(d / "f", {"misunderstanding": []}), "at least one row"),
    ],
)
def test_a_bad_fit_folder_is_named_with_exit_2(make, message, files, tmp_path, capsys):
    (tmp_path / "case").mkdir()
    folder = make(tmp_path / "case")
    with pytest.raises(PosteriorError, match=message):
        load_posterior(folder)
    out = tmp_path / "results"
    code = main(
        [
            "batch",
            str(files[0]),
            "--reps",
            "2",
            "--weeks",
            "4",
            "--fit",
            str(folder),
            "--out",
            str(out),
            "-q",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert not out.exists()


def test_the_shipped_fit_belongs_to_this_model_output():
    """experiments/fits/fit_2016 was calibrated on the output the stored baseline holds: after
    `make baseline` it no longer describes the model, and `make fit` makes it again."""
    from sim.experiments.experiment import load_experiment
    from sim.experiments.shipped import MADE, SHIPPED, baseline_digest

    made = json.loads((SHIPPED / MADE).read_text())
    assert made["baseline_sha256"] == baseline_digest(), (
        "the shipped fit was made on another model output: run `make fit`"
    )
    posterior = load_posterior(SHIPPED)
    free = {f.name for f in load_experiment("experiments/fit_2016.toml").free}
    assert set(posterior.parameters) == free
    # draws, not one point: every estimated parameter varies across them
    assert all(posterior.table[name].nunique() > 10 for name in posterior.parameters)
