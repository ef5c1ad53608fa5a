"""Parameter draws from a calibration, for batches that carry the model's uncertainty
(``orgsim batch --fit DIR``; docs/calibration.md: lever effects under uncertainty).

A calibration folder holds ``posterior.csv``: one complete set of the fitted parameters per row.
A batch run with ``--fit`` gives replication r one of those rows, the same row to every scenario
of that replication, so the paired differences between scenarios stay paired (common random
numbers and a common parameter set) while their spread over replications now holds both the
seed noise and the uncertainty of the fit. Which row replication r gets is fixed by the master
seed alone (a permutation of the rows, then r modulo their number), so a resumed or enlarged
batch gives the replications it already ran the same rows.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import UserError
from sim.model.parameters import FIELDS, ParameterError, Parameters

POSTERIOR_FILE = "posterior.csv"
FIT_FILE = "fit.json"
# Mixed into the master seed for the choice of rows: a stream of its own, so that the choice
# never shares draws with the replication seeds spawned from the same master seed.
DRAW_STREAM = 15


class PosteriorError(UserError, ValueError):
    """A --fit folder that holds no usable parameter draws."""


@dataclass(frozen=True)
class PosteriorDraws:
    """The parameter draws of one calibration."""

    folder: Path
    sha256: str
    table: pd.DataFrame  # column ``draw``, then one column per fitted parameter
    # "draws" (posterior.csv) or "point" (the fit's estimates in every replication: the fitted
    # model with seed noise alone, against which the draws' wider intervals are read)
    kind: str = "draws"

    @property
    def parameters(self) -> list[str]:
        return [c for c in self.table.columns if c != "draw"]

    def rows_for(self, reps: int, master_seed: int) -> list[int]:
        """Which row each of ``reps`` replications takes: the first ``reps`` of a permutation
        seeded by the master seed (then round again if there are more replications than rows)."""
        order = np.random.default_rng([master_seed, DRAW_STREAM]).permutation(len(self.table))
        return [int(order[r % order.size]) for r in range(reps)]

    def values(self, row: int) -> dict[str, Any]:
        """The parameter values of one row, as Parameters takes them."""
        record = self.table.iloc[row]
        return {name: record[name].item() for name in self.parameters}

    def manifest(self, reps: int, master_seed: int) -> dict[str, Any]:
        """What a batch manifest records of the draws it used."""
        rows = self.rows_for(reps, master_seed)
        return {
            "folder": str(self.folder),
            "kind": self.kind,
            "file": POSTERIOR_FILE if self.kind == "draws" else FIT_FILE,
            "sha256": self.sha256,
            "draws_available": len(self.table),
            "parameters": self.parameters,
            "draw_of_replication": [int(self.table["draw"].iloc[r]) for r in rows],
        }


def load_point(folder: str | Path) -> PosteriorDraws:
    """The fit's point estimate (``folder/fit.json``: estimates and the parameters fixed after
    screening) as a one-row table, for every replication alike.

    Raises:
        PosteriorError: no such folder, no readable fit.json, or estimates the model refuses.
    """
    import json

    folder = Path(folder)
    path = folder / FIT_FILE
    if not path.is_file():
        raise PosteriorError(
            f"--fit-point {folder}: it holds no {FIT_FILE}; give the output folder of a finished "
            "`orgsim calibrate`"
        )
    try:
        fit = json.loads(path.read_text())
        values = {**fit.get("fixed_after_screening", {}), **fit["estimates"]}
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError, AttributeError):
        raise PosteriorError(f"{path}: not a calibration's fit.json; run it again") from None
    try:
        Parameters.from_flat(values)
    except ParameterError as exc:
        raise PosteriorError(f"{path}: estimates: {exc}") from None
    table = pd.DataFrame([{"draw": -1, **values}])
    digest = hashlib.sha256(b"point|" + path.read_bytes()).hexdigest()
    return PosteriorDraws(folder, digest, table, kind="point")


def load_posterior(folder: str | Path) -> PosteriorDraws:
    """Read ``folder/posterior.csv`` and check every row is a valid parameter set.

    Raises:
        PosteriorError: no such folder or file, an unreadable file, no rows, an unknown
            parameter name, or a value the parameter does not accept; the message names it.
    """
    folder = Path(folder)
    path = folder / POSTERIOR_FILE
    if not folder.is_dir():
        raise PosteriorError(
            f"--fit {folder}: no such folder; give the output folder of `orgsim calibrate`"
        )
    if not path.is_file():
        raise PosteriorError(
            f"--fit {folder}: it holds no {POSTERIOR_FILE}; give the output folder of a finished "
            "`orgsim calibrate` (calibrations before orgsim 0.2 did not write it: run it again)"
        )
    data = path.read_bytes()
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise PosteriorError(
            f"{path}: not a readable table ({exc}); run the calibration again"
        ) from None
    if "draw" not in table.columns or len(table) == 0:
        raise PosteriorError(
            f"{path}: needs a 'draw' column and at least one row of parameter values; run the "
            "calibration again"
        )
    unknown = [c for c in table.columns if c != "draw" and c not in FIELDS]
    if unknown:
        raise PosteriorError(
            f"{path}: column {unknown[0]!r} is not a parameter of the model (docs/parameters.md)"
        )
    if len(table.columns) < 2:
        raise PosteriorError(f"{path}: holds no parameter columns besides 'draw'")
    posterior = PosteriorDraws(folder, hashlib.sha256(data).hexdigest(), table)
    for row in range(len(table)):
        values = posterior.values(row)
        bad = [k for k, v in values.items() if isinstance(v, float) and not math.isfinite(v)]
        if bad:
            raise PosteriorError(
                f"{path}: draw {table['draw'].iloc[row]} has no value for {bad[0]}"
            )
        try:
            Parameters.from_flat(values)
        except ParameterError as exc:
            raise PosteriorError(f"{path}: draw {table['draw'].iloc[row]}: {exc}") from None
    return posterior
