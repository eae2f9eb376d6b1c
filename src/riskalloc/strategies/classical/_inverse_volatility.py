"""Inverse volatility: weights proportional to 1/sigma over a rolling window."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from riskalloc.core import DataError, RunContext
from riskalloc.data import MarketData
from riskalloc.strategies._protocol import BaseAllocator, check_positive_int, decision_positions

__all__ = ["InverseVolatility", "rolling_volatility"]


def rolling_volatility(returns: np.ndarray, positions: np.ndarray, window: int) -> np.ndarray:
    """Sample standard deviation (``ddof=1``) of the ``window`` returns ending at each position.

    Row ``k`` of the result uses ``returns[positions[k] - window + 1 : positions[k] + 1]``:
    the most recent ``window`` returns up to and including the decision date, and
    nothing after it. A window with a missing return gives NaN. All windows are
    computed in one array operation.
    """
    if returns.shape[0] < window:
        return np.full((len(positions), returns.shape[1]), np.nan)
    windows = sliding_window_view(returns, window, axis=0)  # (T - window + 1, N, window), a view
    starts = positions - window + 1
    result = np.full((len(positions), returns.shape[1]), np.nan)
    valid = starts >= 0
    if valid.any():
        result[valid] = windows[starts[valid]].std(axis=-1, ddof=1)
    return result


class InverseVolatility(BaseAllocator):
    """Inverse-volatility weights, ``w_i = (1/sigma_i) / sum_j (1/sigma_j)``.

    ``sigma_i`` is the sample standard deviation of asset ``i``'s ``window``
    most recent daily returns up to and including the decision date. An asset
    without ``window`` returns by then, or whose price did not move at all over
    the window (a stale price carries no risk estimate), gets no weight.

    Parameters
    ----------
    window : int, default 50
        Number of daily returns in the estimation window.

    Examples
    --------
    >>> import riskalloc as ra
    >>> ra.get_strategy("inverse_volatility", window=50)
    InverseVolatility(window=50)
    """

    name = "inverse_volatility"
    family: ClassVar[str] = "classical"

    def __init__(self, window: int = 50) -> None:
        self.window = window

    @property
    def min_history(self) -> int:
        return self.window + 1

    def fit(self, train: MarketData, context: RunContext | None = None) -> InverseVolatility:
        check_positive_int(self.window, "window", self.name, minimum=2)
        return super().fit(train, context)  # type: ignore[return-value]

    def allocate(self, history: MarketData, dates: pd.DatetimeIndex) -> pd.DataFrame:
        check_positive_int(self.window, "window", self.name, minimum=2)
        positions = decision_positions(history, dates, self.name)
        sigma = rolling_volatility(history.returns.to_numpy(), positions, self.window)
        usable = np.isfinite(sigma) & (sigma > 0)
        if not usable.any(axis=1).all():
            first = pd.DatetimeIndex(dates)[np.flatnonzero(~usable.any(axis=1))[0]]
            raise DataError(
                f"{self.name}: no asset has {self.window} daily returns with a non-zero "
                f"volatility up to {first.date()}; need at least {self.window + 1} prices"
            )
        inverse = np.where(usable, 1.0 / np.where(usable, sigma, 1.0), 0.0)
        weights = inverse / inverse.sum(axis=1, keepdims=True)
        return pd.DataFrame(weights, index=pd.DatetimeIndex(dates), columns=history.assets)
