"""Calibration by the simulated method of moments (McFadden 1989; Gourieroux and Monfort 1996).

1. **Screen** (Morris elementary effects, SALib): each free parameter's effect on the standardised
   moments; parameters whose largest effect is below ``screen_keep`` of the strongest are fixed at
   their prior's midpoint and dropped from the search.
2. **Search** (optuna's CMA-ES): minimise the sum of squared
   standardised distances between simulated and published moments
   (:func:`sim.experiments.experiment.objective`), every trial on the same firms (common random
   numbers). CMA-ES searches the behaviours only: the respondents' mean tolerances move nothing
   but the thresholds of the answers, so for each trial's firms they are solved exactly by
   re-answering (:func:`profile_tolerances`, the profile objective). The search scores smooth
   moments: each respondent's yes is replaced by its probability given what it experienced
   (:func:`sim.survey.instrument.expected_answers`), which halves the simulation noise of a
   share at no cost; the reported refit uses the answers as given.
3. **Uncertainty**: the Jacobian of every simulated moment and prediction at the optimum (central
   differences, the same firms), then a bootstrap that redraws the published shares from their
   binomial sampling distributions and the simulated moments from theirs, mapped to parameters by
   weighted least squares through the Jacobian; intervals are the bootstrap's 2.5 and 97.5
   percentiles.
4. **Re-run** the best fit on fresh firms and seeds, predict every question of the instrument (with
   intervals from the same bootstrap plus binomial noise), and check the mechanism figures on
   dedicated runs.

Every evaluation is cached in ``DIR/evaluations.jsonl`` (and each simulated survey in
``DIR/answers/``), so an interrupted calibration resumes where it stopped: the search is replayed
from the cache and ends on the uninterrupted run's fit (:func:`search`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import UserError
from sim.experiments.experiment import (
    IDENTITY_KEYS,
    Evaluation,
    Experiment,
    SurveyTarget,
    fitted_targets,
    objective,
    observed_moments,
    share_variance,
    survey_term,
)
from sim.model.parameters import FIELDS
from sim.model.randomness import child_seed
from sim.results.stats import mean_interval
from sim.runs.pool import local_pool
from sim.runs.store import claim_state_folder, folder_lock
from sim.survey.instrument import (
    TOLERANCE_PARAMETER,
    compare_with_peers,
    expected_answers,
    reanswer,
    yes_probability,
)
from sim.survey.population import run_survey

PREDICTION_GROUPS = {
    "substantial_growth": ("close_collaborators", "others"),
    "margin_growth_5": ("close_collaborators", "others"),
    "competitive_position": ("close_collaborators", "others"),
    "integration_struggles": ("tech_savvy", "traditional"),
}


# The columns of predictions.csv, of the rows of fit.json's "fit" and of its "mechanisms", in
# order; docs/outputs.md describes each (sim.runs.columns), from these same lists.
PREDICTION_COLUMNS = ("id", "respondent", "group", "era", "predicted", "low", "high")
RECOVERY_COLUMNS = ("point", "parameter", "known", "median", "low", "high", "inside")
FIT_COLUMNS = (
    "target",
    "observed",
    "band_low",
    "band_high",
    "predicted",
    "low",
    "high",
    "within_band",
    "source",
)
MECHANISM_COLUMNS = (
    "id",
    "kind",
    "target",
    "band_low",
    "band_high",
    "measured",
    "low",
    "high",
    "within_band",
    "how",
    "source",
)

CALIBRATION_KIND = "orgsim calibration"
# Every draw of a calibration comes from a named child of the experiment's seed, recorded in
# fit.json: the search's firms use the seed itself (so an experiment's firms are the survey's with
# that seed); each later stage has its own stream, so a change in one leaves the others' draws.
STAGES = (
    "refit",
    "firm_bootstrap",
    "bootstrap",
    "predict",
    "mechanisms",
    "polish",
    "design",
    "posterior",
    "recovery",
    "waves",
)


def stage_seeds(seed: int) -> dict[str, int]:
    """The seed of every stage of a calibration with root ``seed`` (what fit.json records)."""
    stages = {s: child_seed(seed, "calibration", s) for s in STAGES}
    # Morris screening, CMA-ES and the search's firms all take the root seed itself.
    return {"screen": int(seed), "search": int(seed), **stages}


TOLERANCES = {param: role for role, param in TOLERANCE_PARAMETER.items()}
# Parameters that move only the respondents' thresholds: answered again, never re-simulated.
THRESHOLDS = (*TOLERANCES, "disposition_concentration")
SIMULATION_MEMORY = 16  # simulated surveys kept in memory for re-answering
# Grid of a profiled tolerance over its prior: 241 points, a step of 0.0025 on the default prior
# [0.2, 0.8], finer than a share's move from one respondent more or fewer saying yes.
PROFILE_GRID = 241
# How the search treats the tolerances, recorded in a calibration's state.json: a folder searched
# another way cannot resume (its study's trials would mean something else).
SEARCH = "cmaes-behaviours-profiled-tolerances-smooth-moments"


class CalibrationError(UserError, ValueError):
    """The output folder holds another calibration; the message says what to do."""


@dataclass
class Fit:
    """What a calibration found."""

    estimates: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    fixed: dict[str, float]
    predictions: pd.DataFrame
    fit_table: pd.DataFrame
    reproduced: int
    n_targets: int
    wall_s: float
    out: Path


class Evaluator:
    """Evaluates parameter vectors on the experiment's firms, with an on-disk cache."""

    def __init__(
        self,
        experiment: Experiment,
        out: Path,
        workers: int | None,
        executor: Executor | None,
        log: Callable[[str], None],
    ) -> None:
        self.experiment = experiment
        self.cache_path = out / "evaluations.jsonl"
        self.workers = workers
        self.executor = executor
        self.log = log
        self.cache: dict[str, dict[str, Any]] = {}
        self.simulated: dict[str, pd.DataFrame] = {}
        self.answers_dir = out / "answers"
        self.answers_dir.mkdir(exist_ok=True)
        self.count = 0
        # Thresholds the experiment does not fit stay as the population sets them (or at their
        # defaults): read once, from the population's first firm.
        firm = experiment.population.draw(1, 0)[0]
        self.defaults = {name: float(firm.get(name, FIELDS[name].default)) for name in THRESHOLDS}
        if self.cache_path.exists():
            for line in self.cache_path.read_text().splitlines():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by an interruption
                self.cache[record["key"]] = record

    @staticmethod
    def key(theta: dict[str, Any], n_firms: int, seed: int, smooth: bool = False) -> str:
        canon = json.dumps({k: round(float(v), 10) for k, v in sorted(theta.items())})
        tail = "|smooth" if smooth else ""
        return hashlib.sha256(f"{canon}|{n_firms}|{seed}{tail}".encode()).hexdigest()[:24]

    def answers(self, theta: dict[str, Any]) -> pd.DataFrame:
        """Every answer of the experiment's firms at ``theta`` (simulated again if only the
        summary was cached on disk, as after a resumed calibration)."""
        evaluation = self(theta, keep_answers=True)
        assert evaluation.answers is not None  # keep_answers skips the summary-only cache
        return evaluation.answers

    def simulated_answers(
        self, theta: dict[str, Any], n_firms: int | None = None, seed: int | None = None
    ) -> pd.DataFrame:
        """The answers of the firms simulated at ``theta``'s behaviour, at the population's own
        thresholds. Tolerances only move the respondents' thresholds, not the firms: each
        behavioural vector is simulated once (kept in memory and in ``answers/``) and answered
        again for each set of tolerances."""
        e = self.experiment
        n_firms = n_firms or e.firms
        seed = e.seed if seed is None else seed
        behaviour = {k: v for k, v in theta.items() if k not in THRESHOLDS}
        sim_key = self.key(behaviour, n_firms, seed)
        answers = self.simulated.get(sim_key)
        stored = self.answers_dir / f"{sim_key}.parquet"
        if answers is None and stored.exists():
            answers = pd.read_parquet(stored)
        if answers is None:
            population = e.population.with_overrides(**behaviour)
            answers = run_survey(
                population, n_firms, seed, workers=self.workers, executor=self.executor
            )
            tmp = stored.with_suffix(".tmp")
            answers.to_parquet(tmp, index=False)
            tmp.replace(stored)
        if sim_key not in self.simulated:
            self.simulated[sim_key] = answers
            while len(self.simulated) > SIMULATION_MEMORY:
                self.simulated.pop(next(iter(self.simulated)))
        return answers

    def __call__(
        self,
        theta: dict[str, Any],
        n_firms: int | None = None,
        seed: int | None = None,
        keep_answers: bool = False,
        smooth: bool = True,
    ) -> Evaluation:
        """The shares and firm figures at ``theta``. With ``smooth`` (the search, the Jacobian,
        the bootstrap) each respondent's yes is its probability given what it experienced
        (:func:`sim.survey.instrument.expected_answers`); without (the refit that is reported),
        the answers as given."""
        e = self.experiment
        n_firms = n_firms or e.firms
        seed = e.seed if seed is None else seed
        key = self.key(theta, n_firms, seed, smooth)
        if key in self.cache and not keep_answers:
            record = self.cache[key]
            return Evaluation(pd.DataFrame(record["shares"]), pd.DataFrame(record["firms"]))
        answers = self.simulated_answers(theta, n_firms, seed)
        means = {role: theta[name] for name, role in TOLERANCES.items() if name in theta}

        def given(name: str) -> float:
            return float(theta.get(name, self.defaults[name]))

        if "disposition_concentration" in theta:
            # The spread applies to every role: re-answer all of them, at their means.
            means = {role: given(name) for name, role in TOLERANCES.items()}
        k = given("disposition_concentration")
        if means:
            answers = compare_with_peers(reanswer(answers, means, k))
        if smooth:
            every = {role: given(name) for name, role in TOLERANCES.items()}
            answers = expected_answers(answers, every, k)
        evaluation = Evaluation.from_answers(answers)
        if key in self.cache:
            return evaluation
        record = {
            "key": key,
            "theta": theta,
            "n_firms": n_firms,
            "seed": seed,
            "shares": evaluation.shares.to_dict("list"),
            "firms": evaluation.firms.to_dict("list"),
        }
        with self.cache_path.open("a") as fh:
            fh.write(json.dumps(record, default=float) + "\n")
        self.cache[key] = record
        self.count += 1
        return evaluation


