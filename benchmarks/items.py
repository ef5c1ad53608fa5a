"""The benchmark items of issue 7. Each takes the :class:`Settings` and returns its figures and
notes; ``python -m benchmarks --only NAME`` runs one of them.

Conventions: a *run* of a firm is building ``Organisation`` and stepping it through the horizon
(156 weeks), without the summary a batch adds afterwards; Mesa's reference models are built and
stepped the same way. After every model, :func:`sim.runs.runner.release` frees what Mesa 3.3.1
keeps per model (agent ids, neighbourhood caches), for ours and Mesa's alike. Repeats of different
configurations are interleaved (A, B, C, A, B, C, ...) and ratios are taken within each repeat, so
that a slow spell of the machine hits both sides of a ratio.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.core import ROOT, Figure, Goal, Stat, timed
from benchmarks.workers import dask_available, dask_executor, local_pool

SEED = 20160  # every timed firm runs on this seed, so repeats do the same work
MIB = 2**20

GOALS = {
    "boltzmann_ratio": Goal("<=", 3.0, "<= 3x BoltzmannWealth"),
    "customer_ns": Goal("<=", 30.0, "<= 30 ns at 1,000,000"),
    "scaling": Goal("<=", 11.0, "<= 11"),
    "efficiency": Goal(">=", 90.0, ">= 90%"),
    "peak_rss": Goal("<", 1024.0, "< 1 GB (1,024 MiB)"),
    "rss_growth": Goal("<", 50.0, "< 50 MB"),
    # Issue 14: five times the 6.6 firms/s of 2026-11-23, and Play smooth in the browser.
    "calibration_rate": Goal(">=", 33.0, ">= 33 firms/s (5x 6.6)"),
    "browser_step": Goal("<=", 50.0, "<= 50 ms"),
}


@dataclass(frozen=True)
class Settings:
    """Sizes and repeats; :meth:`full` is the real measurement, :meth:`quick` a smoke run."""

    quick: bool
    repeats: int  # recorded repeats of the fast items (each after ``warmup`` unrecorded ones)
    slow_repeats: int  # recorded repeats of items whose one repeat takes seconds
    warmup: int
    weeks: int | None  # horizon of a firm run (None: the model's default, 156 weeks)
    ref_agents: int = 60  # size of Mesa's reference models
    ref_min_seconds: float = 0.3  # a reference repeat runs the model often enough to last this
    customer_sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    customer_weeks: int = 52  # weeks of one timed block of the isolated customer update
    model_weeks: int = 20  # weeks of one timed block of the full model at each customer size
    batch_runs: int = 16
    batch_weeks: int | None = None
    workers: int = 2
    dask: bool = True
    scheduler: str | None = None
    memory_customers: int = 1_000_000
    memory_weeks: int | None = None
    growth_runs: int = 200
    growth_weeks: int | None = None
    growth_first: int = 10  # the RSS after this run is the reference of the growth
    survey_firms: int = 24
    survey_week: int | None = None  # None: the population's own (week 104)
    browser_steps: int = 20  # Step clicks timed in Chromium (after browser_warmup untimed ones)
    browser_warmup: int = 3
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def full(cls, **kw: Any) -> Settings:
        return cls(quick=False, repeats=5, slow_repeats=3, warmup=1, weeks=None, **kw)

    @classmethod
    def quick_run(cls, **kw: Any) -> Settings:
        base = dict(
            ref_min_seconds=0.02,
            customer_sizes=(10_000, 100_000),
            customer_weeks=3,
            model_weeks=2,
            batch_runs=4,
            batch_weeks=4,
            dask=False,
            memory_customers=100_000,
            memory_weeks=4,
            growth_runs=12,
            growth_weeks=4,
            growth_first=2,
            survey_firms=4,
            survey_week=65,
            browser_steps=3,
            browser_warmup=1,
        )
        base.update(kw)
        return cls(quick=True, repeats=1, slow_repeats=1, warmup=1, weeks=8, **base)

    @property
    def horizon(self) -> int:
        from sim.model.parameters import Parameters

        return self.weeks if self.weeks is not None else Parameters().weeks


@dataclass
class Result:
    """What an item measured: table lines, notes on how, and any raw data worth keeping."""

    figures: list[Figure]
    notes: list[str]
    data: dict[str, Any] = field(default_factory=dict)


# -- helpers ----------------------------------------------------------------------------------
def _quiet() -> None:
    """Mesa's own examples still pass ``seed=``; keep its deprecation chatter out of the table."""
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)


