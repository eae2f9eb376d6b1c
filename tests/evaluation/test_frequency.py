"""Any regular data frequency: annualised figures use the periods a year of the dates.

Known answers from empyrical (an independent implementation) with its ``period``
setting, on real monthly and weekly returns made from the bundled daily prices; and
the case a user hit: a monthly price file backtested with monthly rebalancing once
reported a 702 % annual return, every figure annualised as if a month were a day.
"""

from __future__ import annotations

import empyrical
import numpy as np
import pandas as pd
import pytest

import riskalloc as ra
from riskalloc import evaluation as ev
from riskalloc.core import DataError, infer_periods_per_year

REL = 1e-9


def _resampled_returns(rule: str) -> pd.Series:
    """Returns of the S&P 500 index at the last trading date of each period."""
    close = ra.load_dataset("sp500_index").iloc[:, 0].loc["2000-01-01":"2019-12-31"]
    last = close.groupby(close.index.to_period(rule)).tail(1)
    return (last / last.shift(1) - 1.0).iloc[1:].rename("sp500")


@pytest.mark.parametrize(
    ("rule", "period", "periods"),
    [("M", empyrical.MONTHLY, 12), ("W", empyrical.WEEKLY, 52), ("Q", empyrical.QUARTERLY, 4)],
)
def test_metrics_match_empyrical_at_its_period_setting(rule, period, periods):
    returns = _resampled_returns(rule)
    assert infer_periods_per_year(returns.index) == periods
    pairs = {
        "annual_return": (ev.annual_return(returns), empyrical.annual_return(returns, period)),
        "annual_volatility": (
            ev.annual_volatility(returns),
            empyrical.annual_volatility(returns, period),
        ),
        "sharpe": (ev.sharpe_ratio(returns), empyrical.sharpe_ratio(returns, period=period)),
        "sortino": (ev.sortino_ratio(returns), empyrical.sortino_ratio(returns, period=period)),
        "calmar": (ev.calmar_ratio(returns), empyrical.calmar_ratio(returns, period)),
    }
    for name, (ours, theirs) in pairs.items():
        assert ours == pytest.approx(float(theirs), rel=REL), name
    # A rate per period of the data, not per trading day.
    annual = 0.03
    per_period = (1 + annual) ** (1 / periods) - 1
    assert ev.sharpe_ratio(returns, annual) == pytest.approx(
        float(empyrical.sharpe_ratio(returns, risk_free=per_period, period=period)), rel=REL
    )
    table = ev.performance(returns)
    assert table["annual_return"] == pytest.approx(pairs["annual_return"][0], rel=REL)
    assert table["sharpe"] == pytest.approx(pairs["sharpe"][0], rel=REL)


def test_an_explicit_periods_per_year_overrides_the_dates():
    returns = _resampled_returns("M")
    assert ev.annual_volatility(returns, periods_per_year=12) == pytest.approx(
        float(np.std(returns, ddof=1) * np.sqrt(12))
    )
    assert ev.annual_volatility(returns, periods_per_year=252) == pytest.approx(
        float(np.std(returns, ddof=1) * np.sqrt(252))
    )


@pytest.fixture(scope="module")
def monthly_prices() -> pd.DataFrame:
    """Month-end prices of 12 bundled stocks, 2005-2019 (as a user's monthly file)."""
    daily = ra.load_dataset("sp500").loc["2005-01-01":"2019-12-31"].iloc[:, :12]
    return daily.groupby(daily.index.to_period("M")).tail(1)


def test_a_monthly_backtest_reports_monthly_figures(monthly_prices):
    result = ra.backtest(
        monthly_prices,
        ra.get_strategy("equal_weight"),
        rebalance="monthly",
        test_start="2012-01-01",
        costs_bps=0,
    )
    assert result.periods_per_year == 12
    metrics = ra.performance(result)
    months = len(result.returns)
    growth = float(np.prod(1 + result.returns))
    assert metrics["annual_return"] == pytest.approx(growth ** (12 / months) - 1, rel=1e-12)
    assert metrics["annual_return"] == pytest.approx(
        float(empyrical.annual_return(result.returns, empyrical.MONTHLY)), rel=REL
    )
    # The same portfolio on the daily prices of the same span (rebalanced at month ends
    # there too) compounds to nearly the same annual return and Sharpe ratio.
    daily = ra.load_dataset("sp500").loc["2005-01-01":"2019-12-31", list(monthly_prices.columns)]
    reference = ra.performance(
        ra.backtest(
            daily.loc[: monthly_prices.index[-1]],
            ra.get_strategy("equal_weight"),
            rebalance="monthly",
            test_start=result.returns.index[0] + pd.Timedelta(days=1),
            costs_bps=0,
        )
    )
    assert 0.05 < metrics["annual_return"] < 0.25
    assert abs(metrics["annual_return"] - reference["annual_return"]) < 0.01
    assert abs(metrics["sharpe"] - reference["sharpe"]) < 0.25


def test_an_irregular_calendar_is_refused_with_two_dates(monthly_prices):
    holed = monthly_prices.drop(monthly_prices.index[40:45])
    with pytest.raises(DataError, match=r"irregular monthly calendar: .* between 2008-04-30"):
        ra.backtest(holed, ra.get_strategy("equal_weight"), rebalance="monthly")
    # Given explicitly, the user takes responsibility for the calendar.
    result = ra.backtest(
        holed, ra.get_strategy("equal_weight"), rebalance="monthly", periods_per_year=12
    )
    assert result.periods_per_year == 12


def test_microsecond_dates_are_read_like_nanosecond_ones():
    dates = pd.bdate_range("2020-01-01", periods=30)
    assert infer_periods_per_year(dates.as_unit("us")) == 252
    assert infer_periods_per_year(dates.as_unit("s")) == 252