def _moments(e: Experiment, ev: Evaluation) -> tuple[np.ndarray, np.ndarray]:
    values, variances = zip(*(ev.moment(t) for t in fitted_targets(e)), strict=True)
    return np.array(values), np.array(variances)


def _items(ev: Evaluation) -> pd.DataFrame:
    """The prediction rows: every item for group 'all', and the required splits."""
    s = ev.shares
    keep = s.group == "all"
    for qid, groups in PREDICTION_GROUPS.items():
        keep |= (s.id == qid) & s.group.isin(groups)
    return s[keep].reset_index(drop=True)


def midpoint(free) -> float:
    return free.value(0.5 * (free.low + free.high))


def profiled(e: Experiment) -> list[str]:
    """The free tolerances: profiled out of the search (:func:`profile_tolerances`), never
    screened or searched by CMA-ES."""
    return [f.name for f in e.free if f.name in TOLERANCES]


def profile_tolerances(
    e: Experiment, answers: pd.DataFrame, theta: dict[str, Any], concentration: float
) -> dict[str, float]:
    """The free tolerance means that minimise the objective for these simulated firms.

    A role's mean tolerance moves only that role's answers, and only their thresholds: the
    firms' experiences stay as simulated. So the objective separates by role, and each role's
    mean is found exactly, on a grid of :data:`PROFILE_GRID` points over its prior, by
    re-answering (the concentrated, or profile, objective: the outer search then has only the
    behaviours to find, which halves the dimension CMA-ES must search for the default
    experiment). Ties go to the lowest mean of the grid."""
    free = {f.name: f for f in e.free}
    out: dict[str, float] = {}
    for name in profiled(e):
        role = TOLERANCES[name]
        f = free[name]
        items = []
        for t in e.survey_targets:
            if t.respondent != role:
                continue
            rows = answers[(answers.question == t.id) & (answers.respondent == role)]
            items.append((t, rows.rate.to_numpy()))
        if not items:
            out[name] = float(theta.get(name, midpoint(f)))
            continue
        grid = np.linspace(f.low, f.high, PROFILE_GRID)
        scores = np.zeros(grid.size)
        for j, mean in enumerate(grid):
            for t, rate in items:
                # the smooth share, as the search scores it (Evaluator, smooth=True)
                p = float(np.mean(yes_probability(rate, mean, concentration))) if rate.size else 0.0
                scores[j] += survey_term(t, p, share_variance(p, rate.size))
        out[name] = float(f.value(float(grid[int(np.argmin(scores))])))
    return out


