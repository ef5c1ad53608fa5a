"""Firm profiles: one firm and the decision it faces, in ``profiles/*.toml``.

A profile says what the firm is today and what may be decided::

    name = "example"
    description = "A mid-sized retailer ..."

    [firm]                    # the firm as it is: structure, market, money, levers in place
    n_marketers = 40
    remote_share = 0.3
    shared_glossary = true    # a lever already in place is part of the firm, not searched

    [decision]
    budget = 150000           # currency per year that the levers may cost, on average
    horizon_weeks = 156       # when the outcomes are read
    off_table = ["role_rotation"]
    [decision.earliest_start] # week; default 0
    colocation = 26
    [decision.doses]          # the doses the search may choose (default: a grid of the range)
    cross_training = [4.0, 8.0, 16.0]

    [uncertain]               # [low, high] of the futures the advice is checked in
    expectation_drift = [1.0, 5.0]

    [search]                  # optional: how hard to look (see DEFAULT_SEARCH)
    replications = 8

Every name is checked when the file is loaded, with the closest valid name on a typo; values keep
their types (``"0.5"`` is refused for a number); a budget below zero, an empty choice of levers,
a start week past the horizon are refused with what to change. The money budget lives here; the
search budget is ``orgsim advise --trials``.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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

TOP_KEYS = ("name", "description", "firm", "decision", "uncertain", "search")
DECISION_KEYS = ("budget", "horizon_weeks", "levers", "off_table", "earliest_start", "doses")
# What [firm] may set: the firm's structure and market (the parameter groups), what it earns and
# spends, and levers already in place. Behaviour (how people act) is the model's, not the firm's:
# it comes from the model's defaults or a fit (--fit), never from a profile.
FIRM_GROUPS = ("structure", "environment", "lever", "lever start")
FIRM_MONEY = ("revenue_per_customer", "gross_margin", "operating_margin", "salary")
# Levers the search leaves alone unless [decision] levers names them: remote work is the firm's
# circumstance more than a collaboration lever (and one of the uncertain inputs by default).
NOT_SEARCHED_BY_DEFAULT = ("remote_share",)
# Doses a numeric lever may take when [decision.doses] does not say: shares of its range.
DOSE_SHARES = (0.25, 0.5, 1.0)
# Whole-number levers (people): these counts by default.
COUNT_DOSES = {"hybrid_hires": (2, 4, 8), "embedded_analysts": (1, 2, 4)}
START_STEP_WEEKS = 13  # start weeks are searched by quarter
# The futures' uncertain inputs when [uncertain] is silent: the market's expectation drift and
# demand volatility, and remote work (each about the firm's own value; see uncertain_ranges).
DEFAULT_UNCERTAIN = ("expectation_drift", "demand_shock_sd", "remote_share")
DEFAULT_SEARCH: dict[str, int] = {
    "replications": 8,  # paired seeds (and posterior draws) per portfolio during the search
    "population": 24,  # NSGA-II population per generation
    "seed": 2026,  # master seed: search, seeds of the firms, futures
    "futures": 96,  # futures (seed, draw, uncertain inputs) of the robustness check
    "top": 4,  # portfolios carried into the robustness check
}
SEARCH_LIMITS = {
    "replications": (2, 200),
    "population": (4, 500),
    "seed": (0, 2**31 - 1),
    "futures": (20, 5000),
    "top": (1, 12),
}


class ProfileError(UserError, ValueError):
    """A profile file cannot be read or names something invalid; the message says where."""


@dataclass(frozen=True)
class LeverChoice:
    """One lever the search may pull: the doses it may take (besides "not pulled") and the
    weeks it may start in."""

    name: str
    doses: tuple[Any, ...]
    starts: tuple[int, ...]

    @property
    def off(self) -> Any:
        """The lever's value when not pulled (the traditional firm's)."""
        return FIELDS[self.name].default


@dataclass(frozen=True)
class Profile:
    """One firm and its decision."""

    name: str
    description: str
    firm: dict[str, Any]  # Parameters overrides
    budget: float  # currency per year, the levers' average yearly cost at most
    horizon: int  # weeks
    choices: tuple[LeverChoice, ...]
    uncertain: dict[str, tuple[float, float]]
    search: dict[str, int]
    source: str = ""
    sha256: str = ""
    behaviour: dict[str, Any] = field(default_factory=dict)  # tests and fits only, never a file

    def parameters(self, **extra: Any) -> Parameters:
        """The firm's parameters with ``extra`` on top, run for the horizon."""
        return Parameters.from_flat({**self.behaviour, **self.firm, **extra, "weeks": self.horizon})

    def describe(self) -> dict[str, Any]:
        """What a manifest records of the profile."""
        return {
            "name": self.name,
            "source": self.source,
            "sha256": self.sha256,
            "budget": self.budget,
            "horizon_weeks": self.horizon,
            "levers": {
                c.name: {"doses": list(c.doses), "starts": list(c.starts)} for c in self.choices
            },
            "uncertain": {k: list(v) for k, v in self.uncertain.items()},
            "search": dict(self.search),
        }


