"""The ``orgsim`` command line: a thin layer over the library (``python -m sim`` works too).

Bad input (an unknown parameter, a value out of range, a malformed or missing scenario file, an
output folder holding a different batch) prints one line naming what is wrong and how to fix it,
and exits with status 2; nothing already stored is touched.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING

from sim import __version__
from sim.datafiles import data_dir
from sim.errors import UserError

if TYPE_CHECKING:
    from sim.runs.scenarios import Scenario

# Every import of the library happens inside the command that needs it, so that `orgsim --help`
# and `orgsim --version` do not pay for Mesa, pandas and SciPy.

# The fit whose estimates and draws the demo's second and third batches run: fit_2016 as
# calibrated on this model's output (tests/test_posterior.py checks it is this model's).
DEMO_FIT = data_dir("experiments") / "fits" / "fit_2016"
DEMO_SCENARIOS = ("baseline", "shared_metrics", "colocation", "hybrid_hires", "three_levers")


class UsageError(UserError):
    """Bad input from the user: reported in one line with exit status 2."""


def _parse_sets(items: Sequence[str]) -> dict[str, object]:
    from sim.model.parameters import coerce

    out: dict[str, object] = {}
    for item in items:
        if "=" not in item:
            raise UsageError(f"--set {item!r}: expected name=value, e.g. --set shared_metrics=0.5")
        name, value = item.split("=", 1)
        out[name.strip()] = coerce(name.strip(), value)
    return out


STDOUT = "-"  # an output-file option given "-" writes to standard output


def _check_output_file(path_text: str, force: bool, option: str) -> None:
    """Refuse an output file before any work: one that exists (without --force), is a folder, or
    whose folder is missing."""
    path = Path(path_text)
    if path.is_dir():
        raise UsageError(f"{option} {path_text} is a folder; give a file name, or - for stdout")
    if path.exists() and not force:
        raise UsageError(f"{path_text} exists; choose another file or add --force to replace it")
    if not path.parent.is_dir():
        raise UsageError(
            f"{option} {path_text}: folder {path.parent} does not exist; create it first or "
            "choose another path"
        )


def _workers(value: int | None) -> int:
    """The local worker count: as asked (a warning above the machine's cores, where processes
    only take turns and each costs its memory), else every core."""
    cores = os.cpu_count() or 1
    if value and value > cores:
        print(
            f"orgsim: warning: --workers {value} is more than this machine's {cores} cores: the "
            f"runs take turns and each process costs memory; --workers {cores} is as fast",
            file=sys.stderr,
        )
    return value if value else cores


def _executor_for(address: str | None):
    from sim.runs.cluster import executor_for

    return executor_for(address)


def _load_all(refs: Sequence[str]) -> list[Scenario]:
    from sim.runs import scenarios

    loaded: list[Scenario] = []
    for ref in refs:
        loaded.extend(scenarios.load_file(ref))
    names = [s.name for s in loaded]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UsageError(f"scenario {dupes[0]!r} is given twice; name each scenario once")
    return loaded


def cmd_params(args: argparse.Namespace) -> int:
    """List every parameter with its group, default, allowed values and meaning.

    Example: orgsim params -v
    """
    from sim.model.parameters import FIELDS, allowed

    for name, f in FIELDS.items():
        meta = f.metadata
        print(f"{name:26} {meta['group']:12} default {f.default!r:18} {allowed(name)}")
        if args.verbose:
            print(f"{'':26} {meta['doc']}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Validate scenario files without running them: TOML syntax, keys, parameter names, types
    and ranges, sweeps.

    Example: orgsim check scenarios/*.toml
    """
    from sim.runs import scenarios
    from sim.survey.population import is_population, load_population

    bad = 0
    for ref in args.files:
        try:
            if is_population(Path(ref)):
                population = load_population(ref)
                print(
                    f"ok  {population.source}: industry population {population.name} "
                    f"({len(population.draws)} drawn parameters)"
                )
                continue
            loaded = scenarios.load_file(ref)
        except scenarios.ScenarioError as exc:
            print(f"orgsim: error: {exc}", file=sys.stderr)
            bad += 1
            continue
        first = loaded[0]
        what = f"a sweep of {len(loaded)} points" if first.sweep_of else "one scenario"
        print(f"ok  {first.source}: {first.sweep_of or first.name} ({what})")
    return 2 if bad else 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run one firm and print its outcomes at the last week.

    Example: orgsim run shared_metrics --seed 7 --set colocation=0.5 --weekly weeks.csv
    """
    from sim.model.model import Organisation
    from sim.model.parameters import Parameters
    from sim.runs import scenarios
    from sim.runs.runner import release

    scenario = scenarios.load(args.scenario)
    overrides = {**scenario.overrides, **_parse_sets(args.set)}
    if args.weeks is not None:
        overrides["weeks"] = args.weeks
    if args.weekly and args.weekly != STDOUT:
        _check_output_file(args.weekly, args.force, "--weekly")
    scenarios.check_horizon(scenario.name, Parameters.from_flat(overrides))
    started = time.perf_counter()
    model = Organisation(seed=args.seed, **overrides)
    model.run()
    elapsed = time.perf_counter() - started
    df = model.weekly()
    release(model)
    last = df.iloc[-1]
    if args.weekly == STDOUT:
        # The weekly table is the output: the summary goes to stderr, out of the pipe's way.
        df.to_csv(sys.stdout)
        report = sys.stderr
    else:
        report = sys.stdout
    print(
        f"scenario {scenario.name}, seed {model.seed}, {model.p.weeks} weeks, {elapsed:.2f} s",
        file=report,
    )
    for name, value in last.items():
        print(f"  {name:24} {value:12.4g}", file=report)
    if args.weekly and args.weekly != STDOUT:
        df.to_csv(args.weekly)
        print(f"weekly outcomes written to {args.weekly}", file=report)
    return 0


def _default_out(refs: Sequence[str]) -> Path:
    stem = "+".join(Path(r).stem for r in refs)
    return Path("results") / (stem[:80] or "batch")


# A batch of more runs than this is refused before anything is planned (every run is a stored
# file; 10^9 replications once grew the driver to 5.8 GB in 300 s). --max-runs raises it.
MAX_RUNS = 100_000
SECONDS_PER_RUN = 0.3  # a default firm to week 156 on one worker of this 2-core machine


def _check_runs(scenarios: int, reps: int, limit: int | None) -> None:
    runs = scenarios * reps
    limit = MAX_RUNS if limit is None else limit
    if runs > limit:
        hours = runs * SECONDS_PER_RUN / 3600 / max(os.cpu_count() or 1, 1)
        raise UsageError(
            f"{scenarios} scenarios x {reps:,} replications is {runs:,} runs, more than the "
            f"limit of {limit:,} (about {hours:,.0f} hours on this machine's cores, and a file "
            f"per run); use fewer --reps, or allow it with --max-runs {runs}"
        )


def cmd_batch(args: argparse.Namespace) -> int:
    """Run scenarios with paired replications on local worker processes, storing each run as it
    finishes; the same command again resumes an interrupted batch and runs only what is missing.
    Exit status: 0 all runs ok, 1 some runs failed (recorded with their errors), 2 bad input,
    130 interrupted.

    Example: orgsim batch baseline shared_metrics colocation --reps 20 --out results/levers
    """
    from sim.runs.batch import run_batch
    from sim.runs.posterior import load_point, load_posterior
    from sim.runs.store import BatchStore

    loaded = _load_all(args.scenarios)
    _check_runs(len(loaded), args.reps, getattr(args, "max_runs", None))
    fit = getattr(args, "fit", None)
    point = getattr(args, "fit_point", None)
    if fit and point:
        raise UsageError("give --fit DIR (the draws) or --fit-point DIR (the estimates), not both")
    posterior = load_posterior(fit) if fit else load_point(point) if point else None
    from sim.runs.scenarios import check_horizon

    extra = {} if args.weeks is None else {"weeks": args.weeks}
    for scenario in loaded:
        check_horizon(scenario.name, scenario.parameters(**extra))
    out = Path(args.out) if args.out else _default_out(args.scenarios)
    workers = _workers(args.workers)
    with _executor_for(getattr(args, "scheduler", None)) as (executor, threads):
        where = f"{threads} Dask worker threads" if executor is not None else f"{workers} workers"
        print(
            f"orgsim batch: {len(loaded)} scenarios x {args.reps} paired replications, master "
            f"seed {args.seed}, {where} -> {out}",
            file=sys.stderr,
        )
        if posterior is not None and posterior.kind == "point":
            print(
                f"orgsim batch: every replication runs the estimates of {point}",
                file=sys.stderr,
            )
        elif posterior is not None:
            print(
                f"orgsim batch: each replication runs one of the {len(posterior.table)} parameter "
                f"draws in {fit} ({', '.join(posterior.parameters)}), the same for every scenario",
                file=sys.stderr,
            )
        result = run_batch(
            loaded,
            BatchStore(out),
            reps=args.reps,
            master_seed=args.seed,
            weeks=args.weeks,
            workers=threads or workers,
            executor=executor,
            fresh=args.fresh,
            command=["orgsim", *getattr(args, "argv", [])],
            progress=not args.quiet,
            posterior=posterior,
        )
    if result.interrupted:
        print(
            f"orgsim: interrupted after {result.ran} runs; every finished run is stored. Resume "
            "with the same command.",
            file=sys.stderr,
        )
        return 130
    rate = f", {result.runs_per_second:.2f} runs/s" if result.ran else ""
    print(
        f"{result.ran} runs done, {result.skipped} already stored, {result.failed} failed in "
        f"{result.elapsed_s:.1f} s{rate}; results in {out}"
    )
    if result.failed:
        print(
            f"orgsim: {result.failed} runs failed; their errors are in {out}/runs (columns "
            "status, error) and in the report",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Write DIR/report/index.html (outcomes over time with 95% bands, paired differences from the
    baseline as a forest plot, heat maps of sweeps) and DIR/report/summary.csv, and print the
    summary table.

    Example: orgsim report results/levers --baseline baseline
    """
    from sim.results.report import build_report, format_summary, load_batch

    baseline = args.baseline
    if baseline is None:
        # Compare with "baseline" when the batch has one; a sweep alone needs no baseline.
        baseline = "baseline" if "baseline" in load_batch(Path(args.dir)).scenarios else None
    elif baseline.lower() == "none":
        baseline = None
    report = build_report(Path(args.dir), baseline=baseline, out=args.out)
    print(format_summary(report.summary))
    warning = load_batch(Path(args.dir)).few_replications()
    if warning:
        print(f"orgsim: warning: {warning}", file=sys.stderr)
    print(f"\nreport: {report.index_html}")
    return 0


