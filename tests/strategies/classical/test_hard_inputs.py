"""Hard inputs: singular covariances, and maximum Sharpe when nothing beats the risk-free rate.

The declared fallback and the regularisation note are recorded per date, and
travel from ``allocation_methods_`` to ``BacktestResult.fallbacks()``, to the
run folder's Parquet metadata, and to the CLI's summary line.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import riskalloc as ra
from riskalloc.cli import app
from riskalloc.core import daily_rate
from riskalloc.store import read_fallbacks
from riskalloc.strategies.classical import (
    MaximumDiversification,
    MaximumReturn,
    MaximumSharpe,
    MeanVariance,
    MinimumVariance,
    RiskParity,
)

BULL_ASSETS = ["AAPL", "GE", "JPM", "MSFT", "HD", "UNH", "LLY", "PFE"]
SHARPE_FALLBACK = "minimum_variance (fallback: no portfolio beats the risk-free rate)"
OPTIMISERS = [
    MinimumVariance,
    MeanVariance,
    MaximumSharpe,
    MaximumDiversification,
    MaximumReturn,
    RiskParity,
]


@pytest.fixture(scope="module")
def sp500() -> pd.DataFrame:
    return ra.load_dataset("sp500")


def _check_weights(weights: pd.DataFrame) -> None:
    values = weights.to_numpy()
    assert np.isfinite(values).all()
    np.testing.assert_allclose(values.sum(axis=1), 1.0, rtol=0, atol=1e-9)
    assert (values >= -1e-9).all()


# --- singular covariances ------------------------------------------------------------------------


@pytest.mark.parametrize("strategy_class", OPTIMISERS, ids=lambda cls: cls.name)
def test_more_assets_than_days_gives_finite_weights_noted_as_regularised(sp500, strategy_class):
    market = ra.MarketData(sp500)  # 20 assets
    dates = market.dates[[1500, 4000, 8000]]
    strategy = strategy_class(window=10)  # 10 returns: rank at most 9
    weights = strategy.allocate(market, dates)
    _check_weights(weights)
    assert np.isfinite(strategy.objective_.to_numpy()).all()
    for method in strategy.allocation_methods_:
        # The strategy's own method or its declared fallback, always with the note.
        assert method.endswith("(regularised covariance)"), method


def _constant_windows(
    prices: pd.DataFrame, asset: str, dates: pd.DatetimeIndex, window: int
) -> np.ndarray:
    """Whether the asset's price stayed the same over each date's window (pandas, independently)."""
    unchanged = prices[asset].diff().eq(0).astype(float)
    return (unchanged.rolling(window).sum() == window).loc[dates].to_numpy()


@pytest.mark.parametrize("strategy_class", OPTIMISERS, ids=lambda cls: cls.name)
def test_constant_price_asset_flags_exactly_its_dates(sp500, strategy_class):
    # Real data: RRC's price does not move for its first 68 trading days of 1990.
    prices = sp500[["KO", "PEP", "XOM", "RRC"]].iloc[:130]
    market = ra.MarketData(prices)
    dates = market.dates[50:]
    constant = _constant_windows(prices, "RRC", dates, 50)
    assert 10 < constant.sum() < len(dates)
    strategy = strategy_class(
        window=50, **({"target_volatility": 0.3} if strategy_class is MaximumReturn else {})
    )
    weights = strategy.allocate(market, dates)
    _check_weights(weights)
    # Every date of the constant window is noted, including those where a declared
    # fallback produced the weights (maximum Sharpe: RRC's mean return is exactly zero
    # there, so on some dates no asset beats the risk-free rate of zero).
    noted = strategy.allocation_methods_.str.endswith("(regularised covariance)").to_numpy()
    np.testing.assert_array_equal(noted, constant)
    if strategy_class is MaximumSharpe:
        fallback = strategy.allocation_methods_.str.startswith(
            "minimum_variance (fallback"
        ).to_numpy()
        assert (fallback & noted).any() and (~fallback & noted).any()


def test_constant_price_in_the_middle_of_the_history(sp500):
    prices = sp500[BULL_ASSETS].loc["2011-06":"2012-12"].copy()
    frozen = (prices.index >= "2012-03-01") & (prices.index <= "2012-06-29")
    prices.loc[frozen, "MSFT"] = prices.loc[frozen, "MSFT"].iloc[0]
    market = ra.MarketData(prices)
    dates = market.dates[(market.dates >= "2012-02-01") & (market.dates <= "2012-09-28")]
    constant = _constant_windows(prices, "MSFT", dates, 20)
    assert 20 < constant.sum() < len(dates) - 20
    for strategy in (
        MinimumVariance(window=20),
        RiskParity(window=20),
        MaximumDiversification(window=20),
    ):
        weights = strategy.allocate(market, dates)
        _check_weights(weights)
        noted = strategy.allocation_methods_.str.endswith("(regularised covariance)").to_numpy()
        np.testing.assert_array_equal(noted, constant)
    # Minimum variance holds the riskless asset alone while it does not move.
    minimum_variance = MinimumVariance(window=20).allocate(market, dates)
    # (Its variance is the regularisation floor, not zero: ~1e-9 goes elsewhere.)
    np.testing.assert_allclose(minimum_variance.loc[constant, "MSFT"], 1.0, rtol=0, atol=1e-6)


def test_a_backtest_does_not_count_regularisation_as_a_fallback(sp500):
    prices = sp500[["KO", "PEP", "XOM", "RRC"]].iloc[:200]
    result = ra.backtest(prices, MinimumVariance(window=50), test_start=prices.index[51])
    assert result.methods.str.contains("regularised covariance").sum() > 10
    assert result.fallbacks().empty


# --- maximum Sharpe when every expected return is below the risk-free rate ------------------------


@pytest.fixture(scope="module")
def crisis(sp500) -> pd.DataFrame:
    """The bull-2010 assets around 2008: many 50-day windows in which every one lost money."""
    return sp500[BULL_ASSETS].loc["2007-06-01":"2009-06-30"]


def _below_risk_free(
    prices: pd.DataFrame, dates: pd.DatetimeIndex, window: int, risk_free: float
) -> np.ndarray:
    """Dates whose every window mean is at or below the daily risk-free rate (pandas, independently)."""
    means = prices.pct_change().rolling(window).mean().loc[dates]
    return (means.max(axis=1) <= daily_rate(risk_free)).to_numpy()


@pytest.mark.parametrize("risk_free", [0.0, 0.04])
def test_maximum_sharpe_falls_back_to_minimum_variance_per_date(crisis, risk_free):
    market = ra.MarketData(crisis)
    dates = market.dates[(market.dates >= "2008-01-02")]
    below = _below_risk_free(crisis, dates, 50, risk_free)
    assert 20 <= below.sum() <= len(dates) - 100  # both kinds of dates, in numbers
    strategy = MaximumSharpe(window=50, risk_free=risk_free)
    weights = strategy.allocate(market, dates)
    _check_weights(weights)
    methods = strategy.allocation_methods_
    assert (methods[below] == SHARPE_FALLBACK).all()
    assert (methods[~below] == "maximum_sharpe").all()
    # The fallback is minimum variance under the same bounds, and the recorded objective
    # is still the (now negative) Sharpe ratio of the weights held.
    minimum_variance = MinimumVariance(window=50).allocate(market, dates[below])
    np.testing.assert_allclose(
        weights[below].to_numpy(), minimum_variance.to_numpy(), rtol=0, atol=1e-12
    )
    assert (strategy.objective_[below] < 0).all()
    assert (strategy.objective_[~below] > 0).all()


def test_backtest_lists_the_fallback_dates(crisis):
    result = ra.backtest(crisis, MaximumSharpe(window=50), test_start="2008-01-02")
    decisions = result.weights.index
    below = _below_risk_free(crisis, decisions, 50, 0.0)
    fallbacks = result.fallbacks()
    assert fallbacks.index.equals(decisions[below])
    assert (fallbacks == SHARPE_FALLBACK).all()
    assert len(fallbacks) >= 20
    assert len(result.methods) == len(decisions)


def test_benchmark_run_records_fallbacks_in_parquet_metadata_and_the_summary(crisis, tmp_path):
    path = tmp_path / "crisis.csv"
    crisis.rename_axis("date").to_csv(path)
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        [
            "benchmark",
            "--prices",
            str(path),
            "--strategies",
            "maximum_sharpe",
            "--test-start",
            "2008-01-02",
            "--out",
            str(out),
            "--workers",
            "1",
            "--no-progress",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    expected = ra.backtest(crisis, MaximumSharpe(window=50), test_start="2008-01-02")
    expected_record = {str(date.date()): method for date, method in expected.fallbacks().items()}
    assert len(expected_record) >= 20
    # The run's table: one entry per cell with fallbacks.
    assert read_fallbacks(out / "weights.parquet") == {"crisis/maximum_sharpe/0": expected_record}
    # The cell's own weights file carries its record too.
    (cell_weights,) = (out / "cells").glob("*/weights.parquet")
    assert read_fallbacks(cell_weights) == expected_record
    cell = json.loads((cell_weights.parent / "cell.json").read_text())
    assert cell["info"]["fallbacks"] == expected_record
    # The summary line.
    decisions = len(expected.weights)
    output = re.sub(r"\s+", " ", result.output)
    assert f"fallbacks: {len(expected_record)} of {decisions} dates" in output
    assert "no portfolio beats the risk-free rate" in output
