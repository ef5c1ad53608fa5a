"""Experiment definitions (``experiments/*.toml``) and their evaluation: what to fit, to which
published figures, on which industry population, with which method and budget.

An evaluation surveys a fixed set of firms of the population with one parameter vector: the same
firm draws and the same seeds at every evaluation (common random numbers), so two parameter
vectors are compared on identical firms and the objective is smooth enough for CMA-ES.
"""

from __future__ import annotations

import math
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.datafiles import find, names, read_toml
from sim.errors import UserError
from sim.model.parameters import FIELDS, allowed, field_type, unknown_message
from sim.runs.scenarios import ScenarioError
from sim.survey.instrument import QUESTION, TOLERANCE_PARAMETER
from sim.survey.population import Population, load_population, run_survey, shares

METHODS = ("smm-cmaes",)
# How a calibration finds the parameters' uncertainty (Experiment.posterior).
POSTERIORS = ("emulator", "bootstrap")

# The respondents' mean tolerances: they move only the thresholds of the answers.
TOLERANCE_NAMES = frozenset(TOLERANCE_PARAMETER.values())


# Mechanism figures measurable on the surveyed population itself (fitted when kind = calibrate);
# the others are checked on dedicated runs at the fit
# (sim.experiments.calibration.mechanism_checks).
POPULATION_MECHANISMS = {
    "tech_spend_outside_it_share": "firm_tech_spend_outside_it",
    "monthly_voluntary_churn_baseline": "firm_monthly_churn",
}
# What a calibration's or sensitivity analysis's folder records to resume only the same work: the
# experiment, population and targets files and the model (sim.runs.store.claim_folder).
IDENTITY_KEYS = (
    "experiment_sha256",
    "population_sha256",
    "targets_sha256",
    "model_fingerprint",
    "eras_sha256",
)
CHECKED_MECHANISMS = (
    "contact_ratio_2m_vs_20m",
    "remote_cross_group_share_change",
    "cx_index_change_per_year_without_delivery",
)


class ExperimentError(UserError, ValueError):
    """An experiment or targets file is invalid; the message names the file, key and fix."""


@dataclass(frozen=True)
class Free:
    """A free parameter with a uniform prior on [low, high]."""

    name: str
    low: float
    high: float

    @property
    def is_int(self) -> bool:
        return field_type(FIELDS[self.name]) is int

    def value(self, x: float) -> Any:
        return round(x) if self.is_int else float(x)


@dataclass(frozen=True)
class SurveyTarget:
    id: str
    respondent: str
    share: float
    n: int
    source: str

    @property
    def key(self) -> str:
        return f"{self.id}/{self.respondent}"

    @property
    def band(self) -> tuple[float, float]:
        """The 95% band of the published share from its binomial sampling error."""
        half = 1.96 * math.sqrt(self.share * (1 - self.share) / self.n)
        return max(0.0, self.share - half), min(1.0, self.share + half)


@dataclass(frozen=True)
class MechanismTarget:
    id: str
    value: float
    band: tuple[float, float]
    kind: str
    source: str

    @property
    def key(self) -> str:
        return self.id


