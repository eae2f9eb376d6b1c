"""Causality: poisoning the future must not change any weight decided before it.

For every registered strategy, prices strictly after a date ``D`` of the test
span are multiplied by random positive factors; every weight decided on or
before ``D`` must come out bit for bit the same.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import riskalloc as ra

FIXED_WEIGHTS = {"AAPL": 0.3, "GE": 0.2, "JPM": 0.25, "MSFT": 0.15}

# Trained strategies (those with an ``epochs`` or, for RL agents, a ``total_timesteps``
# parameter) get tiny settings to stay fast; their training sees the training span only,
# so causality does not depend on the size.
FAST_TRAINING = {
    # Fitted once: the poison-the-future test of walk-forward refits is in
    # tests/strategies/deep/test_walk_forward.py.
    "retrain_every": None,
    "epochs": 1,
    "total_timesteps": 64,
    "hidden_size": 4,
    "n_layers": 1,
    "members": 2,
    "lookback": 10,
    "volatility_windows": (5,),
    "ma_windows": (5,),
    "rsi_window": None,
    "drawdown_window": 20,
    "market": False,
}


def _fast_params(name: str) -> dict:
    names = ra.strategies.strategy_class(name).param_names()
    trained = "epochs" in names or "total_timesteps" in names
    return {k: v for k, v in FAST_TRAINING.items() if k in names} if trained else {}


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    """Training on one thread keeps the trained strategies fast on a busy machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


# Every strategy but the oracles, which hold what a synthetic market's generator knows
# about the next day by design (tests/strategies/oracle checks they read no later price).
STRATEGY_CASES = [
    pytest.param(name, _fast_params(name), id=name)
    for name in ra.list_strategies()
    if ra.strategies.strategy_class(name).family != "oracle"
] + [pytest.param("fixed_mix", {"weights": FIXED_WEIGHTS}, id="fixed_mix-weights")]


@pytest.fixture(scope="module")
def datasets() -> dict[str, tuple[pd.DataFrame, pd.Timestamp]]:
    """Real prices and their test start: the bull-2010 scenario and the whole sp500 set."""
    bull = ra.scenario("bull-2010")
    sp500 = ra.load_dataset("sp500")
    return {
        "bull-2010": (bull.prices, bull.test_start),
        "sp500": (sp500, sp500.index[int(len(sp500) * 0.8)]),
    }


def _poison_after(prices: pd.DataFrame, date: pd.Timestamp, seed: int) -> pd.DataFrame:
    """``prices`` with every price strictly after ``date`` scaled by a random positive factor."""
    rng = np.random.default_rng(seed)
    poisoned = prices.copy()
    after = poisoned.index > date
    factors = rng.uniform(0.5, 1.5, size=(int(after.sum()), prices.shape[1]))
    poisoned.loc[after] = poisoned.loc[after].to_numpy() * factors
    return poisoned


