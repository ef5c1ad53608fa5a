"""``python -m benchmarks``: run the suite, print the table, write the JSON.

    python -m benchmarks                     # everything, about 5-8 minutes on 2 cores
    python -m benchmarks --quick             # a smoke run of every item with tiny sizes
    python -m benchmarks --only batch        # one item (or several: --only scaling,memory)
    python -m benchmarks --scheduler tcp://127.0.0.1:8786   # time Dask on that cluster

Results go to ``benchmarks/results.json`` (``results-quick.json`` with ``--quick``). With
``--only``, the items run replace theirs in an existing file of the same mode and the rest is
kept, so the table stays whole.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks.core import machine, status, table
from benchmarks.items import ITEMS, Settings
from benchmarks.workers import close_pools

HERE = Path(__file__).resolve().parent


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description="orgsim's benchmark suite (issue 7)."
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat: a smoke run")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help=f"run only these items (repeatable or comma-separated): {', '.join(ITEMS)}",
    )
    parser.add_argument("--out", type=Path, default=None, help="the JSON file to write")
    parser.add_argument("--repeats", type=int, default=None, help="recorded repeats, fast items")
    parser.add_argument(
        "--slow-repeats", type=int, default=None, help="recorded repeats, slow items"
    )
    parser.add_argument(
        "--growth-weeks",
        type=int,
        default=None,
        help="horizon of each of the 200 runs of the RSS growth test (default: 156)",
    )
    parser.add_argument("--no-dask", action="store_true", help="do not time a Dask executor")
    parser.add_argument(
        "--dask", action="store_true", help="time Dask even with --quick (needs distributed)"
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="time Dask on this running scheduler (via sim.runs.cluster) instead of a LocalCluster",
    )
    parser.add_argument("--list", action="store_true", help="list the items and exit")
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> Settings:
    s = Settings.quick_run() if args.quick else Settings.full()
    changes: dict[str, Any] = {}
    if args.repeats is not None:
        changes["repeats"] = args.repeats
    if args.slow_repeats is not None:
        changes["slow_repeats"] = args.slow_repeats
    if args.growth_weeks is not None:
        changes["growth_weeks"] = args.growth_weeks
    if args.no_dask:
        changes["dask"] = False
    elif args.dask or args.scheduler:
        changes["dask"] = True
    if args.scheduler:
        changes["scheduler"] = args.scheduler
    return replace(s, **changes)


def chosen(only: list[str]) -> list[str]:
    names = [n.strip() for part in only for n in part.split(",") if n.strip()]
    unknown = [n for n in names if n not in ITEMS]
    if unknown:
        raise SystemExit(f"unknown item {', '.join(unknown)}; the items are {', '.join(ITEMS)}")
    return [n for n in ITEMS if n in names] if names else list(ITEMS)


def load(path: Path, mode: str) -> dict[str, Any]:
    try:
        old = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    return old if old.get("mode") == mode else {}


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.list:
        for name, fn in ITEMS.items():
            print(f"{name:12s} {(fn.__doc__ or '').strip().splitlines()[0] if fn.__doc__ else ''}")
        return 0
    s = settings_from(args)
    names = chosen(args.only)
    mode = "quick" if s.quick else "full"
    out = args.out or HERE / ("results-quick.json" if s.quick else "results.json")
    info = machine()
    load1 = info["load_average_at_start"][0]
    print(
        f"orgsim benchmarks ({mode}) on {info['nproc']} x {info['cpu']}, {info['ram_gib']} GiB, "
        f"Python {info['python']}, mesa {info['packages']['mesa']}, git {info['git']}",
        file=sys.stderr,
    )
    if load1 >= 1.0 and not s.quick:
        print(
            f"warning: load average {load1:.2f} at start; another process is using the CPU and "
            "the figures will be slow and noisy",
            file=sys.stderr,
        )
    results = load(out, mode) if args.only else {}
    items: dict[str, Any] = dict(results.get("items", {}))
    total = time.perf_counter()
    try:
        for name in names:
            print(f"[{name}] running ...", file=sys.stderr, flush=True)
            load_before = [round(x, 2) for x in os.getloadavg()]
            start = time.perf_counter()
            result = ITEMS[name](s)
            seconds = time.perf_counter() - start
            print(f"[{name}] {seconds:.1f} s", file=sys.stderr, flush=True)
            items[name] = {
                "seconds": round(seconds, 2),
                "measured": machine()["date"],
                "load_average_before": load_before,
                "figures": [f.as_dict() for f in result.figures],
                "notes": result.notes,
                "data": result.data,
            }
    finally:
        close_pools()
    if s.quick:  # smoke sizes: the goals' conditions (1,000,000 customers, 200 runs) do not hold
        for item in items.values():
            for f in item["figures"]:
                f["met"] = None
    ordered = {name: items[name] for name in ITEMS if name in items}
    settings = {k: v for k, v in vars(s).items() if k != "extra"}
    report = {
        "mode": mode,
        "machine": info,
        "settings": settings,
        "suite_seconds": round(time.perf_counter() - total, 1),
        "items": ordered,
    }
    out.write_text(json.dumps(report, indent=1, default=str) + "\n")
    figures = [f for item in ordered.values() for f in item["figures"]]
    print()
    print(table(figures))
    goals = [f for f in figures if f["goal"]]
    if s.quick:
        print("\nGoals are not judged in a --quick run (smoke sizes).")
    elif goals:
        print("\nGoals (issue 7):")
        for f in goals:
            print(
                f"  {status(f):8s} {f['item']}: {f['name']} = {f['median']:.4g} {f['unit']} "
                f"(goal {f['goal']})"
            )
    print("\nNotes:")
    for name, item in ordered.items():
        for note in item["notes"]:
            print(f"  [{name}] {note}")
    print(f"\nwrote {out} ({report['suite_seconds']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
