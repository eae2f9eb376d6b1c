"""A scenario's regime indicators reach the deep strategies as features, from the past only.

The multi-asset scenarios hand their strategies the credit spread, the term spread and
realised equity volatility as ``MarketData.features``; a feature builder without a user
file reads them (``extra:{column}``), at every decision date from the history it is
given. Changing the indicators after a date changes no window up to it; the streaming
path gives the batch's windows bit for bit; a saved model needs the same indicators.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import riskalloc as ra
from riskalloc.core import ConfigError, DataError
from riskalloc.data import REGIME_INDICATORS
from riskalloc.features import FeatureBuilder, FeatureStream

SMALL = {"lookback": 20, "volatility_windows": (5,), "ma_windows": (10,), "rsi_window": None,
         "drawdown_window": 63, "trend_window": 63}  # fmt: skip


@pytest.fixture(scope="module")
def market():
    scenario = ra.scenario("multi-asset-2008")
    data = ra.MarketData(scenario.prices, features=scenario.features, name=scenario.name)
    return scenario, data


def test_the_builder_reads_the_scenarios_indicators(market):
    scenario, data = market
    builder = FeatureBuilder(**SMALL).fit(data.until(scenario.train_end))
    assert builder.data_columns_ == list(REGIME_INDICATORS)
    assert builder.feature_names_[-3:] == [f"extra:{name}" for name in REGIME_INDICATORS]
    # Prices alone: no indicator features.
    plain = FeatureBuilder(**SMALL).fit(ra.MarketData(scenario.prices).until(scenario.train_end))
    assert not any(name.startswith("extra:") for name in plain.feature_names_)
    # The last feature of a window on date t is the standardised volatility known at t.
    day = scenario.test_start
    window = builder.transform(data, pd.DatetimeIndex([day]))[0]
    known = scenario.features.loc[:day, "equity_volatility"].iloc[-1]
    expected = (known - builder.mean_[-1]) / builder.std_[-1]
    assert window[-1, -1, 0] == pytest.approx(expected, rel=1e-5)


def test_later_indicators_change_no_earlier_window(market):
    scenario, data = market
    builder = FeatureBuilder(**SMALL).fit(data.until(scenario.train_end))
    dates = data.dates[(data.dates >= "2008-09-01") & (data.dates <= "2008-12-31")]
    before = builder.transform(data, dates)
    cut = pd.Timestamp("2008-11-03")
    poisoned = scenario.features.copy()
    poisoned.loc[poisoned.index > cut] *= 10.0
    changed = ra.MarketData(scenario.prices, features=poisoned, name="poisoned")
    after = builder.transform(changed, dates)
    up_to = dates <= cut
    np.testing.assert_array_equal(before[up_to], after[up_to])
    assert not np.array_equal(before[~up_to], after[~up_to])


def test_the_stream_gives_the_batch_windows(market):
    scenario, data = market
    builder = FeatureBuilder(**SMALL).fit(data.until(scenario.train_end))
    start = data.dates.get_loc(scenario.test_start)
    stream = FeatureStream(builder, data.until(data.dates[start]))
    days = data.dates[start + 1 : start + 30]
    for day in days:
        pushed = stream.push(day, data.prices.loc[day], data.features.loc[day])
        batch = builder.transform(data.until(day), pd.DatetimeIndex([day]))
        np.testing.assert_array_equal(pushed, batch)
    with pytest.raises(ConfigError, match="pass their values"):
        stream.push(data.dates[start + 30], data.prices.loc[data.dates[start + 30]])


def test_a_saved_model_needs_the_same_indicators(market, tmp_path):
    scenario, data = market
    torch.set_num_threads(1)
    strategy = ra.get_strategy(
        "deep_sharpe", network="mlp", hidden_size=8, epochs=1, lookback=20, retrain_every=None
    )
    strategy.fit(data.until(scenario.train_end))
    assert "extra:credit_spread" in strategy.features_.feature_names_
    strategy.save(tmp_path / "model")
    loaded = ra.load_model(tmp_path / "model")
    dates = data.dates[data.dates >= scenario.test_start][:5]
    pd.testing.assert_frame_equal(
        loaded.allocate(data.until(dates[-1]), dates),
        strategy.allocate(data.until(dates[-1]), dates),
    )
    without = ra.MarketData(scenario.prices, name="prices only")
    with pytest.raises(DataError, match="indicator 'credit_spread'"):
        loaded.allocate(without.until(dates[-1]), dates)
