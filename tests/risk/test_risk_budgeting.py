"""Risk budgeting by Newton's method: contributions equal the budgets, and skfolio agrees."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from skfolio import RiskMeasure
from skfolio.moments import EmpiricalCovariance, EmpiricalMu
from skfolio.optimization import RiskBudgeting
from skfolio.prior import EmpiricalPrior

import riskalloc as ra
from riskalloc.risk import estimate_covariance, risk_contributions, solve_risk_budgeting

BULL_ASSETS = ["AAPL", "GE", "JPM", "MSFT", "HD", "UNH", "LLY", "PFE"]
BEAR_ASSETS = ["PEP", "KO", "BAC", "GE", "PFE", "MRK", "WMT", "LLY"]


@pytest.fixture(scope="module")
def market():
    return ra.MarketData(ra.load_dataset("sp500"), name="sp500")


def _solve(covariance: np.ndarray, budgets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    weights, converged = solve_risk_budgeting(
        torch.as_tensor(covariance, dtype=torch.float64),
        torch.as_tensor(budgets, dtype=torch.float64),
    )
    return weights.numpy(), converged.numpy()


def _shares(weights: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """Each asset's share of the portfolio volatility, computed by the evaluator."""
    contributions = risk_contributions(weights, covariance)
    return contributions / contributions.sum(axis=-1, keepdims=True)


def _real_covariances(market, assets, window, count=12):
    data = market if assets is None else market.select(assets)
    positions = np.linspace(400, len(data.dates) - 1, count).astype(int)
    return estimate_covariance(data.return_windows(data.dates[positions], window))


@pytest.mark.parametrize("window", [50, 252])
@pytest.mark.parametrize("assets", [BULL_ASSETS, BEAR_ASSETS, None], ids=["bull", "bear", "all"])
def test_contributions_equal_budgets_on_real_covariances(market, assets, window):
    covariance = _real_covariances(market, assets, window)
    n = covariance.shape[-1]
    rng = np.random.default_rng(window + n)
    for budgets in (np.full(n, 1.0 / n), rng.dirichlet(np.ones(n)), rng.dirichlet(np.full(n, 0.3))):
        weights, converged = _solve(covariance, budgets)
        assert converged.all()
        assert (weights > 0).all()
        np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=0, atol=1e-14)
        np.testing.assert_allclose(
            _shares(weights, covariance),
            np.broadcast_to(budgets, weights.shape),
            rtol=0,
            atol=1e-10,
        )


def test_one_budget_per_portfolio_of_the_batch(market):
    covariance = _real_covariances(market, BULL_ASSETS, 50)
    budgets = np.random.default_rng(1).dirichlet(np.ones(8), size=len(covariance))
    weights, converged = _solve(covariance, budgets)
    assert converged.all()
    np.testing.assert_allclose(_shares(weights, covariance), budgets, rtol=0, atol=1e-10)
    # The batch gives what each problem gives alone.
    for k in (0, 5, 11):
        alone, _ = _solve(covariance[k : k + 1], budgets[k])
        np.testing.assert_allclose(weights[k], alone[0], rtol=0, atol=1e-13)


def test_known_answer_uncorrelated_assets():
    # Uncorrelated: w_i^2 s_i^2 proportional to b_i, so w_i proportional to sqrt(b_i) / s_i.
    sigma = np.array([0.1, 0.2, 0.3, 0.4])
    budgets = np.array([0.1, 0.2, 0.3, 0.4])
    weights, converged = _solve(np.diag(sigma**2)[None], budgets)
    expected = np.sqrt(budgets) / sigma
    np.testing.assert_allclose(weights[0], expected / expected.sum(), rtol=1e-12)
    assert converged.all()


def _skfolio_risk_budgeting(returns: np.ndarray, budgets: np.ndarray) -> np.ndarray:
    # Same inputs as ours: the sample covariance with ddof=1 (skfolio's default, set
    # explicitly; nearest=False so that it is not altered).
    prior = EmpiricalPrior(
        mu_estimator=EmpiricalMu(), covariance_estimator=EmpiricalCovariance(ddof=1, nearest=False)
    )
    model = RiskBudgeting(
        risk_measure=RiskMeasure.VARIANCE, risk_budget=budgets, prior_estimator=prior
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return model.fit(returns).weights_


@pytest.mark.parametrize("window", [50, 252])
@pytest.mark.parametrize("assets", [BULL_ASSETS, BEAR_ASSETS], ids=["bull", "bear"])
def test_weights_agree_with_skfolio(market, assets, window):
    data = market.select(assets)
    positions = np.linspace(400, len(data.dates) - 1, 8).astype(int)
    windows = data.return_windows(data.dates[positions], window)
    covariance = estimate_covariance(windows)
    rng = np.random.default_rng(window)
    largest = 0.0
    for budgets in (np.full(8, 1 / 8), rng.dirichlet(np.ones(8)), np.arange(1.0, 9.0) / 36):
        weights, converged = _solve(covariance, budgets)
        assert converged.all()
        for k in range(len(windows)):
            theirs = _skfolio_risk_budgeting(windows[k], budgets)
            # Their contributions meet the budgets to ~5e-5 (Clarabel's default
            # tolerances); ours to rounding, so ours is the reference.
            assert np.abs(_shares(theirs, covariance[k]) - budgets).max() < 1e-4
            largest = max(largest, np.abs(weights[k] - theirs).max())
    # Measured: at most ~3.2e-5 on these windows (ours meets the budgets to ~2e-15).
    assert largest < 1e-4


@st.composite
def risk_budgeting_problems(draw):
    n = draw(st.integers(2, 16))
    batch = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**32 - 1))
    log_scale = draw(st.floats(-8.0, 2.0))  # daily variances to large ones
    correlation = draw(st.floats(0.0, 0.95))  # strength of a common factor
    concentration = draw(st.sampled_from([0.2, 1.0, 10.0]))  # uneven to nearly equal budgets
    rng = np.random.default_rng(seed)
    sigma = np.exp(rng.uniform(-1.5, 1.5, size=(batch, n)))
    loadings = np.sqrt(correlation) * rng.choice([-1.0, 1.0], p=[0.2, 0.8], size=(batch, n))
    noise = rng.normal(size=(batch, n, 2 * n)) / np.sqrt(2 * n)
    correlation_matrix = loadings[:, :, None] * loadings[:, None, :] + (
        1 - correlation
    ) * noise @ np.swapaxes(noise, 1, 2)
    d = np.sqrt(np.diagonal(correlation_matrix, axis1=1, axis2=2))
    correlation_matrix /= d[:, :, None] * d[:, None, :]
    covariance = 10.0**log_scale * sigma[:, :, None] * correlation_matrix * sigma[:, None, :]
    budgets = rng.dirichlet(np.full(n, concentration), size=batch)
    budgets = np.maximum(budgets, 1e-4)
    return covariance, budgets / budgets.sum(axis=1, keepdims=True)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(risk_budgeting_problems())
def test_random_positive_definite_problems_converge_to_their_budgets(problem):
    covariance, budgets = problem
    assert (np.linalg.eigvalsh(covariance)[:, 0] > 0).all()
    weights, converged = _solve(covariance, budgets)
    assert converged.all()
    assert (weights > 0).all()
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=0, atol=1e-13)
    np.testing.assert_allclose(_shares(weights, covariance), budgets, rtol=0, atol=1e-10)
