"""docs/outputs.md and the Parquet schema metadata come from one table of column meanings."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from sim.runs import columns
from sim.runs.batch import RunSpec, run_spec
from sim.runs.store import BatchStore

DOCS = Path(__file__).resolve().parent.parent / "docs" / "outputs.md"


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
