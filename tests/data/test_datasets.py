"""The bundled real datasets: shapes, spans, tickers and cleanliness, loaded offline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import riskalloc
from riskalloc.data import DATASETS, load_dataset

SP500_TICKERS = [
    "AAPL", "AMD", "BAC", "BBY", "CVX", "GE", "HD", "JNJ", "JPM", "KO",
    "LLY", "MRK", "MSFT", "PEP", "PFE", "PG", "RRC", "UNH", "WMT", "XOM",
]  # fmt: skip


def assert_clean(prices: pd.DataFrame) -> None:
    assert isinstance(prices.index, pd.DatetimeIndex)
    assert prices.index.is_monotonic_increasing and prices.index.is_unique
    values = prices.to_numpy(dtype=float)
    assert not np.isnan(values).any()
    assert (values > 0).all()
    assert np.isfinite(values).all()


def test_sp500_is_8313_days_of_20_stocks() -> None:
    prices = load_dataset("sp500")
    assert prices.shape == (8313, 20)
    assert prices.index[0] == pd.Timestamp("1990-01-02")
    assert prices.index[-1] == pd.Timestamp("2022-12-28")
    assert sorted(prices.columns) == SP500_TICKERS
    assert_clean(prices)


def test_sp500_index_is_one_column_on_the_same_dates() -> None:
    index = load_dataset("sp500_index")
    assert index.shape[1] == 1
    assert_clean(index)
    assert index.index.equals(load_dataset("sp500").index)


def test_factors_are_five_etfs_from_2014() -> None:
    factors = load_dataset("factors")
    assert sorted(factors.columns) == ["MTUM", "QUAL", "SIZE", "USMV", "VLUE"]
    assert factors.index[0].year == 2014
    assert factors.index[0] < pd.Timestamp("2014-01-10")
    assert factors.index[-1] == pd.Timestamp("2022-12-28")
    assert_clean(factors)


def test_unknown_name_is_a_config_error_listing_the_names() -> None:
    with pytest.raises(riskalloc.ConfigError) as caught:
        load_dataset("nasdaq")
    message = str(caught.value)
    assert "'nasdaq'" in message
    for name in ("sp500", "sp500_index", "factors", "multi_asset"):
        assert name in message
    assert set(DATASETS) == {"sp500", "sp500_index", "factors", "multi_asset"}


def test_a_loaded_frame_is_a_copy() -> None:
    first = load_dataset("sp500")
    original = first.iloc[0, 0]
    first.iloc[0, 0] = -1.0
    first.loc[:, "AAPL"] = 0.0
    first["EXTRA"] = 1.0
    again = load_dataset("sp500")
    assert again.shape == (8313, 20)
    assert again.iloc[0, 0] == original
    assert (again["AAPL"] > 0).all()
    assert "EXTRA" not in again.columns
    assert again is not first
