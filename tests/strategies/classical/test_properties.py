"""Properties on random real windows: budgets, bounds, risk parity, the volatility target,
and infeasible bounds refused by name."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import riskalloc as ra
from riskalloc.core import PERIODS_PER_YEAR
from riskalloc.risk import (
    estimate_covariance,
    portfolio_volatility,
    regularise_covariance,
    risk_contributions,
)
from riskalloc.strategies.classical import (
    MaximumDiversification,
    MaximumReturn,
    MaximumSharpe,
    MeanVariance,
    MinimumVariance,
    RiskParity,
)

SP500 = ra.load_dataset("sp500")
ASSETS = list(SP500.columns)
BOUNDED = [MinimumVariance, MeanVariance, MaximumSharpe, MaximumDiversification, MaximumReturn]


@st.composite
def real_windows(draw, max_assets: int = 12):
    """A random asset subset, window length and a few decision dates of the sp500 data.

    Any date may be drawn, including early 1990, when RRC's price did not move
    (a singular covariance).
    """
    assets = draw(st.lists(st.sampled_from(ASSETS), min_size=2, max_size=max_assets, unique=True))
    window = draw(st.sampled_from([20, 50, 120, 252]))
    first = draw(st.integers(window, len(SP500) - 1))
    gaps = draw(st.lists(st.integers(1, 30), min_size=0, max_size=3))
    positions = np.minimum(first + np.cumsum([0, *gaps]), len(SP500) - 1)
    prices = SP500[assets]
    return prices, window, prices.index[np.unique(positions)]


@st.composite
def feasible_bounds(draw, n_assets: int):
    """``min_weight <= 1/N <= max_weight``, often at the defaults 0 and 1."""
    lower = draw(st.one_of(st.just(0.0), st.floats(0.0, 1.0).map(lambda f: f / n_assets)))
    upper = draw(
        st.one_of(
            st.just(1.0), st.floats(0.0, 1.0).map(lambda f: 1 / n_assets + f * (1 - 1 / n_assets))
        )
    )
    return lower, upper


def _covariance(prices, window, dates):
    windows = ra.MarketData(prices).return_windows(dates, window)
    return regularise_covariance(estimate_covariance(windows))[0]


def _check_budget_and_bounds(weights: pd.DataFrame, lower: float, upper: float) -> None:
    values = weights.to_numpy()
    assert np.isfinite(values).all()
    np.testing.assert_allclose(values.sum(axis=1), 1.0, rtol=0, atol=1e-9)
    assert (values >= lower - 1e-9).all()
    assert (values <= upper + 1e-9).all()


@settings(max_examples=25, deadline=None, derandomize=True)
@given(data=st.data())
def test_weights_sum_to_one_within_bounds(data):
    prices, window, dates = data.draw(real_windows())
    lower, upper = data.draw(feasible_bounds(prices.shape[1]))
    for strategy in (
        MinimumVariance(window=window, min_weight=lower, max_weight=upper),
        MeanVariance(
            window=window,
            risk_aversion=data.draw(st.sampled_from([0.5, 10.0, 1000.0])),
            min_weight=lower,
            max_weight=upper,
        ),
        MaximumSharpe(window=window, min_weight=lower, max_weight=upper),
        MaximumDiversification(window=window, min_weight=lower, max_weight=upper),
    ):
        weights = strategy.allocate(ra.MarketData(prices), dates)
        assert weights.index.equals(dates) and list(weights.columns) == list(prices.columns)
        _check_budget_and_bounds(weights, lower, upper)
        assert len(strategy.allocation_methods_) == len(dates)
        assert np.isfinite(strategy.objective_.to_numpy()).all()


@settings(max_examples=30, deadline=None, derandomize=True)
@given(real_windows(max_assets=20))
def test_risk_parity_contributions_are_equal(problem):
    prices, window, dates = problem
    weights = RiskParity(window=window).allocate(ra.MarketData(prices), dates).to_numpy()
    _check_budget_and_bounds(pd.DataFrame(weights), 0.0, 1.0)
    assert (weights > 0).all()
    contributions = risk_contributions(weights, _covariance(prices, window, dates))
    shares = contributions / contributions.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(shares, 1.0 / prices.shape[1], rtol=0, atol=1e-6)


@settings(max_examples=8, deadline=None, derandomize=True)
@given(data=st.data())
def test_maximum_return_stays_within_the_volatility_target(data):
    prices, window, dates = data.draw(real_windows(max_assets=8))
    lower, upper = data.draw(feasible_bounds(prices.shape[1]))
    target = data.draw(st.sampled_from([0.05, 0.1, 0.2, 0.4]))
    strategy = MaximumReturn(
        target_volatility=target, window=window, min_weight=lower, max_weight=upper
    )
    weights = strategy.allocate(ra.MarketData(prices), dates)
    _check_budget_and_bounds(weights, lower, upper)
    volatility = portfolio_volatility(
        weights.to_numpy(), _covariance(prices, window, dates)
    ) * np.sqrt(PERIODS_PER_YEAR)
    methods = strategy.allocation_methods_
    for k in range(len(dates)):
        if methods.iloc[k].startswith("minimum_variance (fallback"):
            assert "volatility target" in methods.iloc[k]
            assert volatility[k] > target  # even minimum variance could not meet it
        else:
            assert methods.iloc[k].startswith("maximum_return")
            assert volatility[k] <= target * (1 + 1e-9)


@st.composite
def infeasible_bounds(draw):
    """Bounds no fully invested portfolio of N assets meets, and the parameter to blame."""
    n_assets = draw(st.integers(2, 20))
    kind = draw(st.sampled_from(["min_weight", "max_weight", "both"]))
    if kind == "min_weight":  # the floors alone exceed the budget
        return (
            n_assets,
            draw(st.floats(1.0 / n_assets, 1.0).filter(lambda x: x * n_assets > 1 + 1e-9)),
            1.0,
            kind,
        )
    if kind == "max_weight":  # the caps cannot reach it
        return (
            n_assets,
            0.0,
            draw(st.floats(0.0, 1.0 / n_assets).filter(lambda x: x * n_assets < 1 - 1e-9)),
            kind,
        )
    upper = draw(st.floats(0.0, 0.5))
    return n_assets, upper + draw(st.floats(1e-6, 0.5)), upper, kind  # min above max


@settings(max_examples=30, deadline=None, derandomize=True)
@given(infeasible_bounds(), st.sampled_from(BOUNDED))
def test_infeasible_bounds_raise_a_config_error_naming_them(problem, strategy_class):
    n_assets, lower, upper, culprit = problem
    prices = SP500[ASSETS[:n_assets]].iloc[:400]
    market = ra.MarketData(prices)
    names = ["min_weight", "max_weight"] if culprit == "both" else [culprit]
    strategy = strategy_class(window=20, min_weight=lower, max_weight=upper)
    with pytest.raises(ra.ConfigError) as fitted:
        strategy.fit(market)
    with pytest.raises(ra.ConfigError) as allocated:
        strategy.allocate(market, market.dates[-3:])
    for error in (fitted, allocated):
        message = str(error.value)
        assert strategy.name in message
        for name in names:
            assert name in message