def cmd_survey(args: argparse.Namespace) -> int:
    """Run an industry population of firms to the survey week and print the synthetic survey:
    each question's share of yes per respondent, also split by the classifications (CIO works
    closely with marketing or not; marketer tech-savvy or traditional), with 95% Wilson intervals.

    Example: orgsim survey industry_2016 --firms 200 --workers 2
    """
    from sim.runs.progress import progress_bar
    from sim.survey.population import load_population, run_survey, shares

    population = load_population(args.population)
    workers = _workers(args.workers)
    if args.out and args.out != STDOUT:
        _check_output_file(args.out, args.force, "--out")
    started = time.perf_counter()
    with (
        progress_bar(args.firms, unit="firm", quiet=args.quiet) as bar,
        _executor_for(args.scheduler) as (executor, threads),
    ):
        answers = run_survey(
            population,
            args.firms,
            args.seed,
            workers=threads or workers,
            executor=executor,
            progress=bar.update,
        )
    elapsed = time.perf_counter() - started
    table = shares(answers)
    report = sys.stderr if args.out == STDOUT else sys.stdout
    if args.out == STDOUT:
        table.to_csv(sys.stdout, index=False)
    print(format_survey(table), file=report)
    print(
        f"\n{args.firms} firms of {population.name} (seed {args.seed}) in {elapsed:.1f} s "
        f"({args.firms / elapsed:.2f} firms/s); share [95% Wilson interval] (n respondents)",
        file=report,
    )
    if args.out and args.out != STDOUT:
        table.to_csv(args.out, index=False)
        print(f"shares written to {args.out}", file=report)
    return 0


