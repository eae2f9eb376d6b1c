"""FeatureBuilder: tensor layout, standardisation, named errors, saving, real data."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import riskalloc as ra
from riskalloc.features import (
    FeatureBuilder,
    MarketIndex,
    moving_average_ratio,
    relative_strength_index,
    trailing_volatility,
)

from ._synthetic import macro_columns, random_walk_prices

PRICES = random_walk_prices(n_dates=700, n_assets=4)
DATA = ra.MarketData(PRICES, name="synthetic")
TRAIN = DATA.until(PRICES.index[400])

EXPECTED_NAMES = [
    "log_return",
    "volatility_5",
    "volatility_21",
    "volatility_63",
    "ma_ratio_10",
    "ma_ratio_50",
    "rsi_14",
    "drawdown_252",
    "market_volatility_21",
    "market_trend_200",
    "market_drawdown_252",
]


@pytest.fixture(scope="module")
def fitted() -> FeatureBuilder:
    return FeatureBuilder().fit(TRAIN)


def test_shape_dtype_and_names(fitted):
    dates = DATA.dates[[400, 500, 699]]
    X = fitted.transform(DATA, dates)
    assert X.shape == (3, 11, 50, 4)
    assert X.dtype == np.float32 and X.flags.c_contiguous
    assert fitted.feature_names_ == EXPECTED_NAMES
    assert fitted.market_source_ is MarketIndex.SP500
    assert fitted.min_history == 50 + fitted.warmup
    assert fitted.warmup == 251  # the 252-day peak needs 251 earlier prices
    X64 = FeatureBuilder(dtype="float64").fit(TRAIN).transform(DATA, dates)
    assert X64.dtype == np.float64
    np.testing.assert_allclose(X64, X, rtol=1e-6, atol=1e-6)


def test_window_ends_on_the_decision_date_oldest_first(fitted):
    dates = DATA.dates[[450, 600]]
    X = fitted.transform(DATA, dates)
    names = fitted.feature_names_
    oracle = {
        "volatility_21": trailing_volatility(PRICES, 21),
        "ma_ratio_50": moving_average_ratio(PRICES, 50),
        "rsi_14": relative_strength_index(PRICES, 14),
    }
    for name, frame in oracle.items():
        f = names.index(name)
        standardised = (frame - fitted.mean_[f]) / fitted.std_[f]
        for k, position in enumerate((450, 600)):
            expected = standardised.iloc[position - 49 : position + 1].to_numpy()  # (50, assets)
            np.testing.assert_allclose(X[k, f], expected, rtol=1e-5, atol=1e-5)


def test_market_features_are_the_same_for_every_asset(fitted):
    X = fitted.transform(DATA, DATA.dates[[500]])
    for name in ("market_volatility_21", "market_trend_200", "market_drawdown_252"):
        block = X[0, fitted.feature_names_.index(name)]
        assert np.array_equal(block, np.repeat(block[:, :1], 4, axis=1))
    levels = ra.load_dataset("sp500_index")["SP500"]
    trend = (levels / levels.rolling(200).mean() - 1).reindex(PRICES.index, method="ffill")
    f = fitted.feature_names_.index("market_trend_200")
    raw = X[0, f, -1, 0] * fitted.std_[f] + fitted.mean_[f]
    assert raw == pytest.approx(trend.iloc[500], rel=1e-4)


def test_standardisation_is_pooled_over_training_dates_and_assets(fitted):
    X = fitted.transform(TRAIN, TRAIN.dates[fitted.min_history - 1 :])
    f = fitted.feature_names_.index("log_return")
    log_return = np.log(PRICES.iloc[:401]).diff().to_numpy()
    assert fitted.mean_[f] == pytest.approx(np.nanmean(log_return), rel=1e-12)
    assert fitted.std_[f] == pytest.approx(np.nanstd(log_return), rel=1e-12)
    # The last day of each window covers the later training dates: close to N(0, 1).
    assert abs(X[:, f, -1].mean()) < 0.3 and 0.7 < X[:, f, -1].std() < 1.3


def test_extra_columns_are_broadcast_and_forward_filled_from_the_past():
    macro = macro_columns(PRICES.index)
    builder = FeatureBuilder(market=False, extra=macro).fit(TRAIN)
    assert builder.feature_names_[-2:] == ["extra:term_spread", "extra:sentiment"]
    X = builder.transform(DATA, DATA.dates[[500]])
    f = builder.feature_names_.index("extra:term_spread")
    raw = X[0, f, :, :] * builder.std_[f] + builder.mean_[f]
    expected = macro["term_spread"].ffill().iloc[451:501].to_numpy()
    np.testing.assert_allclose(raw, np.repeat(expected[:, None], 4, axis=1), rtol=1e-5, atol=1e-5)


def test_state_dict_round_trips_through_json_bit_for_bit():
    macro = macro_columns(PRICES.index)
    builder = FeatureBuilder(lookback=20, rsi_window=None, extra=macro).fit(TRAIN)
    state = json.loads(json.dumps(builder.state_dict()))
    restored = FeatureBuilder.from_state_dict(state, extra=macro)
    dates = DATA.dates[[400, 699]]
    assert np.array_equal(restored.transform(DATA, dates), builder.transform(DATA, dates))
    assert restored.feature_names_ == builder.feature_names_
    assert state["params"]["rsi_window"] is None and state["market_source"] == "sp500_index"
    with pytest.raises(ra.ConfigError, match="extra="):
        FeatureBuilder.from_state_dict(state)
    with pytest.raises(ra.ConfigError, match="kind"):
        FeatureBuilder.from_state_dict({"kind": "pickle"})


def test_state_dict_with_a_user_index_needs_the_levels_back():
    levels = random_walk_prices(760, 1, start="2002-12-02", seed=7)["A0"]
    builder = FeatureBuilder(market_index=levels).fit(TRAIN)
    state = json.loads(json.dumps(builder.state_dict()))
    assert state["market_source"] == "series"
    with pytest.raises(ra.ConfigError, match="market_index="):
        FeatureBuilder.from_state_dict(state)
    restored = FeatureBuilder.from_state_dict(state, market_index=levels)
    dates = DATA.dates[[650]]
    assert np.array_equal(restored.transform(DATA, dates), builder.transform(DATA, dates))


# --- named errors ------------------------------------------------------------------


def test_short_history_names_the_date(fitted):
    ok = DATA.dates[fitted.min_history - 1]
    assert fitted.transform(DATA, pd.DatetimeIndex([ok])).shape[0] == 1
    early = DATA.dates[fitted.min_history - 2]
    with pytest.raises(ra.DataError, match=rf"{early.date()}.*needs {fitted.min_history}"):
        fitted.transform(DATA, pd.DatetimeIndex([ok, early]))


def test_late_starting_asset_is_named_not_zeroed():
    late = PRICES.copy()
    late.iloc[:300, 2] = np.nan  # A2 lists on row 300
    data = ra.MarketData(late, name="late")
    builder = FeatureBuilder().fit(data.until(PRICES.index[400]))  # fit pools what is defined
    assert builder.transform(data, data.dates[[699]]).shape == (1, 11, 50, 4)
    decision = data.dates[500]
    with pytest.raises(ra.DataError, match=rf"asset 'A2'.*decision date {decision.date()}.*start"):
        builder.transform(data, pd.DatetimeIndex([decision]))


def test_gap_in_prices_is_named():
    gappy = PRICES.copy()
    gappy.iloc[560:570, 1] = np.nan
    data = ra.MarketData(gappy, name="gappy")
    builder = FeatureBuilder().fit(data.until(PRICES.index[400]))
    with pytest.raises(ra.DataError, match=r"asset 'A1'.*missing prices from"):
        builder.transform(data, data.dates[[600]])


def test_extra_column_that_starts_late_is_named():
    macro = macro_columns(PRICES.index).iloc[300:]
    builder = FeatureBuilder(extra=macro).fit(TRAIN)
    with pytest.raises(ra.DataError, match=r"extra column 'term_spread' has no value"):
        builder.transform(DATA, DATA.dates[[320]])


def test_not_a_trading_date_and_not_fitted():
    with pytest.raises(ra.ConfigError, match="call fit"):
        FeatureBuilder().transform(DATA, DATA.dates[[500]])
    builder = FeatureBuilder().fit(TRAIN)
    with pytest.raises(ra.DataError, match="2004-01-03 is not a trading date"):
        builder.transform(DATA, pd.DatetimeIndex(["2004-01-03"]))  # a Saturday


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"lookback": 0}, "lookback"),
        ({"volatility_windows": (1,)}, "volatility_windows"),
        ({"ma_windows": (10, 10)}, "ma_windows"),
        ({"ma_windows": 10}, "ma_windows"),
        ({"rsi_window": 2.5}, "rsi_window"),
        ({"market_index": "nasdaq"}, "market_index"),
        ({"dtype": "int8"}, "dtype"),
        ({"extra": [1, 2]}, "extra"),
    ],
)
def test_bad_parameters_are_named(params, named):
    with pytest.raises(ra.ConfigError, match=named):
        FeatureBuilder(**params).fit(TRAIN)


def test_training_span_too_short_or_flat_feature():
    with pytest.raises(ra.DataError, match="'drawdown_252' is defined on no date"):
        FeatureBuilder().fit(DATA.until(PRICES.index[100]))
    flat = pd.DataFrame({"constant": 1.0}, index=PRICES.index)
    with pytest.raises(ra.DataError, match="'extra:constant' does not vary"):
        FeatureBuilder(extra=flat).fit(TRAIN)


# --- the market index outside the bundled span -------------------------------------------


def test_market_after_the_bundled_index_falls_back_and_records_it():
    recent = ra.MarketData(random_walk_prices(700, 3, start="2022-01-03"), name="recent")
    train = recent.until(recent.dates[400])
    with pytest.warns(UserWarning, match="equal-weight"):
        builder = FeatureBuilder().fit(train)
    assert builder.market_source_ is MarketIndex.EQUAL_WEIGHT
    assert np.isfinite(builder.transform(recent, recent.dates[-5:])).all()
    with pytest.raises(ra.DataError, match=r"sp500_index covers 1990-01-02\.\.2022-12-28"):
        FeatureBuilder(market_index=MarketIndex.SP500).fit(train)


def test_sp500_fitted_builder_refuses_dates_after_the_bundled_index():
    spanning = ra.MarketData(random_walk_prices(700, 3, start="2020-06-01"), name="spanning")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        builder = FeatureBuilder().fit(spanning.until("2022-06-30"))
    assert builder.market_source_ is MarketIndex.SP500
    builder.transform(spanning, pd.DatetimeIndex(["2022-12-28"]))
    with pytest.raises(
        ra.DataError, match=r"market feature .* 2022-12-29 .*covers 1990-01-02\.\.2022-12-28"
    ):
        builder.transform(spanning, pd.DatetimeIndex(["2022-12-29"]))


# --- real data end to end --------------------------------------------------------------


def test_covid_2017_end_to_end_every_test_date_is_finite():
    s = ra.scenario("covid-2017")
    data = ra.MarketData(s.prices, name=s.name)
    builder = FeatureBuilder().fit(data.until(s.train_end))
    dates = data.dates[data.dates >= s.test_start]
    X = builder.transform(data, dates)
    assert X.shape == (len(dates), 11, 50, 20)
    assert np.isfinite(X).all()
    # The first test window reaches back into the training span: fine, it is the past.
    assert np.array_equal(X[0], builder.transform(data.until(dates[0]), dates[:1])[0])