def screen(e: Experiment, evaluate: Evaluator, log) -> list[str]:
    """Morris elementary effects of each free behaviour on the standardised moments (the
    tolerances held at their priors' midpoints); returns the names kept, the profiled
    tolerances always among them."""
    behaviours = list(e.searched)
    always = profiled(e)
    if e.screen_trajectories == 0 or len(behaviours) < 2:
        return [f.name for f in e.free]
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    problem = {
        "num_vars": len(behaviours),
        "names": [f.name for f in behaviours],
        "bounds": [[f.low, f.high] for f in behaviours],
    }
    x = morris_sample.sample(problem, e.screen_trajectories, num_levels=4, seed=e.seed)
    _, obs_var = observed_moments(e)
    centre = {f.name: midpoint(f) for f in e.free if f.name in TOLERANCES}
    standardised = []
    for k, row in enumerate(x):
        theta = {**centre, **{f.name: f.value(v) for f, v in zip(behaviours, row, strict=True)}}
        values, _ = _moments(e, evaluate(theta))
        standardised.append(values / np.sqrt(obs_var))
        log(f"screening {k + 1}/{len(x)}")
    ys = np.array(standardised)
    effect = np.zeros(len(behaviours))
    for j in range(ys.shape[1]):
        res = morris_analyze.analyze(
            problem, x, ys[:, j], num_levels=4, print_to_console=False, seed=e.seed
        )
        effect = np.maximum(effect, np.asarray(res["mu_star"]))
    strong = {
        f.name for f, m in zip(behaviours, effect, strict=True) if m >= e.screen_keep * effect.max()
    }
    log(
        "screening mu* (largest over moments): "
        + ", ".join(f"{f.name} {m:.2f}" for f, m in zip(behaviours, effect, strict=True))
    )
    return [f.name for f in e.free if f.name in strong or f.name in always]


