"""The batched optimisers against skfolio on the bundled real data.

skfolio solves each window with cvxpy/Clarabel; we solve all windows at once
with an exact active-set method (or Newton, for risk parity). Both get exactly
the same inputs: skfolio's ``EmpiricalPrior`` with ``EmpiricalMu`` (the sample
mean) and ``EmpiricalCovariance(ddof=1)`` (its defaults, set explicitly, with
``nearest=False`` so that nothing repairs the matrix) is our ``sample``
covariance and mean, which the first test checks.

Our objective must be at least as good as skfolio's (to 1e-6 relative) on
every date. Where the solution is unique (minimum variance with a full-rank
covariance; risk parity) the weights must agree to 1e-4.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from skfolio import RiskMeasure
from skfolio.moments import EmpiricalCovariance, EmpiricalMu
from skfolio.optimization import MaximumDiversification as SkfolioMaximumDiversification
from skfolio.optimization import MeanRisk, ObjectiveFunction, RiskBudgeting
from skfolio.prior import EmpiricalPrior

import riskalloc as ra
from riskalloc.risk import (
    diversification_ratio,
    estimate_covariance,
    estimate_mean,
    portfolio_variance,
    risk_contributions,
    sharpe,
)
from riskalloc.strategies.classical import (
    MaximumDiversification,
    MaximumSharpe,
    MinimumVariance,
    RiskParity,
)

ASSET_SETS = {
    "bull-2010": ["AAPL", "GE", "JPM", "MSFT", "HD", "UNH", "LLY", "PFE"],
    "bear-2003": ["PEP", "KO", "BAC", "GE", "PFE", "MRK", "WMT", "LLY"],
    "all-20": None,
}
WINDOWS = [50, 252]
N_DATES = 12
# Clarabel's defaults stop at gaps of ~1e-8; these make it solve to ~1e-12.
TIGHT_CLARABEL = dict(
    tol_gap_abs=1e-13, tol_gap_rel=1e-13, tol_feas=1e-13, tol_ktratio=1e-10, max_iter=500
)


class Case:
    """One asset set and window: the decision dates, their windows and estimates."""

    def __init__(self, prices: pd.DataFrame, window: int) -> None:
        self.prices = prices
        self.market = ra.MarketData(prices)
        self.window = window
        # From 1991 on (RRC's price is constant in the first months of 1990), spread to 2022.
        positions = np.linspace(400, len(prices) - 1, N_DATES).astype(int)
        self.dates = self.market.dates[positions]
        self.windows = self.market.return_windows(self.dates, window)
        self.covariance = estimate_covariance(self.windows)
        self.mean = estimate_mean(self.windows)
        self.n_assets = prices.shape[1]

    def allocate(self, strategy) -> tuple[np.ndarray, np.ndarray]:
        weights = strategy.allocate(ra.MarketData(self.prices), self.dates)
        assert weights.index.equals(self.dates)
        # Full-rank windows: nothing was regularised, so skfolio's inputs are ours.
        assert not strategy.allocation_methods_.str.contains("regularised").any()
        return weights.to_numpy(), strategy.objective_.to_numpy()

    def check_feasible(self, weights: np.ndarray) -> None:
        np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=0, atol=1e-12)
        assert (weights >= -1e-12).all() and (weights <= 1 + 1e-12).all()


@pytest.fixture(scope="module")
def sp500() -> pd.DataFrame:
    return ra.load_dataset("sp500")


@pytest.fixture(
    scope="module",
    params=[(name, window) for name in ASSET_SETS for window in WINDOWS],
    ids=lambda param: f"{param[0]}-w{param[1]}",
)
def case(request, sp500) -> Case:
    name, window = request.param
    assets = ASSET_SETS[name]
    return Case(sp500 if assets is None else sp500[assets], window)


def _prior() -> EmpiricalPrior:
    return EmpiricalPrior(
        mu_estimator=EmpiricalMu(), covariance_estimator=EmpiricalCovariance(ddof=1, nearest=False)
    )


def _fit(model, returns: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Solution may be inaccurate"
        return model.fit(returns).weights_


def _minimum_variance(returns, solver_params=None) -> np.ndarray:
    model = MeanRisk(
        objective_function=ObjectiveFunction.MINIMIZE_RISK,
        risk_measure=RiskMeasure.VARIANCE,
        prior_estimator=_prior(),
        solver_params=solver_params,
    )
    return _fit(model, returns)


def _maximum_sharpe(returns) -> np.ndarray:
    # With VARIANCE, MAXIMIZE_RATIO maximises mean / standard deviation (the Sharpe ratio).
    model = MeanRisk(
        objective_function=ObjectiveFunction.MAXIMIZE_RATIO,
        risk_measure=RiskMeasure.VARIANCE,
        prior_estimator=_prior(),
    )
    return _fit(model, returns)


def _risk_parity(returns) -> np.ndarray:
    return _fit(RiskBudgeting(risk_measure=RiskMeasure.VARIANCE, prior_estimator=_prior()), returns)


def _maximum_diversification(returns) -> np.ndarray:
    return _fit(SkfolioMaximumDiversification(prior_estimator=_prior()), returns)


def _budget_gap(weights: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    contributions = risk_contributions(weights, covariance)
    shares = contributions / contributions.sum(axis=-1, keepdims=True)
    return np.abs(shares - 1.0 / weights.shape[-1]).max(axis=-1)


def test_skfolio_sees_the_same_covariance_and_mean(case):
    for k in (0, N_DATES // 2, N_DATES - 1):
        model = MeanRisk(prior_estimator=_prior()).fit(case.windows[k])
        distribution = model.prior_estimator_.return_distribution_
        scale = np.abs(case.covariance[k]).max()
        np.testing.assert_allclose(
            distribution.covariance / scale, case.covariance[k] / scale, rtol=0, atol=1e-14
        )
        np.testing.assert_allclose(distribution.mu, case.mean[k], rtol=0, atol=1e-17)


def test_minimum_variance(case):
    weights, objective = case.allocate(MinimumVariance(window=case.window))
    case.check_feasible(weights)
    for k in range(N_DATES):
        covariance = case.covariance[k]
        theirs = _minimum_variance(case.windows[k])
        assert objective[k] <= portfolio_variance(theirs, covariance) * (1 + 1e-6)
        # Clarabel at its default tolerances stops up to ~5e-4 away in weight: on every
        # date where it is more than 1e-4 away, its variance is strictly higher than
        # ours, so its solution is the less accurate one. The reference for the weights
        # is skfolio's own problem re-solved at tight tolerances (measured: <1e-5).
        if np.abs(weights[k] - theirs).max() > 1e-4:
            assert objective[k] < portfolio_variance(theirs, covariance)
        accurate = _minimum_variance(case.windows[k], TIGHT_CLARABEL)
        assert objective[k] <= portfolio_variance(accurate, covariance) * (1 + 1e-9)
        np.testing.assert_allclose(weights[k], accurate, rtol=0, atol=1e-4)
        # An independent certificate: KKT of min w'Sw over the long-only simplex.
        # Every held asset has the same marginal variance (S w)_i = w'Sw, and no
        # asset left out has a lower one.
        marginal = covariance @ weights[k]
        held = weights[k] > 1e-9
        np.testing.assert_allclose(marginal[held], objective[k], rtol=1e-8)
        assert (marginal[~held] >= objective[k] * (1 - 1e-8)).all()


def test_maximum_sharpe(case):
    strategy = MaximumSharpe(window=case.window)
    weights, objective = case.allocate(strategy)
    case.check_feasible(weights)
    for k in range(N_DATES):
        if case.mean[k].max() <= 0:
            # Every asset below the risk-free rate: skfolio refuses, we take the
            # declared fallback (tested in test_hard_inputs).
            assert strategy.allocation_methods_.iloc[k].startswith("minimum_variance (fallback")
            with pytest.raises(ValueError, match="risk-free"):
                _maximum_sharpe(case.windows[k])
            continue
        assert strategy.allocation_methods_.iloc[k] == "maximum_sharpe"
        theirs = sharpe(_maximum_sharpe(case.windows[k]), case.mean[k], case.covariance[k])
        assert theirs > 0
        assert objective[k] >= theirs * (1 - 1e-6)


def test_risk_parity(case):
    weights, objective = case.allocate(RiskParity(window=case.window))
    case.check_feasible(weights)
    assert (weights > 0).all()
    assert (objective <= 1e-10).all()  # objective_ is the largest gap to the equal budget
    for k in range(N_DATES):
        theirs = _risk_parity(case.windows[k])
        # skfolio's contributions meet the budgets to ~2.5e-5 (Clarabel's default
        # tolerances; tightening them makes it report inaccurate solutions on some
        # windows), ours to rounding (~3e-15). Measured weight gap: <2.5e-5.
        assert objective[k] <= _budget_gap(theirs, case.covariance[k]) + 1e-12
        np.testing.assert_allclose(weights[k], theirs, rtol=0, atol=1e-4)


def test_maximum_diversification(case):
    weights, objective = case.allocate(MaximumDiversification(window=case.window))
    case.check_feasible(weights)
    for k in range(N_DATES):
        theirs = diversification_ratio(
            _maximum_diversification(case.windows[k]), case.covariance[k]
        )
        assert objective[k] >= theirs * (1 - 1e-6)
