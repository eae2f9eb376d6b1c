"""Metrics against empyrical (an independent implementation) and known answers."""

from __future__ import annotations

import empyrical
import numpy as np
import pandas as pd
import pytest

import riskalloc as ra
from riskalloc import evaluation as ev

ORACLE_REL = 1e-8
ORACLE_ABS = 1e-12
ANNUAL_RISK_FREE = 0.03
DAILY_REQUIRED = 0.0004


@pytest.fixture(scope="module")
def real_returns() -> dict[str, pd.Series]:
    """Daily returns of real assets (whole history and the 2008 crisis) and of a backtest."""
    prices = ra.load_dataset("sp500")
    series = {}
    for asset in ("AAPL", "GE", "KO"):
        returns = (prices[asset] / prices[asset].shift(1) - 1.0).iloc[1:]
        series[asset] = returns
        series[f"{asset}-2008"] = returns.loc["2008-01-01":"2009-06-30"]
    result = ra.backtest(
        ra.scenario("bull-2010"), ra.get_strategy("inverse_volatility"), rebalance="weekly"
    )
    series["backtest"] = result.returns
    return series


def _daily_risk_free(annual: float) -> float:
    return (1.0 + annual) ** (1.0 / 252) - 1.0


# (ours, empyrical's) for each metric; empyrical's Sharpe takes a *daily* risk-free
# return and its VaR/CVaR a tail probability (cutoff) rather than a confidence.
ORACLES = {
    "annual_return": (ev.annual_return, empyrical.annual_return),
    "cumulative_return": (ev.cumulative_return, empyrical.cum_returns_final),
    "annual_volatility": (ev.annual_volatility, empyrical.annual_volatility),
    "sharpe": (ev.sharpe_ratio, empyrical.sharpe_ratio),
    "sharpe_rf": (
        lambda r: ev.sharpe_ratio(r, risk_free=ANNUAL_RISK_FREE),
        lambda r: empyrical.sharpe_ratio(r, risk_free=_daily_risk_free(ANNUAL_RISK_FREE)),
    ),
    "sortino": (ev.sortino_ratio, empyrical.sortino_ratio),
    "sortino_required": (
        lambda r: ev.sortino_ratio(r, required_return=DAILY_REQUIRED),
        lambda r: empyrical.sortino_ratio(r, required_return=DAILY_REQUIRED),
    ),
    "calmar": (ev.calmar_ratio, empyrical.calmar_ratio),
    "stability": (ev.stability, empyrical.stability_of_timeseries),
    "max_drawdown": (ev.max_drawdown, empyrical.max_drawdown),
    "var_95": (ev.value_at_risk, empyrical.value_at_risk),
    "var_99": (
        lambda r: ev.value_at_risk(r, confidence=0.99),
        lambda r: empyrical.value_at_risk(r, cutoff=0.01),
    ),
    "cvar_95": (ev.conditional_value_at_risk, empyrical.conditional_value_at_risk),
    "cvar_99": (
        lambda r: ev.conditional_value_at_risk(r, confidence=0.99),
        lambda r: empyrical.conditional_value_at_risk(r, cutoff=0.01),
    ),
}
SERIES = ["AAPL", "GE", "KO", "AAPL-2008", "GE-2008", "KO-2008", "backtest"]


@pytest.mark.parametrize("series_name", SERIES)
@pytest.mark.parametrize("metric", list(ORACLES))
def test_metric_matches_empyrical_on_real_returns(real_returns, series_name, metric):
    returns = real_returns[series_name]
    ours, theirs = ORACLES[metric]
    expected = float(theirs(returns))
    assert np.isfinite(expected)
    assert ours(returns) == pytest.approx(expected, rel=ORACLE_REL, abs=ORACLE_ABS)
    # The metric reads values, not the index: a bare array gives the same number.
    assert ours(returns.to_numpy()) == pytest.approx(expected, rel=ORACLE_REL, abs=ORACLE_ABS)


