"""Reading user prices from CSV and Parquet files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from riskalloc._errors import DataError
from riskalloc.data._validation import DEFAULT_FILL_LIMIT, validate_prices

__all__ = ["load_prices"]

_DATE_NAMES = ("date", "dates", "time", "timestamp", "datetime", "day")


def load_prices(path: str | Path, *, fill_limit: int = DEFAULT_FILL_LIMIT) -> pd.DataFrame:
    """Load adjusted close prices from a CSV or Parquet file and validate them.

    The file holds a date column (the one named ``date``/``Date``, otherwise the
    first column) and one column of adjusted close prices per asset.

    Parameters
    ----------
    path : str or Path
        ``.csv`` (optionally ``.gz``) or ``.parquet``/``.pq`` file.
    fill_limit : int
        Longest run of missing prices filled forward (never backward).

    Returns
    -------
    pandas.DataFrame
        Dates by assets, float prices, sorted unique dates.

    Examples
    --------
    >>> prices = load_prices("my_prices.csv")          # doctest: +SKIP
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
            # pandas renames a repeated header ('A', 'A' -> 'A', 'A.1'), which would hide a
            # duplicated asset from validation; check the header as written in the file.
            header = pd.read_csv(
                path, header=None, nrows=1, dtype=str, keep_default_na=False, skipinitialspace=True
            ).iloc[0]
            names = pd.Index([str(name).strip() for name in header])
            repeated = names[names.duplicated() & (names != "")].unique().tolist()
            if repeated:
                raise DataError(f"{source}: duplicate asset column(s) {', '.join(repeated)}")
        else:
            raise DataError(f"{source}: unknown file type; use .csv or .parquet")
    except DataError:
        raise
    except Exception as error:  # parser errors from pandas/pyarrow, named by file
        raise DataError(f"{source}: cannot read the file ({error})") from error
    if raw.shape[1] < 2:
        raise DataError(f"{source}: needs a date column and at least one price column")
    lowered = [str(column).strip().lower() for column in raw.columns]
    date_column = next(
        (raw.columns[i] for i, name in enumerate(lowered) if name in _DATE_NAMES), raw.columns[0]
    )
    frame = raw.set_index(date_column)
    return validate_prices(frame, source=source, fill_limit=fill_limit)
