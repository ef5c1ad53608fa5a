"""Memory measurements, each in a fresh process so that nothing else the suite did is counted.

    python -m benchmarks.child peak --customers 1000000 [--weeks 156]
    python -m benchmarks.child growth --runs 200 [--weeks 156]

Each prints one JSON line on stdout. ``peak`` runs one firm through :func:`sim.runs.runner.simulate`
(the same call a batch worker makes) and reports the process's peak RSS, ``VmHWM`` from
/proc/self/status. ``ru_maxrss`` (of this process, or ``RUSAGE_CHILDREN`` in the parent) is also
recorded but not used: Linux carries it over from the parent at fork, so a child of a 230 MB
parent reports at least 230 MB whatever it does. ``growth`` runs ``--runs`` consecutive default
firms in this one process, as a long-lived worker would, and reads the RSS from
``/proc/self/statm`` after every run.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

from benchmarks.core import hwm_bytes, rss_bytes


def peak(customers: int, weeks: int | None, seed: int) -> dict:
    from sim.runs.runner import simulate

    before = rss_bytes()
    start = time.perf_counter()
    simulate({"n_customers": customers}, seed=seed, weeks=weeks)
    seconds = time.perf_counter() - start
    return {
        "customers": customers,
        "weeks": weeks,
        "seconds": seconds,
        "rss_after_imports_bytes": before,
        "rss_end_bytes": rss_bytes(),
        "peak_rss_bytes": hwm_bytes(),
        "ru_maxrss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def growth(runs: int, weeks: int | None, seed: int) -> dict:
    from sim.runs.runner import simulate

    rss = []
    start = time.perf_counter()
    for k in range(runs):
        simulate({}, seed=seed + k, weeks=weeks)
        rss.append(rss_bytes())
    return {
        "runs": runs,
        "weeks": weeks,
        "seconds": time.perf_counter() - start,
        "rss_after_run_bytes": rss,
        "peak_rss_bytes": hwm_bytes(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.child")
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("peak")
    p.add_argument("--customers", type=int, required=True)
    p.add_argument("--weeks", type=int, default=None)
    p.add_argument("--seed", type=int, default=1)
    g = sub.add_parser("growth")
    g.add_argument("--runs", type=int, required=True)
    g.add_argument("--weeks", type=int, default=None)
    g.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.what == "peak":
        out = peak(args.customers, args.weeks, args.seed)
    else:
        out = growth(args.runs, args.weeks, args.seed)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
