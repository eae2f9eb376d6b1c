"""Calendar and units: periods per year, per-period rates, the default trading costs.

Every annualised figure in riskalloc (return, volatility, Sharpe, VaR scaling, vol
targets, the deep losses) multiplies by a number of periods a year. It is a property
of the data: 252 for daily trading dates, 52 weekly, 12 monthly, 4 quarterly.
:func:`infer_periods_per_year` reads it from the dates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskalloc.core._errors import DataError

__all__ = [
    "DEFAULT_COSTS_BPS",
    "PERIODS_PER_YEAR",
    "daily_rate",
    "infer_periods_per_year",
]

#: Trading days a year: the annualisation of daily data (empyrical's convention).
PERIODS_PER_YEAR = 252

#: Proportional cost per unit of turnover, as in the published DRL benchmark (0.1 %).
DEFAULT_COSTS_BPS = 10.0

# Median spacing of consecutive dates in calendar days -> periods a year. A band is
# generous around its centre (holidays, month lengths) and the bands do not touch.
_FREQUENCIES = (
    ("daily", 1.0, 4.5, 252),
    ("weekly", 5.5, 9.5, 52),
    ("monthly", 26.0, 35.0, 12),
    ("quarterly", 85.0, 95.0, 4),
    ("annual", 360.0, 370.0, 1),
)


def daily_rate(annual_rate: float, periods_per_year: int = PERIODS_PER_YEAR) -> float:
    """The per-period rate compounding to ``annual_rate`` over ``periods_per_year`` periods.

    ``(1 + annual_rate) ** (1 / periods_per_year) - 1``; a daily rate for daily data.

    Examples
    --------
    >>> round(daily_rate(0.05, 12), 8)
    0.00407412
    """
    return float((1.0 + annual_rate) ** (1.0 / periods_per_year) - 1.0)


def infer_periods_per_year(dates: pd.DatetimeIndex, source: str = "prices") -> int:
    """Periods a year of a regular calendar, read from the spacing of ``dates``.

    Daily trading dates (gaps of 1-4 calendar days: weekends, holidays) give 252,
    weekly 52, monthly 12, quarterly 4, annual 1. The median gap decides; a gap
    more than twice the typical one for that frequency (beyond weekends and
    holidays for daily data) is an irregular calendar, reported with its two dates.

    Raises
    ------
    DataError
        Fewer than two dates, or a calendar that is not regular.

    Examples
    --------
    >>> infer_periods_per_year(pd.bdate_range("2020-01-01", periods=30))
    252
    >>> infer_periods_per_year(pd.date_range("2020-01-31", periods=24, freq="ME"))
    12
    """
    dates = pd.DatetimeIndex(dates)
    if len(dates) < 2:
        raise DataError(f"{source}: need at least two dates to tell the data frequency")
    gaps = np.diff(dates.as_unit("ns").asi8) / 86_400e9
    typical = float(np.median(gaps))
    for name, low, high, periods in _FREQUENCIES:
        if low <= typical <= high:
            # Daily data may skip a long weekend plus holidays (up to ~5 days); longer
            # stretches are missing data. Other frequencies allow one missing period.
            largest = 7.0 if periods == 252 else 2.0 * high
            irregular = np.flatnonzero(gaps > largest)
            if irregular.size:
                at = irregular[0]
                raise DataError(
                    f"{source}: irregular {name} calendar: {gaps[at]:.0f} days between "
                    f"{dates[at].date()} and {dates[at + 1].date()} (typical gap {typical:.0f}); "
                    "give --periods-per-year to use it anyway"
                )
            return periods
    raise DataError(
        f"{source}: cannot tell the data frequency: the typical gap between dates is "
        f"{typical:.1f} days (between {dates[0].date()} and {dates[1].date()}), not daily, "
        "weekly, monthly, quarterly or annual; give --periods-per-year"
    )
