"""Data that cannot lie: each class of bad input is refused with one line naming the culprit.

Known answers per class: dates (ambiguous formats, time zones, non-dates, implausible
years), plausibility (one-period moves, magnitudes), columns (empty, repeated, true/false,
text), settings (costs and cash rate bounds), file size, and one validation path for
files and DataFrames.
"""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import riskalloc as ra
from riskalloc.core import RunContext, check_annual_rate, check_costs_bps, check_risk_free
from riskalloc.data import (
    DEFAULT_MAX_DAILY_RETURN,
    MarketData,
    check_prices,
    load_prices,
    parse_dates,
)

DAYS = pd.bdate_range("2019-01-28", periods=8)  # 28 Jan .. 6 Feb 2019: days above and below 12


def write_csv(tmp_path: Path, text: str, name: str = "prices.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def dated_csv(tmp_path: Path, dates: list[str], header: str = "date,A,B") -> Path:
    rows = [f"{date},{10 + i},{20 + i}" for i, date in enumerate(dates)]
    return write_csv(tmp_path, "\n".join([header, *rows]) + "\n")


def error_of(call, *args, **kwargs) -> str:
    with pytest.raises(ra.RiskallocError) as caught:
        call(*args, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    return message


def frame(values: dict, index=DAYS) -> pd.DataFrame:
    return pd.DataFrame(values, index=index[: len(next(iter(values.values())))])


# --- dates ---------------------------------------------------------------------------------


def test_day_first_dates_are_refused_with_the_format_to_give(tmp_path):
    path = dated_csv(tmp_path, [day.strftime("%d/%m/%Y") for day in DAYS])
    message = error_of(load_prices, path)
    assert "'28/01/2019'" in message
    assert "day-first" in message and "--date-format %d/%m/%Y" in message


def test_month_first_dates_are_refused_with_the_format_to_give(tmp_path):
    path = dated_csv(tmp_path, [day.strftime("%m/%d/%Y") for day in DAYS])
    message = error_of(load_prices, path)
    assert "month-first" in message and "--date-format %m/%d/%Y" in message


def test_dates_that_read_either_way_are_refused_as_ambiguous(tmp_path):
    # Every day and month is at most 12: 01/02/2019 is 1 February or 2 January.
    path = dated_csv(tmp_path, ["01/02/2019", "02/02/2019", "03/02/2019", "04/02/2019"])
    message = error_of(load_prices, path)
    assert "ambiguous" in message and "%d/%m/%Y" in message and "%m/%d/%Y" in message


def test_a_column_mixing_day_first_and_month_first_is_refused(tmp_path):
    path = dated_csv(tmp_path, ["31/01/2019", "02/13/2019"])
    assert "mixes day-first and month-first" in error_of(load_prices, path)


def test_two_digit_years_and_dashes_get_their_own_format(tmp_path):
    path = dated_csv(tmp_path, [day.strftime("%d-%m-%y") for day in DAYS])
    assert "--date-format %d-%m-%y" in error_of(load_prices, path)


@pytest.mark.parametrize("date_format", ["%d/%m/%Y", "%m/%d/%Y", "%d.%m.%y", "%b %d %Y"])
def test_an_explicit_format_reads_the_dates_it_describes(tmp_path, date_format):
    path = dated_csv(tmp_path, [day.strftime(date_format) for day in DAYS])
    prices = load_prices(path, date_format=date_format)
    assert list(prices.index) == list(DAYS)
    np.testing.assert_array_equal(prices["A"], 10.0 + np.arange(len(DAYS)))


def test_dates_that_do_not_follow_the_explicit_format_are_named(tmp_path):
    path = dated_csv(tmp_path, ["31/01/2019", "2019-02-01"])
    message = error_of(load_prices, path, date_format="%d/%m/%Y")
    assert "'2019-02-01'" in message and "'%d/%m/%Y'" in message


@pytest.mark.parametrize("date_format", ["mixed", "ISO8601", "%Y-%m", "", "%d/%m"])
def test_a_format_that_does_not_fix_year_month_and_day_is_refused(tmp_path, date_format):
    path = dated_csv(tmp_path, ["2019-01-31"])
    with pytest.raises(ra.ConfigError, match="format"):
        load_prices(path, date_format=date_format)


@pytest.mark.parametrize(
    "written",
    ["2019/01/31", "20190131", "2019-1-31", "2019-01-31 16:00", "2019-01-31T16:00:00Z"],
)
def test_year_first_dates_are_read_in_every_usual_spelling(written):
    parsed = parse_dates(pd.Index([written]), source="f.csv")
    assert list(parsed) == [pd.Timestamp("2019-01-31")]


def test_text_month_names_need_a_format(tmp_path):
    path = dated_csv(tmp_path, ["Jan 31 2019", "Feb 01 2019"])
    assert "--date-format" in error_of(load_prices, path)


def test_mixed_utc_offsets_keep_the_local_date_as_written(tmp_path):
    # New York closes across the daylight saving change: -05:00, then -04:00.
    dates = ["2019-03-08T16:00:00-05:00", "2019-03-11T16:00:00-04:00", "2019-03-12T16:00-04:00"]
    prices = load_prices(dated_csv(tmp_path, dates))
    assert list(prices.index) == list(pd.DatetimeIndex(["2019-03-08", "2019-03-11", "2019-03-12"]))


def test_an_offset_near_midnight_does_not_move_the_date(tmp_path):
    # Converted to UTC this close would fall on the next day; its date is the one written.
    prices = load_prices(dated_csv(tmp_path, ["2019-01-30T23:30+09:00", "2019-01-31T23:30-09:00"]))
    assert list(prices.index) == list(pd.DatetimeIndex(["2019-01-30", "2019-01-31"]))


def test_a_time_zone_aware_parquet_column_keeps_its_local_dates(tmp_path):
    local = pd.DatetimeIndex(["2019-01-30 16:00", "2019-01-31 16:00"]).tz_localize("Asia/Tokyo")
    path = tmp_path / "tokyo.parquet"
    pd.DataFrame({"date": local, "A": [1.0, 1.1]}).to_parquet(path, index=False)
    assert list(load_prices(path).index) == list(pd.DatetimeIndex(["2019-01-30", "2019-01-31"]))


def test_a_parquet_date_column_of_integers_is_named_not_read_as_1970(tmp_path):
    path = tmp_path / "ints.parquet"
    pd.DataFrame({"date": [0, 1, 2], "A": [1.0, 1.1, 1.2]}).to_parquet(path, index=False)
    message = error_of(load_prices, path)
    assert "date column 'date'" in message and "numbers" in message
    assert "1970" not in message


def test_a_parquet_index_of_integers_is_named_not_read_as_1970(tmp_path):
    path = tmp_path / "index.parquet"
    frame({"A": [1.0, 1.1, 1.2]}, index=pd.Index([5, 6, 7], name="day")).to_parquet(path)
    message = error_of(load_prices, path)
    assert "date column 'day'" in message and "numbers" in message


def test_integer_dates_are_read_with_an_explicit_format(tmp_path):
    path = tmp_path / "compact.parquet"
    pd.DataFrame({"date": [20190130, 20190131], "A": [1.0, 1.1]}).to_parquet(path, index=False)
    assert list(load_prices(path, date_format="%Y%m%d").index) == list(
        pd.DatetimeIndex(["2019-01-30", "2019-01-31"])
    )


def test_a_parquet_column_of_python_dates_is_read(tmp_path):
    path = tmp_path / "date32.parquet"
    table = pa.table({"date": pa.array(list(DAYS[:3].date), pa.date32()), "A": [1.0, 1.1, 1.2]})
    pq.write_table(table, path)
    assert list(load_prices(path).index) == list(DAYS[:3])


@pytest.mark.parametrize("year", ["1200", "1899", "2200"])
def test_dates_outside_a_plausible_range_are_named(tmp_path, year):
    dates = ["2019-01-30", "2019-01-31", f"{year}-02-01"]
    message = error_of(load_prices, dated_csv(tmp_path, dates))
    assert f"{year}-02-01" in message and "plausible" in message


def test_a_parquet_datetime_in_the_year_1200_is_named(tmp_path):
    path = tmp_path / "old.parquet"
    old = [pd.Timestamp("1200-01-03").to_pydatetime(), pd.Timestamp("2019-01-31").to_pydatetime()]
    pq.write_table(pa.table({"date": pa.array(old, pa.timestamp("us")), "A": [1.0, 1.1]}), path)
    assert "1200-01-03" in error_of(load_prices, path)


def test_a_date_a_little_in_the_future_is_allowed(tmp_path):
    soon = (pd.Timestamp.today() + pd.Timedelta(days=30)).strftime("%Y-%m-%d")
    assert len(load_prices(dated_csv(tmp_path, ["2019-01-30", soon]))) == 2


def test_a_missing_date_is_named_by_row(tmp_path):
    message = error_of(load_prices, dated_csv(tmp_path, ["2019-01-30", "", "2019-02-01"]))
    assert "row 2" in message


def test_a_test_start_must_be_year_first():
    with pytest.raises(ra.ConfigError, match="YYYY-MM-DD"):
        ra.backtest(
            ra.scenario("bull-2010"), ra.get_strategy("equal_weight"), test_start="01/02/2015"
        )


# --- plausibility --------------------------------------------------------------------------


def test_a_millionfold_jump_names_the_asset_and_date(tmp_path):
    path = write_csv(
        tmp_path, "date,A,B\n2019-01-30,10,20\n2019-01-31,10.5,2e7\n2019-02-01,11,2.1e7\n"
    )
    message = error_of(load_prices, path)
    assert "'B'" in message and "2019-01-31" in message and "--max-daily-return" in message


@pytest.mark.parametrize(
    ("ratio", "refused"), [(9.9, False), (10.1, True), (0.101, False), (0.099, True)]
)
def test_the_default_bound_is_ten_times_up_or_a_tenth_down(ratio, refused):
    prices = frame({"A": [100.0, 100.0 * ratio]})
    assert DEFAULT_MAX_DAILY_RETURN == 9.0
    if refused:
        assert "'A'" in error_of(MarketData, prices)
    else:
        assert len(MarketData(prices)) == 2


def test_a_move_across_missing_days_is_checked_too():
    prices = frame({"A": [100.0, np.nan, np.nan, 5000.0]})
    assert DAYS[3].strftime("%Y-%m-%d") in error_of(MarketData, prices)


@pytest.mark.parametrize("bound", [None, math.inf, 1e7])
def test_a_wider_bound_or_none_accepts_the_move(tmp_path, bound):
    path = write_csv(tmp_path, "date,A\n2019-01-30,10\n2019-01-31,1e7\n")
    assert load_prices(path, max_daily_return=bound)["A"].iloc[-1] == 1e7
    prices = frame({"A": [10.0, 1e7]})
    assert len(MarketData(prices, max_daily_return=bound)) == 2


def test_a_tighter_bound_refuses_smaller_moves():
    prices = frame({"A": [100.0, 125.0]})
    assert "max_daily_return=0.2" in error_of(MarketData, prices, max_daily_return=0.2)


@pytest.mark.parametrize("bound", [0, -1, math.nan, "9", True])
def test_a_bound_that_is_not_a_positive_number_is_a_config_error(bound):
    with pytest.raises(ra.ConfigError, match="max_daily_return"):
        MarketData(frame({"A": [1.0, 1.1]}), max_daily_return=bound)


@pytest.mark.parametrize("price", [1e308, 2e12])
def test_an_implausibly_large_price_is_named(price):
    message = error_of(MarketData, frame({"A": [price, price]}))
    assert "implausible price" in message and "'A'" in message


# --- columns -------------------------------------------------------------------------------


def test_an_empty_header_is_named_by_its_position(tmp_path):
    path = write_csv(tmp_path, "date,A,,B\n2019-01-30,1,2,3\n2019-01-31,1,2,3\n")
    assert "column 3 of the header is empty" in error_of(load_prices, path)


def test_an_empty_header_over_the_dates_is_the_usual_pandas_index(tmp_path):
    # DataFrame.to_csv writes an unnamed index as an empty first header.
    frame({"A": [1.0, 1.1]}).to_csv(tmp_path / "indexed.csv")
    assert list(load_prices(tmp_path / "indexed.csv").columns) == ["A"]


@pytest.mark.parametrize("name", ["Unnamed: 2", "", None, " "])
def test_a_frame_with_an_unnamed_column_is_refused(name):
    prices = frame({"A": [1.0, 1.1], "B": [2.0, 2.1]})
    prices.columns = ["A", name]
    assert "column 2" in error_of(MarketData, prices)


def test_repeated_column_names_in_a_frame_are_refused():
    prices = frame({"A": [1.0, 1.1], "B": [2.0, 2.1]})
    prices.columns = ["A", "A"]
    assert "duplicate asset column(s) A" in error_of(
        ra.backtest, prices, ra.get_strategy("equal_weight")
    )


def test_a_boolean_parquet_column_is_named(tmp_path):
    path = tmp_path / "flags.parquet"
    data = {"date": DAYS[:2].strftime("%Y-%m-%d"), "A": [1.0, 1.1], "FLAG": [True, False]}
    pd.DataFrame(data).to_parquet(path, index=False)
    assert "'FLAG' holds true/false" in error_of(load_prices, path)


@pytest.mark.parametrize(
    ("column", "named"),
    [
        ([True, False, True], "true/false"),
        (["1.0", "1.1", "x"], "str"),
        ([1.0, "1.1", 1.2], "str"),
        ([1 + 1j, 2 + 0j, 3 + 0j], "complex"),
        (list(DAYS[:3]), "Timestamp"),
    ],
)
def test_a_frame_column_that_is_not_numbers_is_named(column, named):
    prices = frame({"A": [1.0, 1.1, 1.2], "ODD": column})
    message = error_of(ra.backtest, prices, ra.get_strategy("equal_weight"))
    assert "'ODD'" in message and named in message


def test_numbers_held_as_objects_are_numbers():
    prices = frame({"A": np.array([1.0, 2, np.float32(1.5)], dtype=object)})
    assert MarketData(prices).prices["A"].tolist() == [1.0, 2.0, 1.5]


def test_selecting_an_asset_twice_or_none_is_refused():
    data = MarketData(frame({"A": [1.0, 1.1], "B": [2.0, 2.1]}))
    with pytest.raises(ra.ConfigError, match="twice"):
        data.select(["A", "A"])
    with pytest.raises(ra.ConfigError, match="at least one"):
        data.select([])


# --- one validation path: a DataFrame is checked as a file is ---------------------------------


@pytest.mark.parametrize(
    ("value", "named"),
    [(-3.0, "non-positive"), (0.0, "non-positive"), (np.inf, "infinite"), (-np.inf, "infinite")],
)
def test_the_library_refuses_the_prices_a_file_may_not_hold(value, named):
    prices = frame({"A": [1.0, 1.1, 1.2, 1.3], "B": [2.0, 2.1, value, 2.2]})
    message = error_of(ra.backtest, prices, ra.get_strategy("equal_weight"))
    assert named in message and "'B'" in message and str(DAYS[2].date()) in message


def test_late_starting_assets_and_gaps_stay_legitimate():
    prices = frame({"A": [1.0, 1.1, 1.2, 1.3, 1.4], "B": [np.nan, np.nan, 2.0, np.nan, 2.2]})
    data = MarketData(prices)
    assert data.first_valid_dates()["B"] == DAYS[2]


def test_a_time_zone_aware_frame_keeps_its_local_dates():
    prices = frame({"A": [1.0, 1.1]}, index=DAYS.tz_localize("America/New_York"))
    assert list(MarketData(prices).dates) == list(DAYS[:2])


@pytest.mark.parametrize("strategy", [None, "equal_weight", 3])
def test_a_strategy_that_is_not_an_allocator_is_a_config_error(strategy):
    with pytest.raises(ra.ConfigError, match="strategy"):
        ra.backtest(ra.scenario("bull-2010"), strategy)


def test_check_prices_returns_floats_and_keeps_names():
    checked = check_prices(frame({"A": [1, 2]}), source="mine")
    assert checked.dtypes.tolist() == [np.float64] and list(checked.columns) == ["A"]


# --- settings: one set of bounds for the library and the command ----------------------------


@pytest.mark.parametrize("costs", [-10, math.nan, math.inf, 100_000, "10", None, True])
def test_costs_outside_zero_to_a_thousand_bps_are_refused(costs):
    with pytest.raises(ra.ConfigError, match="costs_bps"):
        check_costs_bps(costs)
    with pytest.raises(ra.ConfigError, match="costs_bps"):
        ra.backtest(ra.scenario("bull-2010"), ra.get_strategy("equal_weight"), costs_bps=costs)


@pytest.mark.parametrize("rate", [1e6, math.nan, -0.5, -0.9, 1.01, math.inf])
def test_cash_rates_outside_the_bounds_are_refused(rate):
    for check in (check_annual_rate, check_risk_free):
        with pytest.raises(ra.ConfigError, match="risk_free"):
            check(rate)
    with pytest.raises(ra.ConfigError, match="risk_free"):
        RunContext(risk_free=rate)


def test_the_bounds_themselves_are_accepted():
    assert check_costs_bps(0) == 0.0 and check_costs_bps(1000) == 1000.0
    assert check_annual_rate(1.0) == 1.0 and check_annual_rate(-0.49) == -0.49


def test_a_rate_series_beyond_the_bounds_is_named_by_date():
    rates = pd.Series([0.02, 0.03, 1.5, 0.02, 0.01], index=DAYS[:5])
    with pytest.raises(ra.DataError, match=str(DAYS[2].date())):
        check_risk_free(rates)


# --- file size -----------------------------------------------------------------------------


def test_a_file_over_the_size_bound_is_refused_before_reading(tmp_path):
    path = dated_csv(tmp_path, [day.strftime("%Y-%m-%d") for day in DAYS])
    message = error_of(load_prices, path, max_file_bytes=50)
    assert "max_file_bytes" in message and "bytes" in message


def test_a_compressed_file_is_bounded_by_what_it_decompresses_to(tmp_path):
    rows = "".join(
        f"{day.strftime('%Y-%m-%d')},1,2\n" for day in pd.bdate_range("2000", periods=3000)
    )
    path = tmp_path / "prices.csv.gz"
    path.write_bytes(gzip.compress(("date,A,B\n" + rows).encode()))
    assert path.stat().st_size < 20_000
    assert "decompresses" in error_of(load_prices, path, max_file_bytes=20_000)
    assert len(load_prices(path)) == 3000


def test_a_parquet_file_is_bounded_too(tmp_path):
    path = tmp_path / "prices.parquet"
    big = pd.DataFrame({"date": pd.bdate_range("2000", periods=3000), "A": 1.0, "B": 2.0})
    big.to_parquet(path, index=False)
    with pytest.raises(ra.DataError, match="max_file_bytes"):
        load_prices(path, max_file_bytes=1000)
    assert len(load_prices(path)) == 3000
