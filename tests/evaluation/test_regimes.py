"""Market regimes: known answers, and labels that only ever look at the past."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskalloc as ra
from riskalloc.evaluation import (
    CRISIS_WINDOWS,
    equal_weight_index,
    market_regimes,
    regime_performance,
)


@pytest.fixture(scope="module")
def sp500() -> pd.Series:
    return ra.load_dataset("sp500_index").iloc[:, 0]


def test_trend_labels_follow_the_200_day_mean_of_closes_before_each_day():
    dates = pd.bdate_range("2000-01-03", periods=600)
    # Up for 400 days, then down: bull once 200 past closes exist, bear soon after the top.
    levels = np.concatenate([np.linspace(100, 200, 400), np.linspace(199, 120, 200)])
    labels = market_regimes(pd.Series(levels, index=dates))
    assert not labels.iloc[:200][["bull", "bear"]].any().any()  # no full window before day 200
    assert labels.iloc[200:400]["bull"].all() and not labels.iloc[200:400]["bear"].any()
    assert labels.iloc[-50:]["bear"].all()
    # Day i is judged on the close of day i-1 against the mean of closes i-200 .. i-1.
    close = pd.Series(levels, index=dates)
    for i in (250, 450, 520, 599):
        expected = close.iloc[i - 1] > close.iloc[i - 200 : i].mean()
        assert labels.iloc[i]["bull"] == expected and labels.iloc[i]["bear"] == (not expected)


def test_volatility_labels_compare_recent_volatility_with_its_own_past():
    rng = np.random.default_rng(0)
    dates = pd.bdate_range("2000-01-03", periods=700)
    returns = np.concatenate([rng.normal(0, 0.004, 600), rng.normal(0, 0.03, 100)])
    labels = market_regimes(pd.Series(100 * np.cumprod(1 + returns), index=dates))
    volatile = labels.iloc[600 + 64 :]
    assert volatile["high volatility"].all() and not volatile["low volatility"].any()
    calm = labels.iloc[400:600]
    assert (calm["high volatility"] ^ calm["low volatility"]).all()  # exactly one of the two
    assert not labels.iloc[:300][["high volatility", "low volatility"]].any().any()  # no history


def test_crisis_windows_are_the_named_calendar_days(sp500):
    labels = market_regimes(sp500, sp500.loc["2007":"2021"].index)
    for name, (first, last) in CRISIS_WINDOWS.items():
        inside = labels.index[labels[name]]
        assert inside[0] >= pd.Timestamp(first) and inside[-1] <= pd.Timestamp(last)
        assert len(inside) == len(sp500.loc[first:last])
    assert labels.loc["2008-10-15", "bear"] and labels.loc["2008-10-15", "high volatility"]
    assert labels.loc["2013-06-03", "bull"]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cutoff=st.integers(min_value=0, max_value=1250),
    factor=st.floats(min_value=0.2, max_value=5.0),
    noise_seed=st.integers(min_value=0, max_value=2**16),
)
def test_poisoning_prices_from_a_day_on_changes_no_label_up_to_that_day(
    sp500, cutoff, factor, noise_seed
):
    """Labels on or before D are the same whatever the index does on D and after."""
    index = sp500.loc["2005":"2010"]
    day = index.index[cutoff]
    rng = np.random.default_rng(noise_seed)
    poisoned = index.copy()
    after = poisoned.index >= day
    poisoned[after] = poisoned[after] * factor * rng.lognormal(0, 0.2, after.sum())
    dates = index.index
    clean = market_regimes(index, dates)
    dirty = market_regimes(poisoned, dates)
    pd.testing.assert_frame_equal(clean.loc[:day], dirty.loc[:day])


def test_the_poison_check_can_fail_a_labelling_that_peeks():
    """The same check catches a rule that uses the close of the day itself."""
    rng = np.random.default_rng(1)
    dates = pd.bdate_range("2001-01-01", periods=400)
    close = pd.Series(100 * np.cumprod(1 + rng.normal(0, 0.01, 400)), index=dates)

    def peeking(series: pd.Series) -> pd.Series:
        return series > series.rolling(200).mean()  # today's close: look-ahead

    poisoned = close.copy()
    poisoned.iloc[300:] *= 3.0
    assert not peeking(close).iloc[:301].equals(peeking(poisoned).iloc[:301])
    # ... while ours, on the same data, is unchanged up to the poisoned day.
    pd.testing.assert_frame_equal(
        market_regimes(close).iloc[:301], market_regimes(poisoned).iloc[:301]
    )


def test_dates_off_the_index_calendar_take_the_state_after_the_previous_close(sp500):
    saturday = pd.Timestamp("2012-06-02")
    labels = market_regimes(sp500, pd.DatetimeIndex([saturday, pd.Timestamp("2012-06-04")]))
    # Monday's label is also decided from Friday's close: both dates agree.
    assert labels.iloc[0].equals(labels.iloc[1].rename(saturday))
    beyond = market_regimes(sp500, pd.DatetimeIndex(["2030-01-02"]))
    assert not beyond[["bull", "bear", "high volatility", "low volatility"]].any().any()


def test_regime_performance_agrees_with_the_metrics_on_all_days_and_subsets():
    rng = np.random.default_rng(3)
    dates = pd.bdate_range("2015-01-01", periods=120)
    returns = pd.Series(rng.normal(0.0005, 0.01, 120), index=dates)
    regimes = pd.DataFrame(
        {"first half": np.arange(120) < 60, "rare": np.arange(120) < 5}, index=dates
    )
    table = regime_performance(returns, regimes, risk_free=0.02, min_days=20)
    assert list(table.index) == ["all days", "first half", "rare"]
    assert table.loc["all days", "annual_return"] == pytest.approx(
        ra.evaluation.annual_return(returns)
    )
    assert table.loc["all days", "sharpe"] == pytest.approx(
        ra.evaluation.sharpe_ratio(returns, 0.02)
    )
    half = returns.iloc[:60]
    assert table.loc["first half", "annual_return"] == pytest.approx(
        np.prod(1 + half) ** (252 / 60) - 1
    )
    assert table.loc["first half", "days"] == 60
    assert table.loc["rare", "days"] == 5 and np.isnan(table.loc["rare", "annual_return"])


def test_equal_weight_index_rebalances_daily_to_equal_weights():
    prices = pd.DataFrame(
        {"A": [10.0, 11.0, 11.0], "B": [20.0, 20.0, 10.0]},
        index=pd.bdate_range("2020-01-01", periods=3),
    )
    index = equal_weight_index(prices)
    assert index.tolist() == pytest.approx([1.0, 1.05, 1.05 * 0.75])
