"""Measurement helpers: repeated timings, figures with goals, the table, the machine.

Every timed figure is the median of ``repeats`` measurements taken after ``warmup`` unrecorded
ones, reported with the minimum and maximum. Nothing here asserts a time: goals are reported as
met or not met, never raised.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("mesa", "numpy", "pandas", "networkx", "pyarrow", "dask", "distributed", "psutil")


@dataclass
class Stat:
    """Median, min and max of repeated measurements (``values`` keeps them all)."""

    values: list[float]

    @property
    def median(self) -> float:
        return float(statistics.median(self.values))

    @property
    def min(self) -> float:
        return float(min(self.values))

    @property
    def max(self) -> float:
        return float(max(self.values))

    @property
    def n(self) -> int:
        return len(self.values)

    def scaled(self, factor: float) -> Stat:
        return Stat([v * factor for v in self.values])


def timed(fn: Callable[[], Any]) -> float:
    """Wall-clock seconds of one call."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def repeat(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> Stat:
    """Seconds per call of ``fn``: ``warmup`` calls thrown away, then ``repeats`` recorded."""
    for _ in range(warmup):
        fn()
    return Stat([timed(fn) for _ in range(repeats)])


@dataclass(frozen=True)
class Goal:
    """A target from issue 7: ``value <op> threshold``."""

    op: str  # "<=", "<", ">="
    threshold: float
    text: str

    def met(self, value: float) -> bool:
        if self.op == "<=":
            return value <= self.threshold
        if self.op == "<":
            return value < self.threshold
        if self.op == ">=":
            return value >= self.threshold
        raise ValueError(self.op)


@dataclass
class Figure:
    """One line of the table."""

    item: str
    name: str
    unit: str
    median: float
    min: float
    max: float
    n: int
    goal: str = ""
    met: bool | None = None
    note: str = ""
    values: list[float] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        item: str,
        name: str,
        unit: str,
        stat: Stat,
        goal: Goal | None = None,
        note: str = "",
    ) -> Figure:
        return cls(
            item,
            name,
            unit,
            stat.median,
            stat.min,
            stat.max,
            stat.n,
            goal.text if goal else "",
            goal.met(stat.median) if goal else None,
            note,
            [float(v) for v in stat.values],
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def fmt(value: float) -> str:
    """A number in about four significant digits, without scientific notation for usual sizes."""
    if value != value:  # NaN
        return "nan"
    a = abs(value)
    if a == 0:
        return "0"
    if a >= 1000:
        return f"{value:,.0f}"
    if a >= 100:
        return f"{value:.1f}"
    if a >= 10:
        return f"{value:.2f}"
    if a >= 0.01:
        return f"{value:.3f}"
    return f"{value:.2e}"


def status(fig: Figure | dict[str, Any]) -> str:
    met = fig["met"] if isinstance(fig, dict) else fig.met
    return "" if met is None else ("met" if met else "NOT MET")


def table(figures: Sequence[Figure | dict[str, Any]], markdown: bool = False) -> str:
    """The figures as a plain-text (or Markdown) table."""
    rows = []
    for f in figures:
        d = f if isinstance(f, dict) else f.as_dict()
        rows.append(
            [
                d["item"],
                d["name"],
                fmt(d["median"]),
                fmt(d["min"]),
                fmt(d["max"]),
                d["unit"],
                str(d["n"]),
                d["goal"],
                status(d),
            ]
        )
    head = ["item", "figure", "median", "min", "max", "unit", "n", "goal", "status"]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)
    ]
    numeric = {2, 3, 4, 6}

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [line(head), line(["-" * w for w in widths])]
    previous = None
    for r in rows:
        if previous is not None and r[0] != previous:
            out.append("")
        out.append(line(r))
        previous = r[0]
    return "\n".join(out)


# -- the machine -----------------------------------------------------------------------------------
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


def _git() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "ram_gib": round(_ram_gib(), 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "git": _git(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def hwm_bytes() -> int:
    """Peak resident set size of this process's memory image (``VmHWM`` in /proc/self/status).

    Unlike ``getrusage(...).ru_maxrss``, it starts afresh at ``exec``: a child started by a large
    parent reports its own peak, not the parent's size at the fork."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise OSError("no VmHWM in /proc/self/status")


def rss_bytes() -> int:
    """Resident set size of this process now, from /proc/self/statm."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")
