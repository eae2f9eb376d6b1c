"""Equal weight, inverse volatility and fixed mix: known answers and parameter errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import riskalloc as ra
from riskalloc.strategies.classical import EqualWeight, FixedMix, InverseVolatility


@pytest.fixture(scope="module")
def bull() -> ra.Scenario:
    return ra.scenario("bull-2010")


@pytest.fixture(scope="module")
def market(bull) -> ra.MarketData:
    return ra.MarketData(bull.prices, name="bull-2010")


def _pandas_returns(prices: pd.DataFrame) -> pd.DataFrame:
    return prices / prices.shift(1) - 1.0


# --- equal weight ------------------------------------------------------------------------


def test_equal_weight_is_one_over_n(market):
    dates = market.dates[[100, 500, 1500]]
    weights = EqualWeight().fit(market.until(dates[0])).allocate(market, dates)
    assert weights.index.equals(dates)
    assert list(weights.columns) == list(market.assets)
    np.testing.assert_array_equal(weights.to_numpy(), np.full((3, 8), 1.0 / 8))


def test_equal_weight_skips_an_asset_with_no_price_yet():
    dates = pd.bdate_range("2020-01-01", periods=10)
    prices = pd.DataFrame(
        {
            "A": np.linspace(10, 11, 10),
            "B": np.linspace(20, 19, 10),
            "C": np.linspace(30, 33, 10),
            "LATE": [np.nan] * 5 + list(np.linspace(5, 6, 5)),
        },
        index=dates,
    )
    history = ra.MarketData(prices)
    weights = EqualWeight().allocate(history, dates[[2, 4, 5, 9]])
    np.testing.assert_array_equal(weights.loc[dates[2]].to_numpy(), [1 / 3, 1 / 3, 1 / 3, 0.0])
    np.testing.assert_array_equal(weights.loc[dates[4]].to_numpy(), [1 / 3, 1 / 3, 1 / 3, 0.0])
    np.testing.assert_array_equal(weights.loc[dates[5]].to_numpy(), [0.25] * 4)
    np.testing.assert_array_equal(weights.loc[dates[9]].to_numpy(), [0.25] * 4)


def test_equal_weight_refuses_a_date_outside_the_history(market):
    with pytest.raises(ra.DataError, match="2030-01-02"):
        EqualWeight().allocate(market, pd.DatetimeIndex(["2030-01-02"]))


# --- inverse volatility ------------------------------------------------------------------


@pytest.mark.parametrize("window", [2, 20, 50, 120])
def test_inverse_volatility_uses_exactly_the_last_window_returns(bull, market, window):
    prices = bull.prices
    returns = _pandas_returns(prices)
    positions = [window, window + 1, 400, 1000, len(prices) - 1]
    dates = prices.index[positions]
    weights = InverseVolatility(window=window).fit(market).allocate(market, dates)
    for position, date in zip(positions, dates, strict=True):
        # The `window` returns ending at (and including) the decision date.
        recent = returns.iloc[position - window + 1 : position + 1]
        assert len(recent) == window and recent.index[-1] == date
        inverse = 1.0 / recent.std(ddof=1)
        expected = inverse / inverse.sum()
        np.testing.assert_allclose(
            weights.loc[date].to_numpy(), expected.to_numpy(), rtol=1e-10, atol=0
        )
        assert weights.loc[date].sum() == pytest.approx(1.0, abs=1e-14)


def test_inverse_volatility_window_ends_at_the_decision_date(bull):
    prices = bull.prices
    window = 20
    date_position = 300
    date = prices.index[date_position]
    base = InverseVolatility(window=window).allocate(
        ra.MarketData(prices), pd.DatetimeIndex([date])
    )

    # The price on the decision date moves the estimate...
    moved = prices.copy()
    moved.iloc[date_position, 0] *= 1.05
    changed = InverseVolatility(window=window).allocate(
        ra.MarketData(moved), pd.DatetimeIndex([date])
    )
    assert not np.allclose(base.to_numpy(), changed.to_numpy())

    # ...a price older than the window does not (it only enters a return outside it).
    old = prices.copy()
    old.iloc[: date_position - window, :] *= 3.0
    same = InverseVolatility(window=window).allocate(ra.MarketData(old), pd.DatetimeIndex([date]))
    np.testing.assert_allclose(same.to_numpy(), base.to_numpy(), rtol=1e-12, atol=0)
    # One more price and it enters the window's first return.
    edge = prices.copy()
    edge.iloc[: date_position - window + 1, :] *= 3.0
    moved_edge = InverseVolatility(window=window).allocate(
        ra.MarketData(edge), pd.DatetimeIndex([date])
    )
    assert not np.allclose(moved_edge.to_numpy(), base.to_numpy())


def test_inverse_volatility_skips_a_stale_asset():
    rng = np.random.default_rng(3)
    dates = pd.bdate_range("2020-01-01", periods=80)
    moving = 100 * np.cumprod(1 + rng.normal(0, 0.01, size=(80, 3)), axis=0)
    stale = moving[:, 0].copy()
    stale[40:] = stale[40]  # no price change over the last 40 days
    prices = pd.DataFrame(
        {"A": moving[:, 0], "B": moving[:, 1], "C": moving[:, 2], "STALE": stale}, index=dates
    )
    history = ra.MarketData(prices)
    weights = InverseVolatility(window=20).allocate(history, dates[[35, 79]])
    # Before the price went stale it had a volatility and a weight; afterwards none.
    assert weights.loc[dates[35], "STALE"] > 0
    assert weights.loc[dates[79], "STALE"] == 0.0
    returns = _pandas_returns(prices[["A", "B", "C"]]).iloc[60:80]
    inverse = 1.0 / returns.std(ddof=1)
    np.testing.assert_allclose(
        weights.loc[dates[79], ["A", "B", "C"]].to_numpy(),
        (inverse / inverse.sum()).to_numpy(),
        rtol=1e-10,
        atol=0,
    )


def test_inverse_volatility_skips_an_asset_without_a_full_window():
    dates = pd.bdate_range("2020-01-01", periods=40)
    rng = np.random.default_rng(5)
    prices = pd.DataFrame(
        100 * np.cumprod(1 + rng.normal(0, 0.01, (40, 2)), axis=0),
        index=dates,
        columns=["A", "NEW"],
    )
    prices.iloc[:25, 1] = np.nan  # first price on day 25: 14 returns by day 39
    weights = InverseVolatility(window=20).allocate(ra.MarketData(prices), dates[[39]])
    np.testing.assert_array_equal(weights.to_numpy(), [[1.0, 0.0]])


def test_inverse_volatility_without_enough_history_is_a_data_error(market):
    with pytest.raises(ra.DataError, match="51 prices"):
        InverseVolatility(window=50).allocate(market, market.dates[[30]])


@pytest.mark.parametrize("window", [1, 0, 2.5, "50", True])
def test_inverse_volatility_window_must_be_an_integer_of_at_least_two(market, window):
    with pytest.raises(ra.ConfigError, match="'window'"):
        InverseVolatility(window=window).fit(market)


def test_inverse_volatility_needs_its_window_plus_one_prices():
    assert InverseVolatility(window=50).min_history == 51
    assert InverseVolatility().window == 50


# --- fixed mix ---------------------------------------------------------------------------


def test_fixed_mix_holds_the_given_weights(market):
    mix = {"AAPL": 0.5, "PFE": 0.3}
    strategy = ra.get_strategy("fixed_mix", weights=mix)
    dates = market.dates[[10, 200, 1700]]
    weights = strategy.fit(market.until(dates[0])).allocate(market, dates)
    expected = pd.Series(0.0, index=market.assets)
    expected["AAPL"], expected["PFE"] = 0.5, 0.3
    for date in dates:
        np.testing.assert_array_equal(weights.loc[date].to_numpy(), expected.to_numpy())
    assert strategy.weights == mix  # stored as given


@pytest.mark.parametrize(
    ("weights", "culprit"),
    [
        ({"AAPL": 0.5, "TSLA": 0.2}, "TSLA"),
        ({"AAPL": 0.5, "GE": -0.1}, "-0.1"),
        ({"AAPL": 0.5, "GE": float("nan")}, "nan"),
        ({"AAPL": 0.7, "GE": 0.4}, "1.1"),
        ({"AAPL": 0.0}, "sums to 0"),
    ],
)
def test_fixed_mix_rejects_bad_weights_naming_the_parameter(market, weights, culprit):
    strategy = ra.get_strategy("fixed_mix", weights=weights)
    with pytest.raises(ra.ConfigError, match="parameter 'weights'") as error:
        strategy.fit(market)
    assert culprit in str(error.value)


def test_fixed_mix_refuses_to_allocate_before_fit(market):
    with pytest.raises(ra.ConfigError, match="fit"):
        FixedMix().allocate(market, market.dates[[10]])


def test_default_fixed_mix_is_fitted_on_the_training_span_only(bull):
    train = bull.prices.loc[bull.prices.index < bull.test_start]
    inverse = 1.0 / _pandas_returns(train).std(ddof=1)
    expected = (inverse / inverse.sum()).to_numpy()

    result = ra.backtest(bull, ra.get_strategy("fixed_mix"), rebalance="monthly")
    for date in result.weights.index:
        np.testing.assert_allclose(
            result.weights.loc[date].to_numpy(), expected, rtol=1e-10, atol=0
        )

    # Changing every test-span price leaves the mix as it was.
    poisoned = bull.prices.copy()
    after = poisoned.index >= bull.test_start
    poisoned.loc[after] = poisoned.loc[after].to_numpy() * np.random.default_rng(0).uniform(
        0.5, 1.5, size=(int(after.sum()), poisoned.shape[1])
    )
    again = ra.backtest(
        poisoned, ra.get_strategy("fixed_mix"), rebalance="monthly", test_start=bull.test_start
    )
    np.testing.assert_array_equal(again.weights.to_numpy(), result.weights.to_numpy())
    # Whereas a mix fitted on all the data would differ.
    everything = 1.0 / _pandas_returns(bull.prices).std(ddof=1)
    assert not np.allclose((everything / everything.sum()).to_numpy(), expected, rtol=1e-6)


# --- the registry ------------------------------------------------------------------------


def test_get_strategy_with_an_unknown_parameter_names_it():
    with pytest.raises(ra.ConfigError, match="'windw'") as error:
        ra.get_strategy("inverse_volatility", windw=20)
    assert "window" in str(error.value)
    with pytest.raises(ra.ConfigError, match="'window'"):
        ra.get_strategy("equal_weight", window=20)


def test_get_strategy_with_an_unknown_name_names_it():
    with pytest.raises(ra.ConfigError, match="'risk_parrot'"):
        ra.get_strategy("risk_parrot")


def test_the_classical_strategies_are_registered():
    assert {"equal_weight", "fixed_mix", "inverse_volatility"} <= set(ra.list_strategies())
    assert isinstance(ra.get_strategy("inverse_volatility", window=30), InverseVolatility)
    assert ra.get_strategy("inverse_volatility", window=30).get_params() == {"window": 30}
    for name in ra.list_strategies():
        assert isinstance(ra.get_strategy(name), ra.Allocator)
