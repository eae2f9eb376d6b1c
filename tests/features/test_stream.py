"""`FeatureStream` and the single-row indicators: the batch path's windows, one day at a time.

The oracle is :meth:`FeatureBuilder.transform` on the history cut at each pushed date
(so the batch side never sees a later price either); the stream must match it bit
for bit, on the bundled real data, for each kind of market index and for extra
columns, across more pushes than any of its buffers holds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import riskalloc as ra
from riskalloc.core import ConfigError, DataError
from riskalloc.features import FeatureBuilder, FeatureStream, MarketIndex
from riskalloc.features import _indicators as indicators

from ._synthetic import macro_columns

SCENARIO = ra.scenario("covid-2017")
DATA = ra.MarketData(SCENARIO.prices, name="covid-2017")
TRAIN = DATA.until(SCENARIO.train_end)
START = pd.Timestamp("2020-02-03")  # the stream's history ends here: the COVID crash follows
SMALL = {
    "lookback": 5,
    "volatility_windows": (3, 7),
    "ma_windows": (4, 9),
    "rsi_window": 6,
    "drawdown_window": 8,
    "market_volatility_window": 5,
    "trend_window": 10,
}


def _days_after(date: pd.Timestamp, count: int) -> pd.DatetimeIndex:
    return DATA.dates[DATA.dates > date][:count]


def _check_against_batch(builder: FeatureBuilder, days: pd.DatetimeIndex) -> int:
    """Push each day's real prices; each window must be the batch window on data until it."""
    stream = FeatureStream(builder, DATA.until(START))
    for day in days:
        window = stream.push(day, DATA.prices.loc[day])
        expected = builder.transform(DATA.until(day), [day])
        assert window.dtype == expected.dtype
        np.testing.assert_array_equal(window, expected, err_msg=str(day.date()))
    return len(days)


# --- single-row indicators vs their batch versions -----------------------------------------
LATEST = [
    (indicators.trailing_volatility, indicators.latest_volatility, (2, 5, 21, 63)),
    (indicators.moving_average_ratio, indicators.latest_moving_average_ratio, (1, 10, 50, 200)),
    (indicators.relative_strength_index, indicators.latest_relative_strength_index, (1, 14)),
    (indicators.drawdown_from_peak, indicators.latest_drawdown, (1, 9, 252)),
]


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize(("batch", "latest", "windows"), LATEST)
def test_latest_row_is_the_batch_last_row_bit_for_bit(batch, latest, windows, order):
    prices = np.asarray(ra.load_dataset("sp500").to_numpy(dtype=float)[-1500:], order=order)
    days = range(300, len(prices), 37)
    for window in windows:
        full = batch(prices, window)
        for t in days:
            np.testing.assert_array_equal(latest(prices[: t + 1], window), full[t])
        index = batch(prices[:, 0], window)  # one series (a market index)
        for t in days:
            np.testing.assert_array_equal(latest(prices[: t + 1, 0], window), index[t])
    returns = indicators.log_returns(prices)
    for t in days:
        np.testing.assert_array_equal(indicators.latest_log_return(prices[: t + 1]), returns[t])


def test_latest_rsi_known_answers():
    # Changes +2, -1, +1: gains 3/3, losses 1/3 -> RSI 75; a flat window -> 50; no loss -> 100.
    prices = np.array([[10.0, 5.0, 1.0], [12.0, 5.0, 2.0], [11.0, 5.0, 3.0], [12.0, 5.0, 4.0]])
    np.testing.assert_allclose(
        indicators.latest_relative_strength_index(prices, 3), [75.0, 50.0, 100.0]
    )


# --- the stream vs transform --------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({}, id="defaults-sp500-index"),
        pytest.param({"market_index": MarketIndex.EQUAL_WEIGHT}, id="equal-weight-index"),
        pytest.param({"dtype": "float64", "market": False}, id="float64-no-market"),
    ],
)
def test_each_pushed_window_is_the_batch_window(kwargs):
    builder = FeatureBuilder(**kwargs).fit(TRAIN)
    assert _check_against_batch(builder, _days_after(START, 25)) == 25


