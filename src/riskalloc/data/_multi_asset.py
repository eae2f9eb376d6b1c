"""The multi-asset universe: Treasury indices from par yields, and indicators dated when known.

Pure functions of public series, in decimals, on trading dates. The build script
``tools/build_datasets.py`` reads the raw series out of the zipline-reloaded and arch
wheels, converts their units and calls :func:`multi_asset_frames`; the bundled files
``multi_asset.parquet`` and ``multi_asset_indicators.parquet`` are its output (see
``riskalloc/data/files/PROVENANCE.md``). Tests call the same functions, so the
formulas that built the files are the ones they check.

Dating rule: a value sits on the first trading date at whose close it is known, and
gaps are filled forward from the past only, never backward.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskalloc.core import PERIODS_PER_YEAR

__all__ = [
    "ACCRUAL_DAYS_PER_YEAR",
    "BASE_LEVEL",
    "TREASURY_MATURITIES",
    "VOLATILITY_WINDOW",
    "as_of_dates",
    "constant_maturity_returns",
    "known_from_next_month",
    "multi_asset_frames",
    "par_bond_price",
    "total_return_index",
    "trailing_volatility",
]

#: Maturity in years of each constant-maturity Treasury index, and its par-yield column.
TREASURY_MATURITIES: dict[str, tuple[float, str]] = {
    "UST2Y": (2.0, "2year"),
    "UST5Y": (5.0, "5year"),
    "UST10Y": (10.0, "10year"),
}

#: Day count of the coupon accrual: actual calendar days over 365.
ACCRUAL_DAYS_PER_YEAR = 365.0

#: Trading days in the trailing window of ``equity_volatility`` (about one month).
VOLATILITY_WINDOW = 21

#: Every index of the bundled prices starts at this level on the first date.
BASE_LEVEL = 100.0


def par_bond_price(
    coupon: float | np.ndarray | pd.Series,
    yield_: float | np.ndarray | pd.Series,
    maturity: float,
) -> np.ndarray:
    """Price per unit of face value of a bond with semiannual coupons, at a yield.

    The bond pays ``coupon / 2`` every half year for ``maturity`` years and its face
    value at the end; ``yield_`` is compounded semiannually (the bond-equivalent yield
    of the Treasury par curve). With ``n = 2 * maturity`` and ``v = 1 / (1 + yield_ / 2)``:

    ``P = coupon / yield_ * (1 - v**n) + v**n``, and ``P = 1 + coupon * maturity``
    at a zero yield. A par bond (``coupon == yield_``) is priced at exactly 1.

    Parameters
    ----------
    coupon, yield_ : float or array-like
        Annual coupon rate and annual yield, as decimals (0.05 is 5 %).
    maturity : float
        Years to maturity, a whole number of half years.

    Returns
    -------
    numpy.ndarray
        Prices per unit face value (a 0-d array for scalar inputs).

    Examples
    --------
    >>> float(par_bond_price(0.05, 0.05, 10.0))
    1.0
    >>> round(float(par_bond_price(0.05, 0.06, 10.0)), 4)
    0.9256
    """
    periods = 2.0 * maturity
    if periods <= 0 or not float(periods).is_integer():
        raise ValueError(f"maturity must be a positive whole number of half years, got {maturity}")
    coupon = np.asarray(coupon, dtype=float)
    yield_ = np.asarray(yield_, dtype=float)
    discount = (1.0 + yield_ / 2.0) ** -periods
    near_zero = np.abs(yield_) < 1e-12
    safe_yield = np.where(near_zero, 1.0, yield_)
    annuity = np.where(near_zero, maturity, (1.0 - discount) / safe_yield)
    return coupon * annuity + discount


def constant_maturity_returns(yields: pd.Series, maturity: float) -> pd.Series:
    """Daily total returns of a constant-maturity Treasury index built from par yields.

    At each close the index holds a par bond of ``maturity`` years, bought at the
    close's par yield (so its coupon equals that yield). At the next close it is
    repriced at the new par yield with the same maturity, earns the coupon accrued
    over the calendar days between the closes, and is sold to buy the new par bond:

    ``r[t] = P(coupon=y[t-1], yield=y[t], maturity) - 1 + y[t-1] * days[t] / 365``

    with ``P`` from :func:`par_bond_price` and ``days[t]`` the calendar days from
    date ``t-1`` to date ``t``. Roll-down (the bond being a day shorter) is left out,
    as in the usual constant-maturity approximation.

    Parameters
    ----------
    yields : pandas.Series
        Par yields (annual decimals) on trading dates, without gaps.
    maturity : float
        Years to maturity.

    Returns
    -------
    pandas.Series
        Simple returns on the same dates; the first is NaN.

    Examples
    --------
    >>> dates = pd.to_datetime(["2001-01-02", "2001-01-03"])
    >>> r = constant_maturity_returns(pd.Series([0.05, 0.05], index=dates), 10.0)
    >>> round(float(r.iloc[1]), 8) == round(0.05 / 365, 8)
    True
    """
    previous = yields.shift(1)
    days = yields.index.to_series().diff().dt.days.to_numpy(dtype=float)
    price = par_bond_price(previous.to_numpy(), yields.to_numpy(), maturity)
    accrual = previous.to_numpy() * days / ACCRUAL_DAYS_PER_YEAR
    return pd.Series(price - 1.0 + accrual, index=yields.index, name=yields.name)


def as_of_dates(series: pd.Series, dates: pd.DatetimeIndex) -> pd.Series:
    """The latest observation at or before each date: forward-filled, never back-filled.

    Missing observations (NaN) are skipped, so a date gets the last value actually
    observed; dates before the first observation stay NaN.

    Examples
    --------
    >>> observed = pd.Series([1.0, None, 3.0], index=pd.to_datetime(["2001-01-02", "2001-01-03", "2001-01-05"]))
    >>> as_of_dates(observed, pd.to_datetime(["2001-01-01", "2001-01-04", "2001-01-05"])).tolist()
    [nan, 1.0, 3.0]
    """
    observed = series.dropna().sort_index()
    return observed.reindex(pd.DatetimeIndex(dates), method="ffill").rename(series.name)


def known_from_next_month(monthly: pd.Series, dates: pd.DatetimeIndex) -> pd.Series:
    """A monthly series on trading dates, each month's value usable only from the next month.

    A monthly average (such as Moody's yields on FRED, dated the first of their month)
    is complete only after the month's last day. The value of month ``m`` therefore
    appears on the first date of ``dates`` in month ``m + 1`` or later and is carried
    forward until the next month's value appears.

    Examples
    --------
    >>> monthly = pd.Series([1.0, 2.0], index=pd.to_datetime(["2001-01-01", "2001-02-01"]))
    >>> dates = pd.to_datetime(["2001-01-31", "2001-02-01", "2001-02-28", "2001-03-01"])
    >>> known_from_next_month(monthly, dates).tolist()
    [nan, 1.0, 1.0, 2.0]
    """
    months = pd.DatetimeIndex(monthly.index).to_period("M")
    available = pd.Series(monthly.to_numpy(), index=(months + 1).to_timestamp(), name=monthly.name)
    return as_of_dates(available, dates)


def trailing_volatility(
    returns: pd.Series,
    window: int = VOLATILITY_WINDOW,
    periods_per_year: int = PERIODS_PER_YEAR,
) -> pd.Series:
    """Annualised realised volatility of the last ``window`` returns, up to and including t.

    ``sigma[t] = std(r[t-window+1], ..., r[t]) * sqrt(periods_per_year)`` with the
    sample standard deviation (``ddof=1``); NaN until ``window`` returns exist.
    """
    rolling = returns.rolling(window, min_periods=window).std(ddof=1)
    return rolling * np.sqrt(periods_per_year)


def total_return_index(returns: pd.Series, base: float = BASE_LEVEL) -> pd.Series:
    """``base * (1 + r[1]) * ... * (1 + r[t])``; ``base`` on the first date, whose return is unused."""
    growth = (1.0 + returns.iloc[1:].astype(float)).cumprod()
    return pd.concat([pd.Series([1.0], index=returns.index[:1]), growth]).mul(base)


def multi_asset_frames(
    spy_returns: pd.Series,
    par_yields: pd.DataFrame,
    wti: pd.Series,
    corporate_yields: pd.DataFrame,
    vix: pd.Series,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The bundled multi-asset prices and their indicators, from the raw public series.

    The dates are SPY's, from its first date to the last date of the par-yield curve.
    Every input is in decimals (a 5 % yield is 0.05) and indexed by naive dates.

    Parameters
    ----------
    spy_returns : pandas.Series
        SPY's daily simple returns; its dates are the trading dates.
    par_yields : pandas.DataFrame
        Daily Treasury par yields with columns ``3month``, ``2year``, ``5year``,
        ``10year``; days the bond market was closed are filled from the previous close.
    wti : pandas.Series
        WTI spot prices; missing days are filled from the previous price.
    corporate_yields : pandas.DataFrame
        Monthly averages of Moody's ``AAA`` and ``BAA`` yields, dated the first of the month.
    vix : pandas.Series
        Daily VIX closes, as a decimal (0.15 for a VIX of 15).

    Returns
    -------
    prices : pandas.DataFrame
        ``SPY``, ``UST2Y``, ``UST5Y``, ``UST10Y``, ``WTI``, each 100 on the first date.
    indicators : pandas.DataFrame
        ``tbill3m``, ``ust10y_yield``, ``term_spread``, ``credit_spread``,
        ``equity_volatility``, ``vix``, each dated at the close it is known.
    """
    dates = spy_returns.index[spy_returns.index <= par_yields.index.max()]
    dates = pd.DatetimeIndex(dates, name="date")
    spy = spy_returns.reindex(dates).astype(float)
    spy.iloc[0] = np.nan  # its return is from a close before the first date
    yields = {column: as_of_dates(par_yields[column], dates) for column in par_yields.columns}

    prices = pd.DataFrame(index=dates)
    prices["SPY"] = total_return_index(spy)
    for name, (maturity, column) in TREASURY_MATURITIES.items():
        prices[name] = total_return_index(constant_maturity_returns(yields[column], maturity))
    prices["WTI"] = as_of_dates(wti, dates)

    indicators = pd.DataFrame(index=dates)
    indicators["tbill3m"] = yields["3month"]
    indicators["ust10y_yield"] = yields["10year"]
    indicators["term_spread"] = yields["10year"] - yields["3month"]
    spread = corporate_yields["BAA"] - corporate_yields["AAA"]
    indicators["credit_spread"] = known_from_next_month(spread, dates)
    indicators["equity_volatility"] = trailing_volatility(spy)
    indicators["vix"] = as_of_dates(vix, dates)
    return prices, indicators
