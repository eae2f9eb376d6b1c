"""`load_prices`: bad input is a `DataError` naming the culprit; gaps fill from the past only.

Each file test runs on a CSV file and on a Parquet file (the ``file_format``
fixture in ``conftest.py``).
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskalloc
from riskalloc.data import DEFAULT_FILL_LIMIT, load_prices

from ._price_files import WritePrices, write_price_file

DAYS = [day.strftime("%Y-%m-%d") for day in pd.bdate_range("2020-01-02", periods=12)]
# 2020-01-02 2020-01-03 2020-01-06 2020-01-07 2020-01-08 2020-01-09 2020-01-10 2020-01-13 ...


def clean_frame(n: int = 6) -> pd.DataFrame:
    """A valid file's content: a ``date`` column and two assets with distinct prices."""
    return pd.DataFrame(
        {
            "date": DAYS[:n],
            "A": [10.0 + i for i in range(n)],
            "B": [100.0 + 10 * i for i in range(n)],
        }
    )


def load_error(path: Path, **kwargs: object) -> str:
    """The message of the `DataError` that loading ``path`` raises."""
    with pytest.raises(riskalloc.DataError) as caught:
        load_prices(path, **kwargs)  # type: ignore[arg-type]
    return str(caught.value)


# --- a clean file ---------------------------------------------------------------------------


def test_clean_file_loads_as_dates_by_assets(write_prices: WritePrices) -> None:
    path = write_prices(clean_frame())
    prices = load_prices(path)
    assert isinstance(prices.index, pd.DatetimeIndex)
    assert list(prices.index) == [pd.Timestamp(day) for day in DAYS[:6]]
    assert list(prices.columns) == ["A", "B"]
    assert all(dtype == np.float64 for dtype in prices.dtypes)
    np.testing.assert_array_equal(prices["A"].to_numpy(), [10.0, 11.0, 12.0, 13.0, 14.0, 15.0])
    np.testing.assert_array_equal(
        prices["B"].to_numpy(), [100.0, 110.0, 120.0, 130.0, 140.0, 150.0]
    )


def test_date_column_named_Date_is_found_when_not_first(write_prices: WritePrices) -> None:
    frame = clean_frame()
    frame = frame.rename(columns={"date": "Date"})[["A", "Date", "B"]]
    prices = load_prices(write_prices(frame))
    assert list(prices.columns) == ["A", "B"]
    assert list(prices.index) == [pd.Timestamp(day) for day in DAYS[:6]]
    np.testing.assert_array_equal(prices["A"].to_numpy(), frame["A"].to_numpy())


def test_first_column_is_the_date_when_none_is_named_date(write_prices: WritePrices) -> None:
    frame = clean_frame().rename(columns={"date": "when"})
    prices = load_prices(write_prices(frame))
    assert list(prices.columns) == ["A", "B"]
    assert prices.index[0] == pd.Timestamp(DAYS[0])


def test_parquet_with_datetime_column_and_datetime_index(tmp_path: Path) -> None:
    frame = clean_frame()
    frame["date"] = pd.to_datetime(frame["date"])
    as_column = load_prices(write_price_file(frame, tmp_path / "column.parquet"))
    indexed = tmp_path / "index.parquet"
    frame.set_index("date").to_parquet(indexed)
    as_index = load_prices(indexed)
    pd.testing.assert_frame_equal(as_column, as_index)
    assert list(as_index.columns) == ["A", "B"]
    assert as_index.index[-1] == pd.Timestamp(DAYS[5])


# --- bad input: one test per case, each naming the culprit -------------------------------------


@pytest.mark.parametrize("bad_date", ["not-a-date", "2020-02-30"])
def test_unparseable_date_names_the_value(write_prices: WritePrices, bad_date: str) -> None:
    frame = clean_frame()
    frame.loc[3, "date"] = bad_date
    message = load_error(write_prices(frame))
    assert repr(bad_date) in message
    assert "prices." in message  # the file is named


def test_duplicate_date_names_the_date(write_prices: WritePrices) -> None:
    frame = clean_frame()
    frame.loc[4, "date"] = DAYS[2]  # 2020-01-06 twice
    message = load_error(write_prices(frame))
    assert "duplicate date" in message
    assert "2020-01-06" in message


def test_unsorted_dates_are_sorted_with_a_warning(write_prices: WritePrices) -> None:
    frame = clean_frame().iloc[[3, 0, 5, 1, 4, 2]].reset_index(drop=True)
    with pytest.warns(UserWarning, match="not in order"):
        prices = load_prices(write_prices(frame))
    assert prices.index.is_monotonic_increasing
    assert list(prices.index) == [pd.Timestamp(day) for day in DAYS[:6]]
    # Each price moved with its date.
    np.testing.assert_array_equal(prices["A"].to_numpy(), [10.0, 11.0, 12.0, 13.0, 14.0, 15.0])
    np.testing.assert_array_equal(
        prices["B"].to_numpy(), [100.0, 110.0, 120.0, 130.0, 140.0, 150.0]
    )


