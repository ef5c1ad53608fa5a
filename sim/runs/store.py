"""The result store of a batch folder: written as runs arrive, safe to interrupt, resumable.

Layout of ``DIR``::

    manifest.json       what the batch is (scenarios and their file hashes, seeds, versions,
                        git commit, times, status)
    runs/               Parquet dataset, one file per run: one row with scenario, rep, seed,
                        status, error, every parameter, and the outcomes at the last week
    weeks/              Parquet dataset, one file per run: one row per week

Only the driver writes (the workers hand it each run already encoded as Parquet). Each run's
files are written to a temporary name and renamed into place, weekly rows first and the run row
last, so a run counts as done exactly when its ``runs/`` file
exists: a batch killed at any instant leaves only whole runs behind, and a resumed batch runs
what is missing. Nothing already stored is overwritten: ``--fresh`` moves the old batch aside.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import UserError
from sim.runs.columns import schema_metadata

# What a fingerprint covers: every module that can change a simulated outcome or a survey answer
# (the model and survey packages, whole), and the runner, which turns a run into its stored row.
FINGERPRINT_PACKAGES = ("model", "survey")
FINGERPRINT_MODULES = ("runs/runner.py",)
DEPENDENCIES = ("mesa", "numpy", "networkx", "pandas", "pyarrow", "scipy", "matplotlib")
ASIDE_PREFIX = "superseded-"
# The file an orgsim command holds an exclusive OS lock on while it works in a folder; it records
# the holder's process id. It is never moved aside and does not make a folder "not empty".
LOCK_NAME = ".orgsim-lock"
_HELD: dict[Path, list[int]] = {}  # resolved folder -> [lock fd, depth]: re-entrant per process


class StoreError(UserError, ValueError):
    """The output folder holds something this batch must not touch; the message says what to do."""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def fingerprint_files() -> list[Path]:
    """The source files a model fingerprint covers, in a fixed order."""
    here = Path(__file__).resolve().parent.parent
    files = [f for pkg in FINGERPRINT_PACKAGES for f in sorted((here / pkg).rglob("*.py"))]
    return files + [here / name for name in FINGERPRINT_MODULES]


def model_fingerprint() -> str:
    """SHA-256 of the model's and the survey's source (every file of those packages, found on
    disk, not listed by hand): a changed model cannot resume an old batch or calibration, and a
    worker running another model is refused."""
    here = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in fingerprint_files():
        digest.update(path.relative_to(here).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def file_digest(path: Path | str) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def environment() -> dict[str, Any]:
    """Package and dependency versions, Python, and the git commit when there is one."""
    from sim import __version__

    versions: dict[str, str | None] = {}
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


FRESH_HINT = "choose another --out, or add --fresh to move the old one aside (nothing is deleted)"


def writable_folder(out: Path) -> Path:
    """``out`` as a folder this process can write in, created if missing.

    Raises:
        StoreError: ``out`` is a file, cannot be created, or is not writable; checked before any
            work starts, so a run never fails at its end for want of somewhere to write.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise StoreError(f"--out {out} is a file, not a folder; choose a folder for --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create the folder {out} ({exc.strerror}); choose a folder you can write to"
        ) from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise StoreError(f"{out} is not writable; choose a folder you can write to with --out")
    return out


