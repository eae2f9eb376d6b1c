"""Missing prices in the test span: the file loads, the backtest refuses it by asset and date."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import riskalloc
from riskalloc.data import DEFAULT_FILL_LIMIT, load_prices

N_ROWS = 80
TEST_START_ROW = 40
DATES = pd.bdate_range("2018-01-01", periods=N_ROWS)


def write_csv(tmp_path: Path, holes: dict[str, slice]) -> Path:
    """Three assets on ``DATES``; ``holes`` blanks a row range of an asset."""
    rng = np.random.default_rng(11)
    values = 50.0 * np.cumprod(1.0 + rng.normal(0.0, 0.01, size=(N_ROWS, 3)), axis=0)
    frame = pd.DataFrame(values, columns=["KEEP", "GAP", "ALSO"])
    for asset, rows in holes.items():
        frame.loc[frame.index[rows], asset] = np.nan
    frame.insert(0, "date", DATES.strftime("%Y-%m-%d"))
    path = tmp_path / "prices.csv"
    frame.to_csv(path, index=False)
    return path


def backtest_error(prices: pd.DataFrame) -> str:
    with pytest.raises(riskalloc.DataError) as caught:
        riskalloc.backtest(
            prices, riskalloc.get_strategy("equal_weight"), test_start=DATES[TEST_START_ROW]
        )
    return str(caught.value)


def test_gap_longer_than_the_fill_limit_names_asset_and_first_missing_date(tmp_path: Path) -> None:
    gap = slice(50, 50 + DEFAULT_FILL_LIMIT + 3)
    prices = load_prices(write_csv(tmp_path, {"GAP": gap}))  # loading works
    first_missing = DATES[50 + DEFAULT_FILL_LIMIT]  # the first DEFAULT_FILL_LIMIT days are filled
    assert prices["GAP"].isna().sum() == 3
    assert prices["GAP"].loc[:first_missing].iloc[:-1].notna().all()
    message = backtest_error(prices)
    assert "'GAP'" in message
    assert str(first_missing.date()) in message
    assert "KEEP" not in message and "ALSO" not in message


def test_asset_that_stops_trading_in_the_test_span(tmp_path: Path) -> None:
    prices = load_prices(write_csv(tmp_path, {"GAP": slice(60, None)}))
    message = backtest_error(prices)
    assert "'GAP'" in message
    assert str(DATES[60].date()) in message


def test_asset_that_starts_inside_the_test_span(tmp_path: Path) -> None:
    prices = load_prices(write_csv(tmp_path, {"ALSO": slice(0, 55)}))
    message = backtest_error(prices)
    assert "'ALSO'" in message
    # The span checked starts at the first decision: the close of the last training date.
    assert str(DATES[TEST_START_ROW - 1].date()) in message


def test_every_incomplete_asset_is_named(tmp_path: Path) -> None:
    prices = load_prices(write_csv(tmp_path, {"GAP": slice(70, None), "ALSO": slice(65, None)}))
    message = backtest_error(prices)
    assert "'GAP'" in message and str(DATES[70].date()) in message
    assert "'ALSO'" in message and str(DATES[65].date()) in message


def test_gap_only_in_the_training_span_is_accepted(tmp_path: Path) -> None:
    prices = load_prices(write_csv(tmp_path, {"GAP": slice(10, 25)}))
    assert prices["GAP"].isna().any()
    result = riskalloc.backtest(
        prices, riskalloc.get_strategy("equal_weight"), test_start=DATES[TEST_START_ROW]
    )
    assert result.returns.index[0] == DATES[TEST_START_ROW]
    assert np.isfinite(result.returns.to_numpy()).all()


def test_short_test_span_gap_is_filled_and_accepted(tmp_path: Path) -> None:
    prices = load_prices(write_csv(tmp_path, {"GAP": slice(50, 50 + DEFAULT_FILL_LIMIT)}))
    assert not prices.isna().any().any()
    result = riskalloc.backtest(
        prices, riskalloc.get_strategy("equal_weight"), test_start=DATES[TEST_START_ROW]
    )
    assert len(result.returns) == N_ROWS - TEST_START_ROW
