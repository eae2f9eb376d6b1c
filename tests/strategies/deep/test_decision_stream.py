"""`DeepAllocator.decision_stream`: one day at a time, the weights `allocate` gives.

The oracle is ``strategy.allocate(data.until(day), [day])``: the batch path on the
history cut at the decision date, so neither side can see a later price. Real data
(covid-2017, into the February 2020 crash), tiny networks trained for one epoch.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import riskalloc as ra
from riskalloc.core import ConfigError, DataError
from riskalloc.strategies import load_model

SCENARIO = ra.scenario("covid-2017")
DATA = ra.MarketData(SCENARIO.prices, name="covid-2017")
TRAIN = DATA.until(SCENARIO.train_end).between("2015-01-01", None)
START = pd.Timestamp("2020-02-14")
DAYS = DATA.dates[DATA.dates > START][:5]


def _fit(name: str, tiny: dict, **kwargs) -> ra.Allocator:
    params = {**tiny, "epochs": 1, "seed": 0, "retrain_every": None, **kwargs}
    return ra.get_strategy(name, **params).fit(TRAIN)


def _assert_stream_matches_allocate(strategy, days=DAYS) -> None:
    stream = strategy.decision_stream(DATA.until(START))
    # A TCN steps from its cached activations: the window's products summed in another
    # order, so float32 rounding; every other network runs on the window, bit for bit.
    atol = 1e-6 if strategy.network == "tcn" else 1e-10
    for day in days:
        weights = stream.step(day, DATA.prices.loc[day])
        expected = strategy.allocate(DATA.until(day), [day]).iloc[0]
        assert weights.name == day
        assert list(weights.index) == list(DATA.assets)
        np.testing.assert_allclose(weights, expected, rtol=0, atol=atol)
        assert weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert stream.last_date == days[-1]


@pytest.mark.parametrize(
    ("name", "network", "extra"),
    [
        ("deep_sharpe", "mlp", {}),
        ("deep_sharpe", "lstm", {}),
        ("deep_sharpe", "tcn", {}),
        ("deep_cvar", "lstm", {"market": True, "max_weight": 0.2}),
        ("deep_cvar", "transformer", {"attention": "linear"}),
    ],
)
def test_each_step_gives_the_weights_allocate_gives(tiny, name, network, extra):
    strategy = _fit(name, tiny, network=network, **extra)
    _assert_stream_matches_allocate(strategy)


@pytest.mark.parametrize("n_layers", [1, 2])
def test_a_tcn_steps_from_its_cached_activations_past_a_whole_lookback(tiny, n_layers):
    # 30 days: more than the lookback of 10, so every cached column has been replaced.
    strategy = _fit("deep_sharpe", tiny, network="tcn", n_layers=n_layers)
    assert strategy.decision_stream(DATA.until(START))._tcn is not None
    _assert_stream_matches_allocate(strategy, DATA.dates[DATA.dates > START][:30])


def test_weights_differ_from_day_to_day(tiny):
    # Guards the oracle test above: a stream stuck on one window would fail here.
    strategy = _fit("deep_sharpe", tiny, network="mlp")
    stream = strategy.decision_stream(DATA.until(START))
    steps = [stream.step(day, DATA.prices.loc[day]).to_numpy() for day in DAYS]
    assert np.abs(np.diff(steps, axis=0)).max() > 1e-6


def test_a_saved_and_loaded_model_streams_the_same_weights(tiny, tmp_path):
    strategy = _fit("deep_cvar", tiny, network="mlp")
    loaded = load_model(strategy.save(tmp_path / "model"))
    first, second = (s.decision_stream(DATA.until(START)) for s in (strategy, loaded))
    for day in DAYS[:2]:
        prices = DATA.prices.loc[day].to_numpy()
        np.testing.assert_array_equal(first.step(day, prices), second.step(day, prices))


def test_an_earlier_or_repeated_date_raises_and_the_stream_goes_on(tiny):
    strategy = _fit("deep_sharpe", tiny, network="mlp")
    stream = strategy.decision_stream(DATA.until(START))
    first, second = DAYS[:2]
    stream.step(first, DATA.prices.loc[first])
    for stale in (first, START):
        with pytest.raises(DataError, match="is not after the last date in the stream"):
            stream.step(stale, DATA.prices.loc[stale])
    weights = stream.step(second, DATA.prices.loc[second])
    expected = strategy.allocate(DATA.until(second), [second]).iloc[0]
    np.testing.assert_allclose(weights, expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", ["forecast_mvo", "vol_risk_budget", "deep_ensemble"])
def test_only_end_to_end_strategies_stream(name):
    # Their weights need more than the network's output on the window (a covariance).
    assert not hasattr(ra.get_strategy(name), "decision_stream")
    assert hasattr(ra.get_strategy("deep_cvar"), "decision_stream")


def test_an_unfitted_or_refitting_strategy_and_other_assets_are_refused(tiny):
    unfitted = ra.get_strategy("deep_sharpe", **tiny)
    with pytest.raises(ConfigError, match="call fit"):
        unfitted.decision_stream(DATA)
    refitting = _fit("deep_sharpe", tiny, network="mlp", retrain_every=21)
    with pytest.raises(ConfigError, match="'retrain_every'"):
        refitting.decision_stream(DATA.until(START))
    fitted = _fit("deep_sharpe", tiny, network="mlp")
    with pytest.raises(DataError, match="history assets"):
        fitted.decision_stream(DATA.until(START).select(list(DATA.assets[:5])))
