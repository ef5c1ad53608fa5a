"""The search for lever portfolios: which levers, at which doses, from which week (a roadmap),
within the profile's money budget, on common random numbers.

Every portfolio the search proposes runs on the same ``replications`` paired firms (the same seeds
and, with ``--fit``, the same posterior draws) as the firm doing nothing, so each of its figures
is a paired difference against doing nothing. NSGA-II (optuna's ``NSGAIISampler``; Deb et al.
2002) searches five objectives at once:

* ``cx``: the CX index at the horizon (mean of its last 13 weeks), index points, up;
* ``growth``: revenue growth at the horizon (mean of the last 13 weeks), share/year, up;
* ``margin``: the operating margin at the horizon (mean of the last 13 weeks), share, up;
* ``cost``: what the new levers cost a year on average over the horizon, currency/year, down;
* ``downside``: the expected shortfall of the horizon's cumulative profit against doing
  nothing, mean of max(0, -difference) over the paired firms, currency, down.

A portfolio whose cost exceeds the budget is infeasible (optuna's constrained domination). Every
evaluation is kept in ``evaluations.jsonl``; the sampler is seeded, so a second call replays the
stored evaluations (no run repeated) and carries on where an interrupted search stopped.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import warnings
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from sim.advice.profile import LeverChoice, Profile
from sim.errors import UserError
from sim.model.randomness import replicate_seeds
from sim.runs.pool import chunked, worker_count
from sim.runs.posterior import PosteriorDraws

OBJECTIVES = ("cx", "growth", "margin", "cost", "downside")
DIRECTIONS: tuple[Literal["maximize", "minimize"], ...] = (
    "maximize",
    "maximize",
    "maximize",
    "minimize",
    "minimize",
)
HORIZON_WINDOW = 13  # weeks: the horizon's figures are the mean of its last quarter
WEEKS_PER_YEAR = 52.0
EVALUATIONS_FILE = "evaluations.jsonl"
NOTHING = "doing nothing"


@dataclass(frozen=True)
class Portfolio:
    """A roadmap: each pulled lever with its dose and start week."""

    levers: tuple[tuple[str, Any, int], ...]  # (lever, dose, start week), sorted by start

    @property
    def overrides(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, dose, start in self.levers:
            out[name] = dose
            out[f"{name}_start"] = start
        return out

    @property
    def label(self) -> str:
        if not self.levers:
            return NOTHING
        return " + ".join(f"{n}={_fmt(d)}@w{s}" for n, d, s in self.levers)

    @property
    def key(self) -> str:
        return json.dumps([list(x) for x in self.levers])


def _fmt(dose: Any) -> str:
    if isinstance(dose, bool):
        return "on" if dose else "off"
    if isinstance(dose, float):
        return f"{dose:g}"
    return str(dose)


def portfolio_from(params: dict[str, int], choices: tuple[LeverChoice, ...]) -> Portfolio:
    """The portfolio a trial's integers name: ``<lever>`` 0 is not pulled, k the k-th dose;
    ``<lever>_start`` indexes the lever's start weeks (ignored when it is not pulled)."""
    pulled = []
    for c in choices:
        k = int(params[c.name])
        if k > 0:
            pulled.append((c.name, c.doses[k - 1], c.starts[int(params[f"{c.name}_start"])]))
    pulled.sort(key=lambda x: (x[2], x[0]))
    return Portfolio(tuple(pulled))


def suggest(trial, choices: tuple[LeverChoice, ...]) -> Portfolio:
    params = {}
    for c in choices:
        params[c.name] = trial.suggest_int(c.name, 0, len(c.doses))
        params[f"{c.name}_start"] = trial.suggest_int(f"{c.name}_start", 0, len(c.starts) - 1)
    return portfolio_from(params, choices)


# --- one firm
def run_firm(task: tuple[dict[str, Any], int, bool]) -> dict[str, Any]:
    """Run one firm (module level: any executor can ship it) and read the horizon's figures;
    with ``path`` the CX index of every week too."""
    from sim.model.model import Organisation
    from sim.model.parameters import Parameters
    from sim.runs.runner import release

    overrides, seed, path = task
    model = Organisation(Parameters.from_flat(overrides), seed=seed)
    try:
        model.run()
        weekly = model.weekly()
    finally:
        release(model)
    tail = weekly.iloc[-HORIZON_WINDOW:]
    body = weekly.iloc[1:]
    weeks = len(body)
    out: dict[str, Any] = {
        "cx": float(tail["cx_index"].mean()),
        "growth": float(np.nan_to_num(tail["revenue_growth"].mean())),
        "margin": float(tail["margin"].mean()),
        "cost": float(body["lever_cost"].sum()) / weeks * WEEKS_PER_YEAR,
        "profit": float((body["revenue"] - body["costs"]).sum()),
    }
    if path:
        out["path"] = [float(v) for v in weekly["cx_index"]]
    return out


def _run_chunk(tasks: list[tuple[dict[str, Any], int, bool]]) -> list[dict[str, Any]]:
    return [run_firm(t) for t in tasks]


