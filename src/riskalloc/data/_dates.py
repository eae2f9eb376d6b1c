"""Reading the date column of a user table: year-first dates, or the format the user gives.

A date such as ``01/02/2019`` is the 1st of February to some readers and the 2nd of
January to others, and guessing per value (as a lenient parser does) silently
reorders a file. So text dates are read only when they are year-first
(``2019-02-01``, ``2019/02/01``, ``20190201``, with an optional time and UTC offset),
or with an explicit format (``date_format="%d/%m/%Y"``, ``--date-format``).

The date of a row is its calendar day as written: a time of day and a UTC offset are
dropped, never converted. A daily close stamped ``2019-03-08T16:00-05:00`` is the
8th of March however the offset changes (daylight saving time), so a file with mixed
offsets reads the same as one without them.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Hashable

import numpy as np
import pandas as pd

from riskalloc.core import ConfigError, DataError

__all__ = [
    "EARLIEST_DATE",
    "check_date_format",
    "check_date_range",
    "is_year_first",
    "latest_plausible_date",
    "parse_date",
    "parse_dates",
]

#: Dates before this are refused: no price series of a traded asset starts earlier.
EARLIEST_DATE = pd.Timestamp("1900-01-01")
#: Dates may run this far past today (a file of scheduled dates, a clock a little ahead).
_AHEAD = pd.Timedelta(days=366)

_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?"
_OFFSET = r"(?:\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?))?"
_YEAR_FIRST = re.compile(
    r"^(?P<year>\d{4})(?:(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})"
    r"|(?P<month8>\d{2})(?P<day8>\d{2}))" + _TIME + _OFFSET + r"$"
)
# Day-first or month-first numeric dates: 31/01/2019, 01-02-19, 1.2.2019 ...
_SHORT_FIRST = re.compile(
    r"^(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{2}|\d{4})\b"
)
_MISSING_TEXT = frozenset({"", "nan", "nat", "none", "null", "na", "n/a"})


def is_year_first(text: str) -> bool:
    """Whether ``text`` is a year-first date (``2019-01-31``, ``2019/1/31``, ``20190131``,
    with an optional time and UTC offset): the only text read without a format."""
    return _YEAR_FIRST.match(text.strip()) is not None


def parse_date(value: object, *, source: str) -> pd.Timestamp:
    """One date a user gives (a test start): year-first text or a date, at its local day
    and time; anything else is a :class:`ConfigError` naming ``source``.

    Examples
    --------
    >>> parse_date("2019-01-31", source="test_start")
    Timestamp('2019-01-31 00:00:00')
    """
    if isinstance(value, str) and not is_year_first(value):
        raise ConfigError(f"{source}: cannot read the date {value!r}; write YYYY-MM-DD")
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (ValueError, TypeError, OverflowError) as error:
        raise ConfigError(f"{source}: cannot read the date {value!r}") from error
    if stamp is pd.NaT:
        raise ConfigError(f"{source}: cannot read the date {value!r}")
    return stamp if stamp.tzinfo is None else stamp.tz_localize(None)


def latest_plausible_date() -> pd.Timestamp:
    """The last date a price file may hold: a year after today."""
    return pd.Timestamp.today().normalize() + _AHEAD


def check_date_format(date_format: str | None) -> str | None:
    """``date_format`` when it is a ``strftime`` format naming a year, a month and a day.

    pandas' ``"mixed"`` and ``"ISO8601"`` are not formats: ``mixed`` guesses per value,
    which is what an explicit format is there to prevent.
    """
    if date_format is None:
        return None
    if not isinstance(date_format, str) or not date_format.strip():
        raise ConfigError(
            f"date format: give a strftime format such as %d/%m/%Y, got {date_format!r}"
        )
    has_year = "%Y" in date_format or "%y" in date_format
    has_day = ("%d" in date_format and any(m in date_format for m in ("%m", "%b", "%B"))) or (
        "%j" in date_format
    )
    if not (has_year and has_day):
        raise ConfigError(
            f"date format {date_format!r} must name the year (%Y), month (%m or %b) and day "
            "(%d), e.g. %d/%m/%Y"
        )
    return date_format


def parse_dates(
    values: pd.Index | pd.Series,
    *,
    source: str,
    column: Hashable = None,
    date_format: str | None = None,
) -> pd.DatetimeIndex:
    """The dates of a table's rows, at midnight, or a :class:`DataError` naming the value.

    Parameters
    ----------
    values : Index or Series
        The date column as read: text, datetimes (with or without a time zone), or
        Python ``date`` objects. Numbers and booleans are not dates.
    source : str
        The file's name, for messages.
    column : hashable
        The date column's name, for messages.
    date_format : str, optional
        A ``strftime`` format every value follows (``"%d/%m/%Y"``). Without one, text
        must be year-first; day-first and month-first dates are refused with a pointer
        to the format, since one of them would be misread.

    Examples
    --------
    >>> parse_dates(pd.Index(["2019-01-31", "2019-02-01T16:00-05:00"]), source="f.csv")
    DatetimeIndex(['2019-01-31', '2019-02-01'], dtype='datetime64[us]', freq=None)
    """
    date_format = check_date_format(date_format)
    named = f"date column '{column}'" if column is not None else "the dates"
    series = pd.Series(values).reset_index(drop=True)
    if _is_datetime(series):
        parsed = _wall_clock(pd.DatetimeIndex(series))
    elif pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        parsed = _from_numbers(series, source, named, date_format)
    else:
        parsed = _from_objects(series, source, named, date_format)
    _check_missing(parsed, series, source, named)
    return parsed.normalize()


def check_date_range(dates: pd.DatetimeIndex, *, source: str) -> None:
    """Refuse a price date before 1900 or more than a year after today, naming it.

    Such a date is a misread one (a two-digit year, a day-first date read with the
    wrong format, a number read as a date), not a price.
    """
    if len(dates) == 0:
        return
    latest = latest_plausible_date()
    dates = pd.DatetimeIndex(dates)
    outside = np.asarray((dates < EARLIEST_DATE) | (dates > latest))
    if not outside.any():
        return
    day = dates[int(np.flatnonzero(outside)[0])].date()
    raise DataError(
        f"{source}: date {day} is outside the plausible range {EARLIEST_DATE.date()} .. "
        f"{latest.date()}; check the date column and its format"
    )


# --- the kinds of date column ----------------------------------------------------------------


def _is_datetime(values: object) -> bool:
    return isinstance(getattr(values, "dtype", None), pd.DatetimeTZDtype) or (
        pd.api.types.is_datetime64_any_dtype(getattr(values, "dtype", None))
    )


def _wall_clock(dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The local date and time as written: a time zone is dropped, not converted."""
    return dates if dates.tz is None else dates.tz_localize(None)


