"""Each optimiser's own objective value equals the independent evaluator of riskalloc.risk.

The estimates are recomputed here from the raw return windows (estimator,
then regularisation, as the optimiser does), and the evaluator is applied to
the weights the optimiser returned. They must agree to 1e-7 relative on every
decision date.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest

import riskalloc as ra
from riskalloc.core import PERIODS_PER_YEAR, daily_rate
from riskalloc.risk import (
    diversification_ratio,
    estimate_covariance,
    estimate_mean,
    portfolio_mean,
    portfolio_variance,
    portfolio_volatility,
    regularise_covariance,
    risk_contributions,
    sharpe,
)
from riskalloc.strategies.classical import (
    MaximumDiversification,
    MaximumReturn,
    MaximumSharpe,
    MeanVariance,
    MinimumVariance,
    RiskBudgeting,
    RiskParity,
)

RTOL = 1e-7
BULL_ASSETS = ["AAPL", "GE", "JPM", "MSFT", "HD", "UNH", "LLY", "PFE"]


@pytest.fixture(scope="module")
def sp500() -> pd.DataFrame:
    return ra.load_dataset("sp500")


@pytest.fixture(scope="module", params=["bull-8", "all-20"])
def market(request, sp500) -> ra.MarketData:
    return ra.MarketData(sp500[BULL_ASSETS] if request.param == "bull-8" else sp500)


def _dates(market: ra.MarketData) -> pd.DatetimeIndex:
    # Spread over 1991-2022, plus a stretch of 2008 where many windows lose money.
    spread = market.dates[np.linspace(400, len(market.dates) - 1, 25).astype(int)]
    crisis = market.dates[(market.dates >= "2008-09-15") & (market.dates <= "2008-12-31")][::4]
    return spread.union(crisis)


def _estimates(market, dates, window, covariance="sample", mean="sample", half_life=20.0):
    windows = market.return_windows(dates, window)
    matrices, _ = regularise_covariance(estimate_covariance(windows, covariance, half_life))
    return windows, estimate_mean(windows, mean, half_life), matrices


def _run(strategy, market, dates):
    weights = strategy.allocate(market, dates).to_numpy()
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=0, atol=1e-10)
    return weights, strategy.objective_.to_numpy(), strategy.allocation_methods_


ESTIMATORS = [
    dict(window=50),
    dict(window=252),
    dict(window=60, covariance="ledoit_wolf"),
    dict(window=120, covariance="ewma", half_life=30.0),
]
MEAN_ESTIMATORS = [
    dict(window=50),
    dict(window=252),
    dict(window=60, covariance="ledoit_wolf"),
    dict(window=120, covariance="ewma", mean="ewma", half_life=30.0),
]


def _estimate_kwargs(params: dict) -> dict:
    return {key: params[key] for key in ("covariance", "mean", "half_life") if key in params}


@pytest.mark.parametrize("params", ESTIMATORS, ids=lambda p: "-".join(map(str, p.values())))
@pytest.mark.parametrize("bounds", [(0.0, 1.0), (0.0, 0.3), (-0.1, 0.5)])
def test_minimum_variance_objective_is_the_portfolio_variance(market, params, bounds):
    dates = _dates(market)
    lower, upper = bounds
    weights, objective, _ = _run(
        MinimumVariance(**params, min_weight=lower, max_weight=upper), market, dates
    )
    windows, _, covariance = _estimates(market, dates, params["window"], **_estimate_kwargs(params))
    np.testing.assert_allclose(
        objective, portfolio_variance(weights, covariance), rtol=RTOL, atol=0
    )
    if params.get("covariance", "sample") == "sample":
        # With the sample covariance, w'Sw is the sample variance of the portfolio's returns.
        realised = np.var(np.einsum("dti,di->dt", windows, weights), axis=1, ddof=1)
        np.testing.assert_allclose(objective, realised, rtol=RTOL, atol=0)


@pytest.mark.parametrize("params", MEAN_ESTIMATORS, ids=lambda p: "-".join(map(str, p.values())))
@pytest.mark.parametrize("risk_aversion", [0.5, 5.0, 100.0])
def test_mean_variance_objective(market, params, risk_aversion):
    dates = _dates(market)
    weights, objective, _ = _run(
        MeanVariance(risk_aversion=risk_aversion, **params, max_weight=0.4), market, dates
    )
    _, mean, covariance = _estimates(market, dates, params["window"], **_estimate_kwargs(params))
    expected = -portfolio_mean(weights, mean) + risk_aversion * portfolio_variance(
        weights, covariance
    )
    np.testing.assert_allclose(objective, expected, rtol=RTOL, atol=0)


@pytest.mark.parametrize("params", MEAN_ESTIMATORS, ids=lambda p: "-".join(map(str, p.values())))
@pytest.mark.parametrize("risk_free", [0.0, 0.03])
def test_maximum_sharpe_objective_is_the_sharpe_ratio(market, params, risk_free):
    dates = _dates(market)
    weights, objective, methods = _run(MaximumSharpe(risk_free=risk_free, **params), market, dates)
    _, mean, covariance = _estimates(market, dates, params["window"], **_estimate_kwargs(params))
    expected = sharpe(weights, mean, covariance, daily_rate(risk_free))
    own = ~methods.str.contains("fallback").to_numpy()
    assert own.sum() >= 10
    np.testing.assert_allclose(objective[own], expected[own], rtol=RTOL, atol=0)
    assert (objective[own] > 0).all()


def test_maximum_sharpe_objective_with_bounds_solved_by_cvxpy(market):
    dates = _dates(market)[::3]
    strategy = MaximumSharpe(window=50, min_weight=0.02, max_weight=0.3)
    weights, objective, methods = _run(strategy, market, dates)
    _, mean, covariance = _estimates(market, dates, 50)
    own = ~methods.str.contains("fallback").to_numpy()
    np.testing.assert_allclose(
        objective[own], sharpe(weights, mean, covariance)[own], rtol=RTOL, atol=0
    )


@pytest.mark.parametrize("params", ESTIMATORS, ids=lambda p: "-".join(map(str, p.values())))
def test_maximum_diversification_objective_is_the_diversification_ratio(market, params):
    dates = _dates(market)
    weights, objective, _ = _run(MaximumDiversification(**params), market, dates)
    _, _, covariance = _estimates(market, dates, params["window"], **_estimate_kwargs(params))
    np.testing.assert_allclose(
        objective, diversification_ratio(weights, covariance), rtol=RTOL, atol=0
    )
    # The ratio written out: sum_i w_i sigma_i / sqrt(w'Sw).
    sigma = np.sqrt(np.diagonal(covariance, axis1=1, axis2=2))
    written = (weights * sigma).sum(axis=1) / np.sqrt(
        np.einsum("di,dij,dj->d", weights, covariance, weights)
    )
    np.testing.assert_allclose(objective, written, rtol=RTOL, atol=0)
    assert (objective >= 1 - 1e-12).all()


MAXIMUM_RETURN_CASES = [
    dict(target_volatility=0.12, window=50),
    dict(target_volatility=0.25, window=120, covariance="ewma", mean="ewma", half_life=30.0),
]


@pytest.mark.parametrize(
    "params", MAXIMUM_RETURN_CASES, ids=lambda p: "-".join(map(str, p.values()))
)
def test_maximum_return_objective_is_the_mean_within_the_volatility_target(market, params):
    # (The bisection makes this optimiser the slowest: two cases per market.)
    dates = _dates(market)
    target = params["target_volatility"]
    weights, objective, methods = _run(MaximumReturn(**params), market, dates)
    _, mean, covariance = _estimates(market, dates, params["window"], **_estimate_kwargs(params))
    np.testing.assert_allclose(objective, portfolio_mean(weights, mean), rtol=RTOL, atol=0)
    volatility = portfolio_volatility(weights, covariance) * np.sqrt(PERIODS_PER_YEAR)
    fallback = methods.str.startswith("minimum_variance (fallback").to_numpy()
    assert (volatility[~fallback] <= target * (1 + 1e-9)).all()
    # Below the target the volatility constraint is slack: the portfolio is the
    # highest-return one, all in the asset with the highest expected return.
    slack = ~fallback & (volatility < target * (1 - 1e-6))
    binding = ~fallback & ~slack
    assert binding.sum() >= 5
    np.testing.assert_allclose(objective[slack], mean[slack].max(axis=1), rtol=RTOL, atol=0)
    # Where the target binds: no portfolio within it has a higher mean (cvxpy, SOCP,
    # annualised for scale, at tight tolerances: at its defaults Clarabel overshoots
    # the target by ~1e-8 and so reports a mean ~1e-6 too high).
    n = mean.shape[1]
    for k in np.flatnonzero(binding)[:5]:
        w = cp.Variable(n)
        factor = np.linalg.cholesky(PERIODS_PER_YEAR * covariance[k]).T
        problem = cp.Problem(
            cp.Maximize(PERIODS_PER_YEAR * mean[k] @ w),
            [cp.sum(w) == 1, w >= 0, cp.norm(factor @ w) <= target],
        )
        problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
        assert problem.status == cp.OPTIMAL
        assert PERIODS_PER_YEAR * objective[k] >= problem.value - 1e-7 * abs(problem.value)


@pytest.mark.parametrize("params", ESTIMATORS, ids=lambda p: "-".join(map(str, p.values())))
def test_risk_parity_objective_is_the_largest_budget_gap(market, params):
    dates = _dates(market)
    weights, objective, _ = _run(RiskParity(**params), market, dates)
    _, _, covariance = _estimates(market, dates, params["window"], **_estimate_kwargs(params))
    contributions = risk_contributions(weights, covariance)
    shares = contributions / contributions.sum(axis=1, keepdims=True)
    gap = np.abs(shares - 1.0 / weights.shape[1]).max(axis=1)
    # Both are rounding-level numbers: compare absolutely.
    np.testing.assert_allclose(objective, gap, rtol=0, atol=1e-12)
    assert (objective <= 1e-10).all()


def test_risk_budgeting_objective_with_unequal_budgets(market):
    dates = _dates(market)
    assets = list(market.assets)
    budgets = {asset: float(k + 1) for k, asset in enumerate(assets)}
    strategy = RiskBudgeting(budgets=budgets, window=50)
    weights, objective, _ = _run(strategy, market, dates)
    _, _, covariance = _estimates(market, dates, 50)
    contributions = risk_contributions(weights, covariance)
    shares = contributions / contributions.sum(axis=1, keepdims=True)
    target = np.arange(1.0, len(assets) + 1) / sum(range(1, len(assets) + 1))
    np.testing.assert_allclose(objective, np.abs(shares - target).max(axis=1), rtol=0, atol=1e-12)
    np.testing.assert_allclose(shares, np.broadcast_to(target, shares.shape), rtol=0, atol=1e-10)