@dataclass(frozen=True)
class Experiment:
    """A calibration and sensitivity experiment."""

    name: str
    description: str
    path: Path
    population: Population
    survey_targets: tuple[SurveyTarget, ...]
    mechanism_targets: tuple[MechanismTarget, ...]
    free: tuple[Free, ...]
    method: str
    budget: int
    firms: int
    seed: int
    refit_firms: int
    bootstrap: int
    screen_trajectories: int
    screen_keep: float
    sensitivity: tuple[Free, ...] = ()
    sensitivity_firms: int = 12
    targets_path: Path | None = None
    # Evaluations of a coordinate search from CMA-ES's best (calibration.polish); 0: none.
    polish: int = 0
    # Firms each polish evaluation surveys, a sample of their own (0: the search's firms).
    polish_firms: int = 0
    # The era the fitted population describes (predictions.csv's era), and other eras' populations
    # the fitted model predicts for without fitting anything to them: (label, population).
    era: str = ""
    eras: tuple[tuple[str, Population], ...] = ()
    # How the parameters' uncertainty is found (sim.experiments.calibration): "emulator", the
    # posterior sampled on Gaussian-process emulators (sim.experiments.emulator), or
    # "bootstrap", the estimate's bootstrap through the Jacobian. `bootstrap` is the number of
    # draws either way.
    posterior: str = "emulator"
    # The emulator's space-filling design: points (a Latin hypercube over the behaviours'
    # priors) and the firms each surveys (0: the search's firms).
    design: int = 0
    design_firms: int = 0
    # Known points the recovery check fits back (drawn from the posterior), and the model
    # discrepancy of a survey share (an sd; an assumption, no survey figure sizes it).
    recovery: int = 0
    discrepancy: float = 0.0
    # History-matching waves after the design (Andrianakis et al. 2015): each simulates
    # `wave_points` of the posterior's draws at `design_firms` firms, refits the emulators on them
    # and samples the posterior again, so a region only the emulators' extrapolation favoured is
    # simulated before it is believed.
    waves: int = 0
    wave_points: int = 0
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    def identity(self) -> dict[str, str]:
        """Hashes of what this experiment's results depend on: its file, its population's file,
        its targets file and the model (:data:`IDENTITY_KEYS`)."""
        from sim.runs.store import file_digest, model_fingerprint

        return {
            "experiment_sha256": file_digest(self.path),
            "population_sha256": self.population.digest,
            "targets_sha256": file_digest(self.targets_path) if self.targets_path else "",
            "model_fingerprint": model_fingerprint(),
            "eras_sha256": ",".join(f"{label}:{pop.digest}" for label, pop in self.eras),
        }

    @property
    def fitted_mechanisms(self) -> tuple[MechanismTarget, ...]:
        return tuple(
            t
            for t in self.mechanism_targets
            if t.kind == "calibrate" and t.id in POPULATION_MECHANISMS
        )

    @property
    def n_moments(self) -> int:
        return len(self.survey_targets) + len(self.fitted_mechanisms)

    @property
    def searched(self) -> tuple[Free, ...]:
        """The free parameters CMA-ES searches: all but the respondents' tolerances, which the
        calibration solves for each trial (sim.experiments.calibration.profile_tolerances)."""
        return tuple(f for f in self.free if f.name not in TOLERANCE_NAMES)

    def min_budget(self, n_free: int | None = None) -> int:
        """CMA-ES needs a few generations of its population (4 + 3 ln k) to move at all; with
        nothing to search (only tolerances free) one trial is the fit."""
        k = len(self.searched) if n_free is None else n_free
        if k == 0:
            return 1
        return 2 * (4 + int(3 * math.log(max(k, 1))))

    def with_budget(self, budget: int) -> Experiment:
        import dataclasses

        return dataclasses.replace(self, budget=budget)


def resolve(ref: str) -> Path:
    """An experiment file by path, or by name in ``experiments/``."""
    found = find("experiments", ref)
    if found is not None:
        return found
    known = ", ".join(n for n in names("experiments") if n.startswith("fit_"))
    raise ExperimentError(f"unknown experiment {ref!r}: no such file; known experiments: {known}")


def _read_toml(path: Path) -> dict[str, Any]:
    return read_toml(path, ExperimentError)[0]


def _free(entries: dict[str, Any], where: str) -> tuple[Free, ...]:
    out = []
    for name, spec in entries.items():
        if name not in FIELDS:
            raise ExperimentError(f"{where}: {unknown_message(name)}")
        meta = FIELDS[name].metadata
        lo, hi = meta["range"]
        extra = sorted(set(spec) - {"prior"}) if isinstance(spec, dict) else []
        if extra:
            # A top-level key written after a [free.*] table lands inside it in TOML.
            raise ExperimentError(
                f"{where}.{name}: unknown key {extra[0]!r} (a free parameter has only a prior); "
                "if it is a setting of the experiment, move it above the first [table]"
            )
        prior = spec.get("prior") if isinstance(spec, dict) else spec
        ok = (
            isinstance(prior, list)
            and len(prior) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in prior)
            and prior[0] < prior[1]
        )
        if lo is None or not ok or not isinstance(prior, list):
            raise ExperimentError(
                f"{where}.{name}: prior must be [low, high] with low < high "
                f"for a numeric parameter ({allowed(name)})"
            )
        if prior[0] < lo or prior[1] > hi:
            raise ExperimentError(
                f"{where}.{name}: prior {prior} lies outside the parameter's "
                f"valid range ({allowed(name)}); narrow it"
            )
        out.append(Free(name, float(prior[0]), float(prior[1])))
    return tuple(out)