def run_firm(weeks: int, **overrides: Any) -> None:
    """Build and run one firm on :data:`SEED`, then release it."""
    from sim.model.model import Organisation
    from sim.runs.runner import release

    model = Organisation(seed=SEED, **overrides)
    try:
        model.run(weeks)
    finally:
        release(model)


def n_staff(**overrides: Any) -> int:
    """Staff at work in a firm (the agents of the per agent-week figure)."""
    from sim.model.model import Organisation
    from sim.runs.runner import release

    model = Organisation(seed=SEED, n_customers=100, **overrides)
    try:
        return int(np.count_nonzero(model.staff.joined))
    finally:
        release(model)


def run_reference(cls: type, steps: int, seed: int, **kwargs: Any) -> None:
    """Build one of Mesa's example models and step it ``steps`` times, then release it."""
    from sim.runs.runner import release

    model = cls(seed=seed, **kwargs)
    try:
        for _ in range(steps):
            model.step()
    finally:
        release(model)


def per_call(fn: Callable[[], Any], calls: int) -> float:
    """Mean seconds of ``calls`` consecutive calls."""
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def interleaved(
    fns: dict[str, Callable[[], float]], repeats: int, warmup: int
) -> dict[str, list[float]]:
    """Call each function in turn, ``warmup + repeats`` rounds; keep the last ``repeats``."""
    out: dict[str, list[float]] = {name: [] for name in fns}
    for r in range(warmup + repeats):
        for name, fn in fns.items():
            value = fn()
            if r >= warmup:
                out[name].append(value)
    return out


def ratio(a: list[float], b: list[float]) -> Stat:
    return Stat([x / y for x, y in zip(a, b, strict=True)])


# -- 1. per agent-week cost, next to Mesa's own models ------------------------------------------
def agent_week(s: Settings) -> Result:
    """Per agent-week cost of the default firm, with and without customers, next to Mesa's
    BoltzmannWealth and VirusOnNetwork per agent-step."""
    _quiet()
    from mesa.examples import BoltzmannWealth, VirusOnNetwork

    weeks = s.horizon
    staff = n_staff()
    n = s.ref_agents
    side = math.ceil(math.sqrt(n))  # Boltzmann's default density: one agent per cell
    boltzmann = dict(n=n, width=side, height=side)
    virus = dict(num_nodes=n, avg_node_degree=3)

    def calls_for(fn: Callable[[], None]) -> int:
        return max(1, math.ceil(s.ref_min_seconds / timed(fn)))

    def boltz_run() -> None:
        run_reference(BoltzmannWealth, weeks, SEED, **boltzmann)

    def virus_run() -> None:
        run_reference(VirusOnNetwork, weeks, SEED, **virus)

    k_boltz, k_virus = calls_for(boltz_run), calls_for(virus_run)
    raw = interleaved(
        {
            "firm": lambda: timed(lambda: run_firm(weeks)),
            "firm_no_customers": lambda: timed(lambda: run_firm(weeks, n_customers=100)),
            "boltzmann": lambda: per_call(boltz_run, k_boltz),
            "virus": lambda: per_call(virus_run, k_virus),
        },
        s.repeats,
        s.warmup,
    )
    us = 1e6
    firm = Stat(raw["firm"]).scaled(us / (staff * weeks))
    bare = Stat(raw["firm_no_customers"]).scaled(us / (staff * weeks))
    boltz = Stat(raw["boltzmann"]).scaled(us / (n * weeks))
    vir = Stat(raw["virus"]).scaled(us / (n * weeks))
    share = Stat(
        [100 * (a - b) / a for a, b in zip(raw["firm"], raw["firm_no_customers"], strict=True)]
    )
    figures = [
        Figure.of("agent_week", "firm run (default, 10,000 customers)", "s", Stat(raw["firm"])),
        Figure.of("agent_week", "firm per agent-week, with customers", "us", firm),
        Figure.of("agent_week", "firm per agent-week, 100 customers", "us", bare),
        Figure.of("agent_week", "customers' share of the default run", "%", share),
        Figure.of("agent_week", f"BoltzmannWealth per agent-step ({n})", "us", boltz),
        Figure.of("agent_week", f"VirusOnNetwork per agent-step ({n})", "us", vir),
        Figure.of(
            "agent_week",
            "ratio firm / BoltzmannWealth",
            "x",
            ratio(firm.values, boltz.values),
            GOALS["boltzmann_ratio"],
        ),
        Figure.of(
            "agent_week",
            "ratio firm (100 customers) / BoltzmannWealth",
            "x",
            ratio(bare.values, boltz.values),
            GOALS["boltzmann_ratio"],
            note="staff-side work only",
        ),
        Figure.of("agent_week", "ratio firm / VirusOnNetwork", "x", ratio(firm.values, vir.values)),
    ]
    notes = [
        f"firm: {staff} staff x {weeks} weeks per run, seed {SEED}, construction included; "
        "'100 customers' is the firm with n_customers=100 (the minimum), i.e. nearly no "
        "customer work",
        f"BoltzmannWealth(n={n}, width={side}, height={side}) and "
        f"VirusOnNetwork(num_nodes={n}, avg_node_degree=3), {weeks} steps each, construction "
        f"included, {k_boltz} and {k_virus} runs per repeat",
    ]
    return Result(figures, notes)


