"""User feature columns (macro series, sentiment) from a file aligned by date.

Each column is one per-date series shared by every asset. The date of a row is
taken as the day its value became known: on a decision date the feature holds
the latest value dated on or before it (forward-filled from the past, never
back-filled). Shift a series yourself if it is published with a lag.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from riskalloc._errors import DataError

__all__ = ["align_extra_features", "load_extra_features", "validate_extra_features"]

_DATE_NAMES = ("date", "dates", "time", "timestamp", "datetime", "day")
_MISSING = ("", "nan", "NaN", "NA", "N/A", "null", "None")


def load_extra_features(path: str | Path) -> pd.DataFrame:
    """Load extra feature columns from a CSV or Parquet file and validate them.

    The file holds a date column (the one named ``date``/``Date``, otherwise the
    first column) and one numeric column per feature. Values may be negative;
    blanks are missing and are filled forward from the past when aligned to the
    trading dates.

    Returns
    -------
    pandas.DataFrame
        Sorted unique dates by feature columns, floats, missing values as NaN.

    Examples
    --------
    ``macro.csv``::

        date,vix,term_spread
        2010-01-04,20.04,2.79
        2010-01-05,19.35,

    >>> extra = load_extra_features("macro.csv")            # doctest: +SKIP
    >>> builder = FeatureBuilder(extra=extra)              # doctest: +SKIP
    """
    path = Path(path)
    source = path.name
    if not path.exists():
        raise DataError(f"{path}: no such file")
    suffixes = [s.lower() for s in path.suffixes]
    try:
        if suffixes and suffixes[-1] in (".parquet", ".pq"):
            raw = pd.read_parquet(path)
            if isinstance(raw.index, pd.DatetimeIndex):
                raw = raw.reset_index()
        elif ".csv" in suffixes or ".txt" in suffixes:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
            header = pd.read_csv(
                path, header=None, nrows=1, dtype=str, keep_default_na=False, skipinitialspace=True
            ).iloc[0]
            names = pd.Index([str(name).strip() for name in header])
            repeated = names[names.duplicated() & (names != "")].unique().tolist()
            if repeated:
                raise DataError(f"{source}: duplicate feature column(s) {', '.join(repeated)}")
        else:
            raise DataError(f"{source}: unknown file type; use .csv or .parquet")
    except DataError:
        raise
    except Exception as error:  # parser errors from pandas/pyarrow, named by file
        raise DataError(f"{source}: cannot read the file ({error})") from error
    if raw.shape[1] < 2:
        raise DataError(f"{source}: needs a date column and at least one feature column")
    lowered = [str(column).strip().lower() for column in raw.columns]
    date_column = next(
        (raw.columns[i] for i, name in enumerate(lowered) if name in _DATE_NAMES), raw.columns[0]
    )
    return validate_extra_features(raw.set_index(date_column), source=source)


def validate_extra_features(frame: pd.DataFrame, *, source: str = "extra") -> pd.DataFrame:
    """Check a frame of extra feature columns (dates by columns); every problem is named.

    Unparseable or duplicate dates, a non-numeric or infinite value, and a column
    with no value at all raise :class:`DataError` naming the column and date;
    unsorted dates are sorted with a warning. Missing values stay NaN.
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{source}: extra features must be a pandas DataFrame, got {type(frame)}")
    if frame.shape[1] == 0:
        raise DataError(f"{source}: no feature columns after the date column")
    frame = frame.copy()
    frame.columns = [str(column).strip() for column in frame.columns]
    repeated = frame.columns[frame.columns.duplicated()].unique().tolist()
    if repeated:
        raise DataError(f"{source}: duplicate feature column(s) {', '.join(repeated)}")
    frame.index = _parse_dates(frame.index, source)
    duplicated = frame.index[frame.index.duplicated()]
    if len(duplicated):
        raise DataError(f"{source}: duplicate date {duplicated[0].date()}")
    if not frame.index.is_monotonic_increasing:
        warnings.warn(f"{source}: dates were not in order; sorted them", UserWarning, stacklevel=3)
        frame = frame.sort_index(kind="stable")
    frame.index.name = "date"
    numeric = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = _to_float(frame[column], column, source)
        if values.isna().all():
            raise DataError(f"{source}: column '{column}' has no values (every value is missing)")
        infinite = values[np.isinf(values)]
        if len(infinite):
            raise DataError(
                f"{source}: column '{column}' has an infinite value on {infinite.index[0].date()}"
            )
        numeric[column] = values
    return numeric


def align_extra_features(extra: pd.DataFrame, dates: pd.DatetimeIndex) -> np.ndarray:
    """Values on each of ``dates``: per column, the latest value dated on or before it.

    Returns ``(len(dates), columns)``; NaN before a column's first value.
    """
    dates = pd.DatetimeIndex(dates)
    filled = extra.ffill().to_numpy(dtype=float)  # along the file's own dates: the past only
    last_known = extra.index.searchsorted(dates, side="right") - 1
    values = filled[np.clip(last_known, 0, None)]
    values[last_known < 0] = np.nan
    return values


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


def _to_float(column: pd.Series, name: str, source: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(column):
        raise DataError(f"{source}: column '{name}' holds true/false values, not numbers")
    if pd.api.types.is_numeric_dtype(column):
        return column.astype(float)
    text = column.astype("string").str.strip()
    missing = column.isna() | text.isin(_MISSING)
    converted = pd.to_numeric(text.where(~missing), errors="coerce")
    unreadable = converted.isna() & ~missing
    if unreadable.any():
        where = unreadable.idxmax()
        raise DataError(
            f"{source}: column '{name}' has a non-numeric value {column.loc[where]!r} "
            f"on {pd.Timestamp(where).date()}"
        )
    return converted.astype(float)
