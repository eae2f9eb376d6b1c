"""Validation of a `FeatureBuilder`'s parameters, and the history its features need."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from riskalloc.core import ConfigError
from riskalloc.features._market_state import MarketIndex

__all__ = ["check_parameters", "warmup_rows"]

_DTYPES = ("float32", "float64")


def _check_int(value: Any, parameter: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ConfigError(
            f"FeatureBuilder: parameter '{parameter}' must be an integer >= {minimum}, got {value!r}"
        )


def _check_windows(value: Any, parameter: str, minimum: int) -> None:
    if isinstance(value, str | int) or not hasattr(value, "__iter__"):
        raise ConfigError(
            f"FeatureBuilder: parameter '{parameter}' must be a tuple of integers, got {value!r}"
        )
    windows = list(value)
    for window in windows:
        _check_int(window, parameter, minimum)
    if len(set(windows)) != len(windows):
        raise ConfigError(f"FeatureBuilder: parameter '{parameter}' repeats a window: {value!r}")


def check_parameters(builder: Any) -> None:
    """Raise :class:`ConfigError` naming the first parameter that is not valid."""
    _check_int(builder.lookback, "lookback", 1)
    # A standard deviation needs two returns; an RSI one change.
    _check_windows(builder.volatility_windows, "volatility_windows", 2)
    _check_windows(builder.ma_windows, "ma_windows", 1)
    if builder.rsi_window is not None:
        _check_int(builder.rsi_window, "rsi_window", 1)
    if builder.drawdown_window is not None:
        _check_int(builder.drawdown_window, "drawdown_window", 1)
    if not isinstance(builder.market, bool):
        raise ConfigError(
            f"FeatureBuilder: parameter 'market' must be True or False, got {builder.market!r}"
        )
    if builder.market:
        _check_int(builder.market_volatility_window, "market_volatility_window", 2)
        _check_int(builder.trend_window, "trend_window", 1)
        if not isinstance(builder.market_index, pd.Series | pd.DataFrame):
            valid = [m.value for m in MarketIndex if m is not MarketIndex.SERIES]
            if builder.market_index not in valid:
                raise ConfigError(
                    f"FeatureBuilder: parameter 'market_index' must be one of {valid} or a pandas "
                    f"Series of index levels, got {builder.market_index!r}"
                )
    if builder.extra is not None and not isinstance(builder.extra, pd.DataFrame):
        raise ConfigError(
            "FeatureBuilder: parameter 'extra' must be a pandas DataFrame of columns by date "
            f"(see load_extra_features), got {type(builder.extra).__name__}"
        )
    try:
        name = np.dtype(builder.dtype).name
    except TypeError:
        name = None
    if name not in _DTYPES:
        raise ConfigError(
            f"FeatureBuilder: parameter 'dtype' must be one of {list(_DTYPES)}, got {builder.dtype!r}"
        )


def warmup_rows(builder: Any) -> int:
    """Dates of history before the first date on which every feature is defined.

    A log return needs 1 earlier price, a ``w``-day volatility or RSI ``w``, a
    ``w``-day average or peak ``w - 1``; extra columns need none.
    """
    needs = [1]
    needs += [int(w) for w in builder.volatility_windows]
    needs += [int(w) - 1 for w in builder.ma_windows]
    if builder.rsi_window is not None:
        needs.append(int(builder.rsi_window))
    if builder.drawdown_window is not None:
        needs.append(int(builder.drawdown_window) - 1)
    if builder.market:
        needs += [int(builder.market_volatility_window), int(builder.trend_window) - 1]
    return max(needs)
