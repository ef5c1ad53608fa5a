"""Scenario files: pure data in ``scenarios/*.toml``.

A scenario names a firm and the levers pulled in it::

    name = "colocation"
    description = "Half of IT's desks moved beside marketing's."

    [parameters]          # overrides of sim.model.parameters.Parameters; all optional
    colocation = 0.5

    [start_weeks]         # optional: introduce a lever mid-run (sets <lever>_start)
    colocation = 26

    [sweep]               # optional: many points instead of one
    method = "grid"       # "grid", "lhs" (Latin hypercube) or "sobol"
    samples = 16          # lhs and sobol: number of points (sobol: a power of two)
    seed = 1              # lhs and sobol: seed of the sample
    [sweep.values]        # grid: the values of each axis
    colocation = [0.0, 0.5, 1.0]
    [sweep.ranges]        # lhs and sobol: [low, high] of each axis
    shared_metrics = [0.0, 1.0]

A sweep expands into one scenario per point, named ``NAME[007]``. Every key is checked against
:class:`~sim.model.parameters.Parameters` when the file is loaded, so a typo fails before anything
runs, with the closest valid name, and no value is coerced: ``"0.5"`` (a string) is refused for a
number.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import qmc

from sim.datafiles import data_dir, find, read_toml
from sim.errors import UserError
from sim.model.parameters import (
    FIELDS,
    LEVERS,
    ParameterError,
    Parameters,
    allowed,
    field_type,
    unknown_message,
)

TOP_KEYS = ("name", "description", "parameters", "start_weeks", "sweep")
SWEEP_METHODS = ("grid", "lhs", "sobol")
# A sweep larger than this is refused before any point is made (each point runs every
# replication): a Latin hypercube of 10^9 samples once used all 24 GB of the machine under
# `orgsim check`. Raised on purpose with --max-points, or $ORGSIM_MAX_POINTS.
MAX_SWEEP_POINTS = 10_000
MAX_POINTS_ENV = "ORGSIM_MAX_POINTS"


def max_sweep_points() -> int:
    """The largest sweep allowed now: ``$ORGSIM_MAX_POINTS`` when set, else the default."""
    raw = os.environ.get(MAX_POINTS_ENV, "")
    return int(raw) if raw.isdigit() else MAX_SWEEP_POINTS


def _check_size(n: int, where: str) -> None:
    limit = max_sweep_points()
    if n > limit:
        raise ScenarioError(
            f"{where}: {n:,} sweep points is more than the limit of {limit:,} (every point runs "
            f"every replication); shrink the design, or allow it with --max-points {n}"
        )


class ScenarioError(UserError, ValueError):
    """A scenario file cannot be read or names something invalid; the message says where."""


@dataclass(frozen=True)
class Scenario:
    """One point to run: a name and its parameter overrides, and where it came from.

    Attributes:
        sweep_of: the sweep's name for a sweep point, else None.
        sweep_axes: the parameters a sweep varies, else None.
    """

    name: str
    description: str = ""
    overrides: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    digest: str = ""
    sweep_of: str | None = None
    sweep_axes: tuple[str, ...] | None = None

    def parameters(self, **extra: Any) -> Parameters:
        return Parameters.from_flat({**self.overrides, **extra})


def late_levers(params: Parameters) -> list[str]:
    """Levers pulled in ``params`` whose start week is at or past the horizon: they would never
    act, which is almost always a mistake of the week or of the horizon."""
    from sim.model.parameters import DEFAULTS, LEVERS

    return [
        f"{lever}_start={getattr(params, f'{lever}_start')}"
        for lever in LEVERS
        if hasattr(params, f"{lever}_start")
        and getattr(params, lever) != getattr(DEFAULTS, lever)
        and getattr(params, f"{lever}_start") >= params.weeks
    ]


def check_horizon(name: str, params: Parameters) -> None:
    """Refuse a scenario with a lever that would never act (:func:`late_levers`).

    Raises:
        ScenarioError: naming each such lever, the horizon and the two ways out.
    """
    late = late_levers(params)
    if late:
        raise ScenarioError(
            f"scenario {name}: {', '.join(late)} is at or past the horizon of {params.weeks} "
            "weeks, so the lever would never act; start it earlier, or run longer (--weeks)"
        )


def resolve(ref: str) -> Path:
    """The file of a scenario given by path or by name (``shared_metrics`` ->
    ``scenarios/shared_metrics.toml``, in the checkout or inside the installed package)."""
    path = Path(ref)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise ScenarioError(f"{ref}: no such scenario file")
        return path
    found = find("scenarios", ref)
    if found is not None:
        return found
    names = list(known_names())
    close = difflib.get_close_matches(ref.lower(), names, n=2, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    raise ScenarioError(f"unknown scenario {ref!r}; {hint}known scenarios: {', '.join(names)}")


def known_names() -> list[str]:
    """Names of the scenario files shipped with orgsim."""
    return sorted(p.stem for p in data_dir("scenarios").glob("*.toml"))


def load_file(ref: str) -> list[Scenario]:
    """Read and validate one scenario file; a sweep gives one scenario per point.

    Raises:
        ScenarioError: the file is missing, is not valid TOML (with its line), or names an unknown
            key or parameter, or a value of the wrong type or out of range; the message names the
            file and the key, and says how to fix it.
    """
    path = resolve(ref)
    data, raw = read_toml(path, ScenarioError)
    where = str(path)
    if "draw" in data:
        raise ScenarioError(
            f"{where}: is an industry population ([draw] tables), not a scenario; "
            "use it with 'orgsim survey'"
        )
    for key in data:
        if key not in TOP_KEYS:
            raise ScenarioError(
                f"{where}: unknown key {key!r}; a scenario has {', '.join(TOP_KEYS)}"
            )
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not name or any(c in name for c in "[]/\\ "):
        raise ScenarioError(
            f"{where}: name={name!r} must be a non-empty word without spaces, slashes or brackets"
        )
    overrides = dict(_table(data, "parameters", where))
    for lever, week in _table(data, "start_weeks", where).items():
        if lever not in LEVERS:
            close = unknown_message(lever).split(";", 1)[1]
            raise ScenarioError(f"{where}: [start_weeks] {lever!r} is not a lever{close}")
        overrides[f"{lever}_start"] = week
    _validate(overrides, f"{where}: [parameters]")
    digest = hashlib.sha256(raw).hexdigest()
    description = str(data.get("description", ""))
    if "sweep" not in data:
        return [Scenario(name, description, overrides, where, digest)]
    points, axes = _sweep_points(data["sweep"], where)
    scenarios = []
    for k, point in enumerate(points):
        merged = {**overrides, **point}
        _validate(merged, f"{where}: [sweep] point {k} {point}")
        scenarios.append(
            Scenario(
                f"{name}[{k:03d}]",
                description,
                merged,
                where,
                digest,
                sweep_of=name,
                sweep_axes=axes,
            )
        )
    return scenarios


def load(ref: str) -> Scenario:
    """Read a scenario file that is not a sweep."""
    scenarios = load_file(ref)
    if len(scenarios) != 1:
        raise ScenarioError(
            f"{scenarios[0].source}: is a sweep of {len(scenarios)} points; "
            "use 'orgsim batch' to run it"
        )
    return scenarios[0]


def _table(data: dict, key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ScenarioError(f"{where}: {key!r} must be a table, written [{key}]")
    return value


def _validate(overrides: dict[str, Any], where: str) -> None:
    """Strict check: known names, exact types, ranges (no coercion of strings)."""
    for key in overrides:
        if key not in FIELDS:
            raise ScenarioError(f"{where}: {unknown_message(key)}")
    try:
        Parameters(**overrides)
    except ParameterError as exc:
        raise ScenarioError(f"{where}: {exc}") from None
    except TypeError as exc:  # a wrong keyword that slipped through: never a traceback
        raise ScenarioError(f"{where}: {exc}") from None


def _sweep_points(sweep: Any, where: str) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    """The points of a ``[sweep]`` table and the parameters it varies."""
    if not isinstance(sweep, dict):
        raise ScenarioError(f"{where}: 'sweep' must be a table, written [sweep]")
    where = f"{where}: [sweep]"
    method = sweep.get("method", "grid")
    if method not in SWEEP_METHODS:
        raise ScenarioError(f"{where} method={method!r}: choose one of {', '.join(SWEEP_METHODS)}")
    allowed_keys = (
        {"method", "values"} if method == "grid" else {"method", "ranges", "samples", "seed"}
    )
    for key in sweep:
        if key not in allowed_keys:
            raise ScenarioError(
                f"{where}: unknown key {key!r} for method {method!r}; "
                f"expected {', '.join(sorted(allowed_keys))}"
            )
    if method == "grid":
        values = _table(sweep, "values", where)
        if not values:
            raise ScenarioError(f"{where}: a grid needs [sweep.values] with a list per parameter")
        for axis, vals in values.items():
            _axis_name(axis, where)
            if not isinstance(vals, list) or not vals:
                raise ScenarioError(f"{where}.values {axis}: expected a non-empty list of values")
        axes = tuple(values)
        _check_size(math.prod(len(values[a]) for a in axes), where)
        points = [
            dict(zip(axes, combo, strict=True))
            for combo in itertools.product(*(values[a] for a in axes))
        ]
        return points, axes
    ranges = _table(sweep, "ranges", where)
    if not ranges:
        raise ScenarioError(
            f"{where}: {method} needs [sweep.ranges] with [low, high] per parameter"
        )
    samples = sweep.get("samples")
    if not isinstance(samples, int) or isinstance(samples, bool) or samples < 2:
        raise ScenarioError(f"{where}: samples={samples!r} must be a whole number of at least 2")
    if method == "sobol" and samples & (samples - 1):
        low = 2 ** int(math.log2(samples))
        raise ScenarioError(
            f"{where}: samples={samples} must be a power of two for a Sobol sample "
            f"(balance properties); try {low} or {2 * low}"
        )
    _check_size(samples, where)
    seed = sweep.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ScenarioError(f"{where}: seed={seed!r} must be a whole number of at least 0")
    axes = tuple(ranges)
    bounds = []
    for axis in axes:
        _axis_name(axis, where)
        lo_hi = ranges[axis]
        ok = (
            isinstance(lo_hi, list)
            and len(lo_hi) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in lo_hi)
            and lo_hi[0] < lo_hi[1]
        )
        if not ok:
            raise ScenarioError(
                f"{where}.ranges {axis}={lo_hi!r}: expected [low, high] with "
                f"low < high, within {allowed(axis)}"
            )
        bounds.append(lo_hi)
    sampler = (
        qmc.LatinHypercube(d=len(axes), seed=seed)
        if method == "lhs"
        else qmc.Sobol(d=len(axes), scramble=True, seed=seed)
    )
    unit = sampler.random(samples)
    lows, highs = np.array(bounds, dtype=float).T
    scaled = qmc.scale(unit, lows, highs)
    points = []
    for row in scaled:
        point = {}
        for axis, value in zip(axes, row, strict=True):
            is_int = field_type(FIELDS[axis]) is int
            point[axis] = round(float(value)) if is_int else float(value)
        points.append(point)
    return points, axes


def _axis_name(axis: str, where: str) -> None:
    if axis not in FIELDS:
        raise ScenarioError(f"{where}: {unknown_message(axis)}")
