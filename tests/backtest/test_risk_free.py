"""A real risk-free rate: cash earns the rate known at the previous close, and the Sharpe
ratio and statistics are in excess of that series.

Known answers: a portfolio all in cash earns exactly the compounded bill rates; a
constant series gives the same figures as the number; the Sharpe ratio against a series
matches empyrical's with the per-period rates; changing a rate after a date moves
nothing before the period it pays for.
"""

from __future__ import annotations

import empyrical
import numpy as np
import pandas as pd
import pytest

import riskalloc as ra
from riskalloc import evaluation as ev
from riskalloc.core import ConfigError, DataError, cash_returns


@pytest.fixture(scope="module")
def bull():
    return ra.scenario("bull-2010")


def _rates(dates: pd.DatetimeIndex, seed: int = 0) -> pd.Series:
    """A wandering annual rate between 0 and 6 %, one per date."""
    steps = np.random.default_rng(seed).normal(0, 0.0005, len(dates))
    return pd.Series(np.clip(0.03 + np.cumsum(steps), 0.0, 0.06), index=dates, name="bill")


class _AllCash:
    """Holds nothing but cash (a protocol-only strategy)."""

    name = "all_cash"

    def fit(self, train, context=None):
        return self

    def allocate(self, history, dates):
        return pd.DataFrame(0.0, index=dates, columns=history.assets)


def test_cash_earns_the_rate_known_at_the_previous_close(bull):
    rates = _rates(bull.prices.index)
    all_cash = _AllCash()
    result = ra.backtest(bull, all_cash, risk_free=rates, costs_bps=0)
    dates = result.returns.index
    previous = rates.shift(1).loc[dates]
    expected = (1 + previous) ** (1 / 252) - 1
    np.testing.assert_allclose(result.returns.to_numpy(), expected.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(result.cash_returns.to_numpy(), expected.to_numpy(), rtol=1e-12)
    # Cash in excess of itself has no Sharpe ratio at all.
    assert np.isnan(ra.performance(result)["sharpe"])


def test_a_constant_series_gives_the_figures_of_the_number(bull):
    flat = pd.Series(0.02, index=bull.prices.index)
    strategy = ra.get_strategy("fixed_mix", weights={"AAPL": 0.3, "MSFT": 0.3})
    by_number = ra.performance(ra.backtest(bull, strategy, risk_free=0.02))
    by_series = ra.performance(ra.backtest(bull, strategy, risk_free=flat))
    pd.testing.assert_series_equal(by_number, by_series, rtol=1e-10)


def test_sharpe_and_sortino_against_a_series_match_empyrical(bull):
    rates = _rates(bull.prices.index, seed=1)
    result = ra.backtest(bull, ra.get_strategy("inverse_volatility"), risk_free=rates)
    per_period = cash_returns(rates, result.returns.index, 252)
    assert ev.sharpe_ratio(result.returns, rates) == pytest.approx(
        float(empyrical.sharpe_ratio(result.returns, risk_free=per_period)), rel=1e-10
    )
    assert ra.performance(result)["sortino"] == pytest.approx(
        float(empyrical.sortino_ratio(result.returns - per_period)), rel=1e-10
    )
    # The probabilistic Sharpe ratio is of the excess returns too.
    excess = result.returns - per_period
    assert ev.probabilistic_sharpe_ratio(result.returns, 0.0, rates) == pytest.approx(
        ev.probabilistic_sharpe_ratio(excess), rel=1e-12
    )


def test_a_later_rate_changes_nothing_before_the_period_it_pays_for(bull):
    rates = _rates(bull.prices.index, seed=2)
    strategy = ra.get_strategy("fixed_mix", weights={"AAPL": 0.5})
    before = ra.backtest(bull, strategy, risk_free=rates)
    changed_on = before.returns.index[100]
    poisoned = rates.copy()
    poisoned.loc[changed_on:] += 0.5
    after = ra.backtest(bull, strategy, risk_free=poisoned)
    # The rate of date t pays for the period ending t+1: returns up to t are unchanged.
    untouched = before.returns.index <= changed_on
    np.testing.assert_array_equal(
        before.returns[untouched].to_numpy(), after.returns[untouched].to_numpy()
    )
    assert not np.allclose(before.returns[~untouched], after.returns[~untouched])
    pd.testing.assert_frame_equal(before.weights, after.weights)


def test_the_multi_asset_scenarios_bill_rate(tmp_path):
    scenario = ra.scenario("multi-asset-2008")
    result = ra.backtest(
        scenario, ra.get_strategy("fixed_mix", weights={"SPY": 0.6}), risk_free="tbill"
    )
    bills = scenario.cash_rate
    expected = (1 + bills.shift(1).loc[result.returns.index]) ** (1 / 252) - 1
    np.testing.assert_allclose(result.cash_returns, expected, rtol=1e-12)
    # 2005-2017: bills from about 5 % (2007) to about 0 (2009-2015).
    assert 0.045 < bills.loc["2007"].max() < 0.055 and bills.loc["2012"].max() < 0.002


def test_rates_that_cannot_serve_are_refused_by_name(bull):
    strategy = ra.get_strategy("equal_weight")
    late = _rates(bull.prices.index).loc["2016-01-01":]
    with pytest.raises(DataError, match="no risk-free rate is known before"):
        ra.backtest(bull, strategy, risk_free=late)
    with pytest.raises(DataError, match="look like percent"):
        ra.backtest(bull, strategy, risk_free=_rates(bull.prices.index) * 100)
    with pytest.raises(ConfigError, match="has no bill rate"):
        ra.backtest(bull, strategy, risk_free="tbill")
    with pytest.raises(ConfigError, match="is not a rate"):
        ra.backtest(bull, strategy, risk_free="libor")


def test_a_rate_set_inside_a_period_waits_for_the_next_period():
    # Monthly returns against daily rates: the rate that jumps on 2020-02-17 is set
    # inside the period 2020-01-31 .. 2020-02-28 and first earned from 2020-02-28 on.
    rates = pd.Series(
        [0.01, 0.12], index=pd.DatetimeIndex(["2019-12-01", "2020-02-17"]), name="bill"
    )
    dates = pd.DatetimeIndex(["2020-01-31", "2020-02-28", "2020-03-31"])
    got = cash_returns(rates, dates, 12)
    expected = np.power(1 + np.array([0.01, 0.01, 0.12]), 1 / 12) - 1
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-15)
    # A rate dated on a holiday (Good Friday) starts with the period after the next close.
    holiday = pd.Series([0.01, 0.05], index=pd.DatetimeIndex(["2020-01-01", "2020-04-10"]))
    days = pd.DatetimeIndex(["2020-04-09", "2020-04-13", "2020-04-14"])
    np.testing.assert_allclose(
        cash_returns(holiday, days, 252),
        np.power(1 + np.array([0.01, 0.01, 0.05]), 1 / 252) - 1,
        rtol=0,
        atol=1e-15,
    )
