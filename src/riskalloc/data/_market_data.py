"""`MarketData`: the only way a strategy sees data."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from riskalloc.core import ConfigError, DataError
from riskalloc.data._plausibility import DEFAULT_MAX_DAILY_RETURN
from riskalloc.data._validation import check_prices

__all__ = ["MarketData"]


def _read_only_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose values cannot be written to in place (its ``attrs``, such
    as the mark of a synthetic market, come along; slices keep them)."""
    values = np.array(frame.to_numpy(dtype=float), dtype=float, copy=True)
    values.flags.writeable = False
    copy = pd.DataFrame(values, index=frame.index.copy(), columns=frame.columns.copy(), copy=False)
    copy.attrs = dict(frame.attrs)
    return copy


@dataclass(frozen=True, eq=False)
class MarketData:
    """Aligned daily prices and simple returns over a span, read-only.

    ``returns.loc[t] = prices.loc[t] / prices.loc[t-1] - 1``; the first row of
    returns is NaN, and so is any return whose price (today or yesterday) is
    missing. An asset whose history starts late has NaN before its first price.

    A strategy never gets more than :meth:`until` hands it: the past up to and
    including a decision date. The arrays behind both frames are read-only, so
    code that writes into them raises instead of silently changing the data.

    The prices pass the checks a prices file passes (:func:`~riskalloc.data.check_prices`):
    numbers only, finite, positive, below 10^12, named and unique asset columns, dates
    from 1900 to a year ahead, no one-period move beyond ``max_daily_return``; each
    failure is a :class:`DataError` naming the asset and date. Missing prices (NaN) are
    allowed. A time-zone-aware index keeps its local dates and times, as in a file.

    Parameters
    ----------
    prices : pandas.DataFrame
        Adjusted close prices, a sorted unique ``DatetimeIndex`` by asset columns.
    features : pandas.DataFrame, optional
        Extra per-date columns (market state, macro series) aligned on the same index.
    name : str
        A label for messages (the dataset, scenario or file).
    max_daily_return : float or None
        Bound on a one-period move (default 9: above 10x or below a tenth of the
        previous price is refused); None for no bound.

    Examples
    --------
    >>> import riskalloc as ra
    >>> data = ra.MarketData(ra.load_dataset("sp500"), name="sp500")
    >>> past = data.until("2010-06-30")
    >>> past.prices.index[-1]
    Timestamp('2010-06-30 00:00:00')
    """

    prices: pd.DataFrame
    features: pd.DataFrame | None = None
    name: str = "prices"
    max_daily_return: float | None = field(default=DEFAULT_MAX_DAILY_RETURN, kw_only=True)
    returns: pd.DataFrame = field(init=False, repr=False)

    def __post_init__(self) -> None:
        prices = self.prices
        if not isinstance(prices, pd.DataFrame):
            raise DataError(f"{self.name}: prices must be a pandas DataFrame, got {type(prices)}")
        if not isinstance(prices.index, pd.DatetimeIndex):
            raise DataError(f"{self.name}: prices must be indexed by date (a DatetimeIndex)")
        if prices.index.hasnans:
            raise DataError(f"{self.name}: a date of the prices is missing (NaT)")
        if not prices.index.is_monotonic_increasing or prices.index.has_duplicates:
            raise DataError(f"{self.name}: dates must be sorted and unique")
        if prices.shape[1] == 0:
            raise DataError(f"{self.name}: no asset columns")
        if prices.index.tz is not None:  # the local dates, as a file's dates are read
            prices = prices.set_axis(prices.index.tz_localize(None), axis=0)
            if not prices.index.is_monotonic_increasing or prices.index.has_duplicates:
                raise DataError(f"{self.name}: local dates must be sorted and unique")
        checked = check_prices(prices, source=self.name, max_daily_return=self.max_daily_return)
        checked.attrs = dict(prices.attrs)
        frozen = _read_only_frame(checked)
        # Simple returns from consecutive prices; NaN where either price is missing.
        values = frozen.to_numpy()
        returns = np.full_like(values, np.nan)
        returns[1:] = values[1:] / values[:-1] - 1.0
        returns.flags.writeable = False
        object.__setattr__(self, "prices", frozen)
        object.__setattr__(
            self,
            "returns",
            # copy=False: the frame holds the read-only array itself (pandas 3 would copy it).
            pd.DataFrame(returns, index=frozen.index, columns=frozen.columns, copy=False),
        )
        if self.features is not None:
            features = self.features
            if isinstance(features.index, pd.DatetimeIndex) and features.index.tz is not None:
                features = features.set_axis(features.index.tz_localize(None), axis=0)
            features = features.reindex(frozen.index)
            object.__setattr__(self, "features", _read_only_frame(features))

    # --- shape -------------------------------------------------------------------
    @property
    def assets(self) -> pd.Index:
        """Asset names, in column order."""
        return self.prices.columns

    @property
    def dates(self) -> pd.DatetimeIndex:
        """Trading dates of the span."""
        return self.prices.index  # type: ignore[return-value]

    def __len__(self) -> int:
        return len(self.prices)

    def __repr__(self) -> str:
        if len(self) == 0:
            return f"MarketData({self.name!r}, empty)"
        first, last = self.dates[0].date(), self.dates[-1].date()
        return f"MarketData({self.name!r}, {len(self)} dates {first}..{last}, {len(self.assets)} assets)"

    # --- slicing: the past only -----------------------------------------------------
    def until(self, date: Hashable) -> MarketData:
        """The read-only past up to and including ``date``.

        ``date`` need not be a trading date: the last trading date on or before
        it closes the span.
        """
        stop = self.dates.searchsorted(pd.Timestamp(date), side="right")
        return self._rows(slice(0, stop))

    def between(self, start: Hashable | None, end: Hashable | None) -> MarketData:
        """Rows with ``start <= date <= end`` (either bound may be ``None``)."""
        first = 0 if start is None else self.dates.searchsorted(pd.Timestamp(start), side="left")
        stop = (
            len(self) if end is None else self.dates.searchsorted(pd.Timestamp(end), side="right")
        )
        return self._rows(slice(first, stop))

    def select(self, assets: list[str]) -> MarketData:
        """The same span restricted to ``assets`` (in the order given)."""
        missing = [a for a in assets if a not in self.assets]
        if missing:
            raise ConfigError(
                f"{self.name}: unknown asset(s) {', '.join(map(str, missing))}; "
                f"available: {', '.join(map(str, self.assets))}"
            )
        repeated = pd.Index(assets)[pd.Index(assets).duplicated()].unique()
        if len(repeated):
            raise ConfigError(f"{self.name}: asset {repeated[0]!r} is selected twice")
        if not len(assets):
            raise ConfigError(f"{self.name}: select at least one asset")
        return MarketData(
            self.prices[assets], self.features, self.name, max_daily_return=self.max_daily_return
        )

    def _rows(self, rows: slice) -> MarketData:
        # The first row of a later slice loses its return; keep it by slicing the
        # returns of the full span rather than recomputing them from the slice.
        sliced = object.__new__(MarketData)
        object.__setattr__(sliced, "prices", self.prices.iloc[rows])
        object.__setattr__(sliced, "returns", self.returns.iloc[rows])
        object.__setattr__(sliced, "name", self.name)
        object.__setattr__(sliced, "max_daily_return", self.max_daily_return)
        features = None if self.features is None else self.features.iloc[rows]
        object.__setattr__(sliced, "features", features)
        return sliced

    # --- estimation windows -----------------------------------------------------------
    def return_windows(
        self, dates: pd.DatetimeIndex, window: int, *, strategy: str = "strategy"
    ) -> np.ndarray:
        """The ``window`` most recent daily returns up to and including each date.

        Returns a read-only array ``(len(dates), window, assets)``; row ``k`` holds
        the returns of the ``window`` trading days ending at ``dates[k]``, and
        nothing after it. Every date must be a trading date with ``window``
        complete returns behind it (``window + 1`` prices).
        """
        from numpy.lib.stride_tricks import sliding_window_view

        dates = pd.DatetimeIndex(dates)
        positions = self.dates.get_indexer(dates)
        if (positions < 0).any():
            missing = dates[positions < 0][0]
            raise DataError(
                f"{strategy}: decision date {missing.date()} is not a trading date of {self.name}"
            )
        if len(positions) and positions.min() < window:
            first = dates[int(np.argmin(positions))]
            raise DataError(
                f"{strategy}: {self.name} has {positions.min()} returns up to {first.date()}, "
                f"but window={window} needs {window} (that is {window + 1} prices)"
            )
        returns = self.returns.to_numpy()
        stacked = sliding_window_view(returns, window, axis=0)[positions - window + 1]
        stacked = np.swapaxes(stacked, 1, 2)
        incomplete = np.isnan(stacked).any(axis=1)
        if incomplete.any():
            row, column = np.argwhere(incomplete)[0]
            raise DataError(
                f"{strategy}: asset '{self.assets[column]}' has missing prices in the {window}-day "
                f"window up to {dates[row].date()}"
            )
        stacked.flags.writeable = False
        return stacked

    # --- availability ---------------------------------------------------------------
    def first_valid_dates(self) -> pd.Series:
        """Date of each asset's first price (NaT for an asset with none)."""
        return self.prices.apply(lambda column: column.first_valid_index())

    def fingerprint(self) -> str:
        """SHA-256 of the prices (index, columns and values): the data hash of a run."""
        import hashlib

        digest = hashlib.sha256()
        digest.update(np.asarray(self.dates.asi8).tobytes())
        digest.update("\x1f".join(map(str, self.assets)).encode())
        digest.update(np.ascontiguousarray(self.prices.to_numpy()).tobytes())
        return digest.hexdigest()
