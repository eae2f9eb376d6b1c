"""`FeatureStream`: a fitted builder's input window, advanced one trading day at a time.

Serving a trained model needs, each day, the window ending at that day. Building
it with :meth:`FeatureBuilder.transform` recomputes every feature of the window
through pandas; the stream keeps the few trailing prices (and index levels) the
features need as plain arrays, computes only the new day's feature row with the
single-row indicators of :mod:`riskalloc.features._indicators` (the same
formulas, bit for bit) and slides a buffer of standardised rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from riskalloc.core import ConfigError, DataError
from riskalloc.data import MarketData
from riskalloc.features._builder import FeatureBuilder
from riskalloc.features._indicators import (
    latest_drawdown,
    latest_log_return,
    latest_moving_average_ratio,
    latest_relative_strength_index,
    latest_volatility,
)
from riskalloc.features._market_state import (
    MarketIndex,
    equal_weight_index,
)
from riskalloc.features._undefined import EXTRA_PREFIX

__all__ = ["FeatureStream"]


class _RecentRows:
    """The latest ``keep`` rows of a growing array, always one contiguous view.

    Rows live in a buffer twice as long; when it fills, the latest rows move to its
    front, so an append costs one row amortised. :meth:`stage` writes a row past the
    end without changing :attr:`rows`; :meth:`commit` takes it in. The buffer has the
    memory order of ``rows``: numpy sums a window along a contiguous axis pairwise and
    along a strided one in sequence, so the same layout gives the same bits.
    """

    def __init__(self, rows: np.ndarray, keep: int) -> None:
        order = "F" if rows.ndim > 1 and not rows.flags.c_contiguous else "C"
        self._buffer = np.empty((2 * keep, *rows.shape[1:]), dtype=rows.dtype, order=order)
        self._buffer[:keep] = rows[-keep:]
        self._keep = keep
        self._end = keep

    @property
    def rows(self) -> np.ndarray:
        return self._buffer[self._end - self._keep : self._end]

    def stage(self, row: np.ndarray) -> np.ndarray:
        """The latest ``keep`` rows if ``row`` were appended (nothing changes yet)."""
        if self._end == len(self._buffer):
            self._buffer[: self._keep] = self.rows
            self._end = self._keep
        self._buffer[self._end] = row
        return self._buffer[self._end - self._keep + 1 : self._end + 1]

    def commit(self) -> None:
        """Append the row last staged."""
        self._end += 1


class _DatedRows:
    """Rows by date, read as of a day: the row of the last date on or before it."""

    def __init__(self, dates: pd.DatetimeIndex, rows: np.ndarray) -> None:
        self._dates = _nanoseconds(dates)
        self._rows = rows

    def on(self, day: pd.Timestamp, after_last: bool = False) -> np.ndarray:
        """The row in force on ``day``; NaN before the first date, and after the last
        unless ``after_last`` (a stale index level is wrong data; a macro value holds)."""
        ns = day.as_unit("ns").value
        k = int(np.searchsorted(self._dates, ns, side="right")) - 1
        if k < 0 or (not after_last and ns > self._dates[-1]):
            return np.full(self._rows.shape[1], np.nan)
        return self._rows[k]


def _nanoseconds(dates: pd.DatetimeIndex) -> np.ndarray:
    return dates.values.astype("datetime64[ns]").view(np.int64)


class FeatureStream:
    """A fitted :class:`FeatureBuilder`'s input window, pushed forward one day at a time.

    Created from a history ending on a date with a full window, it holds the window
    ending there; :meth:`push` appends the prices of the next trading date and returns
    the window ending at that date, equal (bit for bit) to
    ``builder.transform(history_with_the_new_days, [date])``. It computes only the
    new day's feature row; the cost of a push is one feature row plus one copy of the
    window, whatever the length of the history.

    Parameters
    ----------
    builder : FeatureBuilder
        Fitted; its parameters, market index, extra columns and ``mean_``/``std_`` are used.
    history : MarketData
        Prices of the builder's assets up to and including the stream's starting date,
        at least ``builder.min_history`` dates. With an equal-weight market index, the
        same first date as the histories the windows are compared with (the index
        compounds from the first price).

    Examples
    --------
    >>> import riskalloc as ra
    >>> from riskalloc.features import FeatureBuilder, FeatureStream
    >>> s = ra.scenario("bull-2010")
    >>> data = ra.MarketData(s.prices)
    >>> builder = FeatureBuilder().fit(data.until(s.train_end))
    >>> stream = FeatureStream(builder, data.until("2015-06-30"))
    >>> day = data.dates[data.dates > "2015-06-30"][0]
    >>> stream.push(day, data.prices.loc[day]).shape
    (1, 11, 50, 8)
    """

    def __init__(self, builder: FeatureBuilder, history: MarketData) -> None:
        if not hasattr(builder, "mean_"):
            raise ConfigError("FeatureStream: the builder is not fitted; call fit(train) first")
        if len(history) < builder.min_history:
            raise DataError(
                f"FeatureStream: {history.name} has {len(history)} dates; the window at its "
                f"last date needs {builder.min_history} (lookback {builder.lookback} plus a "
                f"warm-up of {builder.warmup})"
            )
        self.builder = builder
        self.assets = history.assets
        self.last_date: pd.Timestamp = history.dates[-1]
        # The window at the last date, by the batch path: checks that it is fully defined
        # and that the builder's parameters still give the features it was fitted with.
        window = builder.transform(history, history.dates[-1:])[0]
        self._names = list(builder.feature_names_)
        self._window = _RecentRows(
            np.ascontiguousarray(window.transpose(1, 0, 2)), builder.lookback
        )
        prices = history.prices.to_numpy(dtype=float)  # the layout `transform` computes on
        self._prices = _RecentRows(prices, builder.warmup + 1)
        self._levels = None
        if builder.market_source_ is MarketIndex.EQUAL_WEIGHT:
            # Continued from the whole history's index, so the levels are the batch's own.
            levels = equal_weight_index(prices)
            self._levels = _RecentRows(levels, self._market_keep())
        self._index = None
        if builder.market_source_ not in (None, MarketIndex.EQUAL_WEIGHT):
            # As `index_state_on_dates` reads them: the features on the index's own
            # calendar, each day taking the last index date on or before it.
            # `transform` above has just computed them once for the builder: reuse its cache.
            levels = builder.market_levels_
            state = builder.market_features_[1]
            self._index = _DatedRows(levels.index, np.column_stack(list(state.values())))
        self._extra = None
        self._data_columns = list(getattr(builder, "data_columns_", None) or [])
        self._data_row: np.ndarray | None = None
        extra = builder.data_extra(history)
        if self._data_columns:
            # The data's own indicators: the last known row, then one row per push.
            self._data_row = extra.ffill().to_numpy(dtype=float)[-1]
        elif extra is not None:
            # As `align_extra_features`: forward-filled along the file's own dates.
            self._extra = _DatedRows(extra.index, extra.ffill().to_numpy(dtype=float))

    # --- the public step ---------------------------------------------------------------
    def push(
        self,
        date: Any,
        prices: pd.Series | np.ndarray | list[float],
        features: pd.Series | np.ndarray | list[float] | None = None,
    ) -> np.ndarray:
        """Append the prices of the next trading date; the window ending there.

        Parameters
        ----------
        date : date-like
            After the last date pushed (or the history's last date).
        prices : pandas.Series or array-like
            Positive finite prices: a Series indexed by asset name, or one value per
            asset in the history's column order.
        features : pandas.Series or array-like, optional
            For a builder fitted on the data's indicators (``data_columns_``): their
            values known at this close, by column name or in that order; a missing
            value keeps the last known one. Required for such a builder, else unused.

        Returns
        -------
        numpy.ndarray
            ``(1, n_features, lookback, n_assets)`` in the builder's ``dtype``, a new
            array (the stream keeps its own rows).

        Raises
        ------
        DataError
            For a date not after the last one, a missing, non-positive or non-finite
            price, a wrong number of prices, or a feature the new day leaves undefined
            (an asset with too short a history, a date the market index or an extra
            column does not cover). The stream is unchanged after an error.
        """
        day = self._check_date(date)
        row = self._check_prices(prices, day)
        data_row = self._check_data_features(features, day)
        recent = self._prices.stage(row)
        levels = None
        if self._levels is not None:
            step = equal_weight_index(np.vstack([self._prices.rows[-1], row]))[-1]
            levels = self._levels.stage(self._levels.rows[-1] * step)
        staged, self._data_row = self._data_row, data_row
        try:
            values = self._feature_row(recent, levels, day)
        except Exception:
            self._data_row = staged  # the stream is unchanged after an error
            raise
        builder = self.builder
        scaled = ((values - builder.mean_[:, None]) / builder.std_[:, None]).astype(
            self._window.rows.dtype
        )
        self._window.stage(scaled)
        self._prices.commit()
        if self._levels is not None:
            self._levels.commit()
        self._window.commit()
        self.last_date = day
        return self.window()

    def window(self) -> np.ndarray:
        """The window ending at :attr:`last_date`, ``(1, n_features, lookback, n_assets)`` (a copy)."""
        return np.ascontiguousarray(self._window.rows.transpose(1, 0, 2))[None]

    # --- the new row -----------------------------------------------------------------------
    def _market_keep(self) -> int:
        builder = self.builder
        return max(
            builder.market_volatility_window + 1,
            builder.trend_window,
            builder.drawdown_window or 1,
        )

    def _feature_row(
        self, recent: np.ndarray, levels: np.ndarray | None, day: pd.Timestamp
    ) -> np.ndarray:
        """Unstandardised features ``(n_features, n_assets)`` of ``day``, the last row of
        ``recent`` (prices) and of ``levels`` (an equal-weight index)."""
        builder = self.builder
        row = np.empty((len(self._names), len(self.assets)))
        row[0] = latest_log_return(recent)
        f = 1
        for window in builder.volatility_windows:
            row[f] = latest_volatility(recent, window)
            f += 1
        for window in builder.ma_windows:
            row[f] = latest_moving_average_ratio(recent, window)
            f += 1
        if builder.rsi_window is not None:
            row[f] = latest_relative_strength_index(recent, builder.rsi_window)
            f += 1
        if builder.drawdown_window is not None:
            row[f] = latest_drawdown(recent, builder.drawdown_window)
            f += 1
        per_asset = f
        if levels is not None:
            row[f] = latest_volatility(levels, builder.market_volatility_window)
            row[f + 1] = latest_moving_average_ratio(levels, builder.trend_window)
            if builder.drawdown_window is not None:
                row[f + 2] = latest_drawdown(levels, builder.drawdown_window)
        elif self._index is not None:
            state = self._index.on(day)
            row[f : f + len(state)] = state[:, None]
        if self._extra is not None or self._data_row is not None:
            values = self._data_row if self._extra is None else self._extra.on(day, after_last=True)
            row[len(row) - len(values) :] = values[:, None]
        if not np.isfinite(row).all():
            raise self._undefined(row, per_asset, day)
        return row

    # --- checks and messages ---------------------------------------------------------------
    def _check_data_features(self, features: Any, day: pd.Timestamp) -> np.ndarray | None:
        """The data indicators' row for ``day`` (last known values where one is missing)."""
        if not self._data_columns:
            return None
        if features is None:
            raise ConfigError(
                f"FeatureStream: the builder reads the data's indicators "
                f"({', '.join(self._data_columns)}); pass their values on {day.date()} as "
                "features="
            )
        if isinstance(features, pd.Series):
            missing = [c for c in self._data_columns if c not in features.index]
            if missing:
                raise DataError(f"FeatureStream: features on {day.date()} lack '{missing[0]}'")
            features = features[self._data_columns]
        values = np.asarray(features, dtype=float).reshape(-1)
        if values.size != len(self._data_columns):
            raise DataError(
                f"FeatureStream: {values.size} feature values on {day.date()}, expected "
                f"{len(self._data_columns)} ({', '.join(self._data_columns)})"
            )
        assert self._data_row is not None
        return np.where(np.isfinite(values), values, self._data_row)

    def _check_date(self, date: Any) -> pd.Timestamp:
        try:
            day = pd.Timestamp(date)
        except (TypeError, ValueError):
            raise DataError(f"FeatureStream: date {date!r} is not a date") from None
        if pd.isna(day) or day.tz is not None:
            raise DataError(f"FeatureStream: date {date!r} must be a timezone-naive date")
        if day <= self.last_date:
            raise DataError(
                f"FeatureStream: date {day.date()} is not after the last date in the stream, "
                f"{self.last_date.date()}; push each trading date once, in order"
            )
        return day

    def _check_prices(self, prices: Any, day: pd.Timestamp) -> np.ndarray:
        if isinstance(prices, pd.Series):
            missing = self.assets.difference(prices.index)
            if len(missing):
                raise DataError(
                    f"FeatureStream: prices on {day.date()} have no value for asset '{missing[0]}'"
                )
            prices = prices.reindex(self.assets)
        try:
            row = np.asarray(prices, dtype=float)
        except (TypeError, ValueError):
            raise DataError(
                f"FeatureStream: prices on {day.date()} must be numbers, one per asset"
            ) from None
        if row.shape != (len(self.assets),):
            raise DataError(
                f"FeatureStream: prices on {day.date()} must hold {len(self.assets)} values "
                f"(one per asset, in the order {list(self.assets)}), got shape {row.shape}"
            )
        bad = ~(np.isfinite(row) & (row > 0))
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"FeatureStream: asset '{self.assets[k]}' has price {float(row[k])} on "
                f"{day.date()}; prices must be positive and finite"
            )
        return row

    def _undefined(self, row: np.ndarray, per_asset: int, day: pd.Timestamp) -> DataError:
        f, k = np.argwhere(~np.isfinite(row))[0]
        name = self._names[f]
        if name.startswith(EXTRA_PREFIX):
            return DataError(
                f"FeatureStream: extra column '{name[len(EXTRA_PREFIX) :]}' has no value on or "
                f"before {day.date()}"
            )
        if f >= per_asset:
            levels = self.builder.market_levels_
            cover = "" if levels is None else f" (the index covers up to {levels.index[-1].date()})"
            return DataError(
                f"FeatureStream: market feature '{name}' is undefined on {day.date()}{cover}"
            )
        return DataError(
            f"FeatureStream: asset '{self.assets[k]}' has no '{name}' on {day.date()}: its "
            f"recent prices in the stream's history are missing"
        )