def _pick_date(prices: pd.DataFrame, test_start: pd.Timestamp) -> pd.Timestamp:
    """A date a third of the way into the test span (a Wednesday, mid-week)."""
    test_dates = prices.index[prices.index >= test_start]
    date = test_dates[len(test_dates) // 3]
    while date.day_of_week != 2:
        date = test_dates[test_dates.get_loc(date) + 1]
    return date


def _run_twice(make_strategy, prices, test_start, date, rebalance, seed):
    clean = ra.backtest(prices, make_strategy(), rebalance=rebalance, test_start=test_start)
    poisoned = ra.backtest(
        _poison_after(prices, date, seed),
        make_strategy(),
        rebalance=rebalance,
        test_start=test_start,
    )
    return clean, poisoned


@pytest.mark.parametrize("rebalance", ["daily", "weekly"])
@pytest.mark.parametrize("dataset", ["bull-2010", "sp500"])
@pytest.mark.parametrize(("name", "params"), STRATEGY_CASES)
def test_weights_decided_by_a_date_ignore_prices_after_it(
    datasets, name, params, dataset, rebalance
):
    prices, test_start = datasets[dataset]
    date = _pick_date(prices, test_start)
    seed = sum(map(ord, f"{name}{dataset}{rebalance}"))
    clean, poisoned = _run_twice(
        lambda: ra.get_strategy(name, **params), prices, test_start, date, rebalance, seed
    )

    assert clean.weights.index.equals(poisoned.weights.index)
    decided = clean.weights.index <= date
    assert decided.sum() >= 2 and (~decided).sum() >= 2  # D lies inside the decisions
    before = clean.weights.to_numpy()[decided]
    assert np.array_equal(before, poisoned.weights.to_numpy()[decided]), (
        f"{name}: weights decided on or before {date.date()} changed when later prices changed"
    )
    # The returns up to D are the same too, and the poison did reach the backtest.
    up_to = clean.returns.index <= date
    assert np.array_equal(clean.returns.to_numpy()[up_to], poisoned.returns.to_numpy()[up_to])
    assert not np.allclose(clean.returns.to_numpy()[~up_to], poisoned.returns.to_numpy()[~up_to])


class PeekAtTheLastPrice:
    """A cheat: weights proportional to the last price in the history it is handed."""

    name = "peek"

    def fit(self, train):
        return self

    def allocate(self, history, dates):
        last = history.prices.to_numpy()[-1]
        weights = np.tile(last / last.sum(), (len(dates), 1))
        return pd.DataFrame(weights, index=dates, columns=history.assets)


@pytest.mark.parametrize("rebalance", ["daily", "weekly"])
def test_the_poison_catches_a_strategy_that_looks_ahead(datasets, rebalance):
    prices, test_start = datasets["bull-2010"]
    date = _pick_date(prices, test_start)
    clean, poisoned = _run_twice(PeekAtTheLastPrice, prices, test_start, date, rebalance, seed=7)
    decided = clean.weights.index <= date
    assert not np.array_equal(
        clean.weights.to_numpy()[decided], poisoned.weights.to_numpy()[decided]
    )


# --- the data layer ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def market() -> ra.MarketData:
    prices = ra.load_dataset("sp500")
    features = pd.DataFrame(
        {"volume_proxy": np.arange(len(prices), dtype=float)}, index=prices.index
    )
    return ra.MarketData(prices, features=features, name="sp500")


@pytest.mark.parametrize("date", ["2010-06-30", "2010-07-03", "2010-07-04"])
def test_until_holds_nothing_after_the_date(market, date):
    past = market.until(date)
    stamp = pd.Timestamp(date)
    assert past.dates.max() <= stamp
    assert past.prices.index.max() <= stamp
    assert past.returns.index.max() <= stamp
    assert past.features.index.max() <= stamp
    # ...and everything up to it: the last trading date on or before (2 July for the weekend).
    assert past.dates[-1] == market.dates[market.dates <= stamp][-1]
    assert len(past) == int((market.dates <= stamp).sum())
    # The first return of the slice is the real one, not NaN from re-slicing.
    np.testing.assert_array_equal(past.returns.to_numpy(), market.returns.to_numpy()[: len(past)])


def test_until_arrays_are_read_only(market):
    past = market.until("2010-06-30")
    for frame in (past.prices, past.returns, past.features):
        for values in (frame.to_numpy(), frame.values, np.asarray(frame)):
            assert not values.flags.writeable
            with pytest.raises(ValueError, match="read-only"):
                values[0, 0] = 1.0
    for values in (past.prices["AAPL"].to_numpy(), past.returns["AAPL"].to_numpy()):
        with pytest.raises(ValueError, match="read-only"):
            values[-1] = 1.0


def test_writing_into_a_slice_through_pandas_does_not_reach_the_data(market):
    past = market.until("2010-06-30")
    before = market.prices.to_numpy().copy()
    changed = past.prices
    changed.iloc[-1, 0] = -1.0  # pandas copies on write
    np.testing.assert_array_equal(market.prices.to_numpy(), before)
    assert market.until("2010-06-30").prices.iloc[-1, 0] > 0


def test_market_data_does_not_share_memory_with_the_callers_prices():
    prices = ra.load_dataset("sp500").iloc[:50]
    data = ra.MarketData(prices)
    original = data.prices.to_numpy().copy()
    prices.iloc[10, 0] = 1e6
    np.testing.assert_array_equal(data.prices.to_numpy(), original)