def search(
    e: Experiment, names: list[str], fixed: dict[str, Any], evaluate: Evaluator, log
) -> tuple[dict[str, Any], float, int]:
    """CMA-ES over the kept behaviours, each trial with its tolerances profiled out
    (:func:`profile_tolerances`, recorded as the trial's user attributes).

    Resuming replays: the study is rebuilt from the start in memory, on the same sampler seed,
    and every trial an interrupted run finished is answered from the evaluation cache
    (``evaluations.jsonl`` and ``answers/``) without simulating. The sampler then sees exactly
    the history an uninterrupted run would have seen, so a resumed calibration asks the same
    trials and ends on the same fit. (Restoring optuna's stored CMA-ES state instead is not
    faithful: its state is saved once per generation, so a run stopped mid-generation asks that
    generation's points again from the saved state, and the search forks.)

    Returns:
        The best parameter vector (tolerances included) and its objective, and how many trials
        came from the cache.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    free = {f.name: f for f in e.searched if f.name in names}

    def completed(
        behaviour: dict[str, Any], n_firms: int | None = None, seed: int | None = None
    ) -> dict[str, Any]:
        """``behaviour`` with the best tolerances for its firms (the search's by default)."""
        theta = {**fixed, **behaviour}
        answers = evaluate.simulated_answers(theta, n_firms, seed)
        spread = "disposition_concentration"
        k = float(theta.get(spread, evaluate.defaults[spread]))
        return {**theta, **profile_tolerances(e, answers, theta, k)}

    cached_before = evaluate.count
    if not free:  # only tolerances to fit: nothing for CMA-ES, the profile is the fit
        theta = completed({})
        value, _ = objective(e, evaluate(theta))
        log(f"search: tolerances profiled, objective {value:.2f}")
        return theta, value, int(evaluate.count == cached_before)
    # CMA-ES starts at the centre of the unit box; it needs two axes, so one parameter uses TPE.
    sampler = (
        optuna.samplers.CmaEsSampler(
            seed=e.seed, n_startup_trials=0, warn_independent_sampling=False
        )
        if len(free) > 1
        else optuna.samplers.TPESampler(seed=e.seed)
    )
    # CMA-ES works in one scale for all axes, so the search runs on [0, 1] per parameter.
    study = optuna.create_study(study_name=e.name, sampler=sampler, direction="minimize")
    replayed = 0

    def trial_objective(trial) -> float:
        behaviour = {}
        for n, f in free.items():
            u = trial.suggest_float(n, 0.0, 1.0)
            behaviour[n] = f.value(f.low + u * (f.high - f.low))
        nonlocal replayed
        theta = completed(behaviour)
        for n in TOLERANCES:
            if n in theta and n not in fixed:
                trial.set_user_attr(n, float(theta[n]))
        before = evaluate.count
        value, _ = objective(e, evaluate(theta))
        replayed += int(evaluate.count == before)  # answered from the cache
        return value

    for k in range(e.budget):
        study.optimize(trial_objective, n_trials=1)
        if replayed == k + 1:
            continue  # replaying what an earlier run did: reported once below
        if replayed and replayed == k:
            log(f"resumed: {replayed} trials replayed from the cache")
        log(f"search {k + 1}/{e.budget}: best objective {study.best_value:.2f}")
    if replayed == e.budget:
        log(f"resumed: all {replayed} trials replayed from the cache")
    best = study.best_trial

    def at(u: dict[str, float]) -> dict[str, Any]:
        return {n: f.value(f.low + u[n] * (f.high - f.low)) for n, f in free.items()}

    theta = {**fixed, **at(best.params), **best.user_attrs}
    value = float(study.best_value)
    if e.polish:
        # The polish may survey firms of its own, more of them: CMA-ES's best is then judged
        # again on a sample it was not chosen on, and each step must gain on that sample. On the
        # search's own firms the polish fitted their noise (fit_2016, 2026-12-03: objective 4.5
        # on its 120 firms, while the same parameters missed 4 or 5 of 11 targets on 1,200
        # fresh ones).
        firms = e.polish_firms or None
        seed = stage_seeds(e.seed)["polish"] if e.polish_firms else None

        def score(u: dict[str, float]) -> tuple[float, dict[str, Any]]:
            candidate = completed(at(u), firms, seed)
            return objective(e, evaluate(candidate, firms, seed))[0], candidate

        if e.polish_firms:
            value, theta = score(dict(best.params))
            log(
                f"polish: CMA-ES's best on {e.polish_firms} firms of its own, objective {value:.2f}"
            )
        _, value, theta = polish(dict(best.params), value, theta, score, e.polish, log)
    return theta, value, replayed


# The coordinate search's first step, in the unit box of each searched parameter (an eighth of
# its prior), and the step below which it stops: a share's move from one respondent more or
# fewer saying yes is about a step of 0.01 here.
POLISH_STEP = 0.125
POLISH_MIN_STEP = 0.01


def polish(
    u: dict[str, float],
    value: float,
    theta: dict[str, Any],
    score: Callable[[dict[str, float]], tuple[float, dict[str, Any]]],
    budget: int,
    log: Callable[[str], None],
) -> tuple[dict[str, float], float, dict[str, Any]]:
    """A coordinate search from CMA-ES's best ``u`` (unit box): each parameter in turn is moved
    one step up, then down, and the first move that lowers the objective is kept; after a pass
    without one the step halves. At most ``budget`` evaluations. Deterministic, so a resumed
    calibration asks the same points and answers them from the cache.

    Why: with a few dozen trials in five dimensions on a noisy objective CMA-ES stops short of
    the optimum (fit_2016, 2026-12-02: its best had objective 7.59 while one step in one
    parameter had 3.94 on the same firms; docs/model.md)."""
    step, used = POLISH_STEP, 0
    while used < budget and step >= POLISH_MIN_STEP:
        moved = False
        for name in u:
            for sign in (1.0, -1.0):
                candidate = {**u, name: min(max(u[name] + sign * step, 0.0), 1.0)}
                if candidate[name] == u[name] or used >= budget:
                    continue
                score_value, candidate_theta = score(candidate)
                used += 1
                if score_value < value:
                    u, value, theta, moved = candidate, score_value, candidate_theta, True
                    log(f"polish {used}/{budget}: {name} {sign * step:+.3f}, objective {value:.2f}")
                    break
        if not moved:
            step /= 2.0
    log(f"polish: {used} evaluations, best objective {value:.2f}")
    return u, value, theta


def jacobian(
    e: Experiment, theta: dict[str, Any], names: list[str], evaluate: Evaluator, log
) -> tuple[np.ndarray, np.ndarray]:
    """Central-difference Jacobians of the moments and of the prediction items at ``theta``."""
    free = {f.name: f for f in e.free}
    centre = evaluate(theta)
    base_items = _items(centre)
    jm = np.zeros((len(fitted_targets(e)), len(names)))
    ji = np.zeros((len(base_items), len(names)))
    for j, name in enumerate(names):
        f = free[name]
        h = 0.1 * (f.high - f.low)
        lo_v = max(f.low, theta[name] - h)
        hi_v = min(f.high, theta[name] + h)
        if f.is_int:
            lo_v, hi_v = math.floor(lo_v), math.ceil(hi_v)
        ev_hi = evaluate({**theta, name: f.value(hi_v)})
        ev_lo = evaluate({**theta, name: f.value(lo_v)})
        step = float(f.value(hi_v) - f.value(lo_v)) or 1.0
        jm[:, j] = (_moments(e, ev_hi)[0] - _moments(e, ev_lo)[0]) / step
        ji[:, j] = (_items(ev_hi).share.to_numpy() - _items(ev_lo).share.to_numpy()) / step
        log(f"jacobian {j + 1}/{len(names)}")
    return jm, ji


def firm_bootstrap(
    e: Experiment, answers: pd.DataFrame, draws: int, rng: np.random.Generator
) -> np.ndarray:
    """Deviations of the simulated moments when the surveyed firms are resampled with replacement
    (draws x moments). Resampling whole firms keeps the correlation between questions answered in
    the same firm, which independent binomial noise would miss."""
    firms = np.sort(answers.firm.unique())
    index = {f: k for k, f in enumerate(firms)}
    targets = fitted_targets(e)
    yes = np.zeros((len(firms), len(targets)))
    count = np.zeros((len(firms), len(targets)))
    firm_rows = answers.groupby("firm").first()
    for j, t in enumerate(targets):
        if isinstance(t, SurveyTarget):
            rows = answers[(answers.question == t.id) & (answers.respondent == t.respondent)]
            grouped = rows.groupby("firm").yes.agg(["sum", "size"])
            k = grouped.index.map(index).to_numpy()
            yes[k, j] = grouped["sum"].to_numpy()
            count[k, j] = grouped["size"].to_numpy()
        else:
            from sim.experiments.experiment import POPULATION_MECHANISMS

            yes[:, j] = firm_rows.loc[firms, POPULATION_MECHANISMS[t.id]].to_numpy()
            count[:, j] = 1.0
    base = yes.sum(0) / np.maximum(count.sum(0), 1)
    out = np.zeros((draws, len(targets)))
    for b in range(draws):
        pick = rng.integers(0, len(firms), len(firms))
        out[b] = yes[pick].sum(0) / np.maximum(count[pick].sum(0), 1) - base
    return out


def bootstrap(
    e: Experiment,
    theta: dict[str, Any],
    names: list[str],
    jm: np.ndarray,
    sim_deviations: np.ndarray,
) -> np.ndarray:
    """Parameter draws: redraw the published shares from their binomial sampling distributions
    and the simulated moments by resampling firms, then solve the weighted least-squares step
    through the Jacobian."""
    rng = np.random.default_rng(stage_seeds(e.seed)["bootstrap"])
    obs, obs_var = observed_moments(e)
    sim_var = sim_deviations.var(axis=0)
    weights = 1.0 / (obs_var + sim_var + 1e-12)
    free = {f.name: f for f in e.free}
    jw = jm.T * weights
    normal = jw @ jm + 1e-9 * np.eye(len(names))
    centre = np.array([float(theta[n]) for n in names])
    draws = np.zeros((e.bootstrap, len(names)))
    targets = fitted_targets(e)
    for b in range(e.bootstrap):
        obs_b = np.array(
            [
                rng.binomial(t.n, t.share) / t.n
                if isinstance(t, SurveyTarget)
                else rng.normal(t.value, math.sqrt(v))
                for t, v in zip(targets, obs_var, strict=True)
            ]
        )
        # Only the perturbations move the estimate: the misfit that remains at the optimum is the
        # model's, and re-solving for it would bias every draw the same way.
        deviation = (obs_b - obs) - sim_deviations[b % len(sim_deviations)]
        draws[b] = centre + np.linalg.solve(normal, jw @ deviation)
    lows = np.array([free[n].low for n in names])
    highs = np.array([free[n].high for n in names])
    return np.clip(draws, lows, highs)


def calibrate(
    e: Experiment,
    out: Path,
    workers: int | None = None,
    executor: Executor | None = None,
    fresh: bool = False,
    log: Callable[[str], None] = print,
) -> Fit:
    """Run the whole calibration and write ``fit.json``, ``predictions.csv`` and ``report.html``
    into ``out``; resumes from ``out`` when it holds this same experiment."""
    started = time.perf_counter()
    with folder_lock(out):  # no second command writes this folder meanwhile
        _claim(e, out, fresh)
        if executor is not None:
            return _calibrate(e, out, workers, executor, log, started)
        # One pool for the whole calibration: a pool per evaluation paid a process start-up
        # (imports of Mesa, pandas, SciPy: 1-2 s) on each of the ~100 evaluations.
        with local_pool(workers) as pool:
            return _calibrate(e, out, workers, pool, log, started)


def _calibrate(
    e: Experiment,
    out: Path,
    workers: int | None,
    executor: Executor,
    log: Callable[[str], None],
    started: float,
) -> Fit:
    evaluate = Evaluator(e, out, workers, executor, log)
    kept = screen(e, evaluate, log)
    fixed = {f.name: midpoint(f) for f in e.free if f.name not in kept}
    theta, best, replayed = search(e, kept, fixed, evaluate, log)
    jm, ji = jacobian(e, theta, kept, evaluate, log)
    seeds = stage_seeds(e.seed)
    if e.posterior == "emulator":
        draws, posterior_info, recovered = emulated_posterior(e, theta, kept, evaluate, log)
    else:
        answers = evaluate.answers(theta)
        deviations = firm_bootstrap(
            e, answers, e.bootstrap, np.random.default_rng(seeds["firm_bootstrap"])
        )
        draws = bootstrap(e, theta, kept, jm, deviations)
        posterior_info = {"method": "bootstrap", "draws": len(draws)}
        recovered = pd.DataFrame(columns=RECOVERY_COLUMNS)
    log("re-running the best fit on fresh firms")
    refit = evaluate(theta, e.refit_firms, seeds["refit"], smooth=False)
    across = cross_firm(
        evaluate.simulated_answers(theta, e.refit_firms, seeds["refit"]),
        np.random.default_rng(seeds["refit"]),
    )
    predictions = predict(e, refit, ji, draws, theta, kept)
    fit_table = fit_against_targets(e, refit, predictions)
    for label, population in e.eras:
        # Another era's industry at the same estimates: nothing of that era is fitted. Its own
        # folder holds its cache (a cache key names no population).
        era = dataclasses.replace(e, population=population, era=label)
        era_out = out / "eras" / label
        era_out.mkdir(parents=True, exist_ok=True)
        log(f"predicting era {label} on {e.refit_firms} firms of {population.name}")
        era_refit = Evaluator(era, era_out, workers, executor, log)(
            theta, e.refit_firms, seeds["refit"], smooth=False
        )
        predictions = pd.concat(
            [predictions, predict(era, era_refit, ji, draws, theta, kept)], ignore_index=True
        )
    mechanisms = mechanism_checks(theta, e, workers, executor)
    reproduced = int(fit_table.within_band.sum())
    wall = time.perf_counter() - started
    intervals = {
        n: (float(np.percentile(draws[:, j], 2.5)), float(np.percentile(draws[:, j], 97.5)))
        for j, n in enumerate(kept)
    }
    fit = Fit(
        {n: float(theta[n]) for n in kept},
        intervals,
        fixed,
        predictions,
        fit_table,
        reproduced,
        len(fit_table),
        wall,
        out,
    )
    posterior_info["summary"] = posterior_summary(draws, kept)
    write_outputs(
        e, fit, draws, kept, best, mechanisms, evaluate, replayed, posterior_info, recovered, across
    )
    return fit


CROSS_FIRM_COLUMNS = ("pair", "r", "low", "high", "firms")
CROSS_FIRM_PAIRS = {
    "cx_index vs substantial_growth": "substantial_growth",
    "cx_index vs margin_growth_5": "margin_growth_5",
}


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson's r, NaN when either side does not vary."""
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def cross_firm(answers: pd.DataFrame, rng: np.random.Generator, draws: int = 400) -> pd.DataFrame:
    """Across the surveyed firms, the correlation of each firm's CX index with its substantial
    revenue growth and with its margin growth (yes or no: point-biserial), with 95% intervals from
    resampling firms. The surveys' finding that firms whose departments collaborate grow faster
    is a claim about such cross-firm patterns; nothing here is fitted."""
    rows = []
    for pair, qid in CROSS_FIRM_PAIRS.items():
        item = answers[answers.question == qid].groupby("firm")[["firm_cx", "yes"]].first()
        cx = item.firm_cx.to_numpy(dtype=float)
        yes = item.yes.to_numpy(dtype=float)
        boot = []
        for _ in range(draws):
            pick = rng.integers(0, len(cx), len(cx))
            boot.append(_correlation(cx[pick], yes[pick]))
        boot_arr = np.array(boot)
        boot_arr = boot_arr[np.isfinite(boot_arr)]
        low, high = np.percentile(boot_arr, [2.5, 97.5]) if boot_arr.size else (float("nan"),) * 2
        rows.append(
            {"pair": pair, "r": _correlation(cx, yes), "low": low, "high": high, "firms": len(cx)}
        )
    return pd.DataFrame(rows, columns=CROSS_FIRM_COLUMNS)


def emulated_posterior(
    e: Experiment, theta: dict[str, Any], names: list[str], evaluate: Evaluator, log
) -> tuple[np.ndarray, dict[str, Any], pd.DataFrame]:
    """The posterior of the free parameters ``names`` on Gaussian-process emulators
    (:mod:`sim.experiments.emulator`): a space-filling design over the behaviours' priors, the
    emulators fitted to every behavioural vector simulated so far (the search's, the polish's,
    the Jacobian's and the design's), the posterior sampled on them, then the recovery check.

    Returns:
        The draws (``e.bootstrap`` x ``names``), what fit.json records of the posterior, and the
        recovery table (:data:`RECOVERY_COLUMNS`).
    """
    from scipy.stats import qmc

    from sim.experiments.emulator import Emulator, Simulated, from_unit, sample_posterior, to_unit

    seeds = stage_seeds(e.seed)
    by_name = {f.name: f for f in e.free}
    free = [by_name[n] for n in names]
    behaviours = [f for f in free if f.name not in TOLERANCES]
    started = time.perf_counter()
    design_firms = e.design_firms or e.firms
    if e.design and behaviours:
        lhs = qmc.LatinHypercube(d=len(behaviours), seed=seeds["design"]).random(e.design)
        for k, u in enumerate(lhs):
            evaluate({**theta, **from_unit(behaviours, u)}, design_firms, e.seed)
            log(f"design {k + 1}/{e.design}: {design_firms} firms")

    def given(name: str) -> float:
        return float(theta.get(name, evaluate.defaults[name]))

    # Every behavioural vector simulated on the search's, the polish's, the design's or the
    # waves' firms (the refit's and the recovery's are left out, so a resumed calibration trains
    # on the same).
    trained_on = {e.seed, seeds["polish"]}

    def training_set() -> list[Simulated]:
        simulated, seen = [], set()
        for record in list(evaluate.cache.values()):
            if int(record["seed"]) not in trained_on:
                continue
            point = {**theta, **record["theta"]}
            behaviour = {k: v for k, v in point.items() if k not in THRESHOLDS}
            sim_key = evaluate.key(behaviour, int(record["n_firms"]), int(record["seed"]))
            if sim_key in seen:
                continue
            seen.add(sim_key)
            answers = evaluate.simulated_answers(point, int(record["n_firms"]), int(record["seed"]))
            simulated.append(Simulated(to_unit(free, point), answers))
        return simulated

    def sampled() -> tuple[Any, Any, int]:
        simulated = training_set()
        emulator = Emulator(e, free, e.discrepancy)
        emulator.fit(simulated, given, given("disposition_concentration"), seeds["posterior"])
        rng = np.random.default_rng(seeds["posterior"])
        return (
            emulator,
            sample_posterior(emulator.loglik, len(free), rng, e.bootstrap),
            len(simulated),
        )

    emulator, posterior, trained = sampled()

    def described(posterior) -> str:
        return (
            f"{posterior.steps} tempering steps to temperature {posterior.temperature:.2f}, "
            f"effective sample size {posterior.ess:.0f} of {posterior.particles}, acceptance "
            f"{posterior.acceptance:.2f}, {posterior.distinct:.0%} of draws distinct"
        )

    def sampler(posterior, trained: int) -> dict[str, Any]:
        return {
            "simulated_behaviours": trained,
            "tempering_steps": posterior.steps,
            "temperature": posterior.temperature,
            "effective_sample_size": posterior.ess,
            "acceptance": posterior.acceptance,
            "distinct_draws": posterior.distinct,
        }

    emulator, posterior, trained = sampled()
    log(f"emulators fitted to {trained} simulated behaviours; posterior: {described(posterior)}")
    waves = [sampler(posterior, trained)]
    wave_rng = np.random.default_rng(seeds["waves"])
    for wave in range(e.waves if behaviours else 0):
        # Simulate where the posterior now is: a mode the emulators only extrapolated to is
        # checked against the model before the next sample believes it. Distinct draws only
        # (a resampled draw repeats), so that a wave spends its points on different places.
        distinct = np.unique(posterior.unit, axis=0)
        picked = distinct[
            wave_rng.choice(len(distinct), size=min(e.wave_points, len(distinct)), replace=False)
        ]
        for k, u in enumerate(picked):
            evaluate({**theta, **from_unit(free, u)}, design_firms, e.seed)
            log(f"wave {wave + 1}/{e.waves}: point {k + 1}/{len(picked)}, {design_firms} firms")
        emulator, posterior, trained = sampled()
        waves.append(sampler(posterior, trained))
        log(f"wave {wave + 1}: emulators on {trained} behaviours; {described(posterior)}")
    draws = np.array([[float(v) for v in from_unit(free, u).values()] for u in posterior.unit])
    recovered, emulator_z = recovery(e, theta, free, emulator, posterior.unit, evaluate, log)
    inside = recovered.inside.astype(bool)
    info: dict[str, Any] = {
        "method": "emulator",
        "draws": len(draws),
        "effective_sample_size": posterior.ess,
        "particles": posterior.particles,
        "simulated_behaviours": trained,
        "tempering_steps": posterior.steps,
        "temperature": posterior.temperature,
        "acceptance": posterior.acceptance,
        "distinct_draws": posterior.distinct,
        "waves": len(waves) - 1,
        "wave_points": e.wave_points if len(waves) > 1 else 0,
        "samples": waves,
        "design_points": e.design if behaviours else 0,
        "design_firms": design_firms,
        "discrepancy": e.discrepancy,
        "recovery_points": e.recovery,
        "recovery_checks": len(recovered),
        "recovery_inside_95": float(inside.mean()) if len(recovered) else None,
        "emulator_within_2sd": (
            float(np.mean(np.abs(emulator_z) < 1.96)) if emulator_z.size else None
        ),
        "wall_time_s": time.perf_counter() - started,
    }
    return draws, info, recovered


def recovery(
    e: Experiment,
    theta: dict[str, Any],
    free: list,
    emulator,
    posterior_unit: np.ndarray,
    evaluate: Evaluator,
    log,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Parameter recovery: ``e.recovery`` known points drawn from the posterior, each simulated on
    fresh firms (the recovery stage's seed), surveyed as the targets were (a share drawn
    binomially with the target's n; a mechanism figure with its band's error), and fitted back on
    the emulators. A parameter's known value should fall inside its 95% interval at that rate.
    Also how far each point's simulated moments sit from the emulators' predictions, in their
    sd (the emulators' own check on points they were not fitted to).

    Returns:
        The recovery table (:data:`RECOVERY_COLUMNS`) and the standardised emulator errors."""
    from sim.experiments.emulator import from_unit, sample_posterior

    if not e.recovery:
        return pd.DataFrame(columns=RECOVERY_COLUMNS), np.array([])
    seeds = stage_seeds(e.seed)
    rng = np.random.default_rng(seeds["recovery"])
    picks = rng.choice(
        len(posterior_unit), size=min(e.recovery, len(posterior_unit)), replace=False
    )
    _, obs_var = observed_moments(e)
    rows, zs = [], []
    for k, i in enumerate(picks):
        known_u = posterior_unit[i]
        known = {**theta, **from_unit(free, known_u)}
        moments, sim_var = _moments(e, evaluate(known, e.firms, seeds["recovery"]))
        mean, emu_var = emulator.predict(known_u[None, :])
        zs.append((moments - mean[0]) / np.sqrt(emu_var[0] + sim_var))
        synthetic = np.array(
            [
                rng.binomial(t.n, min(max(m, 0.0), 1.0)) / t.n
                if isinstance(t, SurveyTarget)
                else rng.normal(m, math.sqrt(v))
                for t, m, v in zip(fitted_targets(e), moments, obs_var, strict=True)
            ]
        )

        # The known point's moments are one finite sample of firms: their own noise joins the
        # survey's in the likelihood (the targets' shares have no such term).
        def loglik(u, synthetic=synthetic, sim_var=sim_var):
            return emulator.loglik(u, synthetic, sim_var)

        fitted = sample_posterior(loglik, len(free), rng, len(posterior_unit))
        values = np.array([[float(v) for v in from_unit(free, u).values()] for u in fitted.unit])
        for j, f in enumerate(free):
            low, median, high = np.percentile(values[:, j], [2.5, 50, 97.5])
            rows.append(
                {
                    "point": k,
                    "parameter": f.name,
                    "known": float(known[f.name]),
                    "median": float(median),
                    "low": float(low),
                    "high": float(high),
                    "inside": bool(low <= float(known[f.name]) <= high),
                }
            )
        log(f"recovery {k + 1}/{len(picks)}")
    return pd.DataFrame(rows, columns=RECOVERY_COLUMNS), np.concatenate(zs)


def posterior_summary(draws: np.ndarray, names: list[str]) -> dict[str, dict[str, float]]:
    """Each parameter's posterior mean, sd, median and 95% interval, from its draws."""
    out = {}
    for j, name in enumerate(names):
        low, median, high = np.percentile(draws[:, j], [2.5, 50, 97.5])
        out[name] = {
            "mean": float(draws[:, j].mean()),
            "sd": float(draws[:, j].std(ddof=1)) if len(draws) > 1 else 0.0,
            "median": float(median),
            "low_95": float(low),
            "high_95": float(high),
        }
    return out


def _claim(e: Experiment, out: Path, fresh: bool) -> None:
    """Claim ``out`` for this calibration (:func:`sim.runs.store.claim_folder`): it resumes only
    on the same experiment, population and targets files and the same model; a larger budget
    continues the search."""
    state = {
        "kind": CALIBRATION_KIND,
        "experiment": str(e.path),
        **e.identity(),
        "budget": e.budget,
        "search": SEARCH,
    }
    claim_state_folder(out, CALIBRATION_KIND, state, fresh, (*IDENTITY_KEYS, "search"))


def survey_sizes(e: Experiment) -> dict[str, int]:
    """The n of a survey of each respondent, from the targets file: a role's largest n among its
    targets; a role with no target (the firm's own figures) takes the largest n of all."""
    sizes: dict[str, int] = {}
    for t in e.survey_targets:
        sizes[t.respondent] = max(sizes.get(t.respondent, 0), t.n)
    sizes["*"] = max(sizes.values(), default=400)
    return sizes


def predict(
    e: Experiment,
    refit: Evaluation,
    ji: np.ndarray,
    draws: np.ndarray,
    theta: dict[str, Any],
    names: list[str],
) -> pd.DataFrame:
    """Every item of the instrument (and the required splits) at the best fit on fresh firms, with
    a 95% interval that combines the parameters' uncertainty (the draws, through the Jacobian),
    the simulation's noise (the refit's own sampling error of the share) and the sampling error
    of a survey of the stated n (:func:`survey_sizes`; a split gets its share of that n, as many
    as fell into it on the refit); ``era`` is ``e.era``. For another era's population the
    parameters' uncertainty goes through the fitted era's Jacobian ``ji``: an approximation,
    since that era's shares may answer the parameters differently."""
    items = _items(refit)
    rng = np.random.default_rng(stage_seeds(e.seed)["predict"])
    centre = np.array([float(theta[n]) for n in names])
    shift = (draws - centre) @ ji.T  # draws x items
    p = items.share.to_numpy()
    n = np.maximum(items.n.to_numpy(), 1)
    sizes = survey_sizes(e)
    ids = items.id.astype(str).to_numpy()
    roles = items.respondent.astype(str).to_numpy()
    groups = items.group.astype(str).to_numpy()
    everyone = {
        (q, r): max(int(k), 1)
        for q, r, g, k in zip(ids, roles, groups, n, strict=True)
        if g == "all"
    }
    n_survey = np.array(
        [
            max(round(sizes.get(r, sizes["*"]) * int(k) / everyone.get((q, r), 1)), 1)
            for q, r, k in zip(ids, roles, n, strict=True)
        ]
    )
    empty = ~np.isfinite(p)  # a group nobody fell into (say, no close collaborators): no answer
    seed_sd = np.sqrt(
        [share_variance(float(q), int(k)) for q, k in zip(np.nan_to_num(p), n, strict=True)]
    )
    expected = np.nan_to_num(p + np.nan_to_num(shift)) + rng.standard_normal(shift.shape) * seed_sd
    noisy = rng.binomial(n_survey, np.clip(expected, 0, 1)) / n_survey
    low = np.where(empty, np.nan, np.percentile(noisy, 2.5, axis=0))
    high = np.where(empty, np.nan, np.percentile(noisy, 97.5, axis=0))
    return pd.DataFrame(
        {
            "id": items.id,
            "respondent": items.respondent,
            "group": items.group,
            "era": e.era,
            "predicted": p,
            "low": low,
            "high": high,
        },
        columns=PREDICTION_COLUMNS,
    )


def fit_against_targets(
    e: Experiment, refit: Evaluation, predictions: pd.DataFrame
) -> pd.DataFrame:
    rows = []
    for t in e.survey_targets:
        pred = predictions[
            (predictions.id == t.id)
            & (predictions.respondent == t.respondent)
            & (predictions.group == "all")
            & (predictions.era == e.era)
        ].iloc[0]
        lo, hi = t.band
        rows.append(
            {
                "target": t.key,
                "observed": t.share,
                "band_low": lo,
                "band_high": hi,
                "predicted": pred.predicted,
                "low": pred.low,
                "high": pred.high,
                "within_band": bool(lo <= pred.predicted <= hi),
                "source": t.source,
            }
        )
    for mech in e.fitted_mechanisms:
        value, var = refit.moment(mech)
        half = 1.96 * math.sqrt(var)
        rows.append(
            {
                "target": mech.key,
                "observed": mech.value,
                "band_low": mech.band[0],
                "band_high": mech.band[1],
                "predicted": value,
                "low": value - half,
                "high": value + half,
                "within_band": bool(mech.band[0] <= value <= mech.band[1]),
                "source": mech.source,
            }
        )
    return pd.DataFrame(rows, columns=FIT_COLUMNS)


def mechanism_checks(
    theta: dict[str, Any], e: Experiment, workers: int | None, executor: Executor | None = None
) -> pd.DataFrame:
    """The mechanism figures not fitted on the population, measured at the fit on dedicated
    paired runs of a default-size firm: remote work's effect on the cross-department share, and
    the CX change per year of a firm that stops delivering; plus the fitted ones for reference."""
    from sim.model.randomness import replicate_seeds
    from sim.runs.runner import run_paired

    behaviour = {k: v for k, v in theta.items() if not k.startswith("tolerance")}
    seeds = replicate_seeds(stage_seeds(e.seed)["mechanisms"], 8)
    runs = run_paired(
        {
            "office": behaviour,
            "remote": {**behaviour, "remote_share": 1.0},
            "stopped": {**behaviour, "delivery_stop_week": 52},
        },
        seeds,
        workers=workers,
        executor=executor,
    )

    def col(name, what):
        return runs[runs.scenario == name].sort_values("rep")[what].to_numpy()

    remote = mean_interval(
        col("remote", "mean_cross_contact_share") / col("office", "mean_cross_contact_share") - 1
    )
    decline = mean_interval((col("stopped", "cx_index") - col("stopped", "cx_index_w52")) / 2)
    measured = {
        "remote_cross_group_share_change": remote,
        "cx_index_change_per_year_without_delivery": decline,
    }
    # The Allen-curve ratio is counted from the contacts the model samples at the fit's
    # behaviour, never computed from allen_lambda_m (sim.experiments.mechanisms).
    from sim.experiments.mechanisms import contact_ratio

    _, ratio = contact_ratio(behaviour, seeds[:4])
    found = {k: (m, "8 paired runs of a default-size firm at the fit") for k, m in measured.items()}
    found["contact_ratio_2m_vs_20m"] = (
        ratio,
        "contacts counted at 2 m and 20 m in a colocated 60 + 60 firm, 4 seeds x 40 weeks",
    )
    rows = [
        {
            "id": t.id,
            "kind": t.kind,
            "target": t.value,
            "band_low": t.band[0],
            "band_high": t.band[1],
            "measured": m.mean,
            "low": m.low,
            "high": m.high,
            "within_band": bool(t.band[0] <= m.mean <= t.band[1]),
            "how": how,
            "source": t.source,
        }
        for t in e.mechanism_targets
        if t.id in found
        for m, how in [found[t.id]]
    ]
    return pd.DataFrame(rows, columns=MECHANISM_COLUMNS)


# A parameter whose 95% interval covers this share of its prior or more is called not identified
# by the targets; from WEAKLY on, weakly identified. A pair of parameters whose draws correlate
# at TRADE_OFF or more (in absolute value) is named as a trade-off: the targets pin down a
# combination of the two better than either.
NOT_IDENTIFIED = 0.8
WEAKLY = 0.5
TRADE_OFF = 0.8


def identifiability(
    e: Experiment, draws: np.ndarray, names: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """How well the targets pin each parameter down, from its draws: per parameter the 95%
    interval's share of the prior and a verdict (identified, weakly, not identified); and the
    pairwise correlations of the draws (a square table). Carrella (2021) found half of 41
    published agent-based models not fully identified; this says which of ours are."""
    free = {f.name: f for f in e.free}
    rows = []
    for j, name in enumerate(names):
        low, high = np.percentile(draws[:, j], [2.5, 97.5])
        share = float((high - low) / (free[name].high - free[name].low))
        verdict = (
            "not identified"
            if share >= NOT_IDENTIFIED
            else "weakly identified"
            if share >= WEAKLY
            else "identified"
        )
        rows.append(
            {
                "parameter": name,
                "low_95": low,
                "high_95": high,
                "prior_share": share,
                "verdict": verdict,
            }
        )
    spread = draws.std(axis=0) > 0
    corr = np.full((len(names), len(names)), np.nan)
    if spread.sum() >= 2:
        at = np.flatnonzero(spread)
        corr[np.ix_(at, at)] = np.corrcoef(draws[:, at], rowvar=False)
    table = pd.DataFrame(rows)
    partners = []
    for j in range(len(names)):
        strong = [
            f"{names[k]} ({corr[j, k]:+.2f})"
            for k in range(len(names))
            if k != j and np.isfinite(corr[j, k]) and abs(corr[j, k]) >= TRADE_OFF
        ]
        partners.append(", ".join(strong))
    table["trades_off_with"] = partners
    return table, pd.DataFrame(corr, index=names, columns=names)


def posterior_table(fit: Fit, draws: np.ndarray, names: list[str]) -> pd.DataFrame:
    """The parameter draws as a table, one complete parameter set per row (``draw``, then every
    free parameter: the estimated ones drawn, those fixed after screening at their value), which
    ``orgsim batch --fit`` samples from (:mod:`sim.runs.posterior`). Today's draws are the
    bootstrap of the estimate (:func:`bootstrap`): its sampling distribution under the targets'
    binomial error and the surveyed firms' noise, clipped to the priors."""
    table = pd.DataFrame(draws, columns=names)
    for name, value in fit.fixed.items():
        table[name] = value
    table.insert(0, "draw", np.arange(len(table)))
    return table


def write_outputs(
    e: Experiment,
    fit: Fit,
    draws: np.ndarray,
    names: list[str],
    best: float,
    mechanisms: pd.DataFrame,
    evaluate: Evaluator,
    replayed: int = 0,
    posterior: dict[str, Any] | None = None,
    recovered: pd.DataFrame | None = None,
    across: pd.DataFrame | None = None,
) -> None:
    from sim.results.calibration_report import write_report

    out = fit.out
    identified, correlations = identifiability(e, draws, names)
    fit.predictions.to_csv(out / "predictions.csv", index=False)
    from sim.runs.posterior import POSTERIOR_FILE

    posterior_table(fit, draws, names).to_csv(out / POSTERIOR_FILE, index=False)
    if recovered is None:
        recovered = pd.DataFrame(columns=RECOVERY_COLUMNS)
    recovered.to_csv(out / "recovery.csv", index=False)
    payload = {
        "experiment": e.name,
        "file": str(e.path),
        "method": e.method,
        "estimates": fit.estimates,
        "intervals_95": {k: list(v) for k, v in fit.intervals.items()},
        "fixed_after_screening": fit.fixed,
        "objective_at_best": best,
        "budget": {
            "trials": e.budget,
            "polish_evaluations_allowed": e.polish,
            "firms_per_evaluation": e.firms,
            "firms_per_polish_evaluation": e.polish_firms,
            "evaluations_run_this_session": evaluate.count,
            "evaluations_total": len(evaluate.cache),
            # trials answered from an earlier, interrupted run's cache: a resumed calibration
            # replays them, so its fit is the uninterrupted run's (search, in this module)
            "search_trials_replayed": replayed,
            "bootstrap": e.bootstrap,
        },
        "wall_time_s": fit.wall_s,
        "seeds": stage_seeds(e.seed),
        "targets_within_95_band": fit.reproduced,
        "targets": fit.n_targets,
        "fit": fit.fit_table.to_dict("records"),
        "mechanisms": mechanisms.to_dict("records"),
        "posterior": posterior or {"method": e.posterior},
        "cross_firm": [] if across is None else across.to_dict("records"),
        "identifiability": identified.to_dict("records"),
        "correlations": {
            row: {col: (float(r) if math.isfinite(r) else None) for col, r in values.items()}
            for row, values in correlations.to_dict("index").items()
        },
    }
    (out / "fit.json").write_text(json.dumps(payload, indent=1, default=float))
    write_report(
        e,
        fit,
        draws,
        names,
        mechanisms,
        out,
        identified,
        correlations,
        posterior,
        recovered,
        across,
    )