@functools.cache
def _text_unit() -> str:
    """The resolution pandas gives dates read from text; dates read here get it too, so
    a file's data fingerprint does not depend on how its dates were written."""
    return pd.to_datetime(pd.Index(["2020-01-02"]), format="ISO8601").unit


def _from_numbers(
    series: pd.Series, source: str, named: str, date_format: str | None
) -> pd.DatetimeIndex:
    # An integer is not a date (1, 2, 3 would read as instants of 1970-01-01); with an
    # explicit format, integers such as 20190131 are read as the text they were.
    integral = pd.api.types.is_integer_dtype(series) and not pd.api.types.is_bool_dtype(series)
    if date_format is not None and integral:
        return _from_objects(series.astype(str), source, named, date_format)
    example = series.dropna().iloc[0] if series.notna().any() else series.iloc[0]
    raise DataError(
        f"{source}: {named} holds {'true/false values' if pd.api.types.is_bool_dtype(series) else 'numbers'} "
        f"(e.g. {example!r}), not dates; write dates as YYYY-MM-DD or name the date column 'date'"
    )


def _from_objects(
    series: pd.Series, source: str, named: str, date_format: str | None
) -> pd.DatetimeIndex:
    values = series.astype(object)
    present = values[~_missing_mask(values)]
    if len(present) and all(isinstance(v, dt.date | np.datetime64) for v in present):
        # Python dates and datetimes (a Parquet date32 column, a frame of Timestamps).
        stamps = [pd.NaT if _is_missing(v) else _naive(pd.Timestamp(v)) for v in values]
        return _in_text_unit(pd.DatetimeIndex(stamps), source)
    not_text = [v for v in present if not isinstance(v, str)]
    if not_text:
        raise DataError(
            f"{source}: {named} holds {type(not_text[0]).__name__} values (e.g. {not_text[0]!r}), "
            "not dates"
        )
    text = values.where(~_missing_mask(values), "").astype(str).str.strip()
    if date_format is not None:
        return _with_format(text, source, date_format)
    return _year_first(text, source, named)


