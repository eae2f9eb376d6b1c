"""Kupiec and Christoffersen tests against hand-written likelihoods, Kupiec's table, and coverage."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from riskalloc.risk import (
    VaRMethod,
    christoffersen_test,
    conditional_coverage_test,
    forecast_var,
    kupiec_test,
    var_backtest,
)

CHI2_1_95 = stats.chi2.ppf(0.95, 1)


def _sequence(n: int, violation_days: list[int]) -> np.ndarray:
    hits = np.zeros(n, dtype=bool)
    hits[violation_days] = True
    return hits


def test_kupiec_by_hand_250_days_at_99_percent():
    # T = 250, p = 1 %: LR = -2 [(T-x) ln(1-p) + x ln p] + 2 [(T-x) ln(1-x/T) + x ln(x/T)].
    for x, rounded in [(6, 3.555), (8, 7.734)]:
        by_hand = -2 * ((250 - x) * math.log(0.99) + x * math.log(0.01)) + 2 * (
            (250 - x) * math.log(1 - x / 250) + x * math.log(x / 250)
        )
        result = kupiec_test(_sequence(250, list(range(0, 250, 250 // x))[:x]), 0.99)
        assert result.n_violations == x
        assert result.n_observations == 250
        assert result.statistic == pytest.approx(by_hand, rel=1e-12)
        assert result.statistic == pytest.approx(rounded, abs=5e-4)
        assert result.p_value == pytest.approx(stats.chi2.sf(by_hand, 1), rel=1e-12)
        assert result.violation_rate == x / 250
    # 6 violations are accepted at the 5 % level, 8 rejected.
    assert kupiec_test(_sequence(250, list(range(6))), 0.99).p_value > 0.05
    assert kupiec_test(_sequence(250, list(range(8))), 0.99).p_value < 0.05


# Kupiec (1995) / Jorion's table: 5 % test non-rejection regions "low < N < high"
# of the number of exceptions N. (For p = 1 %, T = 255 the table reads "N < 7":
# it also accepts N = 0, whose LR -2 T ln(0.99) = 5.13 rejects in the pure test;
# the table treats too few exceptions leniently there, so that cell starts at 1.)
KUPIEC_TABLE = {
    (0.01, 255): (1, 6),
    (0.01, 510): (2, 10),
    (0.01, 1000): (5, 16),
    (0.025, 255): (3, 11),
    (0.025, 510): (7, 20),
    (0.025, 1000): (16, 35),
    (0.05, 255): (7, 20),
    (0.05, 510): (17, 35),
    (0.05, 1000): (38, 64),
    (0.075, 255): (12, 27),
    (0.075, 510): (28, 50),
    (0.075, 1000): (60, 91),
    (0.10, 255): (17, 35),
    (0.10, 510): (39, 64),
    (0.10, 1000): (82, 119),
}


@pytest.mark.parametrize(("rate", "days"), list(KUPIEC_TABLE))
def test_kupiec_non_rejection_regions_match_the_published_table(rate, days):
    low, high = KUPIEC_TABLE[(rate, days)]
    for x in (low - 1, low, high, high + 1):
        accepted = kupiec_test(_sequence(days, list(range(x))), 1 - rate).statistic < CHI2_1_95
        assert accepted == (low <= x <= high), x


def test_christoffersen_by_hand_with_known_transitions():
    # 0 0 1 1 0 0 0 1 0 0 1 1 1 0 0 0 0 0 0 0 (T = 20), pairs (yesterday, today):
    # 0->0 at 0-1, 4-5, 5-6, 8-9 and 13-14 ... 18-19: n00 = 4 + 6 = 10;
    # 0->1 at 1-2, 6-7, 9-10: n01 = 3; 1->0 at 3-4, 7-8, 12-13: n10 = 3;
    # 1->1 at 2-3, 10-11, 11-12: n11 = 3. 19 transitions in all.
    hits = _sequence(20, [2, 3, 7, 10, 11, 12])
    result = christoffersen_test(hits)
    assert (result.n00, result.n01, result.n10, result.n11) == (10, 3, 3, 3)
    pi01, pi11, pi = 3 / 13, 3 / 6, 6 / 19
    log_restricted = 13 * math.log(1 - pi) + 6 * math.log(pi)
    log_unrestricted = (
        10 * math.log(1 - pi01) + 3 * math.log(pi01) + 3 * math.log(1 - pi11) + 3 * math.log(pi11)
    )
    by_hand = -2 * (log_restricted - log_unrestricted)
    assert result.statistic == pytest.approx(by_hand, rel=1e-12)
    assert result.p_value == pytest.approx(stats.chi2.sf(by_hand, 1), rel=1e-12)
    assert (result.pi_01, result.pi_11) == (pi01, pi11)


def test_clustered_violations_are_rejected_and_spread_ones_are_not():
    clustered = _sequence(500, list(range(100, 125)))
    spread = _sequence(500, list(range(0, 500, 20)))
    assert christoffersen_test(clustered).p_value < 1e-6
    # Perfectly regular violations are never followed by one: pi_11 = 0, a
    # *negative* dependence that the two-sided LR also notices, but only mildly.
    assert christoffersen_test(spread).n11 == 0
    assert christoffersen_test(spread).p_value > 0.05


def test_edge_cases_follow_zero_log_zero():
    none = np.zeros(250, dtype=bool)
    every = np.ones(250, dtype=bool)
    last_only = _sequence(250, [249])
    assert kupiec_test(none, 0.99).statistic == pytest.approx(-2 * 250 * math.log(0.99))
    assert kupiec_test(every, 0.99).statistic == pytest.approx(-2 * 250 * math.log(0.01))
    for hits in (none, every, last_only):
        result = christoffersen_test(hits)
        assert result.statistic == 0.0
        assert result.p_value == 1.0
    # No day follows a violation: pi_11 cannot be estimated and drops out.
    assert christoffersen_test(last_only).n10 + christoffersen_test(last_only).n11 == 0


def test_conditional_coverage_is_the_sum_with_two_degrees_of_freedom():
    hits = _sequence(300, [5, 6, 50, 51, 52, 200, 250])
    result = conditional_coverage_test(hits, 0.99)
    expected = kupiec_test(hits, 0.99).statistic + christoffersen_test(hits).statistic
    assert result.statistic == pytest.approx(expected, rel=1e-14)
    assert result.p_value == pytest.approx(stats.chi2.sf(expected, 2), rel=1e-12)


def test_violations_must_be_binary():
    with pytest.raises(ValueError, match="NaN"):
        kupiec_test(np.array([0.0, 1.0, np.nan]), 0.95)
    with pytest.raises(ValueError, match="non-empty"):
        christoffersen_test([])
    assert kupiec_test(pd.Series([0, 1, 0, 0]), 0.95).n_violations == 1


def test_gaussian_var_has_nominal_coverage_on_normal_returns():
    rng = np.random.default_rng(2024)
    returns = pd.Series(
        rng.normal(0.0002, 0.01, 5000), index=pd.bdate_range("2000-01-03", periods=5000)
    )
    table = var_backtest(returns, 0.95, [VaRMethod.GAUSSIAN], window=250)
    row = table.loc["gaussian"]
    n = row["n_observations"]
    assert n == 5000 - 250
    # Estimation error in the window inflates the variance a little; allow 3 binomial s.e.
    assert abs(row["violation_rate"] - 0.05) < 3 * math.sqrt(0.05 * 0.95 / n)
    assert row["kupiec_p"] > 0.05
    assert row["christoffersen_p"] > 0.01
    # The table agrees with the forecasts (positive losses) compared by hand with the
    # next day's loss: a violation is a loss -r above the VaR.
    forecast = forecast_var(returns, 0.95, VaRMethod.GAUSSIAN, 250)["var"]
    assert (forecast.iloc[249:] > 0).all()
    hits = (-returns > forecast.shift(1)).iloc[250:]
    assert row["violations"] == hits.sum()
    assert abs(hits.sum() - 0.05 * n) < 3 * math.sqrt(0.05 * 0.95 * n)


def test_backtest_table_has_one_row_per_method():
    rng = np.random.default_rng(3)
    returns = pd.Series(0.01 * rng.standard_t(4, 1000))
    table = var_backtest(returns, 0.99, list(VaRMethod), window=250)
    assert list(table.index) == ["historical", "gaussian", "cornish_fisher"]
    assert list(table.columns) == [
        "n_observations",
        "violations",
        "expected",
        "violation_rate",
        "expected_rate",
        "kupiec_lr",
        "kupiec_p",
        "christoffersen_lr",
        "christoffersen_p",
        "conditional_coverage_lr",
        "conditional_coverage_p",
    ]
    assert table["expected"].to_numpy() == pytest.approx([7.5] * 3)
    assert table["conditional_coverage_lr"].to_numpy() == pytest.approx(
        (table["kupiec_lr"] + table["christoffersen_lr"]).to_numpy()
    )
    # Fat tails: the Gaussian 99 % VaR is breached more often than the Cornish-Fisher one.
    assert table.loc["gaussian", "violations"] >= table.loc["cornish_fisher", "violations"]
