"""Reading user prices from CSV and Parquet files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from riskalloc.core import DataError
from riskalloc.data._validation import DEFAULT_FILL_LIMIT, PRICE_WORDS, Vocabulary, validate_prices

__all__ = ["load_groups", "load_prices", "load_prices_and_rate", "read_dated_file"]

_DATE_NAMES = ("date", "dates", "time", "timestamp", "datetime", "day")


def read_dated_file(
    path: str | Path, *, words: Vocabulary = PRICE_WORDS
) -> tuple[pd.DataFrame, str]:
    """Read a CSV or Parquet table indexed by its date column (not yet validated).

    The date column is the one named ``date``/``Date`` (or ``time``, ``timestamp``
    ...), otherwise the first column. Returns the raw frame and the file's name
    for messages; unreadable files, unknown types and repeated column names
    raise :class:`DataError`.
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
            # duplicated column from validation; check the header as written in the file.
            header = pd.read_csv(
                path, header=None, nrows=1, dtype=str, keep_default_na=False, skipinitialspace=True
            ).iloc[0]
            names = pd.Index([str(name).strip() for name in header])
            repeated = names[names.duplicated() & (names != "")].unique().tolist()
            if repeated:
                raise DataError(
                    f"{source}: duplicate {words.column} column(s) {', '.join(repeated)}"
                )
        else:
            raise DataError(f"{source}: unknown file type; use .csv or .parquet")
    except DataError:
        raise
    except Exception as error:  # parser errors from pandas/pyarrow, named by file
        raise DataError(f"{source}: cannot read the file ({error})") from error
    if raw.shape[1] < 2:
        raise DataError(f"{source}: needs a date column and at least one {words.content} column")
    lowered = [str(column).strip().lower() for column in raw.columns]
    date_column = next(
        (raw.columns[i] for i, name in enumerate(lowered) if name in _DATE_NAMES), raw.columns[0]
    )
    return raw.set_index(date_column), source


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
    frame, source = read_dated_file(path, words=PRICE_WORDS)
    return validate_prices(frame, source=source, fill_limit=fill_limit)


def load_prices_and_rate(
    path: str | Path, rate_column: str, *, fill_limit: int = DEFAULT_FILL_LIMIT
) -> tuple[pd.DataFrame, pd.Series]:
    """Prices of a file whose column ``rate_column`` is a risk-free rate, not an asset.

    The rate column holds annual rates as decimals (0.05 for 5 %), dated like the
    prices: the rate known at that close. It is taken out of the assets; its dates
    are read and checked with the prices' (it rides through the same validation as
    ``1 + rate``, which is positive for any rate above -1; gaps are filled forward
    like prices).

    Returns
    -------
    (prices, rates)
        The validated prices without the rate column, and the annual rates by date
        (missing values dropped: the last known rate stays in force).
    """
    frame, source = read_dated_file(path, words=PRICE_WORDS)
    names = [str(column).strip() for column in frame.columns]
    if rate_column not in names:
        raise DataError(
            f"{source}: no column '{rate_column}' for the risk-free rate; columns: "
            + ", ".join(names)
        )
    position = names.index(rate_column)
    raw_rate = frame.iloc[:, position]
    numbers = pd.to_numeric(raw_rate.replace("", None), errors="coerce")
    bad = raw_rate[numbers.isna() & raw_rate.notna() & (raw_rate.astype(str).str.strip() != "")]
    if len(bad):
        raise DataError(
            f"{source}: column '{rate_column}' row {bad.index[0]!r}: {bad.iloc[0]!r} is not a rate"
        )
    if (numbers <= -1).any():
        at = numbers.index[(numbers <= -1).to_numpy()][0]
        raise DataError(f"{source}: column '{rate_column}' on {at}: a rate must be above -1")
    if frame.shape[1] < 2:
        raise DataError(f"{source}: no asset columns besides the rate '{rate_column}'")
    shifted = frame.copy()
    shifted.isetitem(position, 1.0 + numbers)
    validated = validate_prices(shifted, source=source, fill_limit=fill_limit)
    rates = (validated[rate_column] - 1.0).dropna().rename(rate_column)
    return validated.drop(columns=[rate_column]), rates


def load_groups(path: str | Path) -> dict[str, str]:
    """Read an asset -> group mapping (e.g. sectors) from a CSV with columns ``asset,group``.

    Examples
    --------
    ``sectors.csv``::

        asset,group
        AAPL,tech
        MSFT,tech
        JPM,financials
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except Exception as error:
        raise DataError(f"{path.name}: cannot read the file ({error})") from error
    columns = {str(c).strip().lower(): c for c in frame.columns}
    if "asset" not in columns or "group" not in columns:
        raise DataError(
            f"{path.name}: needs the columns 'asset' and 'group', found {list(frame.columns)}"
        )
    assets = frame[columns["asset"]].str.strip()
    groups = frame[columns["group"]].str.strip()
    empty = assets.eq("") | groups.eq("")
    if empty.any():
        raise DataError(
            f"{path.name}: row {int(empty.to_numpy().argmax()) + 2} has an empty asset or group"
        )
    repeated = assets[assets.duplicated()]
    if len(repeated):
        raise DataError(f"{path.name}: asset '{repeated.iloc[0]}' is listed twice")
    return dict(zip(assets, groups, strict=True))
