"""Indicators: known answers from first principles and pandas as an independent oracle."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from riskalloc.features import (
    drawdown_from_peak,
    equal_weight_index,
    log_returns,
    market_state_features,
    moving_average_ratio,
    relative_strength_index,
    trailing_volatility,
)

from ._synthetic import random_walk_prices


def test_log_return_by_hand():
    result = log_returns(np.array([100.0, 110.0, 99.0]))
    assert math.isnan(result[0])
    assert result[1] == pytest.approx(math.log(1.1), rel=1e-15)
    assert result[2] == pytest.approx(math.log(0.9), rel=1e-15)


def test_moving_average_ratio_by_hand():
    result = moving_average_ratio(np.array([1.0, 2.0, 3.0, 4.0]), 2)
    assert math.isnan(result[0])
    np.testing.assert_allclose(result[1:], [2 / 1.5 - 1, 3 / 2.5 - 1, 4 / 3.5 - 1], rtol=1e-14)


def test_drawdown_by_hand_running_and_windowed_peak():
    prices = np.array([100.0, 120.0, 90.0, 130.0, 65.0])
    np.testing.assert_allclose(drawdown_from_peak(prices), [0, 0, -0.25, 0, -0.5])
    windowed = drawdown_from_peak(prices, 2)
    assert math.isnan(windowed[0])
    np.testing.assert_allclose(windowed[1:], [0, -0.25, 0, -0.5])
    # A 3-day peak forgets 120 by the last day: 65 / max(90, 130, 65) - 1.
    assert drawdown_from_peak(prices, 3)[-1] == pytest.approx(65 / 130 - 1)


def _textbook_rsi(prices: list[float], window: int) -> float:
    """RSI at the last price, written out as in the textbook: 100 - 100 / (1 + RS)."""
    changes = [b - a for a, b in itertools.pairwise(prices)][-window:]
    average_gain = sum(c for c in changes if c > 0) / window
    average_loss = sum(-c for c in changes if c < 0) / window
    if average_loss == 0:
        return 100.0
    return 100.0 - 100.0 / (1.0 + average_gain / average_loss)


def test_rsi_hand_example():
    # Changes +1, -0.5, +1.5 then -1: over the first 3, G = 2.5/3 and L = 0.5/3, RS = 5.
    prices = np.array([10.0, 11.0, 10.5, 12.0, 11.0])
    rsi = relative_strength_index(prices, 3)
    assert np.isnan(rsi[:3]).all()
    assert rsi[3] == pytest.approx(100 - 100 / 6, rel=1e-14)
    assert rsi[4] == pytest.approx(50.0, rel=1e-14)  # -0.5, +1.5, -1: gains equal losses


def test_rsi_matches_textbook_on_a_random_walk():
    prices = random_walk_prices(n_dates=80, n_assets=1)["A0"].tolist()
    rsi = relative_strength_index(np.array(prices), 14)
    for t in (14, 30, 79):
        assert rsi[t] == pytest.approx(_textbook_rsi(prices[: t + 1], 14), rel=1e-12)


def test_rsi_edge_cases_only_gains_and_flat():
    assert relative_strength_index(np.arange(1.0, 20.0), 14)[-1] == 100.0
    assert relative_strength_index(np.arange(20.0, 1.0, -1.0), 14)[-1] == 0.0
    assert relative_strength_index(np.full(20, 7.0), 14)[-1] == 50.0


def test_rolling_features_match_pandas_rolling():
    prices = random_walk_prices(n_dates=300, n_assets=3)
    log_price = np.log(prices)
    pd.testing.assert_frame_equal(
        trailing_volatility(prices, 21), log_price.diff().rolling(21).std(), rtol=1e-9
    )
    pd.testing.assert_frame_equal(
        moving_average_ratio(prices, 50), prices / prices.rolling(50).mean() - 1, rtol=1e-9
    )
    pd.testing.assert_frame_equal(
        drawdown_from_peak(prices, 63), prices / prices.rolling(63).max() - 1, rtol=1e-12
    )
    pd.testing.assert_frame_equal(drawdown_from_peak(prices), prices / prices.cummax() - 1)
    changes = prices.diff()
    gains = changes.clip(lower=0).rolling(14).mean()
    losses = (-changes).clip(lower=0).rolling(14).mean()
    pd.testing.assert_frame_equal(
        relative_strength_index(prices, 14), 100 - 100 / (1 + gains / losses), rtol=1e-9
    )


def test_late_start_stays_missing_and_labels_are_kept():
    prices = random_walk_prices(n_dates=60, n_assets=2)
    prices.iloc[:20, 1] = np.nan
    volatility = trailing_volatility(prices, 5)
    assert volatility.index.equals(prices.index) and list(volatility.columns) == ["A0", "A1"]
    assert volatility["A1"].iloc[:25].isna().all()  # 5 returns need 6 prices from row 20
    assert volatility["A1"].iloc[25:].notna().all()
    series = log_returns(prices["A0"])
    assert isinstance(series, pd.Series) and series.name == "A0"


def test_equal_weight_index_by_hand():
    prices = np.array([[1.0, np.nan], [1.1, 2.0], [1.21, 1.8], [1.21, 1.98]])
    # Day 1: only A0 has a return (+10 %); day 2: (+10 %, -10 %) -> 0; day 3: (0, +10 %) -> +5 %.
    np.testing.assert_allclose(equal_weight_index(prices), [1.0, 1.1, 1.1, 1.155])


def test_market_state_features_by_name():
    levels = np.exp(np.linspace(0, 1, 300))
    features = market_state_features(
        levels, volatility_window=21, trend_window=200, drawdown_window=252
    )
    assert list(features) == ["market_volatility_21", "market_trend_200", "market_drawdown_252"]
    assert features["market_trend_200"][-1] == pytest.approx(levels[-1] / levels[-200:].mean() - 1)
    assert features["market_drawdown_252"][-1] == 0.0  # a steady rise never draws down
    assert features["market_volatility_21"][-1] == pytest.approx(0.0, abs=1e-12)