def format_survey(table) -> str:
    """One line per question and respondent: all, then each split that applies."""
    lines = []
    for (qid, who), item in table.groupby(["id", "respondent"], sort=False):
        cells = []
        for _, r in item.iterrows():
            if r["n"] == 0:
                cells.append(f"{r['group']}: n/a")
                continue
            cells.append(
                f"{r['group']}: {r['share']:.2f} [{r['low']:.2f},{r['high']:.2f}] ({r['n']})"
            )
        lines.append(f"{qid:22} {who:10} " + "  ".join(cells))
    return "\n".join(lines)


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Fit an experiment's free parameters to its published targets (simulated method of moments:
    optional Morris screening, CMA-ES on common random numbers, an optional coordinate polish,
    bootstrap intervals), re-run the best fit
    on fresh firms, and write fit.json, predictions.csv and report.html. The same command again
    resumes an interrupted calibration.

    Example: orgsim calibrate experiments/fit_2016.toml --workers 2 --out results/fit_2016
    """
    from sim.experiments.calibration import FIT_COLUMNS, calibrate
    from sim.experiments.experiment import check_budget, load_experiment

    experiment = load_experiment(args.experiment)
    if args.budget is not None:
        check_budget(experiment, args.budget, f"--budget {args.budget}")
        experiment = experiment.with_budget(args.budget)
    out = Path(args.out) if args.out else Path("results") / experiment.name
    workers = _workers(args.workers)

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    log(
        f"calibrating {experiment.name}: {len(experiment.free)} free parameters, "
        f"{experiment.n_moments} targets, budget {experiment.budget} trials of {experiment.firms} "
        f"firms, {workers} workers -> {out}"
    )
    with _executor_for(args.scheduler) as (executor, threads):
        fit = calibrate(
            experiment,
            out,
            workers=threads or workers,
            executor=executor,
            fresh=args.fresh,
            log=log,
        )
    shown = [c for c in FIT_COLUMNS if c != "source"]
    print(fit.fit_table[shown].to_string(index=False, float_format="%.3f"))
    print("\nestimates [95% interval]:")
    for name, value in fit.estimates.items():
        low, high = fit.intervals[name]
        print(f"  {name:22} {value:8.3f} [{low:.3f}, {high:.3f}]")
    print(
        f"outputs: {out / 'fit.json'}, {out / 'predictions.csv'}, {out / 'report.html'}; "
        f"wall time {fit.wall_s / 60:.1f} min"
    )
    print(f"{fit.reproduced} of {fit.n_targets} targets reproduced within their 95% bands")
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Global sensitivity analysis with SALib (Morris elementary effects or Sobol indices) of the
    population's CX index at the survey week and of every survey share, over the levers and
    behaviours listed in the experiment's [sensitivity] table; indices with 95% confidence
    intervals, plotted. Resumes an interrupted analysis.

    Example: orgsim sensitivity experiments/fit_2016.toml --method morris --budget 130
    """
    from sim.experiments.experiment import load_experiment
    from sim.experiments.sensitivity import check_budget, format_indices, run_sensitivity

    experiment = load_experiment(args.experiment)
    if args.budget is not None:
        check_budget(args.method, len(experiment.sensitivity), args.budget)
    out = Path(args.out) if args.out else Path("results") / f"{experiment.name}-{args.method}"

    def log(done: int, total: int) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] point {done}/{total}", file=sys.stderr, flush=True)

    with _executor_for(args.scheduler) as (executor, threads):
        result = run_sensitivity(
            experiment,
            args.method,
            args.budget,
            out=out,
            workers=threads or _workers(args.workers),
            executor=executor,
            progress=log,
            fresh=args.fresh,
        )
    print(format_indices(result))
    print(f"wrote {result.files['report']}")
    return 0