# -- 2. per customer-week cost --------------------------------------------------------------------
def customer_week_update(customers: Any, rng: np.random.Generator, p: Any) -> Callable[[], None]:
    """One week of the customer base as ``Organisation._serve_customers`` does it: experience,
    churn and acquisition, summary (at the offering's starting level and maturity)."""
    from sim.model.customers import Offering

    offering = Offering(p.expectation_drift / 52.0, 1.0, p.feature_ageing, p.offering_lead)
    level = offering.level(p.start_maturity, p.start_maturity)
    spread = p.experience_spread + p.silo_spread * (1.0 - p.start_maturity)
    state = {"promoters": customers.summary()["promoters"]}
    balanced = customers.expected_churn(p.churn_monthly, p.churn_sensitivity)

    def week() -> None:
        customers.experience(rng, level, spread, p.loss_aversion, p.satisfaction_weight)
        # Newcomers balance the churn expected at the starting satisfaction, as in the model.
        new_mean = balanced + p.word_of_mouth * state["promoters"]
        customers.churn_and_acquire(rng, p.churn_monthly, p.churn_sensitivity, new_mean)
        state["promoters"] = customers.summary()["promoters"]

    return week


def customers(s: Settings) -> Result:
    """Per customer-week cost of the CustomerBase update alone and within the whole model."""
    from sim.model.customers import CustomerBase
    from sim.model.model import Organisation
    from sim.model.parameters import Parameters
    from sim.runs.runner import release

    p = Parameters()
    figures: list[Figure] = []
    goal = GOALS["customer_ns"]
    biggest = max(s.customer_sizes)

    # The CustomerBase alone: per repeat, a fresh base of n customers runs a block of weeks, and
    # the time is divided by the customer-weeks it simulated (active customers at the start of
    # each week). A fresh base per repeat because, with no deliveries, the offering does not
    # improve and the base shrinks: dividing by n at week 0 would flatter later repeats.
    for n in s.customer_sizes:
        per_cw: list[float] = []
        for _ in range(s.warmup + s.repeats):
            rng = np.random.default_rng(SEED)
            base = CustomerBase(n, rng)
            week = customer_week_update(base, rng, p)
            simulated = [0]

            def block(week: Callable[[], None] = week, base: Any = base, c: list = simulated):
                for _ in range(s.customer_weeks):
                    c[0] += base.n_active
                    week()

            per_cw.append(timed(block) / simulated[0])
        stat = Stat(per_cw[s.warmup :]).scaled(1e9)
        figures.append(
            Figure.of(
                "customers",
                f"CustomerBase week, {n:,} customers",
                "ns/cust-wk",
                stat,
                goal if n == biggest else None,
            )
        )

    # The whole model at each size: blocks of weeks of one firm, and the marginal cost of a
    # customer over the firm with 100 customers.
    week_ms: dict[int, Stat] = {}
    served: dict[int, float] = {}  # mean active customers over the timed weeks
    for n in (100, *s.customer_sizes):
        model = Organisation(seed=SEED, n_customers=n)
        counts: list[int] = []

        def block(model: Organisation = model, counts: list[int] = counts) -> None:
            for _ in range(s.model_weeks):
                counts.append(model.customers.n_active)
                model.step()

        try:
            times = [timed(block) for _ in range(s.warmup + s.repeats)][s.warmup :]
        finally:
            release(model)
        served[n] = float(np.mean(counts[s.model_weeks * s.warmup :]))
        week_ms[n] = Stat(times).scaled(1e3 / s.model_weeks)
        figures.append(Figure.of("customers", f"model week, {n:,} customers", "ms", week_ms[n]))
    floor = week_ms[100].median
    for n in s.customer_sizes:
        extra = served[n] - served[100]
        marginal = Stat([(v - floor) * 1e6 / extra for v in week_ms[n].values])
        figures.append(
            Figure.of(
                "customers",
                f"model, marginal per customer-week, {n:,}",
                "ns/cust-wk",
                marginal,
                goal if n == biggest else None,
                note="(model week at n - median model week at 100) / extra active customers",
            )
        )
    notes = [
        f"CustomerBase: {s.customer_weeks} consecutive weeks per repeat of experience + "
        "churn_and_acquire + summary on a fresh base, divided by the active customer-weeks it "
        "simulated",
        f"model: {s.model_weeks} consecutive weeks per repeat of one firm (weeks "
        f"{s.model_weeks * s.warmup}-{s.model_weeks * (s.warmup + s.repeats)}), all of step(); "
        "the marginal cost divides by the active customers the firm actually served (mean "
        + ", ".join(f"{served[n]:,.0f}" for n in s.customer_sizes)
        + ")",
    ]
    return Result(figures, notes)


