"""Gaussian HMM: known answers on a simulated chain, an independent filter, errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from riskalloc.core import ConfigError, DataError
from riskalloc.risk import GaussianHMM, filter_regimes, fit_gaussian_hmm

#: A calm state (10 % a year) and a stressed one (40 %), spells of 100 and 20 days.
MEANS = np.array([0.0004, -0.0010])
VOLS = np.array([0.10, 0.40]) / np.sqrt(252)
TRANSITION = np.array([[0.99, 0.01], [0.05, 0.95]])


def simulate(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    states = np.empty(n, dtype=int)
    states[0] = 0
    for t in range(1, n):
        states[t] = rng.choice(2, p=TRANSITION[states[t - 1]])
    return rng.normal(MEANS[states], VOLS[states]), states


def naive_filter(model: GaussianHMM, window: np.ndarray) -> np.ndarray:
    """The forward filter written out with scipy's normal density, one period at a time."""
    probabilities = model.stationary()
    for t, value in enumerate(window):
        if t > 0:
            probabilities = probabilities @ model.transition
        likelihood = norm.pdf(value, model.means, np.sqrt(model.variances))
        probabilities = probabilities * likelihood / (probabilities * likelihood).sum()
    return probabilities


def test_the_fit_recovers_a_simulated_chain_with_states_sorted_by_volatility():
    returns, _ = simulate(6000, seed=0)
    model = fit_gaussian_hmm(returns, 2)
    np.testing.assert_allclose(np.sqrt(model.variances), VOLS, rtol=0.08)
    np.testing.assert_allclose(model.transition, TRANSITION, atol=0.02)
    assert model.variances[0] < model.variances[1]
    np.testing.assert_allclose(model.transition.sum(axis=1), 1.0)
    # pi = (q, p) / (p + q) for the chain's switching probabilities p, q
    p, q = model.transition[0, 1], model.transition[1, 0]
    np.testing.assert_allclose(model.stationary(), [q / (p + q), p / (p + q)], atol=1e-12)


def test_the_fit_does_not_depend_on_its_start():
    returns, _ = simulate(3000, seed=1)
    default = fit_gaussian_hmm(returns, 2)
    true_start = GaussianHMM(MEANS, VOLS**2, TRANSITION)
    warm = fit_gaussian_hmm(returns, 2, start=true_start)
    np.testing.assert_allclose(warm.log_likelihood, default.log_likelihood, rtol=1e-6)
    np.testing.assert_allclose(warm.variances, default.variances, rtol=1e-3)


def test_the_filter_matches_an_independent_one_and_finds_the_regime():
    returns, states = simulate(3000, seed=2)
    model = fit_gaussian_hmm(returns[:2000], 2)
    window = 63
    windows = np.lib.stride_tricks.sliding_window_view(returns, window)
    probabilities = filter_regimes(model, windows)
    for row in (0, 500, 1234, len(windows) - 1):
        np.testing.assert_allclose(
            probabilities[row], naive_filter(model, windows[row]), atol=1e-12
        )
    truth = states[window - 1 :]
    accuracy = ((probabilities[:, 1] > 0.5) == (truth == 1)).mean()
    assert accuracy > 0.9, accuracy


def test_a_window_s_probabilities_ignore_everything_after_it():
    returns, _ = simulate(800, seed=3)
    model = fit_gaussian_hmm(returns, 2)
    windows = np.lib.stride_tricks.sliding_window_view(returns, 63)
    before = filter_regimes(model, windows[:300])
    changed = returns.copy()
    changed[400:] *= 10.0
    after = filter_regimes(model, np.lib.stride_tricks.sliding_window_view(changed, 63)[:300])
    np.testing.assert_array_equal(before, after)


def test_one_state_is_one_normal_distribution():
    returns, _ = simulate(1000, seed=4)
    model = fit_gaussian_hmm(returns, 1)
    np.testing.assert_allclose(model.means, [returns.mean()], rtol=1e-9)
    np.testing.assert_allclose(model.variances, [returns.var()], rtol=1e-9)
    np.testing.assert_array_equal(filter_regimes(model, returns[None, :50]), [[1.0]])


@pytest.mark.parametrize(
    ("returns", "states", "error", "match"),
    [
        (np.zeros(3), 2, DataError, "at least 4 returns"),
        (np.array([0.01, np.nan, 0.0, 0.02, 0.01]), 2, DataError, "finite"),
        (np.linspace(-0.01, 0.01, 50), 0, ConfigError, "n_states"),
    ],
)
def test_bad_input_is_refused_naming_the_problem(returns, states, error, match):
    with pytest.raises(error, match=match):
        fit_gaussian_hmm(returns, states)
