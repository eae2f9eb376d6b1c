"""`FeatureBuilder`: the network input tensor ``(batch, features, lookback, assets)``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from riskalloc.core import ConfigError, DataError
from riskalloc.data import MarketData
from riskalloc.features._extra import align_extra_features, validate_extra_features
from riskalloc.features._indicators import (
    drawdown_from_peak,
    log_returns,
    moving_average_ratio,
    relative_strength_index,
    trailing_volatility,
)
from riskalloc.features._market_state import (
    MarketIndex,
    equal_weight_index,
    index_state_on_dates,
    market_state_features,
    resolve_market_index,
)
from riskalloc.features._parameters import check_parameters, warmup_rows
from riskalloc.features._state import builder_from_state, builder_state
from riskalloc.features._undefined import EXTRA_PREFIX, undefined_feature_error

__all__ = ["FeatureBuilder"]


class FeatureBuilder:
    """Per-asset, market-state and user features over a trailing window, standardised.

    ``transform(history, dates)`` returns ``X`` of shape
    ``(len(dates), n_features, lookback, n_assets)``; ``X[k, f, :, i]`` is feature
    ``feature_names_[f]`` of asset ``i`` on the ``lookback`` trading dates ending at
    ``dates[k]`` (inclusive), oldest first, built only from prices up to ``dates[k]``.

    Features, in tensor order:

    - ``log_return``: ``ln(P_t / P_{t-1})``;
    - ``volatility_{w}`` for each of ``volatility_windows``: std of ``w`` log returns;
    - ``ma_ratio_{w}`` for each of ``ma_windows``: ``P_t / SMA_w(P)_t - 1``;
    - ``rsi_{w}``: Cutler's RSI (simple averages), 0-100;
    - ``drawdown_{w}``: ``P_t / max(P over the last w days) - 1``;
    - with ``market``: ``market_volatility_{w}``, ``market_trend_{w}`` (index over its
      ``w``-day average, minus 1) and ``market_drawdown_{w}`` of a market index,
      the same for every asset;
    - ``extra:{column}`` for each column of ``extra``, the same for every asset;
      without ``extra``, each column of the data's own ``MarketData.features`` (a
      scenario's regime indicators: credit and term spreads, equity volatility) when
      ``data_features`` and the training data have them, read at every decision date
      from the history handed to :meth:`transform` (the past only).

    Each feature is standardised as ``(x - mean_) / std_`` with statistics pooled
    over every date and asset of the training span handed to :meth:`fit`
    (population std; dates before a feature is defined do not count).

    Parameters
    ----------
    lookback : int, default 50
        Trading dates in each window.
    volatility_windows, ma_windows : tuple of int
        Windows of the rolling volatility and moving-average-ratio features (may be empty).
    rsi_window, drawdown_window : int or None
        Window of RSI and of the drawdown peak; ``None`` leaves the feature out.
        The peak is over a trailing window (a year by default) rather than since the
        first price, so a feature never depends on where the history starts.
    market : bool, default True
        Add the market-state features.
    market_index : MarketIndex or pandas.Series, default MarketIndex.AUTO
        The index they come from. ``AUTO`` uses the bundled S&P 500 (1990-01-02 ..
        2022-12-28) when it covers the whole training span, otherwise the
        equal-weight index of the assets, with a warning; the choice is made once in
        ``fit`` and kept in ``market_source_``. A date the chosen index does not
        cover raises in :meth:`transform` (never a stale or substitute level). A
        Series gives the index levels by date.
    market_volatility_window, trend_window : int
        Windows of the market's realised volatility (21) and trend (200).
    extra : pandas.DataFrame, optional
        User columns by date (see :func:`load_extra_features`); on each date the
        latest value dated on or before it.
    data_features : bool, default True
        Without ``extra``, use the columns of ``MarketData.features`` when the
        training data has them (recorded in ``data_columns_``).
    dtype : str or numpy dtype, default "float32"
        Of the returned tensor (features are computed in float64).

    Examples
    --------
    >>> import riskalloc as ra
    >>> from riskalloc.features import FeatureBuilder
    >>> s = ra.scenario("bull-2010")
    >>> data = ra.MarketData(s.prices)
    >>> builder = FeatureBuilder().fit(data.until(s.train_end))
    >>> builder.transform(data, data.dates[-3:]).shape
    (3, 11, 50, 8)
    """

    def __init__(
        self,
        lookback: int = 50,
        volatility_windows: tuple[int, ...] = (5, 21, 63),
        ma_windows: tuple[int, ...] = (10, 50),
        rsi_window: int | None = 14,
        drawdown_window: int | None = 252,
        market: bool = True,
        market_index: MarketIndex | pd.Series = MarketIndex.AUTO,
        market_volatility_window: int = 21,
        trend_window: int = 200,
        extra: pd.DataFrame | None = None,
        dtype: str | np.dtype | type = "float32",
        data_features: bool = True,
    ) -> None:
        self.lookback = lookback
        self.volatility_windows = volatility_windows
        self.ma_windows = ma_windows
        self.rsi_window = rsi_window
        self.drawdown_window = drawdown_window
        self.market = market
        self.market_index = market_index
        self.market_volatility_window = market_volatility_window
        self.trend_window = trend_window
        self.extra = extra
        self.dtype = dtype
        self.data_features = data_features

    # --- history needed ---------------------------------------------------------------
    @property
    def warmup(self) -> int:
        """Trading dates of history a feature needs before its first defined value."""
        return warmup_rows(self)

    @property
    def min_history(self) -> int:
        """Prices needed up to and including the first decision date: ``lookback + warmup``."""
        return self.lookback + self.warmup

    @property
    def n_features(self) -> int:
        return len(self.feature_names_)

    # --- fit: standardisation from the training span only ---------------------------------
    def fit(self, train: MarketData) -> FeatureBuilder:
        """Choose the market index and fit ``mean_``/``std_`` on ``train`` (and nothing else)."""
        check_parameters(self)
        self.extra_ = None if self.extra is None else validate_extra_features(self.extra)
        self.data_columns_ = None
        if self.extra is None and self.data_features and train.features is not None:
            if train.features.shape[1]:
                self.data_columns_ = [str(column) for column in train.features.columns]
                self.extra_ = self.data_extra(train)
        self.market_source_, self.market_levels_ = resolve_market_index(
            self.market, self.market_index, train
        )
        names, cube = self._feature_cube(train.prices)
        defined = np.isfinite(cube)
        counts = defined.sum(axis=(0, 2))
        for name, count in zip(names, counts, strict=True):
            if count == 0:
                raise DataError(
                    f"FeatureBuilder: feature '{name}' is defined on no date of {train.name}'s "
                    f"training span ({len(train)} dates); the features need at least "
                    f"{self.warmup + 1} prices"
                )
        filled = np.where(defined, cube, 0.0)
        mean = filled.sum(axis=(0, 2)) / counts
        centred = np.where(defined, cube - mean[None, :, None], 0.0)
        std = np.sqrt((centred**2).sum(axis=(0, 2)) / counts)
        flat = [name for name, s in zip(names, std, strict=True) if not s > 0]
        if flat:
            raise DataError(
                f"FeatureBuilder: feature '{flat[0]}' does not vary over {train.name}'s training "
                "span, so it cannot be standardised; drop it or train on a longer span"
            )
        self.feature_names_ = names
        self.mean_ = mean
        self.std_ = std
        return self

    # --- transform: one tensor for many decision dates -----------------------------------
    def transform(self, history: MarketData, dates: pd.DatetimeIndex) -> np.ndarray:
        """Standardised features of the ``lookback`` dates ending at each of ``dates``.

        Returns ``(len(dates), n_features, lookback, n_assets)`` in ``dtype``. Each
        date must be a trading date of ``history`` with ``min_history`` prices up to
        and including it; a feature missing inside a window (an asset that starts
        late or has a gap, a date the market index or an extra column does not
        cover) raises :class:`DataError` naming it and the date.
        """
        if not hasattr(self, "mean_"):
            raise ConfigError("FeatureBuilder: call fit(train) before transform()")
        dates = pd.DatetimeIndex(dates)
        positions = history.dates.get_indexer(dates)
        if (positions < 0).any():
            missing = dates[positions < 0][0]
            raise DataError(
                f"FeatureBuilder: decision date {missing.date()} is not a trading date of "
                f"{history.name}"
            )
        if len(dates) == 0:
            shape = (0, self.n_features, self.lookback, len(history.assets))
            return np.empty(shape, dtype=np.dtype(self.dtype))
        short = positions < self.min_history - 1
        if short.any():
            first = int(np.flatnonzero(short)[0])
            raise DataError(
                f"FeatureBuilder: decision date {dates[first].date()} has "
                f"{positions[first] + 1} prices up to and including it in {history.name}, "
                f"but lookback={self.lookback} plus a warm-up of {self.warmup} days needs "
                f"{self.min_history}"
            )
        # Nothing after the last decision date is even computed, nor anything older than
        # the first window needs: every feature is a trailing window of at most `warmup`
        # days, so the values in the windows are the same, bit for bit.
        past = history.prices.iloc[: positions.max() + 1]
        start = max(int(positions.min()) - (self.min_history - 1), 0)
        # Rows of the cube before the first window's first row are not computed at all.
        names, cube = self._feature_cube(
            past, start, int(positions.min()) - start - self.lookback + 1, self.data_extra(history)
        )
        if names != self.feature_names_:
            raise ConfigError(
                f"FeatureBuilder: parameters changed since fit; features {names} differ from "
                f"those fitted {self.feature_names_}; fit again"
            )
        scaled = ((cube - self.mean_[None, :, None]) / self.std_[None, :, None]).astype(
            np.dtype(self.dtype)
        )
        windows = sliding_window_view(scaled, self.lookback, axis=0)  # (T-L+1, F, A, L), a view
        first_rows = positions - start - self.lookback + 1
        batch = np.ascontiguousarray(windows[first_rows].transpose(0, 1, 3, 2))
        if not np.isfinite(batch).all():
            raise undefined_feature_error(self, batch, dates, positions, past)
        return batch

    def data_extra(self, history: MarketData) -> pd.DataFrame | None:
        """The extra columns on ``history``'s dates: its own ``features`` for a builder fitted
        on the data's features (a named error when they are missing), else ``extra_``."""
        columns = getattr(self, "data_columns_", None)
        if not columns:
            return self.extra_
        features = history.features
        missing = [c for c in columns if features is None or c not in features.columns]
        if missing:
            raise DataError(
                f"FeatureBuilder: fitted on the data's indicator '{missing[0]}', which "
                f"{history.name} does not have; give the same MarketData features "
                f"({', '.join(columns)})"
            )
        return validate_extra_features(features[columns], source=f"{history.name} features")

    # --- saving -----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Parameters and fitted statistics as plain JSON-able values (no arrays, no pickle).

        The data a builder was given (``extra`` columns, a ``market_index`` series)
        is not part of the state; pass it again to :meth:`from_state_dict`.
        """
        return builder_state(self)

    @classmethod
    def from_state_dict(
        cls,
        state: dict[str, Any],
        *,
        extra: pd.DataFrame | None = None,
        market_index: pd.Series | None = None,
    ) -> FeatureBuilder:
        """A fitted builder from :meth:`state_dict` (e.g. read back from JSON)."""
        return builder_from_state(cls, state, extra=extra, market_index=market_index)

    def __repr__(self) -> str:
        shown = {k: v for k, v in vars(self).items() if not k.endswith("_")}
        for key in ("extra", "market_index"):
            if isinstance(shown.get(key), pd.Series | pd.DataFrame):
                shown[key] = f"<{type(shown[key]).__name__}>"
        return f"FeatureBuilder({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    # --- internals --------------------------------------------------------------------
    def _index_state(
        self, dates: pd.DatetimeIndex, windows: dict[str, Any]
    ) -> dict[str, np.ndarray]:
        """The market index's features on ``dates``; computed once per fitted index."""
        key = (id(self.market_levels_), tuple(sorted(windows.items())))
        cached = getattr(self, "market_features_", None)
        if cached is None or cached[0] != key:
            features = market_state_features(self.market_levels_.to_numpy(dtype=float), **windows)
            self.market_features_ = (key, features)
        return index_state_on_dates(
            self.market_levels_, dates, features=self.market_features_[1], **windows
        )

    def _feature_cube(
        self,
        prices: pd.DataFrame,
        start: int = 0,
        first: int = 0,
        extra: pd.DataFrame | None = None,
    ) -> tuple[list[str], np.ndarray]:
        """Every feature on the dates of ``prices`` from row ``start`` on: names and a
        ``(dates, features, assets)`` array; its rows before ``first`` are left NaN.
        ``extra`` defaults to ``extra_``."""
        extra = self.extra_ if extra is None else extra
        full = prices.to_numpy(dtype=float)
        values = full[start:]
        index = prices.index[start:]
        per_asset: dict[str, np.ndarray] = {"log_return": log_returns(values)}
        for window in self.volatility_windows:
            per_asset[f"volatility_{window}"] = trailing_volatility(values, window, first)
        for window in self.ma_windows:
            per_asset[f"ma_ratio_{window}"] = moving_average_ratio(values, window, first)
        if self.rsi_window is not None:
            per_asset[f"rsi_{self.rsi_window}"] = relative_strength_index(
                values, self.rsi_window, first
            )
        if self.drawdown_window is not None:
            per_asset[f"drawdown_{self.drawdown_window}"] = drawdown_from_peak(
                values, self.drawdown_window, first
            )
        per_date: dict[str, np.ndarray] = {}
        if self.market_source_ is not None:
            windows = {
                "volatility_window": self.market_volatility_window,
                "trend_window": self.trend_window,
                "drawdown_window": self.drawdown_window,
            }
            if self.market_source_ is MarketIndex.EQUAL_WEIGHT:
                # The index compounds from the first price: built on all rows, then cut.
                state = market_state_features(equal_weight_index(full), **windows)
                per_date.update({name: feature[start:] for name, feature in state.items()})
            else:
                per_date.update(self._index_state(index, windows))
        if extra is not None:
            aligned = align_extra_features(extra, index)
            for k, column in enumerate(extra.columns):
                per_date[f"{EXTRA_PREFIX}{column}"] = aligned[:, k]
        n_dates, n_assets = values.shape
        cube = np.empty((n_dates, len(per_asset) + len(per_date), n_assets))
        for f, feature in enumerate(per_asset.values()):
            cube[:, f, :] = feature
        for f, feature in enumerate(per_date.values(), start=len(per_asset)):
            cube[:, f, :] = feature[:, None]  # the same market state for every asset
        return [*per_asset, *per_date], cube
