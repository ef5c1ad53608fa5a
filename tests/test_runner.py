"""The runner: one summarised row per run, and no per-model state left behind in Mesa's caches, so
worker processes do not grow over hundreds of runs (docs/architecture.md, "Mesa notes": Mesa 3.3.1
keeps models)."""

from __future__ import annotations

import gc
import weakref

import mesa
import numpy as np

from sim.model.model import Organisation
from sim.model.outcomes import OUTCOMES
from sim.runs.runner import release, simulate


def test_release_frees_the_model():
    model = Organisation(seed=1, weeks=3, n_customers=300)
    model.run()
    ids = getattr(mesa.Agent, "_ids", None)  # Mesa 3.3 keeps one; 3.4.2 and later do not
    assert ids is None or model in ids
    ref = weakref.ref(model)
    release(model)
    assert ref() is not None and (ids is None or ref() not in ids)
    del model
    gc.collect()
    assert ref() is None, "the model is still referenced after release"


def test_simulate_summarises_one_run():
    row = simulate({"n_customers": 300, "n_marketers": 5, "n_technologists": 5}, seed=4, weeks=60)
    assert set(OUTCOMES) <= set(row) and all(f"mean_{o}" in row for o in OUTCOMES)
    assert np.isfinite(row["cx_index_w52"]) and 0 <= row["cx_index"] <= 100
    short = simulate({"n_customers": 300}, seed=4, weeks=10)
    assert np.isnan(short["cx_index_w52"])
