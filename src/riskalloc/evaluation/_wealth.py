"""Wealth and drawdown paths of a daily return series (the curves behind the metrics)."""

from __future__ import annotations

import pandas as pd

__all__ = ["drawdown_path", "wealth_path"]


def wealth_path(returns: pd.Series) -> pd.Series:
    """Value of 1 invested: ``W_t = prod_{s <= t} (1 + r_s)``, missing returns count as 0.

    Examples
    --------
    >>> wealth_path(pd.Series([0.1, -0.5])).round(4).tolist()
    [1.1, 0.55]
    """
    return (1.0 + returns.fillna(0.0)).cumprod()


def drawdown_path(returns: pd.Series) -> pd.Series:
    """Fall of wealth below its running peak, ``W_t / max(1, max_{s <= t} W_s) - 1`` (<= 0).

    The initial capital of 1 is the first peak, as in :func:`max_drawdown`, whose
    value is the minimum of this path.

    Examples
    --------
    >>> drawdown_path(pd.Series([-0.1, 0.05, 0.2])).round(4).tolist()
    [-0.1, -0.055, 0.0]
    """
    wealth = wealth_path(returns)
    peak = wealth.cummax().clip(lower=1.0)
    return wealth / peak - 1.0
