"""Profile one default run of the firm: where a run's time goes.

    python -m benchmarks.profiling                      # cProfile (stdlib), top 25 functions
    python -m benchmarks.profiling --tool pyinstrument  # call tree (pip install pyinstrument)
    python -m benchmarks.profiling --customers 1000000 --weeks 52

One warm-up run (imports, first-call costs) is done first and not profiled. cProfile's figures
include its own overhead per Python call, which inflates code made of many small calls;
pyinstrument samples and does not.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.core import ROOT
from benchmarks.items import SEED, run_firm


def _where(filename: str) -> str:
    """A short name for a source file: ``sim/office.py``, ``mesa/agent.py``, ``numpy``, ..."""
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins (C)"
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        i = parts.index("site-packages")
        pkg = parts[i + 1]
        return "/".join(parts[i + 1 : i + 3]) if pkg == "mesa" else pkg
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return "stdlib/" + path.name


def cprofile_report(weeks: int | None, overrides: dict[str, Any], top: int) -> str:
    from sim.model.parameters import Parameters

    horizon = weeks or Parameters().weeks
    run_firm(horizon, **overrides)  # warm-up
    profiler = cProfile.Profile()
    profiler.enable()
    run_firm(horizon, **overrides)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    out = io.StringIO()
    print(f"cProfile, one run: {horizon} weeks, seed {SEED}, {overrides or 'defaults'}", file=out)
    print(f"total {total:.3f} s (with cProfile's overhead)\n", file=out)
    rows = []
    by_file: dict[str, float] = defaultdict(float)
    for (filename, line, func), (cc, nc, tt, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append((tt, ct, nc, cc, filename, line, func))
        by_file[_where(filename)] += tt
    print("self time by file", file=out)
    for where, tt in sorted(by_file.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {tt:7.3f} s {100 * tt / total:5.1f}%  {where}", file=out)
    print(f"\ntop {top} functions by self time", file=out)
    print("  self s   self%  cum s     calls  function", file=out)
    for tt, ct, nc, _cc, filename, line, func in sorted(rows, key=lambda r: -r[0])[:top]:
        name = f"{_where(filename)}:{line}({func})" if line else func
        print(f"  {tt:6.3f} {100 * tt / total:6.1f}% {ct:6.3f} {nc:9d}  {name}", file=out)
    print(f"\ntop {top} functions by cumulative time", file=out)
    for tt, ct, nc, _cc, filename, line, func in sorted(rows, key=lambda r: -r[1])[:top]:
        name = f"{_where(filename)}:{line}({func})" if line else func
        print(f"  cum {ct:6.3f} {100 * ct / total:6.1f}%  self {tt:6.3f} {nc:9d}  {name}", file=out)
    return out.getvalue()


def pyinstrument_report(weeks: int | None, overrides: dict[str, Any]) -> str:
    try:
        from pyinstrument import Profiler
    except ImportError:
        return "pyinstrument is not installed (pip install pyinstrument)\n"
    from sim.model.parameters import Parameters

    horizon = weeks or Parameters().weeks
    run_firm(horizon, **overrides)  # warm-up
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(3):  # three runs for enough samples
        run_firm(horizon, **overrides)
    profiler.stop()
    header = f"pyinstrument, three runs: {horizon} weeks, seed {SEED}, {overrides or 'defaults'}\n"
    return header + profiler.output_text(unicode=False, color=False, show_all=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profiling")
    parser.add_argument("--tool", choices=("cprofile", "pyinstrument", "both"), default="cprofile")
    parser.add_argument("--weeks", type=int, default=None)
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--marketers", type=int, default=None)
    parser.add_argument("--technologists", type=int, default=None)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    overrides = {
        k: v
        for k, v in {
            "n_customers": args.customers,
            "n_marketers": args.marketers,
            "n_technologists": args.technologists,
        }.items()
        if v is not None
    }
    if args.tool in ("cprofile", "both"):
        print(cprofile_report(args.weeks, overrides, args.top))
    if args.tool in ("pyinstrument", "both"):
        print(pyinstrument_report(args.weeks, overrides))


if __name__ == "__main__":
    main()
