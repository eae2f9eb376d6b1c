"""Metrics against empyrical (an independent implementation) and known answers.

VaR and CVaR are riskalloc's own (positive losses, no interpolation, Rockafellar-Uryasev
CVaR), which empyrical does not compute: they are checked against numpy's
inverted-CDF quantile and an exact Rockafellar-Uryasev minimisation instead, and
their distance to empyrical's figures is bounded.
"""

from __future__ import annotations

import math

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
}
SERIES = ["AAPL", "GE", "KO", "AAPL-2008", "GE-2008", "KO-2008", "backtest"]
CONFIDENCES = [0.95, 0.99]


def _losses(returns) -> np.ndarray:
    values = np.asarray(returns, dtype=float)
    return -values[~np.isnan(values)]


def _quantile_var(returns, confidence: float) -> float:
    """Oracle: the smallest z with P(loss <= z) >= confidence, numpy's inverted CDF."""
    return float(np.quantile(_losses(returns), confidence, method="inverted_cdf"))


def _rockafellar_uryasev_cvar(returns, confidence: float) -> float:
    """Oracle: min over z of z + E[(loss - z)+] / (1 - confidence), found exactly.

    The objective is convex and piecewise linear with kinks at the losses (slope
    1 - 1/(1 - confidence) < 0 left of them all, 1 right of them all), so its minimum
    is its smallest value at a loss. At the i-th smallest loss z = L_i the excess is
    sum_{j > i} (L_j - z) (ties add nothing), from a reversed cumulative sum.
    """
    losses = np.sort(_losses(returns))
    n = len(losses)
    above = np.r_[np.cumsum(losses[::-1])[::-1][1:], 0.0]  # sum of L_j for j > i
    count = np.arange(n - 1, -1, -1)  # how many j > i
    objective = losses + (above - count * losses) / (n * (1.0 - confidence))
    return float(objective.min())


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
    # VaR and CVaR: the evaluator's functions, which the oracles check below.
    assert metrics["var_95"] == ev.value_at_risk(returns)
    assert metrics["cvar_95"] == ev.conditional_value_at_risk(returns)
    assert metrics["var_95"] == pytest.approx(_quantile_var(returns, 0.95), rel=ORACLE_REL)
    assert metrics["cvar_95"] == pytest.approx(
        _rockafellar_uryasev_cvar(returns, 0.95), rel=ORACLE_REL
    )
    assert 0 < metrics["var_95"] < metrics["cvar_95"]  # losses, the CVaR deeper in the tail


@pytest.mark.parametrize("series_name", SERIES)
@pytest.mark.parametrize("confidence", CONFIDENCES)
def test_var_is_the_inverted_cdf_quantile_of_the_losses(real_returns, series_name, confidence):
    returns = real_returns[series_name]
    expected = _quantile_var(returns, confidence)
    # The same order statistic by hand: rank ceil(a n) - 1 (0-based) of the sorted losses,
    # and the lower order statistic of the returns, negated.
    losses = np.sort(_losses(returns))
    assert expected == losses[math.ceil(confidence * len(losses)) - 1]
    assert expected == -np.quantile(returns.to_numpy(), 1 - confidence, method="inverted_cdf")
    assert ev.value_at_risk(returns, confidence) == expected
    # The metric reads values, not the index: a bare array gives the same number.
    assert ev.value_at_risk(returns.to_numpy(), confidence) == expected


@pytest.mark.parametrize("series_name", SERIES)
@pytest.mark.parametrize("confidence", CONFIDENCES)
def test_cvar_is_the_rockafellar_uryasev_minimum(real_returns, series_name, confidence):
    returns = real_returns[series_name]
    expected = _rockafellar_uryasev_cvar(returns, confidence)
    assert ev.conditional_value_at_risk(returns, confidence) == pytest.approx(
        expected, rel=1e-12, abs=ORACLE_ABS
    )
    assert ev.conditional_value_at_risk(returns.to_numpy(), confidence) == pytest.approx(
        expected, rel=1e-12, abs=ORACLE_ABS
    )
    # A CVaR is the mean loss beyond a VaR: no smaller than it, no larger than the worst day.
    assert ev.value_at_risk(returns, confidence) <= expected <= _losses(returns).max()


