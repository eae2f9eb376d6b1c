"""Validation of user prices: every problem is named by column and date."""

from __future__ import annotations

import re
import warnings
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskalloc.core import DataError
from riskalloc.data._dates import check_date_range, parse_dates
from riskalloc.data._plausibility import (
    DEFAULT_MAX_DAILY_RETURN,
    check_daily_moves,
    check_price_magnitude,
)

__all__ = [
    "DEFAULT_FILL_LIMIT",
    "FEATURE_WORDS",
    "PRICE_WORDS",
    "Vocabulary",
    "check_column_names",
    "check_complete",
    "check_prices",
    "validate_dated_frame",
    "validate_prices",
]

#: Longest run of missing prices (in trading days) filled forward from the last price.
DEFAULT_FILL_LIMIT = 5


def _day(stamp: pd.Timestamp) -> str:
    return str(pd.Timestamp(stamp).date())


@dataclass(frozen=True)
class Vocabulary:
    """The words error messages use for the columns and values of a dated table."""

    column: str  # "asset"
    value: str  # "price"
    values: str  # "prices"
    kind: str  # what booleans are not: "prices"
    content: str  # what a data column holds: "price"


PRICE_WORDS = Vocabulary("asset", "price", "prices", "prices", "price")
FEATURE_WORDS = Vocabulary("feature", "value", "values", "numbers", "feature")

# The name pandas gives a column whose header is empty.
_PLACEHOLDER = re.compile(r"^Unnamed: \d+(_level_\d+)?$")


def check_column_names(columns: pd.Index, *, source: str, words: Vocabulary = PRICE_WORDS) -> None:
    """Refuse nested, empty or repeated column names, naming the position or the name.

    An empty header (which pandas reads as ``Unnamed: 2``) is refused rather than
    turned into an asset named after its position.
    """
    if isinstance(columns, pd.MultiIndex):
        raise DataError(
            f"{source}: the columns have {columns.nlevels} header levels; give one row of "
            f"{words.column} names"
        )
    for position, raw in enumerate(columns, start=1):
        name = "" if _is_blank(raw) else str(raw).strip()
        if not name or _PLACEHOLDER.match(name):
            shown = f" ({raw!r})" if name else ""
            raise DataError(
                f"{source}: {words.column} column {position}{shown} has an empty header; "
                f"give every {words.column} column a name"
            )
    names = pd.Index([str(raw).strip() for raw in columns])
    repeated = names[names.duplicated()].unique().tolist()
    if repeated:
        raise DataError(f"{source}: duplicate {words.column} column(s) {', '.join(repeated)}")


def _is_blank(raw: Hashable) -> bool:
    return raw is None or (isinstance(raw, float) and np.isnan(raw))