def run_many(
    tasks: list[tuple[dict[str, Any], int, bool]], executor: Executor, workers: int
) -> list[dict[str, Any]]:
    """Every task on the executor, in order."""
    if not tasks:
        return []
    chunks = chunked(tasks, worker_count(workers))
    return [row for chunk in executor.map(_run_chunk, chunks) for row in chunk]


# --- the paired firms
@dataclass(frozen=True)
class Firms:
    """The paired firms every portfolio of the search runs on: seeds and parameter draws."""

    seeds: tuple[int, ...]
    draws: tuple[dict[str, Any], ...]
    draw_ids: tuple[int, ...]

    @classmethod
    def make(cls, profile: Profile, posterior: PosteriorDraws | None) -> Firms:
        reps = profile.search["replications"]
        seeds = tuple(replicate_seeds(profile.search["seed"], reps))
        if posterior is None:
            return cls(seeds, tuple({} for _ in seeds), tuple(-1 for _ in seeds))
        rows = posterior.rows_for(reps, profile.search["seed"])
        draws = tuple(posterior.values(r) for r in rows)
        ids = tuple(int(posterior.table["draw"].iloc[r]) for r in rows)
        return cls(seeds, draws, ids)

    def tasks(
        self, profile: Profile, portfolio: Portfolio
    ) -> list[tuple[dict[str, Any], int, bool]]:
        return [
            (profile.parameters(**draw, **portfolio.overrides).as_dict(), seed, False)
            for seed, draw in zip(self.seeds, self.draws, strict=True)
        ]


def paired(runs: list[dict[str, Any]], nothing: list[dict[str, Any]]) -> dict[str, Any]:
    """A portfolio's objectives from its paired runs against doing nothing's, with each figure's
    paired differences kept for intervals."""
    d = {
        k: np.array([r[k] - b[k] for r, b in zip(runs, nothing, strict=True)])
        for k in runs[0]
        if k != "path"
    }
    shortfall = np.maximum(0.0, -d["profit"])
    out: dict[str, Any] = {
        "cx": float(d["cx"].mean()),
        "growth": float(d["growth"].mean()),
        "margin": float(d["margin"].mean()),
        "cost": float(d["cost"].mean()),
        "downside": float(shortfall.mean()),
        "profit": float(d["profit"].mean()),
        "chance_worse": float((d["profit"] < 0).mean()),
    }
    for k in ("cx", "growth", "margin", "profit"):
        out[f"{k}_diffs"] = [float(v) for v in d[k]]
    return out


# --- the search
@dataclass
class SearchResult:
    trials: list[dict[str, Any]]  # one per trial: number, portfolio, objectives, feasible
    nothing: list[dict[str, Any]]  # doing nothing's runs
    firms: Firms
    ran: int  # runs done in this call
    replayed: int  # evaluations read back