def load_targets(path: Path) -> tuple[tuple[SurveyTarget, ...], tuple[MechanismTarget, ...]]:
    """Read a targets file; every survey target must be a question and respondent of the
    instrument, and every figure must name its source."""
    data = _read_toml(path)
    survey = []
    for k, t in enumerate(data.get("survey", [])):
        where = f"{path}: [[survey]] #{k + 1}"
        qid, who = t.get("id"), t.get("respondent")
        if qid not in QUESTION:
            raise ExperimentError(
                f"{where}: id {qid!r} is not a question of the instrument "
                f"(known: {', '.join(QUESTION)})"
            )
        if who not in QUESTION[qid].respondents:
            raise ExperimentError(
                f"{where}: {qid} is asked of {', '.join(QUESTION[qid].respondents)}, not {who!r}"
            )
        if not t.get("source"):
            raise ExperimentError(f"{where}: a target needs its source")
        share, n = t.get("share"), t.get("n")
        if not (isinstance(share, float) and 0 < share < 1 and isinstance(n, int) and n > 0):
            raise ExperimentError(f"{where}: share must be in (0, 1) and n a positive count")
        survey.append(SurveyTarget(qid, who, share, n, t["source"]))
    mechanisms = []
    for k, t in enumerate(data.get("mechanism", [])):
        where = f"{path}: [[mechanism]] #{k + 1}"
        if t.get("id") not in (*POPULATION_MECHANISMS, *CHECKED_MECHANISMS):
            raise ExperimentError(
                f"{where}: unknown mechanism figure {t.get('id')!r}; known: "
                f"{', '.join((*POPULATION_MECHANISMS, *CHECKED_MECHANISMS))}"
            )
        if not t.get("source"):
            raise ExperimentError(f"{where}: a figure needs its source")
        band = tuple(t.get("band", ()))
        if len(band) != 2 or not band[0] < band[1]:
            raise ExperimentError(f"{where}: band must be [low, high]")
        mechanisms.append(
            MechanismTarget(
                t["id"],
                float(t["value"]),
                (float(band[0]), float(band[1])),
                t.get("kind", "check"),
                t["source"],
            )
        )
    return tuple(survey), tuple(mechanisms)