def validate_dated_frame(
    frame: pd.DataFrame,
    *,
    source: str,
    words: Vocabulary = PRICE_WORDS,
    positive: bool = False,
    date_format: str | None = None,
) -> pd.DataFrame:
    """Check a wide table of numbers by date; every problem is named by column and date.

    The frame's index holds the dates: datetimes, or text that is year-first
    (``2019-01-31``) or follows ``date_format`` (see :func:`riskalloc.data.parse_dates`;
    day-first and month-first text is refused rather than guessed). Unreadable,
    missing or duplicate dates, nested, empty or repeated column names, true/false,
    non-numeric or infinite values, a column with no value at all, and (with
    ``positive``) zero or negative values raise :class:`DataError`. Unsorted dates are
    sorted with a warning: the dates are read unambiguously, so sorting cannot hide a
    misread one. Missing values stay NaN: filling is the caller's decision.
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{source}: expected a pandas DataFrame, got {type(frame).__name__}")
    if frame.shape[1] == 0:
        raise DataError(f"{source}: no {words.column} columns after the date column")
    check_column_names(frame.columns, source=source, words=words)
    frame = frame.copy()
    frame.columns = [str(column).strip() for column in frame.columns]

    frame.index = parse_dates(
        frame.index, source=source, column=frame.index.name, date_format=date_format
    )
    duplicated = frame.index[frame.index.duplicated()]
    if len(duplicated):
        raise DataError(
            f"{source}: duplicate date {_day(duplicated[0])}"
            + (f" (and {len(duplicated) - 1} more)" if len(duplicated) > 1 else "")
        )
    if not frame.index.is_monotonic_increasing:
        warnings.warn(f"{source}: dates were not in order; sorted them", UserWarning, stacklevel=4)
        frame = frame.sort_index(kind="stable")
    frame.index.name = "date"

    numeric = pd.DataFrame(
        {column: _to_float(frame[column], column, source, words) for column in frame.columns},
        index=frame.index,
    )
    _check_values(numeric, source=source, words=words, positive=positive)
    return numeric


def _check_values(numeric: pd.DataFrame, *, source: str, words: Vocabulary, positive: bool) -> None:
    """No column without a value, no infinite value, and (``positive``) none at or below 0."""
    values = numeric.to_numpy(dtype=float)
    if len(numeric):
        empty = np.isnan(values).all(axis=0)
        if empty.any():
            raise DataError(
                f"{source}: column '{numeric.columns[np.argmax(empty)]}' has no {words.values} "
                "(every value is missing)"
            )
    # Row-major order: the earliest date with a problem is named, in any column.
    problems = np.isinf(values) | ((values <= 0) if positive else False)
    if problems.any():
        row, column = np.argwhere(problems)[0]
        name, value, day = numeric.columns[column], values[row, column], _day(numeric.index[row])
        if np.isinf(value):
            raise DataError(f"{source}: column '{name}' has an infinite {words.value} on {day}")
        raise DataError(
            f"{source}: column '{name}' has a non-positive {words.value} ({value:g}) on {day}"
        )


def check_prices(
    prices: pd.DataFrame,
    *,
    source: str = "prices",
    max_daily_return: float | None = DEFAULT_MAX_DAILY_RETURN,
) -> pd.DataFrame:
    """The checks every price table passes, read from a file or handed over as a DataFrame.

    ``prices`` has a sorted unique ``DatetimeIndex`` and one column per asset. Refused
    with a :class:`DataError` naming the culprit: nested, empty or repeated asset names;
    a date before 1900 or more than a year ahead; a column of true/false values, text or
    anything else that is not numbers; a column without a price; an infinite, zero,
    negative or implausibly large price (above ``MAX_PRICE``); a one-period move beyond
    ``max_daily_return`` (see :func:`~riskalloc.data.check_daily_moves`). Missing prices
    (NaN) are allowed: an asset may start late or have gaps.

    Returns
    -------
    pandas.DataFrame
        The prices as floats (same index and columns).

    Examples
    --------
    >>> frame = pd.DataFrame({"A": [1.0, 1e308]}, index=pd.date_range("2020-01-01", periods=2))
    >>> check_prices(frame, source="mine")
    Traceback (most recent call last):
    ...
    riskalloc.core._errors.DataError: mine: asset 'A' has an implausible price 1e+308 ...
    """
    check_column_names(prices.columns, source=source, words=PRICE_WORDS)
    check_date_range(pd.DatetimeIndex(prices.index), source=source)
    numeric = pd.DataFrame(
        {
            position: _numbers_only(prices.iloc[:, position], prices.columns[position], source)
            for position in range(prices.shape[1])
        },
        index=prices.index,
    )
    numeric.columns = prices.columns
    _check_values(numeric, source=source, words=PRICE_WORDS, positive=True)
    check_price_magnitude(numeric, source=source)
    check_daily_moves(numeric, source=source, max_daily_return=max_daily_return)
    return numeric


def validate_prices(
    frame: pd.DataFrame,
    *,
    source: str = "prices",
    fill_limit: int = DEFAULT_FILL_LIMIT,
    date_format: str | None = None,
    max_daily_return: float | None = DEFAULT_MAX_DAILY_RETURN,
) -> pd.DataFrame:
    """Check and clean a wide frame of adjusted close prices.

    The frame's index holds the dates (see :func:`validate_dated_frame`: year-first
    text, datetimes, or text in ``date_format``); each column is one asset. The cleaned
    frame has a sorted unique ``DatetimeIndex`` and float columns.

    - everything :func:`validate_dated_frame` and :func:`check_prices` refuse raises
      :class:`DataError` naming the column/date: unreadable, ambiguous, duplicate or
      implausible dates, non-numeric, zero, negative or implausibly large prices, a
      move beyond ``max_daily_return`` (None: no bound), a column with no price;
    - unsorted dates are sorted, with a warning;
    - a gap of at most ``fill_limit`` days is filled forward from the last price
      (the past only); longer gaps stay missing; leading gaps are never filled, so
      the asset simply starts later. Nothing is ever back-filled.
    """
    if fill_limit < 0:
        raise DataError(f"{source}: fill_limit must be >= 0, got {fill_limit}")
    numeric = validate_dated_frame(
        frame, source=source, words=PRICE_WORDS, positive=True, date_format=date_format
    )
    numeric = check_prices(numeric, source=source, max_daily_return=max_daily_return)
    # Forward-fill from the past only, at most `fill_limit` days. `limit_area="inside"`
    # leaves the tail after an asset's last price alone, as well as the leading gap.
    return numeric.ffill(limit=fill_limit or None, limit_area="inside") if fill_limit else numeric


def _to_float(column: pd.Series, name: str, source: str, words: Vocabulary) -> pd.Series:
    if pd.api.types.is_bool_dtype(column):
        raise DataError(f"{source}: column '{name}' holds true/false values, not {words.kind}")
    if pd.api.types.is_numeric_dtype(column):
        return column.astype(float)
    text = column.astype("string").str.strip()
    missing = column.isna() | text.isin(["", "nan", "NaN", "NA", "N/A", "null", "None"])
    converted = pd.to_numeric(text.where(~missing), errors="coerce")
    unreadable = converted.isna() & ~missing
    if unreadable.any():
        where = unreadable.idxmax()
        raise DataError(
            f"{source}: column '{name}' has a non-numeric value {column.loc[where]!r} "
            f"on {_day(where)}"
        )
    return converted.astype(float)


def _numbers_only(column: pd.Series, name: Hashable, source: str) -> pd.Series:
    """A column of a DataFrame as floats: numbers only, never text or true/false."""
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        raise DataError(f"{source}: column '{name}' holds true/false values, not prices")
    if pd.api.types.is_complex_dtype(dtype):
        raise DataError(f"{source}: column '{name}' holds complex numbers, not prices")
    if pd.api.types.is_numeric_dtype(dtype):
        return column.astype(float)
    for where, value in column[column.notna()].items():
        if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
            raise DataError(
                f"{source}: column '{name}' holds {type(value).__name__} values ({value!r} on "
                f"{_day(where)}), not prices; convert it to numbers first (pd.to_numeric)"
            )
    return column.astype(float)


def check_complete(prices: pd.DataFrame, *, source: str, span: str = "the test span") -> None:
    """Raise if any asset lacks a price on some date of ``prices`` (e.g. the test span)."""
    missing = prices.isna()
    if not missing.any().any():
        return
    problems = []
    for column in prices.columns[missing.any()]:
        dates = prices.index[missing[column].to_numpy()]
        problems.append(f"'{column}' from {_day(dates[0])} ({len(dates)} day(s))")
    raise DataError(
        f"{source}: missing prices in {span} for asset {'; '.join(problems)}. "
        "Drop the asset, start the test span after its first price, or supply the prices."
    )
