"""Validation of user prices: every problem is named by column and date."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskalloc.core import DataError

__all__ = [
    "DEFAULT_FILL_LIMIT",
    "FEATURE_WORDS",
    "PRICE_WORDS",
    "Vocabulary",
    "check_complete",
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


def validate_dated_frame(
    frame: pd.DataFrame,
    *,
    source: str,
    words: Vocabulary = PRICE_WORDS,
    positive: bool = False,
) -> pd.DataFrame:
    """Check a wide table of numbers by date; every problem is named by column and date.

    The frame's index holds the dates (anything ``pandas.to_datetime`` parses).
    Unparseable or duplicate dates, repeated column names, non-numeric or
    infinite values, a column with no value at all, and (with ``positive``)
    zero or negative values raise :class:`DataError`; unsorted dates are sorted
    with a warning. Missing values stay NaN: filling is the caller's decision.
    """
    if frame.shape[1] == 0:
        raise DataError(f"{source}: no {words.column} columns after the date column")
    frame = frame.copy()
    frame.columns = [str(column).strip() for column in frame.columns]
    duplicated_columns = frame.columns[frame.columns.duplicated()].unique().tolist()
    if duplicated_columns:
        raise DataError(
            f"{source}: duplicate {words.column} column(s) {', '.join(duplicated_columns)}"
        )

    frame.index = _parse_dates(frame.index, source)
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

    numeric = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = _to_float(frame[column], column, source, words)
        if values.isna().all():
            raise DataError(
                f"{source}: column '{column}' has no {words.values} (every value is missing)"
            )
        if positive:
            bad = values[values <= 0]
            if len(bad):
                raise DataError(
                    f"{source}: column '{column}' has a non-positive {words.value} "
                    f"({bad.iloc[0]:g}) on {_day(bad.index[0])}"
                )
        infinite = values[np.isinf(values)]
        if len(infinite):
            raise DataError(
                f"{source}: column '{column}' has an infinite {words.value} on {_day(infinite.index[0])}"
            )
        numeric[column] = values
    return numeric


def validate_prices(
    frame: pd.DataFrame, *, source: str = "prices", fill_limit: int = DEFAULT_FILL_LIMIT
) -> pd.DataFrame:
    """Check and clean a wide frame of adjusted close prices.

    The frame's index holds the dates (anything ``pandas.to_datetime`` parses);
    each column is one asset. The cleaned frame has a sorted unique
    ``DatetimeIndex`` and float columns.

    - unparseable or duplicate dates, non-numeric, zero or negative prices, and a
      column with no price at all raise :class:`DataError` naming the column/date;
    - unsorted dates are sorted, with a warning;
    - a gap of at most ``fill_limit`` days is filled forward from the last price
      (the past only); longer gaps stay missing; leading gaps are never filled, so
      the asset simply starts later. Nothing is ever back-filled.
    """
    if fill_limit < 0:
        raise DataError(f"{source}: fill_limit must be >= 0, got {fill_limit}")
    numeric = validate_dated_frame(frame, source=source, words=PRICE_WORDS, positive=True)
    # Forward-fill from the past only, at most `fill_limit` days. `limit_area="inside"`
    # leaves the tail after an asset's last price alone, as well as the leading gap.
    return numeric.ffill(limit=fill_limit or None, limit_area="inside") if fill_limit else numeric


def _parse_dates(index: pd.Index, source: str) -> pd.DatetimeIndex:
    if isinstance(index, pd.DatetimeIndex):
        parsed = index
    else:
        parsed = pd.to_datetime(pd.Index(index), errors="coerce", format="mixed")
    if getattr(parsed, "tz", None) is not None:
        parsed = parsed.tz_localize(None)
    if parsed.isna().any():
        position = int(np.flatnonzero(parsed.isna())[0])
        raise DataError(
            f"{source}: cannot read date {index[position]!r} (row {position + 1} of the data)"
        )
    return pd.DatetimeIndex(parsed).normalize()


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
