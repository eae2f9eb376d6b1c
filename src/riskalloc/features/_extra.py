"""User feature columns (macro series, sentiment) from a file aligned by date.

Each column is one per-date series shared by every asset. The date of a row is
taken as the day its value became known: on a decision date the feature holds
the latest value dated on or before it (forward-filled from the past, never
back-filled). Shift a series yourself if it is published with a lag.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from riskalloc.core import DataError
from riskalloc.data import FEATURE_WORDS, read_dated_file, validate_dated_frame

__all__ = ["align_extra_features", "load_extra_features", "validate_extra_features"]


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
    frame, source = read_dated_file(path, words=FEATURE_WORDS)
    return validate_extra_features(frame, source=source)


def validate_extra_features(frame: pd.DataFrame, *, source: str = "extra") -> pd.DataFrame:
    """Check a frame of extra feature columns (dates by columns); every problem is named.

    The checks of :func:`riskalloc.data.validate_dated_frame`: unparseable or
    duplicate dates, a non-numeric or infinite value, and a column with no value
    at all raise :class:`DataError` naming the column and date; unsorted dates
    are sorted with a warning. Values may be negative; missing values stay NaN.
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{source}: extra features must be a pandas DataFrame, got {type(frame)}")
    return validate_dated_frame(frame, source=source, words=FEATURE_WORDS)


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
