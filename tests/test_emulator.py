"""The emulator posterior's parts (sim.experiments.emulator): the tempered sequential Monte
Carlo sampler finds a known posterior, and a Gaussian-process emulator predicts a noisy function
within its stated error and is less sure away from its data."""

from __future__ import annotations

import numpy as np
import pytest

from sim.experiments.emulator import TargetEmulator, sample_posterior
from sim.experiments.experiment import MechanismTarget


def test_the_sampler_finds_a_known_posterior():
    """A normal likelihood well inside the unit box: the draws' means and sds are the normal's."""
    centre, sd = np.array([0.3, 0.6, 0.5]), np.array([0.05, 0.1, 0.02])

    def loglik(u):
        return -0.5 * np.sum(((u - centre) / sd) ** 2, axis=1)

    post = sample_posterior(loglik, 3, np.random.default_rng(1), keep=4000)
    assert post.unit.mean(axis=0) == pytest.approx(centre, abs=0.01)
    assert post.unit.std(axis=0) == pytest.approx(sd, rel=0.15)
    assert post.ess > 1000


def test_the_sampler_keeps_a_flat_direction_flat():
    """A parameter the likelihood does not mention keeps its uniform prior: sd 1/sqrt(12)."""

    def loglik(u):
        return -0.5 * ((u[:, 0] - 0.5) / 0.05) ** 2

    post = sample_posterior(loglik, 2, np.random.default_rng(2), keep=4000)
    assert post.unit[:, 1].std() == pytest.approx(1 / np.sqrt(12), rel=0.1)
    assert post.unit[:, 1].min() >= 0 and post.unit[:, 1].max() <= 1


def test_the_sampler_finds_a_sharp_correlated_posterior_in_eight_dimensions():
    """Eleven linear moments of eight parameters, each observed at sd 0.025 (the shape of the
    default experiment's likelihood): prior-based importance sampling collapses on this, the
    tempered sampler reaches it. Its means and sds are the Gaussian's, within 10%."""
    rng = np.random.default_rng(5)
    a = rng.normal(0, 0.5, (11, 8))
    centre = rng.random(8) * 0.6 + 0.2
    observed = a @ centre

    def loglik(u):
        return -0.5 * np.sum(((u @ a.T - observed) / 0.025) ** 2, axis=1)

    post = sample_posterior(loglik, 8, np.random.default_rng(6), keep=2000)
    sd = np.sqrt(np.diag(np.linalg.inv(a.T @ a / 0.025**2)))
    assert post.temperature == 1.0 and post.steps > 3
    assert np.all(np.abs(post.unit.mean(axis=0) - centre) < 0.25 * sd + 1e-3)
    assert post.unit.std(axis=0) / sd == pytest.approx(np.ones(8), rel=0.1)
    assert post.ess > 0.4 * post.particles and post.distinct > 0.5


def test_an_emulator_predicts_within_its_error_and_doubts_far_from_its_data():
    rng = np.random.default_rng(3)
    x = rng.random((60, 2)) * np.array([1.0, 0.5])  # data only in the left half of axis 2

    def truth(z):
        return 0.4 + 0.3 * np.sin(3 * z[:, 0]) * z[:, 1] + 0.2 * z[:, 1]

    noise = np.full((len(x), 1), 0.01**2)
    y = truth(x) + rng.normal(0, 0.01, len(x))
    target = MechanismTarget("m", 0.5, (0.4, 0.6), "calibrate", "test")
    em = TargetEmulator(target, [0, 1], None, np.array([0.0]))
    em.fit(x, y[:, None], noise, seed=0)
    held = rng.random((200, 2)) * np.array([1.0, 0.5])
    mean, var = em.predict(held)
    z = (mean - truth(held)) / np.sqrt(var + 0.01**2)
    assert np.mean(np.abs(z) < 1.96) >= 0.85
    _, near = em.predict(np.array([[0.5, 0.25]]))
    _, far = em.predict(np.array([[0.5, 1.0]]))
    assert far[0] > 4 * near[0]