@contextmanager
def folder_lock(out: Path) -> Iterator[Path]:
    """Hold an exclusive OS lock (``flock``) on the folder ``out`` for the whole of a piece of
    work, so two commands never write one folder at once; the kernel releases it if the process
    dies. Re-entrant within a process. On a system without ``fcntl`` it does nothing.

    Raises:
        StoreError: another process holds the folder (the message names its process id), or the
            folder cannot be written (:func:`writable_folder`).
    """
    out = writable_folder(out)
    key = out.resolve()
    if key in _HELD:
        _HELD[key][1] += 1
        try:
            yield out
        finally:
            _HELD[key][1] -= 1
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on Linux or macOS
        yield out
        return
    lock = out / LOCK_NAME
    created = not lock.exists()
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
        os.close(fd)
        raise StoreError(
            f"{out} is in use by another orgsim command ({holder}); wait for it to finish, or "
            "choose another --out"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"pid {os.getpid()}, since {now()}".encode(), 0)
    _HELD[key] = [fd, 1]
    refused = False
    try:
        yield out
    except StoreError:
        refused = True
        raise
    finally:
        del _HELD[key]
        os.ftruncate(fd, 0)
        if refused and created:
            lock.unlink()  # a folder that was refused keeps only what it held
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def claim_folder(
    out: Path,
    kind: str,
    state: dict[str, Any],
    fresh: bool,
    differences: Callable[[dict[str, Any], dict[str, Any]], list[str]],
    state_name: str = "manifest.json",
) -> dict[str, Any] | None:
    """Claim the output folder ``out`` for a piece of work of ``kind`` (a batch, a calibration,
    a sensitivity analysis), the one way every command does it.

    A folder that holds the same kind of work, with no ``differences`` between its recorded
    ``state`` and this one, is resumed; with ``fresh`` the old work is moved aside into
    ``out/superseded-<time>/`` (nothing is deleted); anything else is refused.

    Args:
        out: the output folder (created if missing).
        kind: what the folder holds, recorded as ``state["kind"]``.
        state: what identifies this work (settings, file hashes, model fingerprint).
        fresh: move earlier work aside instead of resuming it.
        differences: ``(old, new) -> [what differs]``, empty when the old work can be resumed.
        state_name: the file in ``out`` that records the state.

    Returns:
        The old state when the folder is resumed, else None (the caller writes the new state).

    Raises:
        StoreError: the folder holds other files, another kind of work, or work that differs; the
            message says what differs and how to go on.
    """
    out.mkdir(parents=True, exist_ok=True)
    path = out / state_name
    old = _read_state(path)
    noun = kind.removeprefix("orgsim ")
    own = [p for p in out.iterdir() if not p.name.startswith(ASIDE_PREFIX) and p.name != LOCK_NAME]
    if old is None and own:
        raise StoreError(f"{out} is not empty and holds no {noun}; choose another --out")
    if old is not None and old.get("kind") != kind:
        # Another tool's file, or another kind of orgsim work: never resumed, never moved aside.
        what = f"an {old.get('kind')!r}" if old.get("kind") else f"a {state_name} of another kind"
        raise StoreError(f"{out} holds {what}, not an {kind!r}; choose another --out")
    if old is not None and fresh:
        move_aside(out)
        return None
    if old is not None:
        differ = differences(old, {"kind": kind, **state})
        if differ:
            raise StoreError(f"{out} holds a different {noun} ({'; '.join(differ)}); {FRESH_HINT}")
    return old


def claim_state_folder(
    out: Path, kind: str, state: dict[str, Any], fresh: bool, keys: Iterable[str]
) -> None:
    """:func:`claim_folder` for work whose whole identity is ``state`` (a calibration, a
    sensitivity analysis): it resumes only when the ``keys`` of its recorded ``state.json`` are
    the same, and the state is then (re)written."""
    keys = list(keys)
    claim_folder(out, kind, state, fresh, lambda old, new: differing(old, new, keys), STATE_FILE)
    (out / STATE_FILE).write_text(json.dumps(state, indent=1) + "\n")


STATE_FILE = "state.json"