@pytest.mark.parametrize("series_name", SERIES)
@pytest.mark.parametrize("confidence", CONFIDENCES)
def test_var_and_cvar_are_within_a_day_of_empyricals(real_returns, series_name, confidence):
    # empyrical states returns (negative = loss), interpolates the VaR quantile and
    # averages the worst m = floor((n - 1)(1 - a)) + 1 days. Negated, its VaR is within
    # one order statistic of ours, and both CVaRs are tail means over a tail of
    # between floor and ceil((1 - a) n) days. (On these series they differ by up to
    # about 0.5 % for VaR and 0.2 % for CVaR on 1.5 years at 99 %; by under 0.3 bp at
    # 95 % on 8,000 days.)
    returns = real_returns[series_name]
    losses = np.sort(_losses(returns))[::-1]  # worst first
    n, tail = len(losses), (1 - confidence) * len(losses)
    ours_var = ev.value_at_risk(returns, confidence)
    theirs_var = -empyrical.value_at_risk(returns, cutoff=1 - confidence)
    rank = n - math.ceil(confidence * n)  # ours, counted from the worst (0-based)
    assert losses[rank] == ours_var
    assert losses[rank + 1] - 1e-15 <= theirs_var <= losses[rank - 1] + 1e-15
    deeper = losses[: math.floor(tail)].mean()  # the worst floor((1 - a) n) days
    shallower = losses[: math.ceil(tail)].mean()
    ours_cvar = ev.conditional_value_at_risk(returns, confidence)
    theirs_cvar = -empyrical.conditional_value_at_risk(returns, cutoff=1 - confidence)
    for cvar in (ours_cvar, theirs_cvar):
        assert shallower - 1e-15 <= cvar <= deeper + 1e-15
    if n > 5000:  # a long history: under half a basis point apart at 95 %, 5 bp at 99 %
        tolerance = 0.5e-4 if confidence == 0.95 else 5e-4
        assert abs(ours_var - theirs_var) < tolerance
        assert abs(ours_cvar - theirs_cvar) < tolerance


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
    # Every day a gain of `daily`: VaR and CVaR are the loss -daily (a negative loss).
    assert ev.value_at_risk(returns) == pytest.approx(-daily, rel=1e-12)
    assert ev.conditional_value_at_risk(returns) == pytest.approx(-daily, rel=1e-12)


def test_cash_earning_the_risk_free_rate_has_no_sharpe_ratio():
    daily = _daily_risk_free(0.04)
    returns = np.full(300, daily)
    assert np.isnan(ev.sharpe_ratio(returns, risk_free=0.04))
    assert np.isnan(ev.sharpe_ratio(returns))


def test_sortino_measures_downside_below_the_required_return_over_all_days():
    returns = np.array([0.02, -0.01, 0.03, -0.02])
    downside = np.sqrt((0.01**2 + 0.02**2) / 4) * np.sqrt(252)
    assert ev.sortino_ratio(returns) == pytest.approx(returns.mean() * 252 / downside, rel=1e-12)


def test_value_at_risk_takes_an_order_statistic_and_cvar_weighs_the_boundary_day():
    returns = np.arange(-10, 11) / 100.0  # -0.10 .. 0.10, 21 values
    # Losses 0.10, 0.09, ... (worst first). 95 %: ceil(0.95 * 21) = ceil(19.95) = 20, the
    # 20th smallest loss, i.e. the second worst: 0.09 (not interpolated).
    assert ev.value_at_risk(returns) == pytest.approx(0.09, abs=1e-15)
    # The worst 5 % of 21 days is 1.05 days: the 0.10 day and 0.05 of the 0.09 day,
    # (0.10 + 0.05 * 0.09) / 1.05 = 0.1045 / 1.05; Rockafellar-Uryasev says the same,
    # 0.09 + (0.10 - 0.09) / 21 / 0.05.
    assert ev.conditional_value_at_risk(returns) == pytest.approx(0.1045 / 1.05, abs=1e-15)
    assert ev.conditional_value_at_risk(returns) == pytest.approx(
        0.09 + 0.01 / 21 / 0.05, abs=1e-15
    )


# 20 daily returns; their losses, worst first: 0.047, 0.031, 0.022, 0.019, 0.015, 0.011, ...
TWENTY_DAYS = np.array([
    0.012, -0.031, 0.004, -0.008, 0.020, -0.015, 0.001, -0.047, 0.009, -0.002,
    0.015, -0.022, 0.006, -0.011, 0.003, -0.005, 0.018, -0.019, 0.007, 0.010,
])  # fmt: skip


@pytest.mark.parametrize(
    ("confidence", "var", "cvar"),
    [
        # a n = 16: the 16th smallest loss (5th worst) 0.015; the tail is exactly the 4
        # worst days: (0.047 + 0.031 + 0.022 + 0.019) / 4 = 0.119 / 4.
        (0.80, 0.015, 0.02975),
        # a n = 18: the 3rd worst, 0.022; the 2 worst days: (0.047 + 0.031) / 2.
        (0.90, 0.022, 0.039),
        # a n = 18.5 -> rank 19: the 2nd worst, 0.031; a tail of 1.5 days, the worst and
        # half the VaR day: (0.047 + 0.5 * 0.031) / 1.5 = 0.0625 / 1.5.
        (0.925, 0.031, 0.0625 / 1.5),
        # a n = 19: the 2nd worst, 0.031; the tail is the worst day alone.
        (0.95, 0.031, 0.047),
    ],
)
def test_known_var_and_cvar_of_twenty_days(confidence, var, cvar):
    assert ev.value_at_risk(TWENTY_DAYS, confidence) == pytest.approx(var, abs=1e-15)
    assert ev.conditional_value_at_risk(TWENTY_DAYS, confidence) == pytest.approx(cvar, abs=1e-15)
    # The oracles agree with the hand-worked answers, and so with the evaluator.
    assert _quantile_var(TWENTY_DAYS, confidence) == pytest.approx(var, abs=1e-15)
    assert _rockafellar_uryasev_cvar(TWENTY_DAYS, confidence) == pytest.approx(cvar, abs=1e-15)
    # The order of the days does not matter.
    shuffled = np.random.default_rng(0).permutation(TWENTY_DAYS)
    assert ev.value_at_risk(shuffled, confidence) == ev.value_at_risk(TWENTY_DAYS, confidence)


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
    metrics = ra.performance(result)
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
