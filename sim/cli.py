"""The ``orgsim`` command line: a thin layer over the library (``python -m sim`` works too).

Bad input (an unknown parameter, a value out of range, a missing scenario) prints one line naming
what is wrong and how to fix it, and exits with status 2; nothing is written.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim import scenarios
from sim.parameters import FIELDS, ParameterError, allowed, coerce
from sim.randomness import replicate_seeds

DEMO_SCENARIOS = ("baseline", "shared_metrics", "colocation", "hybrid_hires", "three_levers")
DEMO_OUTCOMES = (
    "cx_index",
    "nps",
    "churn",
    "revenue_growth",
    "margin",
    "time_to_market",
    "saas_share",
    "cross_trust",
)


class UsageError(Exception):
    """Bad input from the user: reported in one line with exit status 2."""


def _parse_sets(items: Sequence[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for item in items:
        if "=" not in item:
            raise UsageError(f"--set {item!r}: expected name=value, e.g. --set shared_metrics=0.5")
        name, value = item.split("=", 1)
        out[name.strip()] = coerce(name.strip(), value)
    return out


def _workers(value: int | None) -> int:
    return value if value else (os.cpu_count() or 1)


def cmd_params(args: argparse.Namespace) -> int:
    """List every parameter with its group, default, allowed values and meaning.

    Example: orgsim params
    """
    for name, f in FIELDS.items():
        meta = f.metadata
        print(f"{name:26} {meta['group']:12} default {f.default!r:18} {allowed(name)}")
        if args.verbose:
            print(f"{'':26} {meta['doc']}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run one firm and print its outcomes at the last week.

    Example: orgsim run shared_metrics --seed 7 --set colocation=0.5 --weekly weeks.csv
    """
    from sim.model import Organisation
    from sim.runner import release

    scenario = scenarios.load(args.scenario)
    overrides = {**scenario.overrides, **_parse_sets(args.set)}
    if args.weeks is not None:
        overrides["weeks"] = args.weeks
    if args.weekly and Path(args.weekly).exists() and not args.force:
        raise UsageError(f"{args.weekly} exists; choose another file or add --force to replace it")
    started = time.perf_counter()
    model = Organisation(seed=args.seed, **overrides)
    model.run()
    elapsed = time.perf_counter() - started
    df = model.weekly()
    release(model)
    last = df.iloc[-1]
    print(f"scenario {scenario.name}, seed {model.seed}, {model.p.weeks} weeks, {elapsed:.2f} s")
    for name, value in last.items():
        print(f"  {name:24} {value:12.4g}")
    if args.weekly:
        df.to_csv(args.weekly)
        print(f"weekly outcomes written to {args.weekly}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the baseline and the headline levers on paired seeds and print, at the last week, each
    outcome with its paired difference from the baseline and 95% interval.

    Example: orgsim demo --reps 20 --workers 2
    """
    from sim.runner import paired_table, run_paired

    loaded = {name: scenarios.load(name) for name in DEMO_SCENARIOS}
    overrides = {name: dict(s.overrides) for name, s in loaded.items()}
    seeds = replicate_seeds(args.seed, args.reps)
    started = time.perf_counter()
    print(
        f"orgsim demo: {len(overrides)} scenarios x {args.reps} paired replications, "
        f"{args.weeks} weeks, master seed {args.seed}, {_workers(args.workers)} workers"
    )
    results = run_paired(overrides, seeds, weeks=args.weeks, workers=_workers(args.workers))
    elapsed = time.perf_counter() - started
    table = paired_table(results, "baseline", DEMO_OUTCOMES)
    print_demo_table(table)
    runs = len(results)
    print(
        f"\n{runs} runs in {elapsed:.1f} s ({runs / elapsed:.2f} runs/s). Differences are paired "
        "(same seed per replication) with 95% t-intervals; * marks an interval excluding zero."
    )
    return 0


def print_demo_table(table: pd.DataFrame) -> None:
    """Print means per scenario, then paired differences from the baseline with intervals."""
    wide = table.pivot(index="scenario", columns="outcome", values="mean")
    wide = wide.reindex(index=list(dict.fromkeys(table.scenario)), columns=list(DEMO_OUTCOMES))
    with pd.option_context(
        "display.width", 200, "display.max_columns", 20, "display.float_format", "{:.3f}".format
    ):
        print("\nMeans at the last week:")
        print(wide.to_string())
    print("\nPaired difference from baseline [95% interval]:")
    header = f"{'scenario':14}" + "".join(f"{o:>26}" for o in DEMO_OUTCOMES)
    print(header)
    for name in wide.index:
        if name == "baseline":
            continue
        cells = []
        for outcome in DEMO_OUTCOMES:
            r = table[(table.scenario == name) & (table.outcome == outcome)].iloc[0]
            star = "*" if (r["low"] > 0 or r["high"] < 0) else " "
            cells.append(f"{r['diff']:+.3f} [{r['low']:+.3f},{r['high']:+.3f}]{star}")
        print(f"{name:14}" + "".join(f"{c:>26}" for c in cells))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orgsim", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "params",
        help="list the parameters",
        description=cmd_params.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "-v", "--verbose", action="store_true", help="also print each parameter's meaning"
    )
    p.set_defaults(func=cmd_params)

    p = sub.add_parser(
        "run",
        help="run one firm",
        description=cmd_run.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("scenario", help="scenario name (scenarios/NAME.toml) or path to a .toml file")
    p.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    p.add_argument("--weeks", type=int, help="weeks to run (default: the scenario's)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a parameter; repeatable",
    )
    p.add_argument("--weekly", metavar="FILE", help="write the weekly outcomes as CSV")
    p.add_argument("--force", action="store_true", help="replace an existing --weekly file")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "demo",
        help="headline levers against the baseline, paired",
        description=cmd_demo.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--reps", type=int, default=20, help="paired replications (default 20)")
    p.add_argument("--seed", type=int, default=2026, help="master seed (default 2026)")
    p.add_argument("--weeks", type=int, default=156, help="weeks per run (default 156)")
    p.add_argument("--workers", type=int, help="worker processes (default: all cores)")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for flag in ("reps", "weeks", "workers"):
        value = getattr(args, flag, None)
        if value is not None and value < 1:
            parser.error(f"--{flag} must be at least 1, got {value}")
    try:
        return args.func(args)
    except (UsageError, ParameterError, scenarios.ScenarioError) as exc:
        print(f"orgsim: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
