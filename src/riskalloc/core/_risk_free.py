"""The risk-free rate: a constant annual rate, or a series of annual rates known at each close.

Cash held over the period that ends at date ``t`` earns the rate known at the close
*before* ``t`` (a bill bought at yesterday's close pays yesterday's yield), compounded
per period: ``(1 + rate) ** (1 / periods_per_year) - 1``. A constant is the same
rate at every close. The Sharpe and Sortino ratios, the probabilistic and deflated
Sharpe ratios and the run's statistics are all in excess of these per-period returns
(:func:`cash_returns`), so one rule decides what cash earns everywhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskalloc.core._calendar import PERIODS_PER_YEAR, daily_rate
from riskalloc.core._context import MAX_RISK_FREE, MIN_RISK_FREE, check_annual_rate
from riskalloc.core._errors import ConfigError, DataError

__all__ = ["RiskFree", "cash_returns", "check_risk_free", "known_rate", "mean_known_rate"]

#: An annual rate (0.02 = 2 % a year), or annual rates by the date they became known.
RiskFree = float | pd.Series


def check_risk_free(risk_free: object, source: str = "risk_free") -> RiskFree:
    """``risk_free`` as a float or a clean Series of annual rates, or a one-line error.

    A rate is a finite annual decimal (0.05 is 5 %) above ``MIN_RISK_FREE`` (-0.5) and
    at most ``MAX_RISK_FREE`` (1); a series must be indexed by sorted, unique dates and
    hold such rates; missing values are dropped (the last known rate stays in force).
    A series whose typical value is above 1 looks like percent and is refused.

    Examples
    --------
    >>> check_risk_free(0.02)
    0.02
    """
    if isinstance(risk_free, pd.DataFrame) and risk_free.shape[1] == 1:
        risk_free = risk_free.iloc[:, 0]
    if isinstance(risk_free, pd.Series):
        if not isinstance(risk_free.index, pd.DatetimeIndex):
            raise DataError(f"{source}: a risk-free series must be indexed by date")
        if risk_free.index.has_duplicates or not risk_free.index.is_monotonic_increasing:
            raise DataError(f"{source}: the risk-free series' dates must be sorted and unique")
        try:
            rates = pd.to_numeric(risk_free, errors="raise").astype(float).dropna()
        except (TypeError, ValueError) as error:
            raise DataError(f"{source}: the risk-free series holds non-numbers ({error})") from None
        if rates.empty:
            raise DataError(f"{source}: the risk-free series has no rates")
        values = rates.to_numpy()
        bad = rates[~np.isfinite(values) | (values <= -1.0)]
        if not bad.empty:
            raise DataError(
                f"{source}: rate {bad.iloc[0]!r} on {bad.index[0].date()} is not an annual "
                "rate above -1"
            )
        if float(rates.abs().median()) > 1.0:
            raise DataError(
                f"{source}: rates look like percent (median {rates.abs().median():.2f}); "
                "give annual rates as decimals (0.05 for 5 %)"
            )
        bad = rates[(values <= MIN_RISK_FREE) | (values > MAX_RISK_FREE)]
        if not bad.empty:
            raise DataError(
                f"{source}: rate {bad.iloc[0]!r} on {bad.index[0].date()} is outside "
                f"({MIN_RISK_FREE:g}, {MAX_RISK_FREE:g}]: not an annual rate as a decimal"
            )
        return rates.rename(risk_free.name or "risk_free")
    if isinstance(risk_free, bool) or not isinstance(risk_free, int | float | np.floating):
        raise ConfigError(
            f"{source}: give an annual rate (a number) or a Series of annual rates by date, "
            f"got {type(risk_free).__name__}"
        )
    return check_annual_rate(risk_free, source)


def _known_at(rates: pd.Series, dates: pd.DatetimeIndex, side: str) -> np.ndarray:
    """Position of the last rate dated at or before each date (``side="right"``) or
    strictly before it (``side="left"``); -1 where none is."""
    return np.searchsorted(rates.index.as_unit("ns").asi8, dates.as_unit("ns").asi8, side=side) - 1


def _period_rates(rates: pd.Series, dates: pd.DatetimeIndex, source: str) -> np.ndarray:
    """The rate each period ending at ``dates`` earns: the one known at the close that
    starts it, ``dates[k - 1]``; for the first period (whose start is not given), the
    last one dated strictly before ``dates[0]``. A rate set inside a period (a daily
    series against monthly returns, a rate dated on a holiday) waits for the next one."""
    position = np.empty(len(dates), dtype=np.int64)
    if len(dates):
        position[:1] = _known_at(rates, dates[:1], "left")
        position[1:] = _known_at(rates, dates[:-1], "right")
    if len(position) and position[0] < 0:
        raise DataError(
            f"{source}: no risk-free rate is known before {dates[0].date()} "
            f"(the series starts {rates.index[0].date()})"
        )
    return rates.to_numpy()[position]


def cash_returns(
    risk_free: RiskFree,
    dates: pd.DatetimeIndex | None,
    periods_per_year: int = PERIODS_PER_YEAR,
    *,
    length: int | None = None,
    source: str = "risk_free",
) -> np.ndarray:
    """Per-period returns of cash over the periods ending at ``dates``, each at the rate
    known at the close that starts it (see :func:`_period_rates`).

    Parameters
    ----------
    risk_free : float or pandas.Series
        An annual rate, or annual rates dated when known (see :func:`check_risk_free`).
    dates : DatetimeIndex or None
        The last day of each period (the dates of a return series). May be None for a
        constant rate, with ``length`` giving the number of periods.
    periods_per_year : int
        The data's periods a year (252 daily, 12 monthly ...).

    Examples
    --------
    >>> dates = pd.DatetimeIndex(["2020-01-02", "2020-01-03"])
    >>> rates = pd.Series([0.0252, 0.05], index=pd.DatetimeIndex(["2020-01-01", "2020-01-02"]))
    >>> cash_returns(rates, dates, 252).round(6).tolist()
    [9.9e-05, 0.000194]
    """
    checked = check_risk_free(risk_free, source)
    if isinstance(checked, float):
        n = len(dates) if dates is not None else length
        if n is None:
            raise ConfigError(f"{source}: cash_returns needs dates or a length")
        return np.full(n, daily_rate(checked, periods_per_year))
    if dates is None:
        raise DataError(
            f"{source}: a risk-free series needs returns indexed by date to line up with"
        )
    annual = _period_rates(checked, pd.DatetimeIndex(dates), source)
    return np.power(1.0 + annual, 1.0 / periods_per_year) - 1.0


def mean_known_rate(
    risk_free: RiskFree, dates: pd.DatetimeIndex, source: str = "risk_free"
) -> float:
    """The average annual rate known over ``dates`` (a constant is itself).

    Strategies train at one cash rate: with a series, the mean of the rates known at
    the training span's closes (read from the past only)."""
    checked = check_risk_free(risk_free, source)
    if isinstance(checked, float):
        return checked
    position = _known_at(checked, pd.DatetimeIndex(dates), "right")
    known = checked.to_numpy()[position[position >= 0]]
    return float(known.mean()) if known.size else 0.0


def known_rate(risk_free: RiskFree, on: object, source: str = "risk_free") -> float:
    """The annual rate known at the close of ``on`` (a constant is itself); a decision at
    ``on`` that needs one number (a frontier's maximum-Sharpe point) uses it."""
    checked = check_risk_free(risk_free, source)
    if isinstance(checked, float):
        return checked
    known = checked.loc[: pd.Timestamp(on)]
    if known.empty:
        raise DataError(
            f"{source}: no rate is known by {pd.Timestamp(on).date()} "
            f"(the series starts {checked.index[0].date()})"
        )
    return float(known.iloc[-1])
