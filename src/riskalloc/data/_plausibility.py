"""Prices a market can have: below a sane magnitude, and no implausible one-period move.

Numbers can be valid (finite, positive) and still lie: a price of 1e308 or a
millionfold jump in a day is a data error, and left in it turns into annual returns
of 10^18 % and figures that cannot be drawn. These checks run on every price table,
from a file (:func:`~riskalloc.data.load_prices`) or a DataFrame
(:class:`~riskalloc.data.MarketData`, ``ra.backtest``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from riskalloc.core import ConfigError, DataError

__all__ = [
    "DEFAULT_MAX_DAILY_RETURN",
    "MAX_PRICE",
    "check_daily_moves",
    "check_price_magnitude",
    "daily_move_bound",
]

#: Default bound on a one-period move: a price may not rise above 10x (+900 %) or fall
#: below a tenth (-90 %) of the previous price. Adjusted closes of listed assets do not
#: move like that in a day; a data error (an unadjusted split, a misplaced decimal, a
#: misread date) does.
DEFAULT_MAX_DAILY_RETURN = 9.0
#: No traded asset costs a trillion: a price above this is a data error.
MAX_PRICE = 1e12


def daily_move_bound(max_daily_return: float | None) -> float | None:
    """``max_daily_return`` as a positive float, or None for no bound (None or infinity).

    Examples
    --------
    >>> daily_move_bound(9), daily_move_bound(float("inf"))
    (9.0, None)
    """
    if max_daily_return is None:
        return None
    if isinstance(max_daily_return, bool) or not isinstance(
        max_daily_return, int | float | np.integer | np.floating
    ):
        raise ConfigError(
            f"max_daily_return must be a number (9 for a 10x move) or None, got {max_daily_return!r}"
        )
    bound = float(max_daily_return)
    if math.isnan(bound) or bound <= 0:
        raise ConfigError(
            f"max_daily_return must be above 0 (9 allows a 10x move; inf or None: no bound), "
            f"got {max_daily_return}"
        )
    return None if math.isinf(bound) else bound


def check_price_magnitude(prices: pd.DataFrame, *, source: str) -> None:
    """Refuse a price above :data:`MAX_PRICE`, naming the asset and date."""
    values = prices.to_numpy(dtype=float)
    huge = values > MAX_PRICE
    if huge.any():
        row, column = np.argwhere(huge)[0]
        raise DataError(
            f"{source}: asset '{prices.columns[column]}' has an implausible price "
            f"{values[row, column]:.6g} on {prices.index[row].date()} (above {MAX_PRICE:.0e}); "
            "fix the value or rescale the series"
        )


def check_daily_moves(prices: pd.DataFrame, *, source: str, max_daily_return: float | None) -> None:
    """Refuse a one-period move beyond ``max_daily_return``, naming the asset and date.

    A move is the ratio of a price to the asset's previous price (the last one before
    it, across missing days). It is refused when

    ``ratio > 1 + max_daily_return`` or ``ratio < 1 / (1 + max_daily_return)``,

    a bound symmetric in log price: with the default 9 a rise above +900 % (10x) or a
    fall below -90 % (to a tenth). For weekly or monthly data the bound is per period.
    ``None`` (or infinity) checks nothing.

    Examples
    --------
    >>> prices = pd.DataFrame({"A": [10.0, 12.0, 1.2e7]}, index=pd.date_range("2020-01-01", periods=3))
    >>> check_daily_moves(prices, source="p.csv", max_daily_return=9)
    Traceback (most recent call last):
    ...
    riskalloc.core._errors.DataError: p.csv: asset 'A' moves from 12 to 1.2e+07 ...
    """
    bound = daily_move_bound(max_daily_return)
    if bound is None or len(prices) < 2:
        return
    values = prices.to_numpy(dtype=float)
    previous = prices.ffill().shift(1).to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_move = np.abs(np.log(values / previous))
    beyond = np.nan_to_num(log_move, nan=0.0, posinf=np.inf) > math.log1p(bound)
    if not beyond.any():
        return
    row, column = np.argwhere(beyond)[0]  # the earliest date first
    before, after = previous[row, column], values[row, column]
    raise DataError(
        f"{source}: asset '{prices.columns[column]}' moves from {before:.6g} to {after:.6g} "
        f"({100 * (after / before - 1):+.4g} %) on {prices.index[row].date()}, beyond "
        f"max_daily_return={bound:g} (a rise above {100 * bound:.4g} % or a fall below "
        f"{-100 * bound / (1 + bound):.4g} % in one period); check the data, or allow it with "
        "--max-daily-return (max_daily_return= in Python; inf for no bound)"
    )