def test_sorted_dates_give_no_warning(write_prices: WritePrices) -> None:
    path = write_prices(clean_frame())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_prices(path)


def test_non_numeric_price_names_column_and_date(write_prices: WritePrices) -> None:
    frame = clean_frame().astype({"A": str, "B": str})
    frame.loc[2, "B"] = "abc"  # 2020-01-06
    message = load_error(write_prices(frame))
    assert "'B'" in message
    assert "2020-01-06" in message
    assert "'abc'" in message
    assert "'A'" not in message


@pytest.mark.parametrize("bad_price", [0.0, -3.5], ids=["zero", "negative"])
def test_non_positive_price_names_column_and_date(
    write_prices: WritePrices, bad_price: float
) -> None:
    frame = clean_frame()
    frame.loc[4, "A"] = bad_price  # 2020-01-08
    message = load_error(write_prices(frame))
    assert "'A'" in message
    assert "2020-01-08" in message
    assert "non-positive" in message
    assert "'B'" not in message


def test_infinite_price_names_column_and_date(write_prices: WritePrices) -> None:
    frame = clean_frame()
    frame.loc[1, "B"] = np.inf  # 2020-01-03
    message = load_error(write_prices(frame))
    assert "'B'" in message
    assert "2020-01-03" in message


def test_column_entirely_missing_names_the_column(write_prices: WritePrices) -> None:
    frame = clean_frame()
    frame["EMPTY"] = np.nan
    message = load_error(write_prices(frame))
    assert "'EMPTY'" in message
    assert "no prices" in message


def test_file_with_only_a_date_column_is_rejected(write_prices: WritePrices) -> None:
    message = load_error(write_prices(clean_frame()[["date"]]))
    assert "price column" in message


def test_duplicate_asset_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("date,A,A\n2020-01-02,1,2\n2020-01-03,1,2\n")
    message = load_error(path)
    assert "duplicate asset column(s) A" in message


@pytest.mark.parametrize("name", ["absent.csv", "absent.parquet"])
def test_missing_file_names_the_path(tmp_path: Path, name: str) -> None:
    message = load_error(tmp_path / name)
    assert name in message
    assert "no such file" in message


@pytest.mark.parametrize("name", ["prices.xlsx", "prices.json", "prices"])
def test_unknown_extension_names_the_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("date,A\n2020-01-02,1\n")  # readable as CSV: the suffix alone must decide
    message = load_error(path)
    assert name in message
    assert "unknown file type" in message


def test_garbage_parquet_is_a_data_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"this is not parquet")
    message = load_error(path)
    assert "broken.parquet" in message


def test_negative_fill_limit_is_rejected(write_prices: WritePrices) -> None:
    message = load_error(write_prices(clean_frame()), fill_limit=-1)
    assert "fill_limit" in message


# --- forward fill: from the past only ----------------------------------------------------------


def gap_frame(values: list[float | None]) -> pd.DataFrame:
    """One asset ``A`` with ``values`` (None = missing) and a complete asset ``B``."""
    n = len(values)
    return pd.DataFrame(
        {
            "date": DAYS[:n],
            "A": [np.nan if value is None else value for value in values],
            "B": [50.0 + i for i in range(n)],
        }
    )


def test_gap_up_to_the_limit_is_filled_with_the_previous_price(write_prices: WritePrices) -> None:
    # 11 is the last price before the gap, 20 the first after: a back-fill would show 20.
    values = [10.0, 11.0] + [None] * DEFAULT_FILL_LIMIT + [20.0, 21.0]
    prices = load_prices(write_prices(gap_frame(values)))
    a = prices["A"].to_numpy()
    np.testing.assert_array_equal(a, [10.0, 11.0] + [11.0] * DEFAULT_FILL_LIMIT + [20.0, 21.0])
    assert not np.isnan(prices.to_numpy()).any()


@pytest.mark.parametrize("fill_limit", [1, 2, 3])
def test_gap_longer_than_the_limit_stays_missing_beyond_it(
    write_prices: WritePrices, fill_limit: int
) -> None:
    gap = fill_limit + 2
    values = [10.0, 11.0] + [None] * gap + [20.0]
    prices = load_prices(write_prices(gap_frame(values)), fill_limit=fill_limit)
    a = prices["A"].to_numpy()
    filled = a[2 : 2 + fill_limit]
    beyond = a[2 + fill_limit : 2 + gap]
    np.testing.assert_array_equal(filled, [11.0] * fill_limit)
    assert np.isnan(beyond).all()
    assert len(beyond) == 2
    assert a[-1] == 20.0
    assert not np.isin(20.0, a[:-1])  # never back-filled from the later price


