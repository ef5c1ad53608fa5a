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

**Sampling.** Population Monte Carlo (Cappe et al. 2004) on the unit box: each round draws from a
mixture of normal kernels centred on the last round's resampled particles (covariance twice their
weighted covariance, as ABC-SMC's perturbation kernel, Beaumont et al. 2009), and from the prior
with a defensive share (Hesterberg 1995) so that no weight is unbounded; the last round's
importance weights give the posterior, resampled to ``keep`` draws. Its effective sample size is
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
# Population Monte Carlo: particles per round, rounds, the prior's defensive share of each
# proposal, and the kernel's covariance as a multiple of the particles' weighted covariance.
PMC_PARTICLES = 6000
PMC_ROUNDS = 5
DEFENSIVE = 0.1
KERNEL_SCALE = 2.0
PMC_CENTRES = 400


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
    """Draws of the free parameters (unit box), their weights before resampling, and the sampler's
    effective sample size."""

    unit: np.ndarray
    ess: float
    particles: int


def sample_posterior(
    loglik: Callable[[np.ndarray], np.ndarray],
    d: int,
    rng: np.random.Generator,
    keep: int,
    particles: int = PMC_PARTICLES,
    rounds: int = PMC_ROUNDS,
) -> Posterior:
    """Population Monte Carlo on the unit box [0, 1]^d under a uniform prior (module docstring):
    ``keep`` draws resampled from the last round's importance weights."""
    x = rng.random((particles, d))
    logw = loglik(x)
    for _ in range(rounds):
        w = _normalised(logw)
        centres = x[rng.choice(len(x), size=PMC_CENTRES, p=w)]
        mean = w @ x
        cov = KERNEL_SCALE * ((x - mean).T * w) @ (x - mean) + 1e-8 * np.eye(d)
        chol = np.linalg.cholesky(cov)
        n_kernel = rng.binomial(particles, 1 - DEFENSIVE)
        proposed = []
        need = n_kernel
        while need > 0:  # kernel draws outside the prior's box are redrawn (truncation)
            at = centres[rng.integers(0, PMC_CENTRES, need * 2)]
            cand = at + rng.standard_normal((need * 2, d)) @ chol.T
            cand = cand[np.all((cand >= 0) & (cand <= 1), axis=1)][:need]
            proposed.append(cand)
            need -= len(cand)
        x = np.vstack([*proposed, rng.random((particles - n_kernel, d))])
        # Proposal density: the kernel mixture truncated to the box (a rejected draw redraws
        # its centre too, so the density is the mixture's over its mass inside the box, one
        # factor for all draws, estimated by Monte Carlo), and the prior.
        inside = _inside_share(centres, chol, rng)
        density = (1 - DEFENSIVE) * _mixture_density(x, centres, cov) / inside + DEFENSIVE
        logw = loglik(x) - np.log(density)
    w = _normalised(logw)
    ess = float(1.0 / np.sum(w**2))
    draws = x[rng.choice(len(x), size=keep, p=w)]
    return Posterior(draws, ess, len(x))


def _normalised(logw: np.ndarray) -> np.ndarray:
    w = np.exp(logw - np.max(logw))
    return w / w.sum()


def _mixture_density(x: np.ndarray, centres: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Mean of the normal densities N(x; centre, cov) over the centres, for each row of x."""
    inv = np.linalg.inv(cov)
    _, logdet = np.linalg.slogdet(cov)
    d = x.shape[1]
    norm = -0.5 * (d * np.log(2 * np.pi) + logdet)
    out = np.zeros(len(x))
    for start in range(0, len(x), 2000):
        diff = x[start : start + 2000, None, :] - centres[None, :, :]
        q = np.einsum("ijk,kl,ijl->ij", diff, inv, diff)
        out[start : start + 2000] = np.exp(norm - 0.5 * q).mean(axis=1)
    return out


def _inside_share(centres: np.ndarray, chol: np.ndarray, rng: np.random.Generator) -> float:
    """The kernel mixture's mass inside the unit box, by Monte Carlo."""
    at = centres[rng.integers(0, len(centres), 20000)]
    cand = at + rng.standard_normal(at.shape) @ chol.T
    return max(float(np.mean(np.all((cand >= 0) & (cand <= 1), axis=1))), 1e-3)