def cmd_advise(args: argparse.Namespace) -> int:
    """Advice for one firm: search lever portfolios (doses, combinations, start weeks) within the
    profile's budget with NSGA-II on paired firms (and posterior draws with --fit), check the
    best in many futures, and find with PRIM when each stops paying. Writes advice.csv,
    advice.json and advice.html; the same command again resumes.

    Example: orgsim advise profiles/example.toml --trials 120 --out results/advice-example
    """
    from sim.advice.advise import advise
    from sim.advice.profile import load_profile
    from sim.runs.posterior import load_posterior

    profile = load_profile(args.profile)
    posterior = load_posterior(args.fit) if args.fit else None
    out = Path(args.out) if args.out else Path("results") / f"advice-{profile.name}"

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    with _executor_for(args.scheduler) as (executor, threads):
        result = advise(
            profile,
            args.trials,
            out,
            workers=threads or _workers(args.workers),
            executor=executor,
            posterior=posterior,
            log=log,
        )
    shown = ["rank", "roadmap", "cost_per_year", "cx_gain", "profit_gain", "fails_when"]
    print(result.table[shown].to_string(index=False, float_format="%.2f"))
    print(
        f"wrote {out / 'advice.html'}, {out / 'advice.csv'}; wall time {result.wall_s / 60:.1f} min"
    )
    return 0


