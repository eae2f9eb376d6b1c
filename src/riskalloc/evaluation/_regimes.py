"""Market regimes of each date, decided from an index using only the past.

A regime label of date ``D`` is what a manager could know before trading on
``D``: it uses index closes up to the previous close and nothing later. The
labels overlap (a day can be bull and high volatility at once):

- **bull** / **bear**: the previous close is above / at or below the mean of
  the last ``trend_window`` closes up to it (a 200-day trend).
- **high volatility** / **low volatility**: the annualised standard deviation
  of the last ``volatility_window`` daily returns up to the previous close is
  above / at or below the median of all its earlier values (an expanding
  median, so "high" means high for what had been seen so far).
- **crisis windows**: named calendar windows (the 2008 crisis, the COVID crash
  of Feb-Mar 2020); they are dates, not estimates, so they need no data.

A date whose trailing windows are not yet full gets neither label of that pair.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import numpy as np
import pandas as pd

from riskalloc.core import PERIODS_PER_YEAR, DataError, RiskFree, cash_returns, event_windows
from riskalloc.evaluation._metrics import annual_return, periods_of, sharpe_ratio

__all__ = [
    "CRISIS_WINDOWS",
    "MarketRegime",
    "equal_weight_index",
    "market_regimes",
    "regime_performance",
]

#: Named crisis windows, first and last calendar day (inclusive): riskalloc's event table.
CRISIS_WINDOWS: dict[str, tuple[str, str]] = event_windows()

#: Label of the row that covers every test day in :func:`regime_performance`.
ALL_DAYS = "all days"


class MarketRegime(enum.StrEnum):
    """The regimes estimated from an index (crisis windows are named separately)."""

    BULL = "bull"
    BEAR = "bear"
    HIGH_VOLATILITY = "high volatility"
    LOW_VOLATILITY = "low volatility"


def equal_weight_index(prices: pd.DataFrame) -> pd.Series:
    """A daily rebalanced equal-weight index of ``prices``, starting at 1.

    ``I_t = I_{t-1} * (1 + mean_i r_it)`` with simple returns ``r_it``; an asset
    without a price on a day is left out of that day's mean. This stands in for
    the market when no index covers a run's dates.
    """
    daily = prices.sort_index().pct_change(fill_method=None).mean(axis=1).fillna(0.0)
    return (1.0 + daily).cumprod().rename("equal-weight index")


def market_regimes(
    index: pd.Series,
    dates: pd.DatetimeIndex | None = None,
    *,
    trend_window: int = 200,
    volatility_window: int = 63,
    min_volatility_history: int = PERIODS_PER_YEAR,
    crisis_windows: Mapping[str, tuple[str, str]] = CRISIS_WINDOWS,
) -> pd.DataFrame:
    """Boolean regime labels of ``dates`` from the index closes strictly before each date.

    Parameters
    ----------
    index : pandas.Series
        Daily closes of a market index (any level; only ratios matter).
    dates : DatetimeIndex, optional
        Dates to label (default: the index's own dates). A date need not be an
        index date: it is labelled from the last index close before it. Dates
        after the index's last date are given no estimated label.
    trend_window : int
        Closes in the trailing mean that separates bull from bear.
    volatility_window : int
        Daily returns in the trailing volatility.
    min_volatility_history : int
        Earlier volatility values needed before "high" can be told from "low".
    crisis_windows : mapping
        Name -> (first day, last day) of calendar windows.

    Returns
    -------
    pandas.DataFrame
        ``dates`` by ``[bull, bear, high volatility, low volatility, *crisis names]``.

    Examples
    --------
    >>> import riskalloc as ra
    >>> index = ra.load_dataset("sp500_index").iloc[:, 0]
    >>> labels = market_regimes(index, index.loc["2008"].index)
    >>> bool(labels.loc["2008-10-15", "bear"])
    True
    """
    close = pd.Series(index, dtype=float).dropna().sort_index()
    if close.empty:
        raise DataError("market_regimes: the index has no prices")
    dates = close.index if dates is None else pd.DatetimeIndex(dates)
    # Each state is what is known at the close of an index date, using closes up to it.
    trend = close.rolling(trend_window, min_periods=trend_window).mean()
    volatility = close.pct_change(fill_method=None).rolling(
        volatility_window, min_periods=volatility_window
    ).std() * np.sqrt(PERIODS_PER_YEAR)
    typical = volatility.expanding(min_periods=min_volatility_history).median()
    known = {
        MarketRegime.BULL: (close > trend).where(trend.notna()),
        MarketRegime.BEAR: (close <= trend).where(trend.notna()),
        MarketRegime.HIGH_VOLATILITY: (volatility > typical).where(typical.notna()),
        MarketRegime.LOW_VOLATILITY: (volatility <= typical).where(typical.notna()),
    }
    # Date D takes the state after the last index close strictly before D.
    previous = close.index.searchsorted(dates, side="left") - 1
    usable = (previous >= 0) & (dates <= close.index[-1])
    labels = pd.DataFrame(index=dates)
    for regime, state in known.items():
        values = state.to_numpy(dtype=float, na_value=np.nan)[np.clip(previous, 0, None)]
        labels[str(regime)] = usable & (values == 1.0)
    for name, (first, last) in crisis_windows.items():
        labels[name] = (dates >= pd.Timestamp(first)) & (dates <= pd.Timestamp(last))
    return labels


def regime_performance(
    returns: pd.Series,
    regimes: pd.DataFrame,
    *,
    risk_free: RiskFree = 0.0,
    min_days: int = 20,
    periods_per_year: int | None = None,
) -> pd.DataFrame:
    """Annualised return and Sharpe ratio of ``returns`` on the days of each regime.

    The days of a regime need not be consecutive: the annual return is the CAGR
    of the returns of those days, ``prod(1 + r) ** (P / n) - 1`` (``P`` periods a
    year, read from the dates unless given), and the Sharpe ratio is computed on
    them, in excess of the cash return of each day, as in :func:`sharpe_ratio`. A regime with
    fewer than ``min_days`` days gets NaN for both (too few days to annualise).

    Returns
    -------
    pandas.DataFrame
        One row per regime, first ``"all days"``: ``days, annual_return, sharpe``.
    """
    returns = returns.dropna()
    periods = periods_of(returns, periods_per_year)
    cash = cash_returns(risk_free, pd.DatetimeIndex(returns.index), periods)
    aligned = regimes.reindex(returns.index, fill_value=False).astype(bool)
    masks = {ALL_DAYS: np.ones(len(returns), dtype=bool)} | {
        str(column): aligned[column].to_numpy() for column in aligned.columns
    }
    rows = {}
    for name, mask in masks.items():
        days = returns.to_numpy()[mask]
        enough = len(days) >= min_days
        rows[name] = {
            "days": len(days),
            "annual_return": annual_return(days, periods) if enough else np.nan,
            "sharpe": sharpe_ratio(days - cash[mask], 0.0, periods) if enough else np.nan,
        }
    return pd.DataFrame.from_dict(rows, orient="index")