def load_experiment(ref: str) -> Experiment:
    """Read and validate an experiment file.

    Raises:
        ExperimentError: an unknown parameter (with the closest name), a prior outside the
            parameter's range, a target the instrument does not have, as many free parameters as
            targets or more, an unknown method, a budget too small for the method.
    """
    path = resolve(ref)
    data = _read_toml(path)
    where = str(path)
    known = {
        "name",
        "description",
        "population",
        "targets",
        "method",
        "budget",
        "firms",
        "seed",
        "refit_firms",
        "bootstrap",
        "screen_trajectories",
        "screen_keep",
        "polish",
        "polish_firms",
        "free",
        "sensitivity",
        "era",
        "eras",
        "posterior",
        "design",
        "design_firms",
        "recovery",
        "discrepancy",
        "waves",
        "wave_points",
    }
    for key in data:
        if key not in known:
            raise ExperimentError(
                f"{where}: unknown key {key!r}; known: {', '.join(sorted(known))}"
            )
    try:
        population = load_population(str(data.get("population", "")), path.parent)
    except ScenarioError as exc:
        raise ExperimentError(f"{where}: population: {exc}") from None
    eras_table = data.get("eras", {})
    if not isinstance(eras_table, dict):
        raise ExperimentError(
            f"{where}: eras must be a table of label = population, e.g. [eras] 2020 = "
            '"industry_2020"'
        )
    eras = []
    for label, ref in eras_table.items():
        try:
            eras.append((str(label), load_population(str(ref), path.parent)))
        except ScenarioError as exc:
            raise ExperimentError(f"{where}: eras.{label}: {exc}") from None
    era = str(data.get("era", population.name))
    if era in eras_table:
        raise ExperimentError(
            f"{where}: eras.{era} has the label of the fitted population's era (era = {era!r}); "
            "give each era its own label"
        )
    targets_path = path.parent / str(data.get("targets", "targets.toml"))
    survey_targets, mechanism_targets = load_targets(targets_path)
    free = _free(data.get("free", {}), f"{where}: [free]")
    method = data.get("method", "smm-cmaes")
    if method not in METHODS:
        raise ExperimentError(f"{where}: method {method!r} is not supported; use {METHODS[0]!r}")
    ints = {}
    for key, default, low in (
        ("budget", 60, 1),
        ("firms", 48, 2),
        ("seed", 0, 0),
        ("refit_firms", 120, 2),
        ("bootstrap", 400, 20),
        ("screen_trajectories", 3, 0),
        ("polish", 0, 0),
        ("polish_firms", 0, 0),
        ("design", -1, 0),
        ("design_firms", 0, 0),
        ("recovery", 4, 0),
        ("waves", 2, 0),
        ("wave_points", 8, 1),
    ):
        value = data.get(key, default)
        if key == "design" and key not in data:
            value = 4 * sum(1 for f in free if f.name not in TOLERANCE_NAMES)
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ExperimentError(
                f"{where}: {key} = {value!r} must be a whole number of at least {low}"
            )
        ints[key] = value
    if ints["screen_trajectories"] == 1:
        raise ExperimentError(
            f"{where}: screen_trajectories = 1 gives Morris no spread to judge; "
            "use 0 (no screening) or at least 2"
        )
    posterior = data.get("posterior", "emulator")
    if posterior not in POSTERIORS:
        raise ExperimentError(
            f"{where}: posterior = {posterior!r} is not a method; use one of "
            + ", ".join(repr(p) for p in POSTERIORS)
        )
    discrepancy = data.get("discrepancy", 0.01)
    if (
        not isinstance(discrepancy, int | float)
        or isinstance(discrepancy, bool)
        or not 0 <= discrepancy <= 0.5
    ):
        raise ExperimentError(
            f"{where}: discrepancy = {discrepancy!r} must be a number in [0, 0.5] (the sd of a "
            "share's model discrepancy)"
        )
    sens = data.get("sensitivity", {})
    ranges = dict(sens.get("ranges", {}))
    sens_free = []
    for name in sens.get("parameters", []):
        if name not in FIELDS:
            raise ExperimentError(f"{where}: [sensitivity] {unknown_message(name)}")
        lo, hi = ranges.get(name, FIELDS[name].metadata["range"])
        sens_free.append({name: {"prior": [lo, hi]}})
    sensitivity = tuple(f for entry in sens_free for f in _free(entry, f"{where}: [sensitivity]"))
    experiment = Experiment(
        name=str(data.get("name", path.stem)),
        description=str(data.get("description", "")),
        path=path,
        population=population,
        survey_targets=survey_targets,
        mechanism_targets=mechanism_targets,
        free=free,
        method=method,
        screen_keep=float(data.get("screen_keep", 0.1)),
        sensitivity=sensitivity,
        sensitivity_firms=int(sens.get("firms", 12)),
        targets_path=targets_path,
        raw=data,
        era=era,
        eras=tuple(eras),
        posterior=posterior,
        discrepancy=float(discrepancy),
        **ints,
    )
    if not free:
        raise ExperimentError(f"{where}: [free] names no parameter to fit")
    if len(free) >= experiment.n_moments:
        raise ExperimentError(
            f"{where}: {len(free)} free parameters for {experiment.n_moments} "
            "targets; fit fewer parameters than targets"
        )
    check_budget(experiment, experiment.budget, where)
    return experiment


def check_budget(experiment: Experiment, budget: int, where: str) -> None:
    need = experiment.min_budget()
    if budget < need:
        raise ExperimentError(
            f"{where}: budget {budget} is too small for CMA-ES over "
            f"{len(experiment.searched)} behaviours (the tolerances are solved, not searched); "
            f"give at least {need} trials"
        )


