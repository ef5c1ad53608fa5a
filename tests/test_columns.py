"""docs/outputs.md and the Parquet schema metadata come from one table of column meanings, and
what the other commands store (a survey's CSV and answers here; a calibration's and a sensitivity
analysis's folders in test_calibration.py and test_sensitivity.py) is exactly what it documents."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.cli import main
from sim.runs import columns
from sim.runs.batch import RunSpec, run_spec
from sim.runs.store import BatchStore

DOCS = Path(__file__).resolve().parent.parent / "docs" / "outputs.md"
# Two small firms surveyed at the earliest week a survey allows (65 weeks of history): seconds.
TINY_POPULATION = """name = "tiny"
[fixed]
weeks = 66
survey_week = 66
n_marketers = 4
n_technologists = 4
n_customers = 200
[draw.shared_metrics]
dist = "uniform"
low = 0.0
high = 0.2
"""


def test_docs_outputs_is_the_generated_text():
    assert DOCS.read_text() == columns.markdown(), (
        "docs/outputs.md is out of date: python -m sim.runs.columns > docs/outputs.md"
    )


def test_every_stored_column_is_documented_and_the_files_carry_the_text(tmp_path):
    row, weekly = run_spec(RunSpec("s", 0, 7, {"n_customers": 200, "n_marketers": 4}, 3))
    store = BatchStore(tmp_path)
    store.runs_dir.mkdir()
    store.weeks_dir.mkdir()
    store.write_run(row, weekly)
    for kind, documented in (("runs", columns.run_columns()), ("weeks", columns.week_columns())):
        (path,) = (tmp_path / kind).glob("*.parquet")
        schema = pq.read_schema(path)
        assert set(schema.names) == set(documented), kind
        meta = json.loads(schema.metadata[columns.METADATA_KEY])
        assert meta["cx_index"]["unit"] == "index points, 0-100"
        assert all(meta[n]["meaning"] for n in schema.names)


def test_a_survey_stores_exactly_the_documented_columns(tmp_path, monkeypatch, capsys):
    """The CSV of `orgsim survey --out` and the answers table it is computed from (what a
    calibration stores in answers/) have the columns docs/outputs.md lists, in its order."""
    from sim.survey import population

    population_file = tmp_path / "tiny.toml"
    population_file.write_text(TINY_POPULATION)
    seen = []
    original = population.run_survey
    monkeypatch.setattr(
        population, "run_survey", lambda *a, **k: seen.append(original(*a, **k)) or seen[-1]
    )
    out = tmp_path / "shares.csv"
    argv = ["survey", str(population_file), "--firms", "2", "--workers", "1", "-q"]
    assert main([*argv, "--out", str(out)]) == 0
    capsys.readouterr()
    assert list(pd.read_csv(out).columns) == list(columns.share_columns())
    (answers,) = seen
    assert list(answers.columns) == list(columns.answer_columns())
    assert set(answers.firm) == {0, 1}


def test_a_column_without_a_meaning_stops_the_generator():
    with pytest.raises(ValueError, match=r"describe the stored \['new'\], drop \['gone'\]"):
        columns._described(("kept", "new"), {"kept": ("-", "x"), "gone": ("-", "y")}, "t")
