"""Poison the future: nothing after a date may change the tensor on or before it.

Prices (and the user's index levels and extra columns) after a date D are
multiplied by random factors; every tensor row for a date <= D must stay
bit-for-bit the same, for every kind of feature. The rows after D must change,
so the test can fail.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskalloc as ra
from riskalloc.features import FeatureBuilder, MarketIndex, load_extra_features

from ._synthetic import macro_columns, poison_after, random_walk_prices

PRICES = random_walk_prices(n_dates=700, n_assets=4)
TRAIN_END = PRICES.index[400]
INDEX_LEVELS = random_walk_prices(n_dates=760, n_assets=1, start="2002-12-02", seed=7)["A0"]


def _tensors(prices, builder_kwargs, poisoned_kwargs=None):
    """Tensors for every possible decision date, from clean and from poisoned inputs."""
    results = []
    for data, kwargs in (
        (prices[0], builder_kwargs),
        (prices[1], poisoned_kwargs or builder_kwargs),
    ):
        market = ra.MarketData(data, name="synthetic")
        builder = FeatureBuilder(**kwargs).fit(market.until(TRAIN_END))
        dates = market.dates[builder.min_history - 1 :]
        results.append((dates, builder.transform(market, dates)))
    return results


def _assert_past_unchanged(clean, poisoned, last_clean):
    (dates, before), (_, after) = clean, poisoned
    past = dates <= last_clean
    assert past.sum() > 10 and (~past).sum() > 10
    assert np.array_equal(before[past], after[past])  # bit for bit
    assert not np.array_equal(before[~past], after[~past])  # the poison did reach the future


@pytest.mark.parametrize(
    "market_kwargs",
    [
        {"market": False},
        {"market_index": MarketIndex.AUTO},  # resolves to the bundled S&P 500
        {"market_index": MarketIndex.EQUAL_WEIGHT},
    ],
    ids=["no-market", "sp500", "equal-weight"],
)
def test_poisoned_prices_leave_the_past_unchanged(market_kwargs):
    last_clean = PRICES.index[520]
    poisoned = poison_after(PRICES, last_clean, seed=3)
    clean, dirty = _tensors((PRICES, poisoned), market_kwargs)
    _assert_past_unchanged(clean, dirty, last_clean)


def test_poisoned_user_index_leaves_the_past_unchanged():
    last_clean = PRICES.index[520]
    clean, dirty = _tensors(
        (PRICES, PRICES),
        {"market_index": INDEX_LEVELS},
        {"market_index": poison_after(INDEX_LEVELS, last_clean, seed=4)},
    )
    _assert_past_unchanged(clean, dirty, last_clean)


def test_poisoned_extra_csv_column_leaves_the_past_unchanged(tmp_path: Path):
    last_clean = PRICES.index[520]
    macro = macro_columns(PRICES.index)
    macro.to_csv(tmp_path / "macro.csv")
    dirty_macro = poison_after(macro, last_clean, seed=5)
    dirty_macro.loc[pd.Timestamp("2030-01-01")] = [1e6, -1e6]  # a row from far in the future
    dirty_macro.to_csv(tmp_path / "macro_poisoned.csv")
    clean_extra = load_extra_features(tmp_path / "macro.csv")
    dirty_extra = load_extra_features(tmp_path / "macro_poisoned.csv")
    # Prices poisoned too: every feature group at once.
    clean, dirty = _tensors(
        (PRICES, poison_after(PRICES, last_clean, seed=6)),
        {"extra": clean_extra, "market_index": MarketIndex.EQUAL_WEIGHT},
        {"extra": dirty_extra, "market_index": MarketIndex.EQUAL_WEIGHT},
    )
    _assert_past_unchanged(clean, dirty, last_clean)
    builder = FeatureBuilder(extra=clean_extra).fit(ra.MarketData(PRICES).until(TRAIN_END))
    extra_rows = [builder.feature_names_.index(f"extra:{c}") for c in macro.columns]
    (dates, before), (_, after) = clean, dirty
    future = dates > last_clean
    assert not np.array_equal(before[future][:, extra_rows], after[future][:, extra_rows])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(min_value=300, max_value=690), seed=st.integers(0, 2**32 - 1))
def test_poison_any_date_property(cut, seed):
    last_clean = PRICES.index[cut]
    poisoned = poison_after(PRICES, last_clean, seed=seed)
    clean = ra.MarketData(PRICES)
    dirty = ra.MarketData(poisoned)
    builder = FeatureBuilder(market_index=MarketIndex.EQUAL_WEIGHT).fit(clean.until(TRAIN_END))
    dates = clean.dates[builder.min_history - 1 : cut + 1]
    assert np.array_equal(builder.transform(clean, dates), builder.transform(dirty, dates))


@pytest.mark.parametrize("source", [MarketIndex.AUTO, MarketIndex.EQUAL_WEIGHT])
def test_fit_statistics_come_from_the_training_span_only(source, tmp_path: Path):
    poisoned = poison_after(PRICES, TRAIN_END, seed=8)
    macro = macro_columns(PRICES.index)
    builders = [
        FeatureBuilder(market_index=source, extra=extra).fit(ra.MarketData(prices).until(TRAIN_END))
        for prices, extra in ((PRICES, macro), (poisoned, poison_after(macro, TRAIN_END, seed=9)))
    ]
    assert np.array_equal(builders[0].mean_, builders[1].mean_)
    assert np.array_equal(builders[0].std_, builders[1].std_)
    # ... and the statistics do depend on the span they are given.
    everything = FeatureBuilder(market_index=source, extra=macro).fit(ra.MarketData(poisoned))
    assert not np.allclose(everything.mean_, builders[0].mean_)


def test_user_index_future_does_not_reach_the_fit():
    builders = [
        FeatureBuilder(market_index=levels).fit(ra.MarketData(PRICES).until(TRAIN_END))
        for levels in (INDEX_LEVELS, poison_after(INDEX_LEVELS, TRAIN_END, seed=10))
    ]
    assert np.array_equal(builders[0].mean_, builders[1].mean_)
    assert np.array_equal(builders[0].std_, builders[1].std_)


def test_windowed_features_do_not_depend_on_where_the_history_starts():
    data = ra.MarketData(PRICES)
    builder = FeatureBuilder().fit(data.until(TRAIN_END))  # bundled S&P 500
    late = data.between(PRICES.index[150], None)
    dates = late.dates[builder.min_history - 1 :]
    assert np.array_equal(builder.transform(data, dates), builder.transform(late, dates))
