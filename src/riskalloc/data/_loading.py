"""Reading user prices from CSV and Parquet files."""

from __future__ import annotations

import bz2
import gzip
import lzma
import zipfile
from pathlib import Path

import pandas as pd

from riskalloc.core import DataError
from riskalloc.data._dates import parse_dates
from riskalloc.data._plausibility import DEFAULT_MAX_DAILY_RETURN
from riskalloc.data._validation import DEFAULT_FILL_LIMIT, PRICE_WORDS, Vocabulary, validate_prices

__all__ = [
    "MAX_FILE_BYTES",
    "load_groups",
    "load_prices",
    "load_prices_and_rate",
    "read_dated_file",
]

#: The largest file read (512 MiB of data, uncompressed): checked before reading, so a
#: huge file fails at once instead of after filling the memory. A Parquet file of the
#: same prices is several times smaller than its CSV.
MAX_FILE_BYTES = 512 * 2**20

_DATE_NAMES = ("date", "dates", "time", "timestamp", "datetime", "day")
_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


def read_dated_file(
    path: str | Path,
    *,
    words: Vocabulary = PRICE_WORDS,
    date_format: str | None = None,
    max_file_bytes: int = MAX_FILE_BYTES,
) -> tuple[pd.DataFrame, str]:
    """Read a CSV or Parquet table indexed by its dates (values not yet validated).

    The date column is the one named ``date``/``Date`` (or ``time``, ``timestamp``
    ...), otherwise the first column; its values are read by
    :func:`~riskalloc.data.parse_dates` (year-first text, datetimes, or text in
    ``date_format``). Returns the frame, indexed by the dates and named after the date
    column, and the file's name for messages. A missing, unreadable or too large file
    (over ``max_file_bytes`` of data), an unknown type, an empty or repeated column
    header and an unreadable date raise :class:`DataError`.
    """
    path = Path(path)
    source = path.name
    if not path.is_file():
        raise DataError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    suffixes = [s.lower() for s in path.suffixes]
    try:
        if suffixes and suffixes[-1] in (".parquet", ".pq"):
            _check_parquet_size(path, source, max_file_bytes)
            raw = pd.read_parquet(path)
            # Dates kept as the index, or any named index (say 'day'), become a column and
            # are read as dates; an unnamed row number is not data.
            named = raw.index.name is not None or isinstance(raw.index, pd.MultiIndex)
            kept = named or isinstance(raw.index, pd.DatetimeIndex)
            raw = raw.reset_index(drop=not kept)
            header = [str(name) if name is not None else "" for name in raw.columns]
        elif ".csv" in suffixes or ".txt" in suffixes:
            _check_text_size(path, source, max_file_bytes)
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
            # pandas renames a repeated header ('A', 'A' -> 'A', 'A.1') and an empty one
            # ('Unnamed: 2'), which would hide them from validation: read the header as written.
            header = (
                pd.read_csv(
                    path,
                    header=None,
                    nrows=1,
                    dtype=str,
                    keep_default_na=False,
                    skipinitialspace=True,
                )
                .iloc[0]
                .tolist()
            )
        else:
            raise DataError(f"{source}: unknown file type; use .csv or .parquet")
    except DataError:
        raise
    except Exception as error:  # parser errors from pandas/pyarrow, named by file
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataError(f"{source}: cannot read the file ({reason})") from error
    if raw.shape[1] < 2:
        raise DataError(f"{source}: needs a date column and at least one {words.content} column")
    if len(header) != raw.shape[1] or not _is_default_index(raw.index):
        raise DataError(
            f"{source}: the rows have more fields than the header's {len(header)} names; "
            "give every column a header"
        )
    names = [str(name).strip() for name in header]
    lowered = [name.lower() for name in names]
    date_position = next((i for i, name in enumerate(lowered) if name in _DATE_NAMES), 0)
    _check_header(names, date_position, source, words)
    date_column = raw.columns[date_position]
    dates = parse_dates(
        raw.iloc[:, date_position],
        source=source,
        column=names[date_position] or None,
        date_format=date_format,
    )
    frame = raw.drop(columns=date_column)
    frame.index = pd.DatetimeIndex(dates, name=names[date_position] or None)
    return frame, source


def _is_default_index(index: pd.Index) -> bool:
    return isinstance(index, pd.RangeIndex) and index.name is None


def _check_header(names: list[str], date_position: int, source: str, words: Vocabulary) -> None:
    """Every column but the date column has a header, and no header repeats."""
    for position, name in enumerate(names):
        if not name and position != date_position:
            raise DataError(
                f"{source}: column {position + 1} of the header is empty; give every "
                f"{words.column} column a name"
            )
    seen = pd.Index(names)
    repeated = seen[seen.duplicated() & (seen != "")].unique().tolist()
    if repeated:
        raise DataError(f"{source}: duplicate {words.column} column(s) {', '.join(repeated)}")