def test_the_risk_free_rate_is_annual_and_converted_geometrically(real_returns):
    returns = real_returns["backtest"]
    daily = (1.03) ** (1 / 252) - 1
    excess = returns.to_numpy() - daily
    by_hand = excess.mean() / excess.std(ddof=1) * np.sqrt(252)
    assert ev.sharpe_ratio(returns, risk_free=0.03) == pytest.approx(by_hand, rel=1e-12)
    # An annual rate used as if it were daily would give a very different number.
    assert ev.sharpe_ratio(returns, risk_free=0.03) != pytest.approx(
        empyrical.sharpe_ratio(returns, risk_free=0.03), rel=1e-3
    )


def test_performance_matches_the_individual_metrics_and_empyrical(real_returns):
    returns = real_returns["backtest"]
    metrics = ra.performance(returns, risk_free=ANNUAL_RISK_FREE)
    assert metrics["sharpe"] == pytest.approx(
        empyrical.sharpe_ratio(returns, risk_free=_daily_risk_free(ANNUAL_RISK_FREE)),
        rel=ORACLE_REL,
    )
    assert metrics["annual_return"] == pytest.approx(
        empyrical.annual_return(returns), rel=ORACLE_REL
    )
    assert metrics["cvar_95"] == pytest.approx(
        empyrical.conditional_value_at_risk(returns), rel=ORACLE_REL
    )


# --- known answers --------------------------------------------------------------------


def test_a_first_day_loss_counts_as_a_drawdown():
    # Wealth 1 -> 0.9 -> 0.945 -> 0.99225: the worst fall is the 10 % of day one.
    assert ev.max_drawdown([-0.10, 0.05, 0.05]) == pytest.approx(-0.10, abs=1e-15)
    # A loss that is only ever a loss from the initial capital.
    assert ev.max_drawdown([-0.02]) == pytest.approx(-0.02, abs=1e-15)
    # Later, deeper drawdown from a new peak: 1 -> 0.9 -> 1.08 -> 0.864 (-20 % of 1.08).
    assert ev.max_drawdown([-0.10, 0.20, -0.20]) == pytest.approx(-0.20, abs=1e-15)
    assert ev.max_drawdown([0.01, 0.02, 0.03]) == 0.0


def test_calmar_uses_the_whole_span_cagr_over_the_drawdown():
    returns = np.array([-0.10, 0.05, 0.05])
    cagr = (0.9 * 1.05 * 1.05) ** (252 / 3) - 1
    assert ev.calmar_ratio(returns) == pytest.approx(cagr / 0.10, rel=1e-12)
    assert np.isnan(ev.calmar_ratio([0.01, 0.02]))  # no drawdown


@pytest.mark.parametrize("n_days", [5, 100, 252, 1000])
@pytest.mark.parametrize("daily", [0.0001, 0.0003, 0.001, 0.1])
def test_a_constant_series(daily, n_days):
    returns = np.full(n_days, daily)
    assert ev.cumulative_return(returns) == pytest.approx((1 + daily) ** n_days - 1, rel=1e-12)
    assert ev.annual_return(returns) == pytest.approx((1 + daily) ** 252 - 1, rel=1e-12)
    assert ev.annual_volatility(returns) == pytest.approx(0.0, abs=1e-15)
    # No dispersion: the Sharpe ratio is undefined, whatever the risk-free rate and
    # whatever bit the floating-point mean lands on.
    assert np.isnan(ev.sharpe_ratio(returns))
    assert np.isnan(ev.sharpe_ratio(returns, risk_free=0.05))
    # Never below the required return: no downside, infinitely good.
    assert ev.sortino_ratio(returns) == np.inf
    assert ev.max_drawdown(returns) == 0.0
    assert np.isnan(ev.calmar_ratio(returns))
    assert ev.stability(returns) == pytest.approx(1.0, abs=1e-12)
    assert ev.value_at_risk(returns) == pytest.approx(daily, rel=1e-12)
    assert ev.conditional_value_at_risk(returns) == pytest.approx(daily, rel=1e-12)


