"""The frontier with every classical strategy placed on it: found by family, not by module."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import riskalloc as ra
from riskalloc.strategies import (
    BaseAllocator,
    frontier_with_strategies,
    list_strategies,
    strategy_class,
)
from riskalloc.strategies.classical import MeanVariance, efficient_frontier

TRAIN_END = pd.Timestamp("2014-12-31")


@pytest.fixture(scope="module")
def market() -> ra.MarketData:
    prices = ra.load_dataset("sp500")[["AAPL", "JPM", "KO", "PFE"]].loc["2013":"2015"]
    return ra.MarketData(prices, name="four stocks")


def test_a_strategy_family_is_a_declared_class_attribute():
    assert BaseAllocator.family == "custom"
    families = {name: strategy_class(name).family for name in list_strategies()}
    assert families["minimum_variance"] == families["equal_weight"] == "classical"
    assert families["hrp"] == families["fixed_mix"] == "classical"
    assert families["deep_sharpe"] != "classical" and families["rl_ppo"] != "classical"


def test_every_classical_strategy_is_placed_on_the_training_estimates(market):
    frontier, placements = frontier_with_strategies(market, TRAIN_END, window=120, n_points=5)
    classical = sorted(n for n in list_strategies() if strategy_class(n).family == "classical")
    assert sorted(placements["strategy"]) == classical
    assert len(frontier) == 5
    # Nothing long-only beats the frontier: no strategy has less risk at its return.
    minimum = placements.set_index("strategy").loc["minimum_variance"]
    assert placements["volatility"].min() >= minimum["volatility"] - 1e-9
    np.testing.assert_allclose(frontier["volatility"].iloc[0], minimum["volatility"], rtol=1e-6)


def test_a_fitted_mean_variance_frontier_is_on_its_last_training_window(market):
    train = market.until(TRAIN_END)
    strategy = MeanVariance(window=120).fit(train)
    assert strategy.train_end_ == train.dates[-1]
    windows = train.return_windows(train.dates[-1:], 120, strategy="test")
    estimates = strategy._estimate(windows, pd.DatetimeIndex([strategy.train_end_]))
    expected = efficient_frontier(
        estimates.mean[0], estimates.covariance[0], list(market.assets), 6
    )
    pd.testing.assert_frame_equal(strategy.frontier(6), expected)


def test_frontier_before_fit_names_the_fix():
    with pytest.raises(ra.ConfigError, match="call fit"):
        MeanVariance().frontier()