# -- evaluation --------------------------------------------------------------------------------


def fitted_targets(experiment: Experiment) -> list[SurveyTarget | MechanismTarget]:
    """The targets a calibration fits, in order: the survey shares, then the mechanism figures
    measured on the surveyed firms."""
    return [*experiment.survey_targets, *experiment.fitted_mechanisms]


def observed_moments(experiment: Experiment) -> tuple[np.ndarray, np.ndarray]:
    """The fitted targets' published values and sampling variances: a share binomial with its n,
    a mechanism figure's band read as a 95% range."""
    obs, var = [], []
    for t in fitted_targets(experiment):
        if isinstance(t, SurveyTarget):
            obs.append(t.share)
            var.append(t.share * (1 - t.share) / t.n)
        else:
            obs.append(t.value)
            var.append(((t.band[1] - t.band[0]) / 3.92) ** 2)
    return np.array(obs), np.array(var)


def evaluate(
    experiment: Experiment,
    theta: dict[str, Any],
    n_firms: int,
    seed: int,
    workers: int | None = None,
    executor: Executor | None = None,
) -> Evaluation:
    """Survey ``n_firms`` firms of the population with parameters ``theta`` (same firms for the
    same ``seed``): the shares of every item and group, and the firms' mechanism figures."""
    population = experiment.population.with_overrides(**theta)
    answers = run_survey(population, n_firms, seed, workers=workers, executor=executor)
    return Evaluation.from_answers(answers)


@dataclass
class Evaluation:
    """One evaluation: the survey shares table and per-firm mechanism figures."""

    shares: pd.DataFrame
    firms: pd.DataFrame
    answers: pd.DataFrame | None = None

    @classmethod
    def from_answers(cls, answers: pd.DataFrame) -> Evaluation:
        firms = answers.groupby("firm")[
            [c for c in answers if isinstance(c, str) and c.startswith("firm_")]
        ].first()
        return cls(shares(answers), firms.reset_index(), answers)

    def moment(self, target: SurveyTarget | MechanismTarget) -> tuple[float, float]:
        """Simulated value of a target and its simulation variance."""
        if isinstance(target, SurveyTarget):
            row = self.shares[
                (self.shares.id == target.id)
                & (self.shares.respondent == target.respondent)
                & (self.shares.group == "all")
            ].iloc[0]
            p = float(row["share"])
            return p, share_variance(p, int(row["n"]))
        values = self.firms[POPULATION_MECHANISMS[target.id]].to_numpy(dtype=float)
        return float(np.mean(values)), float(np.var(values, ddof=1) / len(values))


def survey_term(target: SurveyTarget, share: float, sim_var: float) -> float:
    """A survey target's term of the objective: the squared distance of the simulated ``share``
    from the published one, over the published share's binomial variance (its n) plus the
    simulation's own ``sim_var``."""
    var = target.share * (1 - target.share) / target.n + sim_var
    return (share - target.share) ** 2 / var


def share_variance(share: float, n: int) -> float:
    """Sampling variance of a simulated share of ``n`` respondents (floored at a quarter over n,
    so a share of 0 or 1 on few respondents is not taken as exact)."""
    n = max(int(n), 1)
    return max(share * (1 - share), 0.25 / n) / n


def objective(experiment: Experiment, evaluation: Evaluation) -> tuple[float, dict[str, float]]:
    """Sum of squared standardised distances of the simulated moments from the targets: each
    survey share against its binomial sampling error (n in the targets file) plus the simulation's
    own; each mechanism figure against its band read as a 95% range."""
    terms = {}
    for t in experiment.survey_targets:
        p, sim_var = evaluation.moment(t)
        terms[t.key] = survey_term(t, p, sim_var)
    for mech in experiment.fitted_mechanisms:
        value, sim_var = evaluation.moment(mech)
        sd = (mech.band[1] - mech.band[0]) / 3.92
        terms[mech.key] = (value - mech.value) ** 2 / (sd**2 + sim_var)
    return float(sum(terms.values())), terms
