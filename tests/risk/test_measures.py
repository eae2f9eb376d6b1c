"""Risk measures: known answers from first principles, the Euler identity, and skfolio's CVaR."""

from __future__ import annotations

import numpy as np
import pytest
import skfolio.measures

import riskalloc as ra
from riskalloc.risk import (
    conditional_value_at_risk,
    diversification_ratio,
    estimate_covariance,
    portfolio_mean,
    portfolio_variance,
    portfolio_volatility,
    risk_contributions,
    sharpe,
    value_at_risk,
)

BULL_ASSETS = ["AAPL", "GE", "JPM", "MSFT", "HD", "UNH", "LLY", "PFE"]


@pytest.fixture(scope="module")
def market():
    return ra.MarketData(ra.load_dataset("sp500"), name="sp500")


@pytest.fixture(scope="module")
def real_windows(market):
    positions = [400, 1500, 3000, 4500, 6000, 7500, 8312]
    return market.return_windows(market.dates[positions], 252)


# --- known answers ---------------------------------------------------------------------------

# Two assets: volatilities 20 % and 10 %, correlation 0.5.
COVARIANCE = np.array([[0.04, 0.01], [0.01, 0.01]])


def test_variance_and_volatility_of_two_assets():
    weights = np.array([0.5, 0.5])
    # 0.25 * 0.04 + 0.25 * 0.01 + 2 * 0.25 * 0.01 = 0.0175
    assert portfolio_variance(weights, COVARIANCE) == pytest.approx(0.0175, rel=1e-15)
    assert portfolio_volatility(weights, COVARIANCE) == pytest.approx(np.sqrt(0.0175), rel=1e-15)
    assert portfolio_variance(np.array([1.0, 0.0]), COVARIANCE) == pytest.approx(0.04, rel=1e-15)


def test_sharpe_of_two_assets():
    weights = np.array([0.5, 0.5])
    mean = np.array([0.08, 0.04])
    assert portfolio_mean(weights, mean) == pytest.approx(0.06, rel=1e-15)
    assert sharpe(weights, mean, COVARIANCE) == pytest.approx(0.06 / np.sqrt(0.0175), rel=1e-14)
    assert sharpe(weights, mean, COVARIANCE, 0.02) == pytest.approx(
        0.04 / np.sqrt(0.0175), rel=1e-14
    )
    # A single asset's Sharpe is its excess return over its volatility.
    assert sharpe(np.array([0.0, 1.0]), mean, COVARIANCE, 0.01) == pytest.approx(0.3, rel=1e-14)


def test_diversification_ratio_known_answers():
    # Uncorrelated assets of equal volatility, equal weights: sqrt(N).
    for n in (2, 5, 16):
        weights = np.full(n, 1.0 / n)
        assert diversification_ratio(weights, 0.09 * np.eye(n)) == pytest.approx(
            np.sqrt(n), rel=1e-14
        )
    # Perfectly correlated assets do not diversify, whatever the weights.
    sigma = np.array([0.1, 0.2, 0.3])
    assert diversification_ratio(
        np.array([0.2, 0.3, 0.5]), np.outer(sigma, sigma)
    ) == pytest.approx(1.0, rel=1e-14)
    # Two assets: (0.5 * 0.2 + 0.5 * 0.1) / sqrt(0.0175).
    assert diversification_ratio(np.array([0.5, 0.5]), COVARIANCE) == pytest.approx(
        0.15 / np.sqrt(0.0175), rel=1e-14
    )


def test_risk_contributions_known_answers():
    # Uncorrelated: w_i^2 sigma_i^2 / sigma_p.
    variances = np.array([0.04, 0.01, 0.09])
    weights = np.array([0.2, 0.5, 0.3])
    volatility = np.sqrt((weights**2 * variances).sum())
    np.testing.assert_allclose(
        risk_contributions(weights, np.diag(variances)),
        weights**2 * variances / volatility,
        rtol=1e-14,
    )
    # Two assets: w1 (S w)_1 / sigma_p with (S w) = (0.025, 0.01).
    contributions = risk_contributions(np.array([0.5, 0.5]), COVARIANCE)
    np.testing.assert_allclose(
        contributions, np.array([0.0125, 0.005]) / np.sqrt(0.0175), rtol=1e-14
    )
    # Inverse volatility weights on uncorrelated assets contribute equally.
    sigma = np.array([0.1, 0.2, 0.4])
    inverse = (1 / sigma) / (1 / sigma).sum()
    contributions = risk_contributions(inverse, np.diag(sigma**2))
    np.testing.assert_allclose(contributions, np.full(3, contributions.mean()), rtol=1e-14)


def test_euler_contributions_sum_to_the_volatility_on_real_covariances(real_windows):
    covariance = estimate_covariance(real_windows)
    rng = np.random.default_rng(7)
    weights = rng.dirichlet(np.ones(20), size=len(covariance))
    weights[0] = np.eye(20)[3]  # a single asset: all the risk is its own
    weights[1] = rng.normal(size=20)  # long-short
    weights[1] /= weights[1].sum()
    contributions = risk_contributions(weights, covariance)
    np.testing.assert_allclose(
        contributions.sum(axis=-1), portfolio_volatility(weights, covariance), rtol=1e-12
    )
    assert contributions[0, 3] == pytest.approx(np.sqrt(covariance[0, 3, 3]), rel=1e-14)
    np.testing.assert_array_equal(np.delete(contributions[0], 3), 0.0)