def _digest(profile: Profile, firms: Firms) -> str:
    text = json.dumps(
        {
            "firm": profile.firm,
            "behaviour": profile.behaviour,
            "horizon": profile.horizon,
            "seeds": firms.seeds,
            "draws": firms.draws,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class Store:
    """``evaluations.jsonl``: one line per portfolio evaluated, keyed by the firms' digest and the
    portfolio; lines of another profile or seed are kept but not used."""

    def __init__(self, out: Path, digest: str):
        self.path = out / EVALUATIONS_FILE
        self.digest = digest
        self.known: dict[str, dict[str, Any]] = {}
        if self.path.is_file():
            for line in self.path.read_text().splitlines():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by an interruption: run it again
                if row.get("digest") == digest:
                    self.known[row["key"]] = row["value"]

    def add(self, key: str, value: dict[str, Any]) -> None:
        self.known[key] = value
        with self.path.open("a") as f:
            f.write(json.dumps({"digest": self.digest, "key": key, "value": value}) + "\n")


def search(
    profile: Profile,
    trials: int,
    out: Path,
    executor: Executor,
    workers: int,
    posterior: PosteriorDraws | None = None,
    log: Callable[[str], None] = print,
) -> SearchResult:
    """Run (or resume) the NSGA-II search of ``trials`` portfolios."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    firms = Firms.make(profile, posterior)
    store = Store(out, _digest(profile, firms))
    ran = replayed = 0
    nothing_key = "__nothing__"
    if nothing_key in store.known:
        nothing = store.known[nothing_key]["runs"]
        replayed += 1
    else:
        nothing = run_many(firms.tasks(profile, Portfolio(())), executor, workers)
        ran += len(nothing)
        store.add(nothing_key, {"runs": nothing})
    budget = profile.budget
    cheapest_lever(profile, firms, store, executor, workers, nothing)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.NSGAIISampler(
            population_size=profile.search["population"],
            seed=profile.search["seed"],
        )
    study = optuna.create_study(directions=list(DIRECTIONS), sampler=sampler)
    # The first generation always holds each lever alone at each dose from its earliest start,
    # so that no single lever goes unseen however small the search.
    singles = [
        {
            **{c.name: 0 for c in profile.choices},
            **{f"{c.name}_start": 0 for c in profile.choices},
            choice.name: k + 1,
        }
        for choice in profile.choices
        for k in range(len(choice.doses))
    ]
    for params in singles[: max(0, min(trials, profile.search["population"]))]:
        study.enqueue_trial(params)
    results: list[dict[str, Any]] = []
    started = time.perf_counter()
    while len(results) < trials:
        batch = [
            study.ask() for _ in range(min(profile.search["population"], trials - len(results)))
        ]
        portfolios = [suggest(t, profile.choices) for t in batch]
        todo = {p.key: p for p in portfolios if p.key not in store.known}
        tasks = [task for p in todo.values() for task in firms.tasks(profile, p)]
        rows = run_many(tasks, executor, workers)
        ran += len(rows)
        reps = len(firms.seeds)
        for i, p in enumerate(todo.values()):
            store.add(p.key, paired(rows[i * reps : (i + 1) * reps], nothing))
        replayed += sum(1 for p in portfolios if p.key not in todo)
        for t, p in zip(batch, portfolios, strict=True):
            value = store.known[p.key]
            t.set_user_attr("cost", value["cost"])
            t.set_constraint("budget", value["cost"] - budget)  # feasible when at most 0
            study.tell(t, [value[o] for o in OBJECTIVES])
            results.append(
                {
                    "trial": t.number,
                    "portfolio": p,
                    "feasible": value["cost"] <= budget,
                    **value,
                }
            )
        best = max((r["cx"] for r in results if r["feasible"]), default=math.nan)
        log(
            f"search {len(results)}/{trials} portfolios ({len(rows)} runs, "
            f"{time.perf_counter() - started:.0f} s): best CX gain within budget {best:+.2f}"
        )
    return SearchResult(results, nothing, firms, ran, replayed)


class BudgetError(UserError, ValueError):
    """The budget cannot pay for any lever the profile leaves to choose."""


def cheapest_lever(
    profile: Profile,
    firms: Firms,
    store: Store,
    executor: Executor,
    workers: int,
    nothing: list[dict[str, Any]],
) -> dict[str, float]:
    """What each lever costs a year alone at its smallest dose from its earliest start, on the
    first paired firm (measured, like every cost here); refused when even the cheapest is over
    the budget."""
    prices: dict[str, float] = {}
    todo = []
    for c in profile.choices:
        key = f"__price__{c.name}"
        if key in store.known:
            prices[c.name] = store.known[key]["cost"]
        else:
            todo.append(c)
    tasks = [firms.tasks(profile, Portfolio(((c.name, c.doses[0], c.starts[0]),)))[0] for c in todo]
    for c, row in zip(todo, run_many(tasks, executor, workers), strict=True):
        prices[c.name] = row["cost"] - nothing[0]["cost"]
        store.add(f"__price__{c.name}", {"cost": prices[c.name]})
    if prices and min(prices.values()) > profile.budget:
        listed = ", ".join(f"{n} {v:,.0f}" for n, v in sorted(prices.items(), key=lambda x: x[1]))
        raise BudgetError(
            f"{profile.source or profile.name}: [decision] budget={profile.budget:,.0f} a year is "
            f"below the cheapest lever at its smallest dose (a year: {listed}); raise the budget "
            "or let the search choose a cheaper lever"
        )
    return prices


def dominates(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """``a`` is at least as good as ``b`` on every objective and better on one."""
    better = False
    for o, d in zip(OBJECTIVES, DIRECTIONS, strict=True):
        x, y = (a[o], b[o]) if d == "maximize" else (-a[o], -b[o])
        if x < y:
            return False
        better |= x > y
    return better


def front(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The feasible portfolios no other feasible one dominates (one per distinct portfolio)."""
    unique = {r["portfolio"].key: r for r in results if r["feasible"]}
    rows = list(unique.values())
    return [r for r in rows if not any(dominates(o, r) for o in rows if o is not r)]


def recommended(results: list[dict[str, Any]], top: int) -> list[dict[str, Any]]:
    """The front's best on CX, margin, growth and downside (a portfolio that raises CX), then the
    rest of the front by CX gain, ``top`` at most; a portfolio that pulls nothing is not advice."""
    rows = [r for r in front(results) if r["portfolio"].levers]
    picks: list[dict[str, Any]] = []

    def take(r: dict[str, Any] | None) -> None:
        if r is not None and all(r is not p for p in picks) and len(picks) < top:
            picks.append(r)

    if not rows:
        return []
    take(max(rows, key=lambda r: r["cx"]))
    take(max(rows, key=lambda r: r["margin"]))
    take(max(rows, key=lambda r: r["growth"]))
    raising = [r for r in rows if r["cx"] > 0]
    take(min(raising, key=lambda r: r["downside"]) if raising else None)
    for r in sorted(rows, key=lambda r: -r["cx"]):
        take(r)
    return picks
