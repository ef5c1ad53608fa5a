"""The data folders that ship with orgsim, found by name, and the one TOML reader.

``scenarios/``, ``populations/``, ``experiments/`` (and ``profiles/``) hold data only. In a
checkout they sit beside the ``sim`` package; in an installed wheel they travel inside it as
``sim/_data/<kind>/`` (see ``[tool.hatch.build]`` in ``pyproject.toml``). A file given by path is
always used as it is; a bare name is looked up in the folder of its kind.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

KINDS = ("scenarios", "populations", "experiments", "profiles")
_PACKAGE = Path(__file__).resolve().parent


def data_dir(kind: str) -> Path:
    """The folder of ``kind``: the installed copy inside the package, else the checkout's."""
    if kind not in KINDS:
        raise KeyError(f"unknown data folder {kind!r}; known: {', '.join(KINDS)}")
    packaged = _PACKAGE / "_data" / kind
    return packaged if packaged.is_dir() else _PACKAGE.parent / kind


def names(kind: str) -> list[str]:
    """Names (file stems) of the TOML files of ``kind``, sorted."""
    folder = data_dir(kind)
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def find(kind: str, ref: str | Path, relative_to: Path | None = None) -> Path | None:
    """The file ``ref`` names: a path as given (or relative to ``relative_to``, a folder), else
    ``<kind folder>/<ref>.toml``; None when there is no such file."""
    path = Path(ref)
    candidates = [path]
    if relative_to is not None and not path.is_absolute():
        candidates.append(relative_to / path)
    if path.suffix != ".toml" and len(path.parts) == 1:
        candidates.append(data_dir(kind) / f"{ref}.toml")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


def read_toml(path: Path, error: type[Exception]) -> tuple[dict[str, Any], bytes]:
    """A TOML file's table and its raw bytes (for its hash).

    Raises:
        error: the file cannot be read, is not UTF-8 or is not valid TOML; the message names the
            file and, for bad TOML, the line.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot be read: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(raw.decode("utf-8")), raw
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None