def cmd_viz(args: argparse.Namespace) -> int:
    """Start the browser app (Mesa SolaraViz on a Solara server): watch a firm live, and compare a
    batch's results on the results page. Bound to loopback unless --host says otherwise.

    Example: orgsim viz --port 8765 --results results/demo
    """
    from sim.app import serve

    if args.results is not None:
        from sim.results.tables import ResultsError, open_batch

        try:
            open_batch(args.results)
        except ResultsError as exc:
            raise UsageError(f"--results {args.results}: {exc}") from None
    return serve(args.host, args.port, args.results)


def _demo_outdated(
    out: Path, seed: int, weeks: int | None, fit: str | None = None, point: str | None = None
) -> bool:
    """Whether ``out`` holds a demo of another model version, seed, horizon or fit.

    ``make demo`` must keep working after the model changes, so the demo (and only the demo)
    moves such a batch aside into ``out/superseded-*`` (nothing is deleted) instead of refusing.
    """
    from sim.model.parameters import Parameters
    from sim.runs.store import BatchStore, StoreError, model_fingerprint

    try:
        old = BatchStore(out).read_manifest()
    except StoreError:
        return False  # not a readable batch: let the batch command say so
    if old is None:
        return False
    horizon = weeks if weeks is not None else Parameters().weeks
    outdated = (
        old.get("environment", {}).get("model_fingerprint") != model_fingerprint()
        or old.get("master_seed") != seed
        or old.get("weeks") != horizon
        or (old.get("fit") or {}).get("sha256") != _posterior_digest(fit, point)
    )
    if outdated:
        print(
            f"{out} holds a demo of another model version, seed, horizon or fit: moving it aside "
            f"into {out}/superseded-*",
            file=sys.stderr,
        )
    return outdated


