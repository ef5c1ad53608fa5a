"""The live page's controls, generated from the parameter dataclass: a control for every lever,
its start week and every structure parameter, with the model's own defaults and ranges (so a
default can never drift between the model, the CLI and the page)."""

from __future__ import annotations

import math
from typing import Any

from sim.model.parameters import FIELDS, LEVER, START, STRUCT, field_type

# Levers, then the week each lever starts (a lever can be introduced mid-run, as in scenario
# files' [start_weeks]), then the firm's structure.
CONTROL_GROUPS = (LEVER, START, STRUCT)


def _label(name: str) -> str:
    unit = FIELDS[name].metadata["unit"]
    return f"{name} ({unit})" if unit else name


def slider_step(lo: float, hi: float, integer: bool) -> float:
    """A round slider step: about a hundredth of the range for a number, 1 for a whole number
    (100 for ranges in the millions, so a slider stays usable)."""
    span = hi - lo
    if integer:
        return max(1, 10 ** math.floor(math.log10(span / 10_000))) if span > 0 else 1
    return 10 ** math.floor(math.log10(span / 100)) if span > 0 else 0.01


def control_for(name: str) -> dict[str, Any]:
    """Mesa's user-input spec for one parameter, from its metadata: a Select for choices, a
    Checkbox for a flag, a slider over the allowed range otherwise; the value is the default."""
    f = FIELDS[name]
    meta = f.metadata
    kind = field_type(f)
    spec: dict[str, Any] = {"label": _label(name), "value": f.default}
    if meta["choices"]:
        spec.update(type="Select", values=list(meta["choices"]))
    elif kind is bool:
        spec.update(type="Checkbox")
    else:
        lo, hi = meta["range"]
        integer = kind is int
        spec.update(
            type="SliderInt" if integer else "SliderFloat",
            min=lo,
            max=hi,
            step=slider_step(lo, hi, integer),
        )
    return spec


def model_params() -> dict[str, dict[str, Any]]:
    """A control for every lever, its start week, then every structure parameter, generated from
    FIELDS."""
    return {
        name: control_for(name)
        for group in CONTROL_GROUPS
        for name, f in FIELDS.items()
        if f.metadata["group"] == group
    }