# -- 3. scaling -----------------------------------------------------------------------------------
def scaling(s: Settings) -> Result:
    """Run time with 10x staff and with 10x customers, relative to the default firm."""
    from sim.model.parameters import Parameters

    p = Parameters()
    weeks = s.horizon
    big_staff = dict(n_marketers=10 * p.n_marketers, n_technologists=10 * p.n_technologists)
    big_customers = dict(n_customers=10 * p.n_customers)
    raw = interleaved(
        {
            "default": lambda: timed(lambda: run_firm(weeks)),
            "staff": lambda: timed(lambda: run_firm(weeks, **big_staff)),
            "customers": lambda: timed(lambda: run_firm(weeks, **big_customers)),
        },
        s.slow_repeats,
        s.warmup,
    )
    goal = GOALS["scaling"]
    staff_label = f"{big_staff['n_marketers']} + {big_staff['n_technologists']} staff"
    figures = [
        Figure.of("scaling", "default run", "s", Stat(raw["default"])),
        Figure.of("scaling", f"10x staff run ({staff_label})", "s", Stat(raw["staff"])),
        Figure.of(
            "scaling",
            f"10x customers run ({big_customers['n_customers']:,})",
            "s",
            Stat(raw["customers"]),
        ),
        Figure.of(
            "scaling", "ratio 10x staff / default", "x", ratio(raw["staff"], raw["default"]), goal
        ),
        Figure.of(
            "scaling",
            "ratio 10x customers / default",
            "x",
            ratio(raw["customers"], raw["default"]),
            goal,
        ),
    ]
    notes = [f"{weeks}-week runs, seed {SEED}; ratios taken within each repeat"]
    return Result(figures, notes)


