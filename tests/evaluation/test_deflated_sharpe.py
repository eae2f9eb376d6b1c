"""PSR and DSR against their formulas, Bailey and López de Prado's worked example, and calibration."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from riskalloc import evaluation as ev
from riskalloc.evaluation._deflated_sharpe import _probabilistic_sharpe


@pytest.fixture(scope="module")
def returns() -> np.ndarray:
    """Negatively skewed, fat-tailed daily returns with a positive drift."""
    rng = np.random.default_rng(21)
    draws = rng.standard_t(6, 1000)
    return 0.0006 + 0.01 * (draws - 0.1 * (draws**2 - 1.5))


def test_psr_is_the_formula_with_per_period_sharpe(returns):
    # Hand-derived: SR per day = mean / std(ddof=1), moments by scipy (biased).
    n = len(returns)
    sharpe = returns.mean() / returns.std(ddof=1)
    skew = stats.skew(returns)
    kurtosis = stats.kurtosis(returns, fisher=False)
    assert skew < -0.2 and kurtosis > 4  # the fixture does exercise the moments
    for annual_benchmark in (0.0, 0.5, 1.0):
        benchmark = annual_benchmark / math.sqrt(252)
        expected = stats.norm.cdf(
            (sharpe - benchmark)
            * math.sqrt(n - 1)
            / math.sqrt(1 - skew * sharpe + (kurtosis - 1) / 4 * sharpe**2)
        )
        assert ev.probabilistic_sharpe_ratio(returns, annual_benchmark) == pytest.approx(
            expected, rel=1e-12
        )


def test_psr_worked_example_by_hand():
    # SR = 0.1 per day over T = 101 days, skew -1, kurtosis 6:
    # sigma(SR) = sqrt((1 + 0.1 + 5/4 * 0.01) / 100) = sqrt(0.011125) = 0.105475,
    # PSR(0) = Phi(0.1 / 0.105475) = Phi(0.948091) = 0.828458.
    assert _probabilistic_sharpe(0.1, 101, -1.0, 6.0, 0.0) == pytest.approx(0.828458, abs=1e-6)
    # Normal returns (skew 0, kurtosis 3) at the benchmark itself: exactly one half.
    assert _probabilistic_sharpe(0.05, 500, 0.0, 3.0, 0.05) == 0.5


def test_dsr_worked_example_of_bailey_and_lopez_de_prado_2014():
    # "The Deflated Sharpe Ratio" (2014), section 5: N = 100 trials, variance of the
    # trials' annualised Sharpe 0.5, best annualised SR 2.5 over T = 1250 days
    # (250 a year), skew -3, kurtosis 10: SR_0 = 0.1132 per day, DSR = 0.9004.
    benchmark = ev.expected_maximum_sharpe(100, 0.5 / 250)
    assert benchmark == pytest.approx(0.1132, abs=5e-5)
    # The benchmark scales with the standard deviation of the trials' Sharpe ratios.
    assert ev.expected_maximum_sharpe(100, 0.5) / math.sqrt(250) == pytest.approx(benchmark)
    dsr = _probabilistic_sharpe(2.5 / math.sqrt(250), 1250, -3.0, 10.0, benchmark)
    assert dsr == pytest.approx(0.9004, abs=5e-5)


def test_expected_maximum_by_the_euler_mascheroni_formula():
    gamma = 0.5772156649015329
    for n in (2, 10, 1000):
        expected = (1 - gamma) * stats.norm.ppf(1 - 1 / n) + gamma * stats.norm.ppf(
            1 - 1 / (n * math.e)
        )
        assert ev.expected_maximum_sharpe(n, 4.0) == pytest.approx(2 * expected, rel=1e-12)
    # Close to the simulated mean of the maximum of N standard normals.
    rng = np.random.default_rng(0)
    simulated = rng.standard_normal((4000, 100)).max(axis=1).mean()
    assert ev.expected_maximum_sharpe(100, 1.0) == pytest.approx(simulated, rel=0.03)
    assert ev.expected_maximum_sharpe(1, 4.0) == 0.0
    with pytest.raises(ValueError, match="n_trials"):
        ev.expected_maximum_sharpe(0, 1.0)


def test_dsr_with_one_trial_is_psr_against_zero(returns):
    assert ev.deflated_sharpe_ratio(returns, 1, 0.7) == ev.probabilistic_sharpe_ratio(returns, 0.0)


def test_more_trials_deflate_more(returns):
    values = [ev.deflated_sharpe_ratio(returns, n, 0.5) for n in (1, 10, 100, 1000)]
    assert values == sorted(values, reverse=True)
    assert values[-1] < values[0]


def test_psr_is_calibrated_when_the_true_sharpe_is_the_benchmark():
    # Normal days with true annualised Sharpe 1: PSR(1) is ~uniform, so it exceeds
    # 0.95 in ~5 % of samples (binomial s.e. 1 % over 500 samples).
    rng = np.random.default_rng(4)
    daily_sharpe = 1 / math.sqrt(252)
    samples = rng.normal(daily_sharpe * 0.01, 0.01, (500, 750))
    psr = np.array([ev.probabilistic_sharpe_ratio(sample, 1.0) for sample in samples])
    assert 0.02 <= np.mean(psr > 0.95) <= 0.08
    assert 0.45 <= np.mean(psr) <= 0.55


def test_every_column_is_a_trial():
    rng = np.random.default_rng(6)
    labels = pd.MultiIndex.from_product(
        [["risk_parity", "deep_sharpe"], ["lookback=60", "lookback=120"], [0, 1, 2]],
        names=["strategy", "parameter", "seed"],
    )
    trials = pd.DataFrame(rng.normal(0.0004, 0.01, (500, len(labels))), columns=labels)
    trials.iloc[:20, 0] = np.nan  # a later start is dropped for that trial only
    table = ev.deflated_sharpe_ratios(trials)
    assert table.index.equals(labels)
    assert (table["n_trials"] == 12).all()
    sharpes = [ev.sharpe_ratio(trials[label].dropna()) for label in labels]
    assert table["sharpe"].to_numpy() == pytest.approx(sharpes, rel=1e-12)
    variance = np.var(sharpes, ddof=1)
    assert table["expected_max_sharpe"].iloc[0] == pytest.approx(
        ev.expected_maximum_sharpe(12, variance)
    )
    for label in labels[:3]:
        assert table.loc[label, "dsr"] == pytest.approx(
            ev.deflated_sharpe_ratio(trials[label].dropna(), 12, variance)
        )
        assert table.loc[label, "psr"] == ev.probabilistic_sharpe_ratio(trials[label].dropna())
    assert (table["dsr"] < table["psr"]).all()
    # Declaring more trials than were passed deflates further.
    assert (ev.deflated_sharpe_ratios(trials, n_trials=100)["dsr"] < table["dsr"]).all()
    with pytest.raises(ValueError, match="fewer"):
        ev.deflated_sharpe_ratios(trials, n_trials=3)
