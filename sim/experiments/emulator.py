"""The emulator posterior: Gaussian-process emulators of the fitted moments, and the posterior of
the free parameters under the targets' sampling error, sampled on the emulators (Kennedy and
O'Hagan 2001; Andrianakis et al. 2015, "Bayesian history matching of complex infectious disease
models using emulation", PLoS Comput Biol 11: e1003968).

Why an emulator and not ABC: one evaluation of the model surveys a population of firms (120 firms,
about 9 s on two cores, benchmarks/README.md), and ABC-SMC needs thousands of them (a few hundred
particles over five or more generations at acceptance rates of a few per cent: 12 hours or more
here). The calibration has already simulated about a hundred parameter vectors by the time its
search ends (CMA-ES, the polish, the Jacobian); a space-filling design over the priors adds a few
dozen more, and Gaussian processes fitted to all of them answer for any parameter vector in
milliseconds, with their own uncertainty, which the likelihood carries.

**What is emulated.** Each target's expected moment as a function of the free parameters, in the
unit box of their priors. A respondent's mean tolerance moves only that role's answers, and only
their thresholds (sim.survey.instrument.yes_probability), so a survey target is emulated over the
behaviours only, once per point of a grid of its role's tolerance (one multi-output Gaussian
process, the grid's shares as its outputs), and interpolated linearly between grid points. Every
simulated behavioural vector thus teaches the emulator the whole tolerance axis exactly.

**Likelihood.** Each survey share is binomial with the n of the targets file, taken as normal:
variance ``share(1 - share)/n`` plus the emulator's variance at that point plus a model
discrepancy ``discrepancy**2`` (the experiment's assumption of how far the model's expected share
may sit from the truth at the best parameters; no survey figure sizes it). A mechanism figure is
normal with its band read as a 95% range, plus the emulator's variance. The priors are uniform.

**Sampling.** Sequential Monte Carlo with adaptive tempering (Del Moral, Doucet and Jasra 2006;
Jasra et al. 2011): particles drawn from the uniform prior on the unit box are carried through
the tempered targets prior x likelihood^beta, beta rising from 0 to 1 in steps chosen so that
each step's importance weights keep an effective sample size of half the particles; after each
step the particles are resampled and moved by random-walk Metropolis steps under the current
target (covariance 2.38^2/d times the particles', Roberts and Rosenthal 2001) until each particle
has, on average, moved twice. A likelihood this sharp (eleven shares at a binomial sd of about
0.025, over eight parameters) defeats plain importance sampling from the prior and population
Monte Carlo alike (both collapsed to an effective sample size of 1 to 18 on the default
experiment); tempering reaches it gradually. The draws are the final particles, resampled to
``keep``; the steps, the last step's effective sample size and the share of distinct draws are
reported.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.experiment import (
    POPULATION_MECHANISMS,
    TOLERANCE_NAMES,
    Experiment,
    Free,
    MechanismTarget,
    SurveyTarget,
    fitted_targets,
    observed_moments,
    share_variance,
)
from sim.survey.instrument import TOLERANCE_PARAMETER, yes_probability

# Points of a role's tolerance grid (over its prior): the share moves smoothly with the mean
# tolerance (a Beta CDF averaged over respondents), so linear interpolation between 13 points
# (a step of 0.05 on the prior [0.2, 0.8]) is off by well under a share's binomial sd at n = 400.
TOLERANCE_GRID = 13
# Tempered sequential Monte Carlo: particles; the effective sample size each tempering step keeps
# (a share of the particles; half is the usual choice, Jasra et al. 2011); the Metropolis moves
# after each step go on until each particle has moved this many times on average, or until the
# cap of moves; and the cap of tempering steps (a likelihood that needs more is reported as
# not reached: beta below 1).
SMC_PARTICLES = 2000
SMC_ESS_SHARE = 0.5
SMC_MOVED = 2.0
SMC_MAX_MOVES = 40
SMC_MAX_STEPS = 200


@dataclass
class Simulated:
    """One simulated behavioural vector: its parameters (unit box of every free parameter; the
    tolerances' coordinates unused) and the answers of its surveyed firms."""

    unit: np.ndarray
    answers: pd.DataFrame


class TargetEmulator:
    """A Gaussian process emulating one target's expected moment over the behaviours, with one
    output per point of its role's tolerance grid (survey targets) or one output (mechanisms)."""

    def __init__(
        self,
        target: SurveyTarget | MechanismTarget,
        behaviour_dims: Sequence[int],
        tolerance_dim: int | None,
        grid: np.ndarray,
    ) -> None:
        self.target = target
        self.behaviour_dims = list(behaviour_dims)
        self.tolerance_dim = tolerance_dim
        self.grid = grid  # unit coordinates of the tolerance grid (one point if not free)
        self.gp: Any = None
        self.centre = np.zeros(len(grid))
        self.scale = 1.0
        self.constant_var = np.zeros(len(grid))

    def fit(self, x: np.ndarray, y: np.ndarray, noise: np.ndarray, seed: int) -> None:
        """Fit to behaviours ``x`` (n x behaviours, unit box), moments ``y`` (n x grid) with
        simulation variances ``noise`` (n x grid): each simulated point's own sampling error, so
        the emulator does not chase the noise of the firms it was surveyed on. The Gaussian
        process takes one noise per point (its outputs share a kernel): the mean over the grid."""
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

        self.centre = y.mean(axis=0)
        self.scale = float(np.std(y - self.centre)) or 1.0
        d = x.shape[1]
        if d == 0:
            # Nothing behavioural is free: every point simulated the same firms' behaviour, and
            # the moment is their mean, as uncertain as their pooled noise.
            self.constant_var = noise.mean(axis=0) / len(noise)
            return
        kernel = ConstantKernel(1.0, (1e-2, 1e2)) * Matern(
            length_scale=np.full(d, 0.5), length_scale_bounds=(0.05, 50.0), nu=2.5
        ) + WhiteKernel(1e-3, (1e-6, 0.5))
        self.gp = GaussianProcessRegressor(
            kernel=kernel,
            alpha=np.maximum(noise.mean(axis=1), 1e-10) / self.scale**2,
            normalize_y=False,
            n_restarts_optimizer=2,
            random_state=seed,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.gp.fit(x, (y - self.centre) / self.scale)

    def predict(self, unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of the target's expected moment at parameter vectors ``unit``
        (m x every free parameter, unit box)."""
        if self.gp is None:  # the constant emulator (fit, no behaviour free)
            mean = np.tile(self.centre, (len(unit), 1))
            var = np.tile(self.constant_var, (len(unit), 1))
        else:
            mean, sd = self.gp.predict(unit[:, self.behaviour_dims], return_std=True)
            mean = np.asarray(mean).reshape(len(unit), -1) * self.scale + self.centre
            var = (np.asarray(sd).reshape(len(unit), -1)[:, :1] * self.scale) ** 2
            var = np.broadcast_to(var, mean.shape)
        if mean.shape[1] == 1:
            return mean[:, 0], var[:, 0]
        assert self.tolerance_dim is not None
        pos = np.clip(unit[:, self.tolerance_dim], 0.0, 1.0) * (len(self.grid) - 1)
        below = np.minimum(np.floor(pos).astype(int), len(self.grid) - 2)
        w = pos - below
        rows = np.arange(len(unit))
        value = (1 - w) * mean[rows, below] + w * mean[rows, below + 1]
        return value, (1 - w) * var[rows, below] + w * var[rows, below + 1]


def to_unit(free: Sequence[Free], theta: dict[str, Any]) -> np.ndarray:
    return np.array([(float(theta[f.name]) - f.low) / (f.high - f.low) for f in free])


def from_unit(free: Sequence[Free], unit: np.ndarray) -> dict[str, Any]:
    pairs = zip(free, unit, strict=True)
    return {f.name: f.value(f.low + float(u) * (f.high - f.low)) for f, u in pairs}


class Emulator:
    """Every fitted target's emulator, and the log-likelihood of parameter vectors under the
    targets (or under any other observed values, as the recovery check needs)."""

    def __init__(self, e: Experiment, free: Sequence[Free], discrepancy: float) -> None:
        self.experiment = e
        self.free = list(free)
        self.discrepancy = discrepancy
        names = [f.name for f in self.free]
        self.behaviour_dims = [j for j, n in enumerate(names) if n not in TOLERANCE_NAMES]
        self.targets = fitted_targets(e)
        self.emulators: list[TargetEmulator] = []
        self.n_points = 0
        for t in self.targets:
            tol_dim = None
            grid = np.array([0.0])
            if isinstance(t, SurveyTarget):
                name = TOLERANCE_PARAMETER.get(t.respondent)
                if name in names:
                    tol_dim = names.index(name)
                    grid = np.linspace(0.0, 1.0, TOLERANCE_GRID)
            self.emulators.append(TargetEmulator(t, self.behaviour_dims, tol_dim, grid))

    def fit(
        self,
        simulated: Sequence[Simulated],
        given: Callable[[str], float],
        concentration: float,
        seed: int,
    ) -> None:
        """Fit every target's emulator to the simulated vectors; ``given`` is the value of a
        tolerance that is not free."""
        x = np.array([s.unit[self.behaviour_dims] for s in simulated])
        self.n_points = len(simulated)
        for k, em in enumerate(self.emulators):
            y, noise = [], []
            for s in simulated:
                moments, var = moment_grid(self, em, s.answers, given, concentration)
                y.append(moments)
                noise.append(var)
            em.fit(x, np.array(y), np.array(noise), seed + k)

    def predict(self, unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Emulated moments and their variances at ``unit`` (m x free): two m x targets arrays."""
        pairs = [em.predict(unit) for em in self.emulators]
        return np.column_stack([p[0] for p in pairs]), np.column_stack([p[1] for p in pairs])

    def loglik(
        self,
        unit: np.ndarray,
        observed: np.ndarray | None = None,
        extra_var: np.ndarray | None = None,
    ) -> np.ndarray:
        """Log-likelihood of each parameter vector of ``unit`` under the targets (or under
        ``observed`` in their place, with the targets' own sampling variances plus
        ``extra_var``)."""
        obs, obs_var = observed_moments(self.experiment)
        if observed is not None:
            obs = observed
        if extra_var is not None:
            obs_var = obs_var + extra_var
        mean, emu_var = self.predict(unit)
        survey = np.array([isinstance(t, SurveyTarget) for t in self.targets])
        var = obs_var + emu_var + np.where(survey, self.discrepancy**2, 0.0)
        return -0.5 * np.sum((obs - mean) ** 2 / var + np.log(var), axis=1)


def moment_grid(
    emulator: Emulator,
    em: TargetEmulator,
    answers: pd.DataFrame,
    given: Callable[[str], float],
    concentration: float,
) -> tuple[np.ndarray, np.ndarray]:
    """One simulated vector's moment for ``em``'s target at each point of its tolerance grid (the
    smooth share: each respondent's yes replaced by its probability, as the search scores it),
    and the moment's simulation variance at each grid point."""
    t = em.target
    if isinstance(t, MechanismTarget):
        firms = answers.groupby("firm")[POPULATION_MECHANISMS[t.id]].first().to_numpy(float)
        return np.array([firms.mean()]), np.array([firms.var(ddof=1) / len(firms)])
    rows = answers[(answers.question == t.id) & (answers.respondent == t.respondent)]
    rate = rows.rate.to_numpy(dtype=float)
    name = TOLERANCE_PARAMETER[t.respondent]
    if em.tolerance_dim is None:
        means = np.array([given(name)])
    else:
        f = emulator.free[em.tolerance_dim]
        means = f.low + em.grid * (f.high - f.low)
    shares = np.array([float(np.mean(yes_probability(rate, m, concentration))) for m in means])
    return shares, np.array([share_variance(float(p), rate.size) for p in shares])


@dataclass
class Posterior:
    """Draws of the free parameters (unit box) and the sampler's diagnostics: the last tempering
    step's effective sample size (of ``particles``), the tempering steps taken, the final
    temperature (1 unless the cap of steps was reached), the Metropolis acceptance rate over all
    moves, and the share of distinct draws."""

    unit: np.ndarray
    ess: float
    particles: int
    steps: int = 0
    temperature: float = 1.0
    acceptance: float = 0.0
    distinct: float = 1.0


def sample_posterior(
    loglik: Callable[[np.ndarray], np.ndarray],
    d: int,
    rng: np.random.Generator,
    keep: int,
    particles: int = SMC_PARTICLES,
) -> Posterior:
    """Tempered sequential Monte Carlo on the unit box [0, 1]^d under a uniform prior (module
    docstring): ``keep`` draws from the final particles."""
    x = rng.random((particles, d))
    ll = loglik(x)
    beta, steps, ess = 0.0, 0, float(particles)
    tried = accepted = 0
    while beta < 1.0 and steps < SMC_MAX_STEPS:
        nxt = _next_temperature(ll, beta, SMC_ESS_SHARE * particles)
        w = _normalised((nxt - beta) * ll)
        ess = float(1.0 / np.sum(w**2))
        keep_idx = _systematic(w, rng)
        x, ll, beta = x[keep_idx], ll[keep_idx], nxt
        steps += 1
        # Random-walk Metropolis under prior x likelihood^beta; a proposal outside the box has
        # prior density 0 and is refused.
        cov = (2.38**2 / d) * np.atleast_2d(np.cov(x.T)) + 1e-10 * np.eye(d)
        chol = np.linalg.cholesky(cov)
        moved = np.zeros(particles)
        for _ in range(SMC_MAX_MOVES):
            prop = x + rng.standard_normal((particles, d)) @ chol.T
            inside = np.all((prop >= 0) & (prop <= 1), axis=1)
            llp = np.full(particles, -np.inf)
            if inside.any():
                llp[inside] = loglik(prop[inside])
            ok = np.log(rng.random(particles)) < beta * (llp - ll)
            x[ok], ll[ok] = prop[ok], llp[ok]
            moved += ok
            tried += particles
            accepted += int(ok.sum())
            if moved.mean() >= SMC_MOVED:
                break
    draws = x[rng.choice(particles, size=keep, replace=keep > particles)]
    distinct = len(np.unique(draws, axis=0)) / max(len(draws), 1)
    return Posterior(
        draws,
        ess,
        particles,
        steps=steps,
        temperature=float(beta),
        acceptance=accepted / max(tried, 1),
        distinct=float(distinct),
    )


def _next_temperature(ll: np.ndarray, beta: float, target_ess: float) -> float:
    """The largest temperature after ``beta`` (at most 1) whose incremental weights
    exp((next - beta) * ll) keep an effective sample size of ``target_ess``, by bisection."""

    def ess(b: float) -> float:
        w = _normalised((b - beta) * ll)
        return float(1.0 / np.sum(w**2))

    if ess(1.0) >= target_ess:
        return 1.0
    low, high = beta, 1.0
    for _ in range(60):
        mid = 0.5 * (low + high)
        if ess(mid) >= target_ess:
            low = mid
        else:
            high = mid
    return max(low, beta + 1e-12)


def _systematic(w: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Systematic resampling (Kitagawa 1996): indices of len(w) particles, each kept about
    len(w) * w times, with less noise than multinomial resampling."""
    n = len(w)
    positions = (rng.random() + np.arange(n)) / n
    return np.minimum(np.searchsorted(np.cumsum(w), positions), n - 1)


def _normalised(logw: np.ndarray) -> np.ndarray:
    w = np.exp(logw - np.max(logw))
    return w / w.sum()
