"""Technical indicators from prices, each computed from trailing windows only.

Every function takes prices as a ``(dates, assets)`` array or DataFrame (or one
series of dates) and returns the indicator with the same shape and labels. Row
``t`` uses prices up to and including ``t`` and nothing after it; rows without
enough history are NaN (never filled from later rows).

Rolling statistics are taken over explicit windows (``sliding_window_view``)
rather than running sums, so the value on a date depends only on the prices in
its window: bit-for-bit the same whichever date the history starts on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "drawdown_from_peak",
    "log_returns",
    "moving_average_ratio",
    "relative_strength_index",
    "trailing_volatility",
]

PriceLike = TypeVar("PriceLike", np.ndarray, pd.DataFrame, pd.Series)


def _as_array(prices: PriceLike) -> np.ndarray:
    return np.asarray(prices, dtype=float)


def _like(values: np.ndarray, prices: PriceLike) -> PriceLike:
    """``values`` labelled like ``prices`` (a frame stays a frame, a series a series)."""
    if isinstance(prices, pd.DataFrame):
        return pd.DataFrame(values, index=prices.index, columns=prices.columns)  # type: ignore[return-value]
    if isinstance(prices, pd.Series):
        return pd.Series(values, index=prices.index, name=prices.name)  # type: ignore[return-value]
    return values  # type: ignore[return-value]


def _trailing(
    values: np.ndarray, window: int, reduce: Callable[[np.ndarray], np.ndarray], first: int = 0
) -> np.ndarray:
    """``reduce`` (over the last axis) of the ``window`` rows ending at each row; NaN before.

    Rows before ``first`` are not computed (left NaN): a caller that needs only the
    latest rows skips the work, and every computed row is the same bit for bit.
    """
    result = np.full(values.shape, np.nan)
    begin = max(window - 1, first)
    if values.shape[0] > begin:
        windows = sliding_window_view(values, window, axis=0)
        result[begin:] = reduce(windows[begin - (window - 1) :])
    return result


def _log_returns(values: np.ndarray) -> np.ndarray:
    result = np.full(values.shape, np.nan)
    result[1:] = np.log(values[1:] / values[:-1])
    return result


def log_returns(prices: PriceLike) -> PriceLike:
    """Daily log return, ``r_t = ln(P_t / P_{t-1})``; the first row is NaN.

    Examples
    --------
    >>> log_returns(np.array([100.0, 110.0, 99.0])).round(4)
    array([    nan,  0.0953, -0.1054])
    """
    return _like(_log_returns(_as_array(prices)), prices)


def trailing_volatility(prices: PriceLike, window: int, first: int = 0) -> PriceLike:
    """Realised daily volatility: sample standard deviation (``ddof=1``) of the
    ``window`` most recent log returns up to and including ``t``.

    ``sigma_t = std(r_{t-window+1}, ..., r_t)``, not annualised (multiply by
    ``sqrt(252)`` for an annual figure). Needs ``window + 1`` prices. Rows before
    ``first`` are left NaN (not computed), here and in the other indicators.
    """
    returns = _log_returns(_as_array(prices))
    return _like(_trailing(returns, window, lambda w: w.std(axis=-1, ddof=1), first), prices)


def moving_average_ratio(prices: PriceLike, window: int, first: int = 0) -> PriceLike:
    """Price relative to its trailing simple moving average, ``P_t / mean(P_{t-window+1..t}) - 1``.

    Positive above the average (an up-trend), negative below. Needs ``window`` prices.
    """
    values = _as_array(prices)
    return _like(values / _trailing(values, window, lambda w: w.mean(axis=-1), first) - 1.0, prices)


def relative_strength_index(prices: PriceLike, window: int = 14, first: int = 0) -> PriceLike:
    """Relative strength index on a 0-100 scale, with simple averages (Cutler's RSI).

    With ``d_t = P_t - P_{t-1}``, ``G`` the mean of ``max(d, 0)`` and ``L`` the mean
    of ``max(-d, 0)`` over the ``window`` most recent changes up to ``t``:
    ``RSI = 100 - 100 / (1 + G / L) = 100 G / (G + L)``; 100 when no change was
    a loss, and 50 when the price did not move at all. Needs ``window + 1`` prices.

    Simple averages rather than Wilder's exponential smoothing keep the value a
    function of its window alone: Wilder's recursion would carry every earlier
    price, so the feature would depend on where the history happens to start.
    """
    values = _as_array(prices)
    changes = np.full(values.shape, np.nan)
    changes[1:] = values[1:] - values[:-1]
    gains = _trailing(
        np.where(np.isnan(changes), np.nan, np.maximum(changes, 0.0)), window, _mean, first
    )
    losses = _trailing(
        np.where(np.isnan(changes), np.nan, np.maximum(-changes, 0.0)), window, _mean, first
    )
    return _like(_rsi(gains, losses), prices)


def _rsi(gains: np.ndarray, losses: np.ndarray) -> np.ndarray:
    """``100 G / (G + L)`` from mean gains and losses: 50 without any change, NaN where undefined."""
    total = gains + losses
    with np.errstate(invalid="ignore", divide="ignore"):
        rsi = np.where(total > 0, 100.0 * gains / np.where(total > 0, total, 1.0), 50.0)
    return np.where(np.isnan(total), np.nan, rsi)


def _mean(windows: np.ndarray) -> np.ndarray:
    return windows.mean(axis=-1)


def drawdown_from_peak(prices: PriceLike, window: int | None = None, first: int = 0) -> PriceLike:
    """Drawdown from the running peak, ``P_t / max(P_s, s <= t) - 1`` (zero or negative).

    With ``window``, the peak is over the ``window`` most recent prices up to ``t``
    (a one-year peak for ``window=252``), so the value depends only on that
    window; with ``None``, over every price since the first row handed in.

    Examples
    --------
    >>> drawdown_from_peak(np.array([100.0, 120.0, 90.0, 130.0])).round(2)
    array([ 0.  ,  0.  , -0.25,  0.  ])
    """
    values = _as_array(prices)
    if window is None:
        # fmax skips the leading NaN of an asset that starts late; the past only.
        peak = np.fmax.accumulate(values, axis=0)
    else:
        peak = _trailing(values, window, lambda w: w.max(axis=-1), first)
    return _like(values / peak - 1.0, prices)


# --- the latest row alone ------------------------------------------------------------
# Streaming inference needs only the newest row of each indicator. These compute it
# from the trailing prices with the formulas above, on the same window layout as
# `_trailing` (a window is the last axis, assets the one before it), so the row is
# the same, bit for bit, as the last row of the batch function; tests hold them to it.


def _latest_window(values: np.ndarray, window: int) -> np.ndarray:
    """The ``window`` rows ending at the last row, laid out like one of `_trailing`'s windows."""
    return values[-window:].T[None]


def latest_log_return(prices: np.ndarray) -> np.ndarray:
    """Last row of :func:`log_returns`: ``ln(P_t / P_{t-1})`` from the two latest prices."""
    return _log_returns(prices[-2:])[-1]


def latest_volatility(prices: np.ndarray, window: int) -> np.ndarray:
    """Last row of :func:`trailing_volatility`: std (``ddof=1``) of the ``window`` latest
    log returns; needs the ``window + 1`` latest prices."""
    returns = _log_returns(prices[-(window + 1) :])
    return _latest_window(returns, window).std(axis=-1, ddof=1)[0]


def latest_moving_average_ratio(prices: np.ndarray, window: int) -> np.ndarray:
    """Last row of :func:`moving_average_ratio`: ``P_t / mean(P_{t-window+1..t}) - 1``."""
    return prices[-1] / _latest_window(prices, window).mean(axis=-1)[0] - 1.0


def latest_relative_strength_index(prices: np.ndarray, window: int) -> np.ndarray:
    """Last row of :func:`relative_strength_index` (simple averages, 0-100), from the
    ``window + 1`` latest prices."""
    recent = prices[-(window + 1) :]
    changes = recent[1:] - recent[:-1]
    gains = _mean(_latest_window(np.maximum(changes, 0.0), window))[0]
    losses = _mean(_latest_window(np.maximum(-changes, 0.0), window))[0]
    return _rsi(gains, losses)


def latest_drawdown(prices: np.ndarray, window: int) -> np.ndarray:
    """Last row of :func:`drawdown_from_peak` with a ``window``: ``P_t / max(last window) - 1``."""
    return prices[-1] / _latest_window(prices, window).max(axis=-1)[0] - 1.0