def _read_state(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        state = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StoreError(
            f"{path} is damaged ({exc}); move the folder aside or choose another --out"
        ) from None
    if not isinstance(state, dict):
        raise StoreError(
            f"{path} is not a JSON object; move the folder aside or choose another --out"
        )
    return state


def move_aside(out: Path) -> Path:
    """Move everything in ``out`` (but earlier asides) into a new ``superseded-<time>`` folder."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    aside = out / f"{ASIDE_PREFIX}{stamp}"
    aside.mkdir()
    for item in list(out.iterdir()):
        if not item.name.startswith(ASIDE_PREFIX) and item.name != LOCK_NAME:
            item.rename(aside / item.name)
    return aside


def differing(old: dict[str, Any], new: dict[str, Any], keys: Iterable[str]) -> list[str]:
    """The ``keys`` whose values differ, as ``key old -> new`` phrases (hashes shortened)."""

    def shown(value: Any) -> str:
        text = repr(value)
        return text[:14] + "..." if isinstance(value, str) and len(value) == 64 else text

    return [
        f"{key.replace('_', ' ')} {shown(old.get(key))}, this one {shown(new.get(key))}"
        for key in keys
        if old.get(key) != new.get(key)
    ]


CHECKSUMS = "checksums.sha256"  # `sha256sum -c checksums.sha256` checks a batch by hand too


def checksum_problems(out: Path) -> list[tuple[Path, str]]:
    """Result files of the batch folder ``out`` that no longer match the SHA-256 recorded in its
    :data:`CHECKSUMS` file when the batch last ended (changed or damaged since), as ``(path,
    why)``; or the listing itself, when the manifest recorded one that is gone. Files written
    after that (an interrupted call's) are not listed there and
    are checked by their Parquet footer alone; a listed file that is gone is not a problem
    (a resume may have moved it aside)."""
    listing = out / CHECKSUMS
    if not listing.is_file():
        recorded = _recorded_checksums(out)
        if recorded:
            # Deleting the listing must not turn verification off (a changed file would then be
            # accepted, and re-listed as good at the batch's next end).
            return [
                (
                    listing,
                    f"is missing, though the batch recorded the SHA-256 of {recorded} result "
                    "files in it, so they cannot be verified (restore it, or run the batch again "
                    "with --fresh)",
                )
            ]
        return []
    problems = []
    for line in listing.read_text(errors="replace").splitlines():
        digest, _, name = line.partition("  ")
        path = out / name
        if not name or not path.is_file():
            continue
        if file_digest(path) != digest:
            problems.append((path, "is damaged or was changed since the batch wrote it"))
    return problems


def _recorded_checksums(out: Path) -> int:
    """How many result files the batch's manifest says it listed in :data:`CHECKSUMS` (0 for a
    folder without a readable manifest or from before checksums)."""
    try:
        manifest = json.loads((out / "manifest.json").read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return 0
    return int(manifest.get("checksummed_files", 0)) if isinstance(manifest, dict) else 0


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
        return _read_state(self.manifest_path)

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        _atomic_write(self.manifest_path, json.dumps(manifest, indent=1, default=str).encode())

    def prepare(self, manifest: dict[str, Any], fresh: bool) -> dict[str, Any]:
        """Open the folder for ``manifest`` (:func:`claim_folder`): a new folder, a resumable one,
        or (with ``fresh``) a clean one with the previous batch moved aside. Returns the manifest
        to keep updating; a resumed batch keeps its start time and may add scenarios or
        replications.

        Raises:
            StoreError: the folder holds a different batch, files that are not a batch, or a batch
                of another model version or of changed scenario files.
        """
        existing = claim_folder(self.out, manifest["kind"], manifest, fresh, _batch_differences)
        if existing is not None:
            stale = self._move_stale_points_aside(existing, manifest)
            kept = {k: v for k, v in existing["scenarios"].items() if k not in stale}
            manifest = {
                **existing,
                **manifest,
                "scenarios": {**kept, **manifest["scenarios"]},
                "started": existing.get("started"),
                "resumed": now(),
                "reps": max(existing.get("reps", 0), manifest["reps"]),
            }
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.weeks_dir.mkdir(parents=True, exist_ok=True)
        self.write_manifest(manifest)
        return manifest

    def _move_stale_points_aside(self, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
        """Points of a sweep that this batch runs again with a smaller design: their runs move
        into ``superseded-<time>/`` (with the old manifest), so the summary and the heat map
        show only the current design. Returns the points moved."""
        sweeps = {spec.get("sweep_of") for spec in new["scenarios"].values()} - {None}
        stale = [
            name
            for name, spec in old.get("scenarios", {}).items()
            if spec.get("sweep_of") in sweeps and name not in new["scenarios"]
        ]
        if not stale:
            return []
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        aside = self.out / f"{ASIDE_PREFIX}{stamp}"
        for folder in (self.runs_dir, self.weeks_dir):
            for name in stale:
                for path in folder.glob(f"{quote(name, safe='')}__*.parquet"):
                    target = aside / folder.name / path.name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    path.rename(target)
        aside.mkdir(parents=True, exist_ok=True)
        (aside / "manifest.json").write_text(json.dumps(old, indent=1, default=str))
        return stale

    # -- runs -------------------------------------------------------------------------------------
    def done(self) -> set[str]:
        """Keys of runs stored whole (their run row exists)."""
        if not self.runs_dir.exists():
            return set()
        return {p.stem for p in self.runs_dir.glob("*.parquet")}

    def write_checksums(self) -> int:
        """Record the SHA-256 of every stored result file in :data:`CHECKSUMS` (``sha256sum``
        format, paths relative to the folder), written whole or not at all; returns the count."""
        lines = [
            f"{file_digest(path)}  {path.relative_to(self.out).as_posix()}"
            for folder in (self.runs_dir, self.weeks_dir)
            for path in (sorted(folder.glob("*.parquet")) if folder.exists() else ())
        ]
        _atomic_write(self.out / CHECKSUMS, ("\n".join(lines) + "\n").encode())
        return len(lines)

    def move_damaged_aside(self) -> list[Path]:
        """Check every stored result file (its Parquet footer and schema can be read, and it
        matches its recorded SHA-256, :func:`checksum_problems`) and move a damaged one, with the
        other file of its run, into ``damaged-<time>/`` so that the run counts as missing and is
        run again; nothing is deleted. Returns the files moved.

        Raises:
            StoreError: the checksum listing the manifest records is gone."""
        problems = checksum_problems(self.out)
        if not (self.out / CHECKSUMS).is_file() and problems:
            path, why = problems[0]  # nothing can be verified: never re-list it as good
            raise StoreError(f"{path}: {why}")
        damaged: set[str] = {path.stem for path, _ in problems}
        for folder in (self.runs_dir, self.weeks_dir):
            for path in folder.glob("*.parquet") if folder.exists() else ():
                try:
                    pq.read_schema(path)
                except (OSError, pa.ArrowException):
                    damaged.add(path.stem)
        if not damaged:
            return []
        aside = self.out / f"damaged-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}"
        moved = []
        for key in sorted(damaged):
            for folder in (self.runs_dir, self.weeks_dir):
                path = folder / f"{key}.parquet"
                if path.exists():
                    target = aside / folder.name / path.name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    path.rename(target)
                    moved.append(target)
        return moved

    def write_run(self, row: dict[str, Any], weekly: pd.DataFrame | None) -> None:
        """Store one finished (or failed) run: weekly rows first, the run row last."""
        self.write_encoded(row, encode_run(row, weekly))

    def write_encoded(self, row: dict[str, Any], encoded: EncodedRun) -> None:
        """Store a run already encoded as Parquet (by :func:`encode_run`, in the worker): the
        driver only writes the bytes, weekly rows first, the run row last."""
        key = run_key(row["scenario"], int(row["rep"]))
        if encoded.weeks is not None:
            _atomic_write(self.weeks_dir / f"{key}.parquet", encoded.weeks)
        _atomic_write(self.runs_dir / f"{key}.parquet", encoded.run)

    def load_runs(self) -> pd.DataFrame:
        """All stored runs, in manifest scenario order then replication."""
        return self._load(self.runs_dir, ["rep"])

    def statuses(self) -> list[str]:
        """The ``status`` of every stored run, read from that one column of each run file (a
        batch's closing count; reading every run row whole into pandas cost the driver about
        15 ms a run, out of the workers' cores, issue 14)."""
        if not self.runs_dir.exists():
            return []
        return [
            str(pq.read_table(path, columns=["status"]).column(0)[0])
            for path in sorted(self.runs_dir.glob("*.parquet"))
        ]

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


def _batch_differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What keeps a stored batch from being resumed by ``new``: another master seed or horizon,
    another model, or a scenario of the same name with other parameters."""
    found = differing(old, new, ("master_seed", "weeks"))
    old_fit, new_fit = old.get("fit") or {}, new.get("fit") or {}
    if old_fit.get("sha256") != new_fit.get("sha256"):
        found.append(
            f"parameter draws ({_draws(old_fit)}, this one {_draws(new_fit)}): results would mix"
        )
    old_fp = old.get("environment", {}).get("model_fingerprint")
    new_fp = new.get("environment", {}).get("model_fingerprint")
    if old_fp != new_fp:
        found.append(
            f"model version (fingerprint {str(old_fp)[:12]}, now {str(new_fp)[:12]}): results "
            "would mix"
        )
    for name, spec in new["scenarios"].items():
        before = old.get("scenarios", {}).get(name)
        if before is not None and _effective(before.get("overrides")) != _effective(
            spec.get("overrides")
        ):
            found.append(
                f"parameters of scenario {name!r} (file {spec.get('file')}): results would mix"
            )
    return found


def _draws(fit: dict[str, Any]) -> str:
    """Where a batch's parameters came from, for a message: a --fit folder or the defaults."""
    return f"--fit {fit['folder']}" if fit else "the default parameters"


def _effective(overrides: dict[str, Any] | None) -> dict[str, Any]:
    """Overrides without those that set a parameter to its default: a scenario that says
    ``colocation = 0.0`` runs the same firm as one that does not say it."""
    from sim.model.parameters import DEFAULTS

    return {
        k: v
        for k, v in (overrides or {}).items()
        if not hasattr(DEFAULTS, k) or getattr(DEFAULTS, k) != v
    }


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all: a temporary file, flushed to the disk
    (``fsync``), then renamed into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


@dataclass(frozen=True)
class EncodedRun:
    """One run's two Parquet files as bytes: the run row, and its weekly rows (None for a failed
    run)."""

    run: bytes
    weeks: bytes | None


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return bytes(sink.getvalue())


def encode_run(row: dict[str, Any], weekly: pd.DataFrame | None) -> EncodedRun:
    """A run's files as Parquet bytes, each saying what its columns mean (docs/outputs.md) in
    its schema metadata. Done in the worker: the driver writes every run, and on a 2-core
    machine its time comes out of the workers' (the run row's Parquet, its column texts
    included, took about 9 ms to encode, the weekly rows about 3, against a write of 0.6)."""
    weeks = None
    if weekly is not None:
        table = pa.Table.from_pandas(weekly, preserve_index=False)
        weeks = _parquet_bytes(table.replace_schema_metadata(schema_metadata("weeks")))
    # Straight to Arrow: a one-row DataFrame of ~130 columns through pandas cost ~4x more.
    run = pa.Table.from_pylist([row]).replace_schema_metadata(schema_metadata("runs"))
    return EncodedRun(_parquet_bytes(run), weeks)