def test_measures_take_a_batch_and_a_single_portfolio_alike(real_windows):
    covariance = estimate_covariance(real_windows)
    mean = real_windows.mean(axis=1)
    weights = np.random.default_rng(3).dirichlet(np.ones(20), size=len(covariance))
    batch = [
        portfolio_variance(weights, covariance),
        sharpe(weights, mean, covariance, 1e-4),
        diversification_ratio(weights, covariance),
        risk_contributions(weights, covariance),
        conditional_value_at_risk(weights, real_windows),
        value_at_risk(weights, real_windows, 0.99),
    ]
    for k in range(len(weights)):
        single = [
            portfolio_variance(weights[k], covariance[k]),
            sharpe(weights[k], mean[k], covariance[k], 1e-4),
            diversification_ratio(weights[k], covariance[k]),
            risk_contributions(weights[k], covariance[k]),
            conditional_value_at_risk(weights[k], real_windows[k]),
            value_at_risk(weights[k], real_windows[k], 0.99),
        ]
        for batched, alone in zip(batch, single, strict=True):
            np.testing.assert_allclose(batched[k], alone, rtol=1e-13)


# --- VaR and CVaR -----------------------------------------------------------------------------


def _single_asset(returns) -> np.ndarray:
    return np.asarray(returns, dtype=float)[:, None]


def test_value_at_risk_known_answer():
    # Losses 1 %, 2 %, ..., 100 % in shuffled order: the 95 % VaR is the 95th smallest loss.
    returns = -np.random.default_rng(0).permutation(np.arange(1, 101)) / 100
    one = np.array([1.0])
    assert value_at_risk(one, _single_asset(returns), 0.95) == pytest.approx(0.95, abs=1e-15)
    assert value_at_risk(one, _single_asset(returns), 0.99) == pytest.approx(0.99, abs=1e-15)
    assert value_at_risk(one, _single_asset(returns), 0.5) == pytest.approx(0.50, abs=1e-15)
    # Ten scenarios: P(loss <= z) >= 0.95 needs all ten, so the worst loss.
    ten = _single_asset([0.03, -0.02, 0.01, -0.07, 0.0, 0.02, -0.01, 0.05, -0.04, 0.04])
    assert value_at_risk(one, ten, 0.95) == pytest.approx(0.07, abs=1e-15)
    assert value_at_risk(one, ten, 0.9) == pytest.approx(0.04, abs=1e-15)
    assert value_at_risk(one, ten, 0.8) == pytest.approx(0.02, abs=1e-15)


def test_conditional_value_at_risk_known_answers():
    one = np.array([1.0])
    returns = -np.arange(1, 101) / 100
    # The worst 5 of 100 losses: (96 + 97 + 98 + 99 + 100) / 5 %.
    assert conditional_value_at_risk(one, _single_asset(returns), 0.95) == pytest.approx(
        0.98, abs=1e-14
    )
    # 10 scenarios at 95 %: the worst half-scenario counts, so the worst loss.
    ten = _single_asset([0.03, -0.02, 0.01, -0.07, 0.0, 0.02, -0.01, 0.05, -0.04, 0.04])
    assert conditional_value_at_risk(one, ten, 0.95) == pytest.approx(0.07, abs=1e-15)
    # At 75 %: 2.5 scenarios, the worst two (7 %, 4 %) and half of the third (2 %).
    assert conditional_value_at_risk(one, ten, 0.75) == pytest.approx(
        (0.07 + 0.04 + 0.5 * 0.02) / 2.5, abs=1e-15
    )


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_cvar_equals_skfolio_on_real_portfolio_returns(market, confidence):
    rng = np.random.default_rng(11)
    for window in (50, 252, 1000):
        positions = rng.integers(1100, len(market.dates), size=4)
        windows = market.return_windows(market.dates[positions], window)
        weights = rng.dirichlet(np.ones(20), size=len(windows))
        ours = conditional_value_at_risk(weights, windows, confidence)
        for k in range(len(windows)):
            portfolio_returns = windows[k] @ weights[k]
            expected = skfolio.measures.cvar(portfolio_returns, beta=confidence)
            assert ours[k] == pytest.approx(expected, rel=1e-12)


def test_cvar_is_at_least_var_and_the_rockafellar_uryasev_minimum(real_windows):
    weights = np.random.default_rng(5).dirichlet(np.ones(20), size=len(real_windows))
    var = value_at_risk(weights, real_windows)
    cvar = conditional_value_at_risk(weights, real_windows)
    assert (cvar >= var).all()
    losses = -np.einsum("dti,di->dt", real_windows, weights)
    for k in range(len(real_windows)):
        # min_z z + E[(loss - z)+] / 0.05 over a fine grid never beats the closed form.
        grid = np.linspace(losses[k].min(), losses[k].max(), 2001)
        values = grid + np.maximum(losses[k][None, :] - grid[:, None], 0.0).mean(axis=1) / 0.05
        assert cvar[k] <= values.min() + 1e-15
        assert cvar[k] == pytest.approx(
            var[k] + np.maximum(losses[k] - var[k], 0.0).mean() / 0.05, rel=1e-14
        )