# -- 4. batch throughput --------------------------------------------------------------------------
def _batch_once(executor: Any, workers: int, runs: int, weeks: int | None, root: Path) -> float:
    """Runs per second of one batch of the default firm through ``run_batch`` into a new folder."""
    from sim.runs.batch import run_batch
    from sim.runs.scenarios import Scenario
    from sim.runs.store import BatchStore

    out = Path(tempfile.mkdtemp(dir=root))
    start = time.perf_counter()
    result = run_batch(
        [Scenario("baseline")],
        BatchStore(out),
        reps=runs,
        master_seed=SEED,
        weeks=weeks,
        workers=workers,
        executor=executor,
        progress=False,
    )
    seconds = time.perf_counter() - start
    if result.ran != runs or result.failed:
        raise RuntimeError(f"batch ran {result.ran} of {runs} runs, {result.failed} failed")
    return runs / seconds


def batch(s: Settings) -> Result:
    """Batch throughput with 1 and 2 local workers (and Dask), and parallel efficiency."""
    notes = [
        f"{s.batch_runs} runs of the default firm ({s.batch_weeks or s.horizon} weeks) per batch "
        "through sim.runs.batch.run_batch into a fresh temporary folder (weekly frames stored); "
        "wall "
        "time of the run_batch call; pools are started and warmed before timing (steady state, "
        "as in a long calibration), configurations interleaved",
    ]
    use_dask = s.dask and (dask_available() or s.scheduler is not None)
    if s.dask and not use_dask:
        notes.append("Dask: skipped (distributed is not installed)")
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="orgsim-bench-")))
        pool1, pool2 = local_pool(1), local_pool(s.workers)
        fns: dict[str, Callable[[], float]] = {
            "local1": lambda: _batch_once(pool1, 1, s.batch_runs, s.batch_weeks, root),
            "local2": lambda: _batch_once(pool2, s.workers, s.batch_runs, s.batch_weeks, root),
        }
        where = ""
        if use_dask:
            try:
                dask_pool, where = stack.enter_context(dask_executor(s.workers, s.scheduler))
            except Exception as exc:  # reported, not raised: the local figures still count
                notes.append(f"Dask: skipped ({type(exc).__name__}: {exc})")
                use_dask = False
            else:
                fns["dask"] = lambda: _batch_once(
                    dask_pool, s.workers, s.batch_runs, s.batch_weeks, root
                )
        raw = interleaved(fns, s.slow_repeats, s.warmup)
    eff = Stat(
        [b / (s.workers * a) for a, b in zip(raw["local1"], raw["local2"], strict=True)]
    ).scaled(100)
    figures = [
        Figure.of("batch", "throughput, 1 local worker", "runs/s", Stat(raw["local1"])),
        Figure.of("batch", f"throughput, {s.workers} local workers", "runs/s", Stat(raw["local2"])),
        Figure.of(
            "batch",
            f"parallel efficiency, {s.workers} workers",
            "%",
            eff,
            GOALS["efficiency"],
        ),
    ]
    if use_dask:
        figures.append(
            Figure.of("batch", f"throughput, Dask {s.workers}", "runs/s", Stat(raw["dask"]))
        )
        overhead = Stat(
            [100 * (a / b - 1) for a, b in zip(raw["local2"], raw["dask"], strict=True)]
        )
        figures.append(
            Figure.of(
                "batch",
                "Dask overhead vs local processes",
                "%",
                overhead,
                note="time per run with Dask / with local processes - 1",
            )
        )
        notes.append(f"Dask: {where}, executor = client.get_executor(), same chunks")
    return Result(figures, notes)