def known_names() -> list[str]:
    """Names of the profiles shipped with orgsim."""
    folder = data_dir("profiles")
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def resolve(ref: str) -> Path:
    """The file of a profile given by path or by name (``example`` -> ``profiles/example.toml``)."""
    path = Path(ref)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise ProfileError(f"{ref}: no such profile file")
        return path
    found = find("profiles", ref)
    if found is not None:
        return found
    names = known_names()
    close = difflib.get_close_matches(ref.lower(), names, n=2, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    raise ProfileError(f"unknown profile {ref!r}; {hint}known profiles: {', '.join(names)}")


def _table(data: dict, key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ProfileError(f"{where}: {key!r} must be a table, written [{key}]")
    return value


def _unknown(key: str, known: tuple[str, ...], where: str, what: str) -> ProfileError:
    close = difflib.get_close_matches(key, list(known), n=2, cutoff=0.5)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    return ProfileError(f"{where}: unknown {what} {key!r}; {hint}known: {', '.join(known)}")


def _lever_name(name: Any, where: str) -> str:
    if not isinstance(name, str) or name not in LEVERS:
        close = difflib.get_close_matches(str(name), list(LEVERS), n=2, cutoff=0.5)
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        raise ProfileError(f"{where}: {name!r} is not a lever; {hint}levers: {', '.join(LEVERS)}")
    return name


def _number(value: Any, where: str, low: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProfileError(f"{where}={value!r} must be a number")
    if low is not None and value < low:
        raise ProfileError(f"{where}={value!r} must be at least {low}")
    return float(value)


def _firm(table: dict[str, Any], where: str) -> dict[str, Any]:
    allowed_names = tuple(
        n for n, f in FIELDS.items() if f.metadata["group"] in FIRM_GROUPS or n in FIRM_MONEY
    )
    for key in table:
        if key not in FIELDS:
            raise ProfileError(f"{where}: {unknown_message(key)}")
        if key not in allowed_names or key == "weeks":
            why = (
                "the horizon is [decision] horizon_weeks"
                if key == "weeks"
                else "behaviour comes from the model or a fit (--fit), not from a firm profile"
            )
            raise ProfileError(f"{where}: {key!r} cannot be set in a profile: {why}")
    try:
        Parameters(**table)
    except ParameterError as exc:
        raise ProfileError(f"{where}: {exc}") from None
    except TypeError as exc:
        raise ProfileError(f"{where}: {exc}") from None
    return dict(table)


def default_doses(name: str) -> tuple[Any, ...]:
    """The doses the search may give a lever when the profile does not list them."""
    f = FIELDS[name]
    kind = field_type(f)
    if f.metadata["choices"]:
        return tuple(c for c in f.metadata["choices"] if c != f.default)
    if kind is bool:
        return (True,)
    if name in COUNT_DOSES:
        return COUNT_DOSES[name]
    low, high = f.metadata["range"]
    return tuple(round(low + s * (high - low), 6) for s in DOSE_SHARES)


def _doses(name: str, raw: Any, where: str) -> tuple[Any, ...]:
    if not isinstance(raw, list) or not raw:
        raise ProfileError(f"{where}: {name} must be a non-empty list of doses, like [0.25, 0.5]")
    default = FIELDS[name].default
    for dose in raw:
        try:
            Parameters(**{name: dose})
        except ParameterError as exc:
            raise ProfileError(f"{where}: {exc}") from None
        if dose == default:
            raise ProfileError(
                f"{where}: {name}={dose!r} is the lever not pulled; list only doses that pull it "
                "(not pulling it is always a choice)"
            )
    return tuple(dict.fromkeys(raw))


def _choices(decision: dict[str, Any], firm: dict[str, Any], horizon: int, where: str):
    if "levers" in decision:
        raw = decision["levers"]
        if not isinstance(raw, list):
            raise ProfileError(f"{where} levers must be a list of lever names")
        candidates = [_lever_name(n, f"{where} levers") for n in raw]
    else:
        candidates = [n for n in LEVERS if n not in NOT_SEARCHED_BY_DEFAULT and n not in firm]
    off = decision.get("off_table", [])
    if not isinstance(off, list):
        raise ProfileError(f"{where} off_table must be a list of lever names")
    for name in off:
        _lever_name(name, f"{where} off_table")
    in_place = [n for n in candidates if n in firm and "levers" in decision]
    if in_place:
        raise ProfileError(
            f"{where} levers: {in_place[0]} is set in [firm] (in place already); remove it "
            "from one of the two"
        )
    candidates = [n for n in candidates if n not in off]
    if not candidates:
        raise ProfileError(
            f"{where}: every lever is off the table or already in place; nothing is left to "
            "advise on: take a lever off off_table"
        )
    earliest = _table(decision, "earliest_start", where)
    doses = _table(decision, "doses", where)
    for name in [*earliest, *doses]:
        _lever_name(name, f"{where} earliest_start/doses")
        if name not in candidates:
            raise ProfileError(
                f"{where}: {name} has a start or doses but is not among the levers searched "
                f"({', '.join(candidates)})"
            )
    last = horizon - START_STEP_WEEKS
    result = []
    for name in candidates:
        first = earliest.get(name, 0)
        if isinstance(first, bool) or not isinstance(first, int) or first < 0:
            raise ProfileError(f"{where} earliest_start {name}={first!r} must be a week, 0 or more")
        if first > last:
            raise ProfileError(
                f"{where} earliest_start {name}={first} leaves less than {START_STEP_WEEKS} "
                f"weeks before the horizon ({horizon}); start earlier or put it off the table"
            )
        starts = tuple(range(first, last + 1, START_STEP_WEEKS))
        chosen = (
            _doses(name, doses[name], f"{where} doses") if name in doses else default_doses(name)
        )
        result.append(LeverChoice(name, chosen, starts))
    return tuple(result)


def uncertain_ranges(
    table: dict[str, Any], firm: dict[str, Any], where: str
) -> dict[str, tuple[float, float]]:
    """The futures' uncertain inputs, each ``[low, high]``. Defaults (when the table is empty):
    the expectation drift from half to twice the firm's, demand volatility from half to twice,
    remote work from the firm's share minus to plus 0.3 (clipped to the range)."""
    if not table:
        base = Parameters(**firm)
        out = {}
        for name in DEFAULT_UNCERTAIN:
            value = float(getattr(base, name))
            lo, hi = FIELDS[name].metadata["range"]
            if name == "remote_share":
                out[name] = (max(lo, value - 0.3), min(hi, value + 0.3))
            else:
                out[name] = (max(lo, value * 0.5), min(hi, value * 2.0))
        return out
    out = {}
    for name, bounds in table.items():
        if name not in FIELDS:
            raise ProfileError(f"{where}: {unknown_message(name)}")
        f = FIELDS[name]
        if field_type(f) is not float:
            raise ProfileError(
                f"{where}: {name} is not a continuous number ({allowed(name)}); only such "
                "parameters can be uncertain"
            )
        if (
            not isinstance(bounds, list)
            or len(bounds) != 2
            or any(isinstance(b, bool) or not isinstance(b, int | float) for b in bounds)
            or bounds[0] >= bounds[1]
        ):
            raise ProfileError(f"{where}: {name}={bounds!r} must be [low, high] with low < high")
        for b in bounds:
            try:
                Parameters.from_flat({name: float(b)})
            except ParameterError as exc:
                raise ProfileError(f"{where}: {exc}") from None
        out[name] = (float(bounds[0]), float(bounds[1]))
    return out


def _search(table: dict[str, Any], where: str) -> dict[str, int]:
    out = dict(DEFAULT_SEARCH)
    for key, value in table.items():
        if key not in DEFAULT_SEARCH:
            raise _unknown(key, tuple(DEFAULT_SEARCH), where, "key")
        lo, hi = SEARCH_LIMITS[key]
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ProfileError(f"{where} {key}={value!r} must be a whole number from {lo} to {hi}")
        out[key] = value
    if out["population"] < out["top"]:
        raise ProfileError(
            f"{where}: population={out['population']} must be at least top={out['top']}"
        )
    return out


def load_profile(ref: str) -> Profile:
    """Read and validate one profile file.

    Raises:
        ProfileError: the file is missing or not valid TOML, names an unknown key, parameter or
            lever, a value of the wrong type or out of range, a negative budget, no lever left to
            search, or a start past the horizon; the message names the file and the key.
    """
    path = resolve(ref)
    data, raw = read_toml(path, ProfileError)
    where = str(path)
    for key in data:
        if key not in TOP_KEYS:
            raise _unknown(key, TOP_KEYS, where, "key")
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not name or any(c in name for c in "[]/\\ "):
        raise ProfileError(f"{where}: name={name!r} must be a non-empty word without spaces")
    firm = _firm(_table(data, "firm", where), f"{where}: [firm]")
    decision = _table(data, "decision", where)
    for key in decision:
        if key not in DECISION_KEYS:
            raise _unknown(key, DECISION_KEYS, f"{where}: [decision]", "key")
    if "budget" not in decision:
        raise ProfileError(
            f"{where}: [decision] needs budget, the currency per year the levers may cost"
        )
    budget = _number(decision["budget"], f"{where}: [decision] budget", low=0.0)
    horizon = decision.get("horizon_weeks", 156)
    if isinstance(horizon, bool) or not isinstance(horizon, int) or not 26 <= horizon <= 1040:
        raise ProfileError(
            f"{where}: [decision] horizon_weeks={horizon!r} must be a whole number of weeks "
            "from 26 to 1040"
        )
    choices = _choices(decision, firm, horizon, f"{where}: [decision]")
    uncertain = uncertain_ranges(_table(data, "uncertain", where), firm, f"{where}: [uncertain]")
    search = _search(_table(data, "search", where), f"{where}: [search]")
    return Profile(
        name,
        str(data.get("description", "")),
        firm,
        budget,
        horizon,
        choices,
        uncertain,
        search,
        source=where,
        sha256=hashlib.sha256(raw).hexdigest(),
    )
