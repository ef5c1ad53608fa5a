"""Scenario files: a name, a description and parameter overrides, as TOML data in ``scenarios/``.

A scenario file looks like::

    name = "shared_metrics"
    description = "Both departments judged half on one shared customer metric."

    [parameters]
    shared_metrics = 0.5

Every key is checked against :class:`~sim.parameters.Parameters` when the file is loaded, so a typo
fails before anything runs, with the closest valid name.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.parameters import ParameterError, Parameters

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"


class ScenarioError(ValueError):
    """A scenario file cannot be read or names something invalid; the message says where."""


@dataclass(frozen=True)
class Scenario:
    """A named set of parameter overrides."""

    name: str
    description: str = ""
    overrides: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    digest: str = ""

    def parameters(self, **extra: Any) -> Parameters:
        return Parameters.from_flat({**self.overrides, **extra})


def resolve(ref: str, directory: Path = SCENARIO_DIR) -> Path:
    """The file of a scenario given by path or by name (``shared_metrics`` ->
    ``scenarios/shared_metrics.toml``)."""
    path = Path(ref)
    if path.suffix == ".toml" or path.exists():
        if not path.exists():
            raise ScenarioError(f"{ref}: no such file")
        return path
    candidate = directory / f"{ref}.toml"
    if candidate.exists():
        return candidate
    known = ", ".join(sorted(p.stem for p in directory.glob("*.toml")))
    raise ScenarioError(f"unknown scenario {ref!r}; known scenarios: {known}")


def load(ref: str, directory: Path = SCENARIO_DIR) -> Scenario:
    """Read and validate one scenario file.

    Raises:
        ScenarioError: the file is missing, is not valid TOML, or names an unknown parameter or an
            invalid value; the message names the file and the key.
    """
    path = resolve(ref, directory)
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(data) - {"name", "description", "parameters"}
    if unknown:
        raise ScenarioError(
            f"{path}: unknown top-level key {sorted(unknown)[0]!r}; "
            "expected name, description and [parameters]"
        )
    overrides = data.get("parameters", {})
    if not isinstance(overrides, dict):
        raise ScenarioError(f"{path}: 'parameters' must be a table ([parameters])")
    try:
        Parameters.from_flat(overrides)
    except ParameterError as exc:
        raise ScenarioError(f"{path}: [parameters] {exc}") from None
    return Scenario(
        name=str(data.get("name", path.stem)),
        description=str(data.get("description", "")),
        overrides=dict(overrides),
        source=str(path),
        digest=hashlib.sha256(raw).hexdigest(),
    )