# -- 5. memory ------------------------------------------------------------------------------------
def _child(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.child", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"benchmarks.child {' '.join(args)} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def memory(s: Settings) -> Result:
    """Peak RSS of a 1,000,000-customer firm, RSS growth of one worker over 200 runs."""
    weeks = [] if s.memory_weeks is None else ["--weeks", str(s.memory_weeks)]
    horizon = s.memory_weeks or s.horizon
    peaks = [
        _child("peak", "--customers", str(s.memory_customers), *weeks)
        for _ in range(s.slow_repeats)
    ]
    small = [_child("peak", "--customers", "100", *weeks) for _ in range(s.slow_repeats)]
    gweeks = [] if s.growth_weeks is None else ["--weeks", str(s.growth_weeks)]
    grow = _child("growth", "--runs", str(s.growth_runs), *gweeks)
    rss = grow["rss_after_run_bytes"]
    first, last = rss[s.growth_first - 1], rss[-1]
    big = f"{s.memory_customers:,}"
    figures = [
        Figure.of(
            "memory",
            f"peak RSS, firm with {big} customers",
            "MiB",
            Stat([p["peak_rss_bytes"] / MIB for p in peaks]),
            GOALS["peak_rss"] if s.memory_customers >= 1_000_000 else None,
        ),
        Figure.of(
            "memory",
            "peak RSS, firm with 100 customers",
            "MiB",
            Stat([p["peak_rss_bytes"] / MIB for p in small]),
            note="the interpreter, NumPy, pandas and Mesa",
        ),
        Figure.of(
            "memory",
            f"RSS after run {s.growth_first} of {s.growth_runs}",
            "MiB",
            Stat([first / MIB]),
        ),
        Figure.of(
            "memory",
            f"RSS growth, run {s.growth_first} -> {s.growth_runs}",
            "MB",
            Stat([(last - first) / 1e6]),
            GOALS["rss_growth"],
            note="one worker process, consecutive sim.runs.runner.simulate calls",
        ),
    ]
    step = max(1, s.growth_runs // 10)
    marks = sorted({*range(0, len(rss), step), s.growth_first - 1, len(rss) - 1})
    series = ", ".join(f"{k + 1}: {rss[k] / MIB:.0f}" for k in marks)
    notes = [
        f"peak RSS: VmHWM of a fresh `python -m benchmarks.child peak` process running one "
        f"{horizon}-week firm through sim.runs.runner.simulate, {s.slow_repeats} processes each "
        "(ru_maxrss is not used: Linux carries the parent's over into a child at fork); the "
        f"{big}-customer run took {np.median([p['seconds'] for p in peaks]):.1f} s",
        f"growth: one process, {s.growth_runs} x sim.runs.runner.simulate (default firm, "
        f"{s.growth_weeks or s.horizon} weeks, seeds {1}..{s.growth_runs}), RSS from "
        f"/proc/self/statm after each run, in {grow['seconds']:.0f} s; RSS (MiB) after run k: "
        + series,
    ]
    data = {
        "growth_rss_after_run_mib": [round(r / MIB, 2) for r in rss],
        "peak_runs": peaks,
        "small_runs": small,
    }
    return Result(figures, notes, data)


# -- 6. calibration throughput --------------------------------------------------------------------
def calibration(s: Settings) -> Result:
    """Simulated firms per second of the industry survey (run_survey), 2 workers."""
    from sim.model.parameters import Parameters
    from sim.survey.population import load_population, run_survey

    population = load_population("industry_2016")
    if s.survey_week is not None:
        population = population.with_overrides(survey_week=s.survey_week)
    firms = population.draw(s.survey_firms, SEED)
    week = Parameters.from_flat(firms[0]).survey_week
    staff = [f["n_marketers"] + f["n_technologists"] + 2 for f in firms]
    clients = [f["n_customers"] for f in firms]
    pool = local_pool(s.workers)

    def survey(n: int) -> float:
        return n / timed(lambda: run_survey(population, n, SEED, s.workers, executor=pool))

    survey(max(2, s.workers * 2))  # warm-up on a few firms
    rates = [survey(s.survey_firms) for _ in range(s.slow_repeats)]
    stat = Stat(rates)
    figures = [
        Figure.of(
            "calibration",
            f"survey throughput, {s.survey_firms} firms, {s.workers} workers",
            "firms/s",
            stat,
            GOALS["calibration_rate"],
        ),
        Figure.of("calibration", "wall time per firm", "s", Stat([1 / r for r in rates])),
    ]
    notes = [
        f"sim.survey.population.run_survey on populations/industry_2016.toml, "
        f"{s.survey_firms} firms (seed {SEED}) run to week {week} and surveyed, a warmed pool "
        f"of {s.workers} processes; "
        f"firms of {min(staff)}-{max(staff)} staff (median {int(np.median(staff))}) and "
        f"{min(clients):,}-{max(clients):,} customers"
    ]
    return Result(figures, notes)


# -- 7. the browser: step and redraw ----------------------------------------------------------
CHROMIUM = Path("/usr/bin/chromium")  # Debian's package (make browser); Playwright's own fails here
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
# Ready when the week label says the week and the three weekly figures show new images.
_STEP_DONE = """([label, before]) => {
  if (!document.body.innerText.includes(label)) return false;
  return ['network', 'customers', 'delivery'].every((name, k) => {
    const e = document.querySelector('.orgsim-' + name);
    const img = e && (e.tagName === 'IMG' ? e : e.querySelector('img'));
    return img && img.complete && img.naturalWidth > 100 && img.src !== before[k];
  });
}"""
_SOURCES = """() => ['network', 'customers', 'delivery'].map(name => {
  const e = document.querySelector('.orgsim-' + name);
  const img = e && (e.tagName === 'IMG' ? e : e.querySelector('img'));
  return img ? img.src : null;
})"""


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def browser(s: Settings) -> Result:
    """Step and redraw of the live page in Chromium: from the Step click until the week label
    and the network and outcome images have changed, driven by Playwright."""
    import os
    import signal
    import socket

    import mesa

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return Result([], ["skipped: the playwright package is missing (pip install -e '.[dev]')"])
    if not CHROMIUM.exists():
        return Result([], [f"skipped: {CHROMIUM} is missing (make browser)"])
    label = "Step" if tuple(map(int, mesa.__version__.split(".")[:2])) < (3, 4) else "Time"
    port = _free_port()
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "sim", "viz", "--port", str(port)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 90.0
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        tail = log.read()[-2000:]
                        raise RuntimeError(f"orgsim viz did not start: {tail!r}") from None
                    time.sleep(0.25)
            times = []
            with sync_playwright() as pw:
                chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                try:
                    page = chromium.new_page(viewport={"width": 1400, "height": 1100})
                    page.set_default_timeout(60_000)
                    page.goto(f"http://127.0.0.1:{port}/")
                    page.get_by_text(f"{label}: 0").first.wait_for(state="visible")
                    button = page.get_by_role("button", name="Step")
                    for week in range(1, s.browser_warmup + s.browser_steps + 1):
                        before = page.evaluate(_SOURCES)
                        start = time.perf_counter()
                        button.click()
                        page.wait_for_function(
                            _STEP_DONE, arg=[f"{label}: {week}", before], polling="raf"
                        )
                        if week > s.browser_warmup:
                            times.append(time.perf_counter() - start)
                finally:
                    chromium.close()
        finally:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
                try:
                    server.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(server.pid, signal.SIGKILL)
    ms = Stat([1000.0 * t for t in times])
    figures = [
        Figure.of(
            "browser",
            f"step and redraw, default firm (median of {len(times)} steps)",
            "ms",
            ms,
            GOALS["browser_step"],
        )
    ]
    notes = [
        f"orgsim viz on a free port, Debian's Chromium headless driven by Playwright; each Step "
        f"click timed until the page shows '{label}: N' and the network, customers and delivery "
        f"images have new sources and are loaded ({s.browser_warmup} untimed steps first)"
    ]
    return Result(figures, notes, {"step_ms": [round(1000.0 * t, 2) for t in times]})


ITEMS: dict[str, Callable[[Settings], Result]] = {
    "agent_week": agent_week,
    "customers": customers,
    "scaling": scaling,
    "batch": batch,
    "memory": memory,
    "calibration": calibration,
    "browser": browser,
}