def _size(n: int) -> str:
    if n >= 2**20:
        return f"{n / 2**20:.0f} MiB"
    return f"{n / 2**10:.1f} KiB" if n >= 2**10 else f"{n} bytes"


def _too_large(source: str, size: int, bound: int, what: str) -> DataError:
    return DataError(
        f"{source}: {what} {_size(size)}, above the bound of {_size(bound)} (max_file_bytes); "
        "split the file, or save it as Parquet"
    )


def _check_text_size(path: Path, source: str, bound: int) -> None:
    """The file's size, and for a compressed file the size of its text, within ``bound``."""
    size = path.stat().st_size
    if size > bound:
        raise _too_large(source, size, bound, "the file holds")
    suffix = path.suffix.lower()
    if suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            size = sum(member.file_size for member in archive.infolist())
    elif suffix in _OPENERS:
        size = 0
        with _OPENERS[suffix](path, "rb") as stream:  # counted as it is decompressed
            while size <= bound and (chunk := stream.read(2**20)):
                size += len(chunk)
    if size > bound:
        raise _too_large(source, size, bound, "the file decompresses to over")


def _check_parquet_size(path: Path, source: str, bound: int) -> None:
    import pyarrow.parquet as pq

    size = path.stat().st_size
    if size > bound:
        raise _too_large(source, size, bound, "the file holds")
    metadata = pq.ParquetFile(path).metadata
    size = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    if size > bound:
        raise _too_large(source, size, bound, "the file's data takes")


def load_prices(
    path: str | Path,
    *,
    fill_limit: int = DEFAULT_FILL_LIMIT,
    date_format: str | None = None,
    max_daily_return: float | None = DEFAULT_MAX_DAILY_RETURN,
    max_file_bytes: int = MAX_FILE_BYTES,
) -> pd.DataFrame:
    """Load adjusted close prices from a CSV or Parquet file and validate them.

    The file holds a date column (the one named ``date``/``Date``, otherwise the
    first column) and one column of adjusted close prices per asset.

    Parameters
    ----------
    path : str or Path
        ``.csv`` (optionally ``.gz``) or ``.parquet``/``.pq`` file.
    fill_limit : int
        Longest run of missing prices filled forward (never backward).
    date_format : str, optional
        ``strftime`` format of the dates, e.g. ``"%d/%m/%Y"``. Without it dates must be
        year-first (``2019-01-31``); day-first or month-first dates are refused, never
        guessed.
    max_daily_return : float or None
        Bound on a one-period move (default 9: a rise above 10x or a fall below a
        tenth is an error naming the asset and date); None for no bound.
    max_file_bytes : int
        Largest file read (its data uncompressed), checked before reading.

    Returns
    -------
    pandas.DataFrame
        Dates by assets, float prices, sorted unique dates.

    Examples
    --------
    >>> prices = load_prices("my_prices.csv")          # doctest: +SKIP
    >>> prices = load_prices("european.csv", date_format="%d/%m/%Y")   # doctest: +SKIP
    """
    frame, source = read_dated_file(
        path, words=PRICE_WORDS, date_format=date_format, max_file_bytes=max_file_bytes
    )
    return validate_prices(
        frame, source=source, fill_limit=fill_limit, max_daily_return=max_daily_return
    )


def load_prices_and_rate(
    path: str | Path,
    rate_column: str,
    *,
    fill_limit: int = DEFAULT_FILL_LIMIT,
    date_format: str | None = None,
    max_daily_return: float | None = DEFAULT_MAX_DAILY_RETURN,
    max_file_bytes: int = MAX_FILE_BYTES,
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
    frame, source = read_dated_file(
        path, words=PRICE_WORDS, date_format=date_format, max_file_bytes=max_file_bytes
    )
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
            f"{source}: column '{rate_column}' on {pd.Timestamp(bad.index[0]).date()}: "
            f"{bad.iloc[0]!r} is not a rate"
        )
    if (numbers <= -1).any():
        at = numbers.index[(numbers <= -1).to_numpy()][0]
        raise DataError(
            f"{source}: column '{rate_column}' on {pd.Timestamp(at).date()}: a rate must be above -1"
        )
    if frame.shape[1] < 2:
        raise DataError(f"{source}: no asset columns besides the rate '{rate_column}'")
    shifted = frame.copy()
    shifted.isetitem(position, 1.0 + numbers)
    validated = validate_prices(
        shifted, source=source, fill_limit=fill_limit, max_daily_return=max_daily_return
    )
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