def _year_first(text: pd.Series, source: str, named: str) -> pd.DatetimeIndex:
    parts = text.str.extract(_YEAR_FIRST)
    blank = text.eq("")
    unread = parts["year"].isna() & ~blank
    if unread.any():
        _refuse_text(text, unread, source, named)
    month = parts["month"].fillna(parts["month8"])
    day = parts["day"].fillna(parts["day8"])
    numbers = pd.DataFrame({"year": parts["year"], "month": month, "day": day})
    numbers = numbers.apply(pd.to_numeric, errors="coerce")
    canonical = (
        numbers["year"].map("{:04.0f}".format)
        + numbers["month"].map("-{:02.0f}".format)
        + numbers["day"].map("-{:02.0f}".format)
    )
    stamps = pd.to_datetime(canonical.where(~blank), format="%Y-%m-%d", errors="coerce")
    impossible = stamps.isna() & ~blank
    if impossible.any():
        position = int(np.flatnonzero(impossible.to_numpy())[0])
        raise DataError(
            f"{source}: cannot read date {text.iloc[position]!r} (row {position + 1} of the "
            "data): no such day, or outside the dates pandas holds"
        )
    return pd.DatetimeIndex(stamps).as_unit(_text_unit())


def _refuse_text(text: pd.Series, unread: pd.Series, source: str, named: str) -> None:
    """A one-line error for text that is not a year-first date; for day-first or
    month-first dates it says which the whole column reads as, and the format to give."""
    position = int(np.flatnonzero(unread.to_numpy())[0])
    value = text.iloc[position]
    short = text[unread].str.extract(_SHORT_FIRST)
    if short["a"].notna().all():
        first = pd.to_numeric(short["a"])
        second = pd.to_numeric(short["b"])
        separator = short["sep"].iloc[0]
        year = "%Y" if short["year"].str.len().eq(4).all() else "%y"
        day_first = (first > 12).any()
        month_first = (second > 12).any()
        if day_first and not month_first:
            reading = (
                f"the column reads as day-first: --date-format %d{separator}%m{separator}{year}"
            )
        elif month_first and not day_first:
            reading = (
                f"the column reads as month-first: --date-format %m{separator}%d{separator}{year}"
            )
        elif day_first and month_first:
            reading = "the column mixes day-first and month-first dates"
        else:
            reading = (
                f"e.g. {value!r} is ambiguous: --date-format %d{separator}%m{separator}{year} "
                f"(day first) or %m{separator}%d{separator}{year} (month first)"
            )
        raise DataError(
            f"{source}: {named} holds dates like {value!r} (row {position + 1}) that are not "
            f"year-first, and day-first or month-first cannot be told safely; {reading} "
            "(date_format= in Python), or write dates as YYYY-MM-DD"
        )
    raise DataError(
        f"{source}: cannot read date {value!r} (row {position + 1} of the data); write dates "
        "as YYYY-MM-DD or give their format with --date-format (date_format= in Python)"
    )


def _with_format(text: pd.Series, source: str, date_format: str) -> pd.DatetimeIndex:
    stamps = []
    for position, value in enumerate(text):
        if value == "":
            stamps.append(pd.NaT)
            continue
        try:
            parsed = dt.datetime.strptime(value, date_format)
        except ValueError:
            raise DataError(
                f"{source}: cannot read date {value!r} (row {position + 1} of the data) with "
                f"the date format {date_format!r}"
            ) from None
        stamps.append(pd.Timestamp(parsed.replace(tzinfo=None)))  # the wall-clock date
    return _in_text_unit(pd.DatetimeIndex(stamps), source)


def _in_text_unit(dates: pd.DatetimeIndex, source: str) -> pd.DatetimeIndex:
    try:
        return dates.as_unit(_text_unit())
    except (OverflowError, pd.errors.OutOfBoundsDatetime):
        present = dates[dates.notna()]
        raise DataError(
            f"{source}: the dates run from {present.min().date()} to {present.max().date()}, "
            "beyond the dates pandas holds"
        ) from None


def _naive(stamp: pd.Timestamp) -> pd.Timestamp:
    return stamp if stamp is pd.NaT or stamp.tzinfo is None else stamp.tz_localize(None)


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and value.strip().lower() in _MISSING_TEXT


def _missing_mask(values: pd.Series) -> pd.Series:
    return values.map(_is_missing).astype(bool)


def _check_missing(parsed: pd.DatetimeIndex, raw: pd.Series, source: str, named: str) -> None:
    if parsed.isna().any():
        position = int(np.flatnonzero(parsed.isna())[0])
        raise DataError(
            f"{source}: {named} has no date in row {position + 1} of the data "
            f"({raw.iloc[position]!r})"
        )