def test_fill_limit_zero_fills_nothing(write_prices: WritePrices) -> None:
    values = [10.0, None, None, 13.0]
    prices = load_prices(write_prices(gap_frame(values)), fill_limit=0)
    assert np.isnan(prices["A"].to_numpy()[1:3]).all()


def test_leading_missing_prices_are_never_filled(write_prices: WritePrices) -> None:
    values = [None, None, None, 30.0, 31.0, 32.0]
    prices = load_prices(write_prices(gap_frame(values)), fill_limit=10)
    a = prices["A"]
    assert a.iloc[:3].isna().all()
    assert a.first_valid_index() == pd.Timestamp(DAYS[3])
    np.testing.assert_array_equal(a.iloc[3:].to_numpy(), [30.0, 31.0, 32.0])


def test_trailing_missing_prices_after_the_last_price_are_not_filled(
    write_prices: WritePrices,
) -> None:
    values = [10.0, 11.0, 12.0, None, None]
    prices = load_prices(write_prices(gap_frame(values)), fill_limit=10)
    a = prices["A"]
    assert a.last_valid_index() == pd.Timestamp(DAYS[2])
    assert a.iloc[3:].isna().all()
    np.testing.assert_array_equal(a.iloc[:3].to_numpy(), [10.0, 11.0, 12.0])


def test_fill_uses_the_chronological_past_of_an_unsorted_file(write_prices: WritePrices) -> None:
    # In file order the gap row comes right after the 20.0 row; in time it follows 11.0.
    frame = gap_frame([10.0, 11.0, None, 20.0]).iloc[[3, 2, 0, 1]].reset_index(drop=True)
    with pytest.warns(UserWarning):
        prices = load_prices(write_prices(frame))
    np.testing.assert_array_equal(prices["A"].to_numpy(), [10.0, 11.0, 11.0, 20.0])


# --- property: every filled value is the last observed price before it ---------------------------


@st.composite
def frames_with_holes(draw: st.DrawFn) -> tuple[np.ndarray, int]:
    n_rows = draw(st.integers(min_value=2, max_value=25))
    n_assets = draw(st.integers(min_value=1, max_value=4))
    price = st.floats(min_value=0.01, max_value=1e6, allow_nan=False, allow_infinity=False)
    values = np.array(
        draw(
            st.lists(
                st.lists(price, min_size=n_assets, max_size=n_assets),
                min_size=n_rows,
                max_size=n_rows,
            )
        )
    )
    holes = np.array(
        draw(
            st.lists(
                st.lists(st.booleans(), min_size=n_assets, max_size=n_assets),
                min_size=n_rows,
                max_size=n_rows,
            )
        )
    )
    # Every asset keeps at least one price (a column with none is an error, tested above).
    for column in range(n_assets):
        if holes[:, column].all():
            holes[draw(st.integers(0, n_rows - 1)), column] = False
    values[holes] = np.nan
    fill_limit = draw(st.integers(min_value=0, max_value=6))
    return values, fill_limit


@settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(frames_with_holes(), st.sampled_from(["csv", "parquet"]))
def test_filled_values_come_only_from_the_past(
    case: tuple[np.ndarray, int], file_format: str
) -> None:
    raw, fill_limit = case
    n_rows, n_assets = raw.shape
    dates = pd.bdate_range("2021-03-01", periods=n_rows)
    frame = pd.DataFrame(raw, columns=[f"X{i}" for i in range(n_assets)])
    frame.insert(0, "date", dates.strftime("%Y-%m-%d"))
    with tempfile.TemporaryDirectory() as folder:
        path = write_price_file(frame, Path(folder) / f"prices.{file_format}")
        # Independent random prices are no market: the bound on moves is not the point here.
        loaded = load_prices(path, fill_limit=fill_limit, max_daily_return=None).to_numpy()

    assert loaded.shape == raw.shape
    for column in range(n_assets):
        observed = ~np.isnan(raw[:, column])
        first, last = np.flatnonzero(observed)[[0, -1]]
        # Observed prices are kept exactly.
        np.testing.assert_array_equal(loaded[observed, column], raw[observed, column])
        # Before the first price and after the last one, nothing is filled.
        assert np.isnan(loaded[:first, column]).all()
        assert np.isnan(loaded[last + 1 :, column]).all()
        run = 0  # missing rows since the last observed price
        for row in range(first + 1, last):
            if observed[row]:
                run = 0
                continue
            run += 1
            previous = raw[np.flatnonzero(observed[:row])[-1], column]
            if run <= fill_limit:
                assert loaded[row, column] == previous
            else:
                assert np.isnan(loaded[row, column])