def _posterior_digest(fit: str | None, point: str | None = None) -> str | None:
    """The digest a batch on ``fit``'s draws or ``point``'s estimates records (None without)."""
    from sim.runs.posterior import PosteriorError, load_point, load_posterior

    try:
        if fit:
            return load_posterior(fit).sha256
        return load_point(point).sha256 if point else None
    except PosteriorError:
        return None  # the batch command will say what is wrong


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the baseline and the headline levers (shared metrics, colocation, hybrid hires, and all
    three) on paired seeds on local processes, write the report, print its summary table; then,
    with a fit (the shipped ``experiments/fits/fit_2016`` unless ``--fit`` names another, or
    ``--fit none``), the same batch on the fitted model twice, on the same seeds: on its
    estimates in every replication (``OUT-fit-point``: seed noise alone) and on one parameter
    draw per replication (``OUT-fit``: seed noise and the fit's uncertainty), and each lever's
    paired effect with both intervals side by side.

    Example: orgsim demo --reps 20 --workers 2
    """
    status = _demo_batch(args, Path(args.out))
    if status not in (0, 1) or str(args.fit).lower() == "none":
        return status
    point_out, fit_out = Path(f"{args.out}-fit-point"), Path(f"{args.out}-fit")
    for out, options in ((point_out, {"fit_point": args.fit}), (fit_out, {"fit": args.fit})):
        fit_status = _demo_batch(args, out, **options)
        if fit_status not in (0, 1):
            return fit_status
        status = max(status, fit_status)
    from sim.results.report import format_side_by_side, side_by_side

    # Both on the fitted model and the same seeds: its estimates in every replication (seed
    # noise alone), then one draw per replication (seed noise and the fit's uncertainty).
    table = side_by_side(point_out / "report", fit_out / "report")
    table.to_csv(fit_out / "report" / "side_by_side.csv", index=False)
    print(
        "\nlever effects against the baseline, 95% intervals ("
        + str(fit_out / "report" / "side_by_side.csv")
        + "):"
    )
    print(format_side_by_side(table))
    return status


def _demo_batch(
    args: argparse.Namespace, out: Path, fit: str | None = None, fit_point: str | None = None
) -> int:
    """One batch of the demo and its report."""
    batch = argparse.Namespace(
        scenarios=list(DEMO_SCENARIOS),
        reps=args.reps,
        seed=args.seed,
        weeks=args.weeks,
        workers=args.workers,
        out=str(out),
        fresh=_demo_outdated(out, args.seed, args.weeks, fit, fit_point),
        quiet=False,
        fit=fit,
        fit_point=fit_point,
    )
    status = cmd_batch(batch)
    if status not in (0, 1):
        return status
    cmd_report(argparse.Namespace(dir=str(out), baseline="baseline", out=None))
    return status


def add_max_points(p: argparse.ArgumentParser) -> None:
    """``--max-points N``: the commands that expand sweeps may allow a larger one."""
    p.add_argument(
        "--max-points",
        type=int,
        metavar="N",
        help="allow sweeps of up to N points (default 10,000)",
    )


def add_scheduler(p: argparse.ArgumentParser) -> None:
    """``--scheduler ADDRESS``: the commands whose runs can go to a Dask cluster."""
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on the Dask cluster at ADDRESS (e.g. tcp://host:8786) instead of local processes",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orgsim", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"orgsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, func, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=help_,
            description=func.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        # The subcommand's own parser, so a refused flag prints that command's usage.
        p.set_defaults(func=func, command_parser=p)
        return p

    p = command("params", cmd_params, "list the parameters")
    p.add_argument("-v", "--verbose", action="store_true", help="also print each meaning")

    p = command("check", cmd_check, "validate scenario files")
    p.add_argument("files", nargs="+", help="scenario files or names")
    add_max_points(p)

    p = command("run", cmd_run, "run one firm")
    p.add_argument("scenario", help="scenario name (scenarios/NAME.toml) or a .toml file")
    p.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    p.add_argument("--weeks", type=int, help="weeks to run (default: the scenario's, 156)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a parameter; repeatable",
    )
    p.add_argument("--weekly", metavar="FILE", help="write the weekly outcomes as CSV")
    p.add_argument("--force", action="store_true", help="replace an existing --weekly file")

    p = command("batch", cmd_batch, "paired replications of scenarios, resumable")
    p.add_argument("scenarios", nargs="+", help="scenario names or .toml files")
    p.add_argument("--reps", type=int, default=20, help="paired replications (default 20)")
    p.add_argument("--seed", type=int, default=2026, help="master seed (default 2026)")
    p.add_argument("--weeks", type=int, help="weeks per run (default: the scenario's, 156)")
    p.add_argument("--workers", type=int, help="worker processes (default: all cores)")
    p.add_argument("--out", help="batch folder (default: results/<scenario names>)")
    p.add_argument(
        "--fresh",
        action="store_true",
        help="start again: move the previous batch in --out aside (nothing is deleted)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--fit",
        metavar="DIR",
        help="a calibration folder: each replication runs one of its parameter draws "
        "(posterior.csv), the same for every scenario, so intervals carry the fit's uncertainty",
    )
    p.add_argument(
        "--fit-point",
        metavar="DIR",
        help="a calibration folder: every replication runs its estimates (fit.json), seed "
        "noise alone at the fitted model",
    )
    p.add_argument(
        "--max-runs",
        type=int,
        metavar="N",
        help=f"allow a batch of up to N runs (default {MAX_RUNS:,})",
    )
    add_max_points(p)
    add_scheduler(p)

    p = command("report", cmd_report, "HTML report of a batch")
    p.add_argument("dir", help="batch folder")
    p.add_argument("--out", help="folder for the report (default DIR/report)")
    p.add_argument(
        "--baseline",
        default=None,
        help="scenario to compare against (default: 'baseline' when the batch has it; "
        "'none' for no comparison)",
    )

    p = command("survey", cmd_survey, "synthetic survey of an industry population")
    p.add_argument("population", help="population name (populations/NAME.toml) or file")
    p.add_argument("--firms", type=int, default=100, help="firms to simulate (default 100)")
    p.add_argument("--seed", type=int, default=2016, help="seed of the draws and runs")
    p.add_argument("--workers", type=int, help="worker processes (default: all cores)")
    p.add_argument("--out", help="also write the shares as CSV")
    p.add_argument("--force", action="store_true", help="replace an existing --out file")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_scheduler(p)

    p = command("calibrate", cmd_calibrate, "fit parameters to the published figures")
    p.add_argument("experiment", help="experiment file or name (experiments/NAME.toml)")
    p.add_argument("--budget", type=int, help="CMA-ES trials (default: the experiment's)")
    p.add_argument("--workers", type=int, help="worker processes (default: all cores)")
    p.add_argument("--out", help="output folder (default: results/<experiment name>)")
    p.add_argument(
        "--fresh",
        action="store_true",
        help="start again: move a previous calibration in --out aside",
    )
    add_scheduler(p)

    p = command("sensitivity", cmd_sensitivity, "SALib sensitivity of CX and survey shares")
    p.add_argument("experiment", help="experiment file or name (experiments/NAME.toml)")
    p.add_argument(
        "--method",
        choices=("morris", "sobol"),
        default="morris",
        help="Morris elementary effects (default) or Sobol indices",
    )
    p.add_argument("--budget", type=int, help="model evaluations (default: the method's)")
    p.add_argument("--workers", type=int, help="worker processes (default: all cores)")
    p.add_argument("--out", help="output folder (default: results/<experiment>-<method>)")
    p.add_argument(
        "--fresh",
        action="store_true",
        help="start again: move a previous analysis in --out aside (nothing is deleted)",
    )
    add_scheduler(p)

    p = command("advise", cmd_advise, "which levers, in which order, for one firm")
    p.add_argument("profile", help="profile file or name (profiles/NAME.toml)")
    p.add_argument("--trials", type=int, default=120, help="portfolios to search (default 120)")
    p.add_argument("--fit", metavar="DIR", help="a calibration folder: posterior draws per firm")
    p.add_argument("--workers", type=int, help="worker processes (default: all cores)")
    p.add_argument("--out", help="output folder (default: results/advice-<profile name>)")
    add_scheduler(p)

    p = command("viz", cmd_viz, "browser app: live firm and batch results")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument("--results", metavar="DIR", help="a batch folder for the results page")

    p = command("demo", cmd_demo, "headline levers against the baseline: batch, then report")
    p.add_argument("--reps", type=int, default=20, help="paired replications (default 20)")
    p.add_argument("--seed", type=int, default=2026, help="master seed (default 2026)")
    p.add_argument("--weeks", type=int, help="weeks per run (default 156)")
    p.add_argument("--workers", type=int, help="worker processes (default: all cores)")
    p.add_argument("--out", default="results/demo", help="batch folder (default results/demo)")
    p.add_argument(
        "--fit",
        metavar="DIR",
        default=str(DEMO_FIT),
        help="calibration folder whose estimates and draws the second and third batches run "
        "(default: the shipped experiments/fits/fit_2016); 'none' for the first batch alone",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv
    usage = args.command_parser
    for flag in ("reps", "weeks", "workers", "firms", "budget", "max_runs", "max_points", "trials"):
        value = getattr(args, flag, None)
        if value is not None and value < 1:
            usage.error(f"--{flag.replace('_', '-')} must be at least 1, got {value}")
    if getattr(args, "max_points", None):
        os.environ["ORGSIM_MAX_POINTS"] = str(args.max_points)  # read where sweeps are expanded
    if getattr(args, "seed", 0) < 0:
        usage.error(f"--seed must be a whole number of at least 0, got {args.seed}")
    try:
        return args.func(args)
    except BrokenPipeError:
        # `orgsim params | head`: the reader has gone; say nothing more (Python's own advice:
        # point stdout at devnull so the interpreter's flush at exit does not fail again).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except UserError as exc:
        print(f"orgsim: error: {exc}", file=sys.stderr)
        return 2
    except BrokenProcessPool:
        # A worker was killed (by a person, or by the kernel for memory): the runs failed, so
        # exit code 1, but a sentence, not the executor's traceback.
        print(
            "orgsim: error: a worker process died before its work was done (killed, or out of "
            "memory); what was finished and stored is kept: run the same command again to "
            "resume (with fewer --workers if memory ran out)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