def test_small_windows_across_many_buffer_turnovers_with_extra_columns():
    # Short windows so 120 pushes wrap every buffer many times; float64 shows any bit.
    extra = macro_columns(DATA.dates)
    builder = FeatureBuilder(
        **SMALL, market_index=MarketIndex.EQUAL_WEIGHT, extra=extra, dtype="float64"
    ).fit(TRAIN)
    assert "extra:sentiment" in builder.feature_names_
    assert _check_against_batch(builder, _days_after(START, 120)) == 120


def test_a_user_index_series_is_read_on_its_own_calendar():
    levels = ra.load_dataset("sp500_index").iloc[:, 0]
    levels = levels.drop(levels.index[-400::3])  # holes: days take the last level before
    builder = FeatureBuilder(**SMALL, market_index=levels, dtype="float64").fit(TRAIN)
    assert builder.market_source_ is MarketIndex.SERIES
    _check_against_batch(builder, _days_after(START, 30))


def test_a_returned_window_is_not_changed_by_later_pushes():
    builder = FeatureBuilder(**SMALL).fit(TRAIN)
    stream = FeatureStream(builder, DATA.until(START))
    first, second = _days_after(START, 2)
    window = stream.push(first, DATA.prices.loc[first])
    kept = window.copy()
    stream.push(second, DATA.prices.loc[second])
    np.testing.assert_array_equal(window, kept)
    assert stream.last_date == second


def test_the_stream_starts_with_the_window_at_the_history_end():
    builder = FeatureBuilder(**SMALL).fit(TRAIN)
    stream = FeatureStream(builder, DATA.until(START))
    np.testing.assert_array_equal(stream.window(), builder.transform(DATA, [START]))


# --- bad input ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_builder() -> FeatureBuilder:
    return FeatureBuilder(**SMALL, dtype="float64").fit(TRAIN)


def _bad_pushes():
    day = _days_after(START, 1)[0]
    good = DATA.prices.loc[day]
    nan, negative = good.copy(), good.copy()
    nan["MSFT"] = np.nan
    negative["JPM"] = -1.0
    return [
        pytest.param(START, good, "2020-02-03 is not after", id="duplicate-date"),
        pytest.param(START - pd.Timedelta(days=3), good, "not after", id="earlier-date"),
        pytest.param("not a date", good, "not a date", id="unparseable-date"),
        pytest.param(day, nan, "asset 'MSFT' has price nan on 2020-02-04", id="nan"),
        pytest.param(day, negative, "asset 'JPM' has price -1.0", id="non-positive"),
        pytest.param(day, good.to_numpy()[:-1], "must hold 20 values", id="wrong-length"),
        pytest.param(day, good.drop("AAPL"), "no value for asset 'AAPL'", id="missing-asset"),
    ]


@pytest.mark.parametrize(("date", "prices", "message"), _bad_pushes())
def test_a_bad_push_names_the_culprit_and_leaves_the_stream_unchanged(
    small_builder, date, prices, message
):
    stream = FeatureStream(small_builder, DATA.until(START))
    with pytest.raises(DataError, match=message):
        stream.push(date, prices)
    assert stream.last_date == START
    day = _days_after(START, 1)[0]
    np.testing.assert_array_equal(
        stream.push(day, DATA.prices.loc[day]), small_builder.transform(DATA.until(day), [day])
    )


def test_a_date_the_market_index_does_not_cover_raises():
    builder = FeatureBuilder(**SMALL).fit(TRAIN)  # the bundled S&P 500 ends 2022-12-28
    assert builder.market_source_ is MarketIndex.SP500
    stream = FeatureStream(builder, DATA)
    assert stream.last_date == pd.Timestamp("2022-12-28")
    with pytest.raises(DataError, match="market feature 'market_volatility_5' is undefined on"):
        stream.push("2022-12-29", DATA.prices.iloc[-1])
    assert stream.last_date == pd.Timestamp("2022-12-28")


def test_an_unfitted_builder_and_a_short_history_are_refused(small_builder):
    with pytest.raises(ConfigError, match="not fitted"):
        FeatureStream(FeatureBuilder(), DATA)
    short = DATA.between(None, DATA.dates[small_builder.min_history - 2])
    with pytest.raises(DataError, match=f"needs {small_builder.min_history}"):
        FeatureStream(small_builder, short)