def test_cash_earning_the_risk_free_rate_has_no_sharpe_ratio():
    daily = _daily_risk_free(0.04)
    returns = np.full(300, daily)
    assert np.isnan(ev.sharpe_ratio(returns, risk_free=0.04))
    assert np.isnan(ev.sharpe_ratio(returns))


def test_sortino_measures_downside_below_the_required_return_over_all_days():
    returns = np.array([0.02, -0.01, 0.03, -0.02])
    downside = np.sqrt((0.01**2 + 0.02**2) / 4) * np.sqrt(252)
    assert ev.sortino_ratio(returns) == pytest.approx(returns.mean() * 252 / downside, rel=1e-12)


def test_value_at_risk_interpolates_and_cvar_averages_the_tail():
    returns = np.arange(-10, 11) / 100.0  # -0.10 .. 0.10, 21 values
    # 5 % quantile of 21 sorted values: position 0.05 * 20 = 1 -> -0.09.
    assert ev.value_at_risk(returns) == pytest.approx(-0.09, abs=1e-15)
    # floor(20 * 0.05) + 1 = 2 worst days: mean(-0.10, -0.09).
    assert ev.conditional_value_at_risk(returns) == pytest.approx(-0.095, abs=1e-15)


def test_metrics_ignore_missing_returns():
    with_gap = np.array([0.01, np.nan, -0.02, 0.015])
    without = np.array([0.01, -0.02, 0.015])
    for metric in (ev.cumulative_return, ev.annual_return, ev.annual_volatility, ev.max_drawdown):
        assert metric(with_gap) == metric(without)


def test_performance_returns_exactly_the_metric_columns_in_order():
    assert ev.METRIC_COLUMNS == (
        "annual_return",
        "cumulative_return",
        "annual_volatility",
        "sharpe",
        "sortino",
        "calmar",
        "stability",
        "max_drawdown",
        "var_95",
        "cvar_95",
        "turnover",
        "effective_holdings",
    )
    returns = pd.Series([0.01, -0.02, 0.015, 0.003], name="my_strategy")
    metrics = ra.performance(returns)
    assert tuple(metrics.index) == ev.METRIC_COLUMNS
    assert metrics.name == "my_strategy"
    assert np.isnan(metrics["turnover"]) and np.isnan(metrics["effective_holdings"])
    assert metrics["cumulative_return"] == pytest.approx(1.01 * 0.98 * 1.015 * 1.003 - 1, rel=1e-12)


def test_performance_of_a_backtest_fills_every_column():
    result = ra.backtest(
        ra.scenario("bull-2010"), ra.get_strategy("equal_weight"), rebalance="monthly"
    )
    metrics = result.performance()
    assert tuple(metrics.index) == ev.METRIC_COLUMNS
    assert metrics.notna().all()
    assert metrics["turnover"] == ev.average_turnover(result.turnover, len(result.returns))
    assert metrics["effective_holdings"] == ev.effective_holdings(result.drifted_weights)


def test_average_turnover_excludes_the_initial_purchase():
    turnover = pd.Series([1.0, 0.2, 0.1, 0.3])
    assert ev.average_turnover(turnover, n_days=20) == pytest.approx(0.6 / 20, abs=1e-15)
    # However large the initial purchase, it does not count.
    assert ev.average_turnover([0.4, 0.2, 0.1, 0.3], n_days=20) == pytest.approx(0.03, abs=1e-15)
    assert ev.average_turnover([1.0], n_days=5) == 0.0
    assert np.isnan(ev.average_turnover([1.0, 0.5], n_days=0))


@pytest.mark.parametrize("n_assets", [1, 2, 5, 20])
def test_effective_holdings_of_equal_weights_is_the_number_of_assets(n_assets):
    weights = np.full((30, n_assets), 1.0 / n_assets)
    assert ev.effective_holdings(weights) == pytest.approx(n_assets, rel=1e-12)


def test_effective_holdings_averages_over_days_and_skips_all_cash_days():
    weights = pd.DataFrame([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    # Days: 2 holdings, 1 holding, all cash (skipped) -> mean(2, 1).
    assert ev.effective_holdings(weights) == pytest.approx(1.5, rel=1e-12)
