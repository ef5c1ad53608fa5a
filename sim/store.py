"""The result store of a batch folder: written as runs arrive, safe to interrupt, resumable.

Layout of ``DIR``::

    manifest.json       what the batch is (scenarios and their file hashes, seeds, versions,
                        git commit, times, status)
    runs/               Parquet dataset, one file per run: one row with scenario, rep, seed,
                        status, error, every parameter, and the outcomes at the last week
    weeks/              Parquet dataset, one file per run: one row per week

Only the driver writes. Each run's files are written to a temporary name and renamed into place,
weekly rows first and the run row last, so a run counts as done exactly when its ``runs/`` file
exists: a batch killed at any instant leaves only whole runs behind, and a resumed batch runs
what is missing. Nothing already stored is overwritten: ``--fresh`` moves the old batch aside.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

MODEL_MODULES = (
    "agents",
    "customers",
    "data_flow",
    "finance",
    "knowledge",
    "ledger",
    "model",
    "network",
    "office",
    "parameters",
    "randomness",
    "reporters",
    "runner",
    "trust",
    "work",
)
DEPENDENCIES = ("mesa", "numpy", "networkx", "pandas", "pyarrow", "scipy", "matplotlib")


class StoreError(ValueError):
    """The output folder holds something this batch must not touch; the message says what to do."""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def model_fingerprint() -> str:
    """SHA-256 of the model's source: a changed model cannot resume an old batch."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in MODEL_MODULES:
        digest.update((here / f"{name}.py").read_bytes())
    return digest.hexdigest()


def environment() -> dict[str, Any]:
    """Package and dependency versions, Python, and the git commit when there is one."""
    from sim import __version__

    versions = {}
    for dist in DEPENDENCIES:
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent,
            timeout=5,
            check=False,
        )
        git = commit.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        git = None
    return {
        "orgsim": __version__,
        "python": platform.python_version(),
        "dependencies": versions,
        "git_commit": git,
        "model_fingerprint": model_fingerprint(),
    }


def run_key(scenario: str, rep: int) -> str:
    """File stem of one run: the scenario name made safe for a file name, and the replication."""
    return f"{quote(scenario, safe='')}__rep{rep:05d}"


class BatchStore:
    """Reads and writes one batch folder."""

    def __init__(self, out: Path | str) -> None:
        self.out = Path(out)
        self.runs_dir = self.out / "runs"
        self.weeks_dir = self.out / "weeks"
        self.manifest_path = self.out / "manifest.json"

    # -- manifest ---------------------------------------------------------------------------------
    def read_manifest(self) -> dict[str, Any] | None:
        if not self.manifest_path.exists():
            return None
        try:
            return json.loads(self.manifest_path.read_text())
        except json.JSONDecodeError as exc:
            raise StoreError(
                f"{self.manifest_path} is damaged ({exc}); move the folder aside or "
                "choose another --out"
            ) from None

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        _atomic_write(self.manifest_path, json.dumps(manifest, indent=1, default=str).encode())

    def prepare(self, manifest: dict[str, Any], fresh: bool) -> dict[str, Any]:
        """Open the folder for ``manifest``: a new folder, a resumable one, or (with ``fresh``) a
        clean one with the previous batch moved aside. Returns the manifest to keep updating.

        Raises:
            StoreError: the folder holds a different batch, files that are not a batch, or a batch
                of another model version or of changed scenario files.
        """
        existing = self.read_manifest()
        if existing is None and self.out.exists() and any(self.out.iterdir()):
            raise StoreError(
                f"{self.out} is not empty and holds no batch (no manifest.json); "
                "choose another --out"
            )
        if existing is not None and fresh:
            aside = self.out / f"superseded-{datetime.now(UTC):%Y%m%dT%H%M%S}"
            aside.mkdir()
            for item in list(self.out.iterdir()):
                if not item.name.startswith("superseded-"):
                    item.rename(aside / item.name)
            existing = None
        if existing is not None:
            _check_compatible(existing, manifest, self.out)
            merged_scenarios = {**existing["scenarios"], **manifest["scenarios"]}
            manifest = {
                **existing,
                **manifest,
                "scenarios": merged_scenarios,
                "started": existing.get("started"),
                "resumed": now(),
                "reps": max(existing.get("reps", 0), manifest["reps"]),
            }
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.weeks_dir.mkdir(parents=True, exist_ok=True)
        self.write_manifest(manifest)
        return manifest

    # -- runs -------------------------------------------------------------------------------------
    def done(self) -> set[str]:
        """Keys of runs stored whole (their run row exists)."""
        if not self.runs_dir.exists():
            return set()
        return {p.stem for p in self.runs_dir.glob("*.parquet")}

    def write_run(self, row: dict[str, Any], weekly: pd.DataFrame | None) -> None:
        """Store one finished (or failed) run: weekly rows first, the run row last."""
        key = run_key(row["scenario"], int(row["rep"]))
        # Straight to Arrow: the driver writes every run, and on a 2-core machine its time comes
        # out of the workers' (a one-row DataFrame of ~130 columns through pandas cost ~4x more).
        if weekly is not None:
            weeks = pa.Table.from_pandas(weekly, preserve_index=False)
            _atomic_parquet(weeks, self.weeks_dir / f"{key}.parquet")
        _atomic_parquet(pa.Table.from_pylist([row]), self.runs_dir / f"{key}.parquet")

    def load_runs(self) -> pd.DataFrame:
        """All stored runs, in manifest scenario order then replication."""
        return self._load(self.runs_dir, ["rep"])

    def load_weeks(self) -> pd.DataFrame:
        return self._load(self.weeks_dir, ["rep", "week"])

    def _load(self, folder: Path, keys: list[str]) -> pd.DataFrame:
        files = sorted(folder.glob("*.parquet"))
        if not files:
            return pd.DataFrame()
        df = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
        manifest = self.read_manifest() or {"scenarios": {}}
        order = {name: k for k, name in enumerate(manifest["scenarios"])}
        df["_order"] = df["scenario"].map(order).fillna(len(order))
        df = df.sort_values(["_order", *keys], kind="stable").drop(columns="_order")
        return df.reset_index(drop=True)


def _check_compatible(old: dict[str, Any], new: dict[str, Any], out: Path) -> None:
    fix = f"run it with another --out, or add --fresh to move the old batch aside in {out}"
    for key, label in (("master_seed", "master seed"), ("weeks", "weeks")):
        if old.get(key) != new.get(key):
            raise StoreError(
                f"{out} holds a different batch ({label} {old.get(key)}, this one "
                f"{new.get(key)}); {fix}"
            )
    old_fp = old.get("environment", {}).get("model_fingerprint")
    new_fp = new.get("environment", {}).get("model_fingerprint")
    if old_fp != new_fp:
        raise StoreError(
            f"{out} was run with another version of the model (fingerprint "
            f"{str(old_fp)[:12]}, now {str(new_fp)[:12]}); results would mix; {fix}"
        )
    for name, spec in new["scenarios"].items():
        before = old["scenarios"].get(name)
        if before is not None and before.get("overrides") != spec.get("overrides"):
            raise StoreError(
                f"scenario {name!r} changed since {out} was run (file "
                f"{spec.get('file')}); results would mix; {fix}"
            )


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _atomic_parquet(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)
