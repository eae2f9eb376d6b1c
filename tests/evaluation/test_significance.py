"""Sharpe difference and SPA tests: size under the null, power on a planted edge, seeds."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from riskalloc import evaluation as ev


def test_sharpe_difference_p_values_are_uniform_ish_under_the_null():
    rng = np.random.default_rng(12)
    p_values = np.array(
        [
            ev.sharpe_difference_test(
                *rng.normal(0.0005, 0.01, (2, 750)), n_bootstrap=200, seed=i
            ).p_value
            for i in range(40)
        ]
    )
    # Binomial(40, 5 %) exceeds 6 rejections with probability ~ 0.1 %.
    assert np.sum(p_values < 0.05) <= 6
    assert 0.35 <= p_values.mean() <= 0.65


def test_sharpe_difference_detects_a_planted_difference():
    rng = np.random.default_rng(13)
    a, b = rng.normal(0.0, 0.01, (2, 1500))
    a += 0.001  # annualised Sharpe 1.6 against 0
    result = ev.sharpe_difference_test(pd.Series(a), pd.Series(b), n_bootstrap=500, seed=0)
    assert result.p_value < 0.02
    assert result.difference == pytest.approx(ev.sharpe_ratio(a) - ev.sharpe_ratio(b))
    assert result.difference > 0
    assert result.n_bootstrap == 500


def test_sharpe_difference_standard_error_matches_memmel_for_iid_normal():
    # For i.i.d. normal returns with correlation rho (Jobson-Korkie, Memmel 2003):
    # Var(SR_a - SR_b) = (2 - 2 rho + (SR_a² + SR_b² - 2 SR_a SR_b rho²) / 2) / T per day.
    rng = np.random.default_rng(14)
    n, rho = 5000, 0.6
    draws = rng.multivariate_normal([0.0008, 0.0002], [[1e-4, rho * 1e-4], [rho * 1e-4, 1e-4]], n)
    a, b = draws[:, 0], draws[:, 1]
    sharpe_a, sharpe_b = a.mean() / a.std(), b.mean() / b.std()
    memmel = math.sqrt(
        (2 - 2 * rho + (sharpe_a**2 + sharpe_b**2 - 2 * sharpe_a * sharpe_b * rho**2) / 2) / n
    )
    result = ev.sharpe_difference_test(a, b, n_bootstrap=1, block_size=1)
    assert result.standard_error / math.sqrt(252) == pytest.approx(memmel, rel=0.05)


def test_sharpe_difference_is_reproducible_and_handles_identical_series():
    rng = np.random.default_rng(15)
    a, b = rng.normal(0.0004, 0.01, (2, 500))
    first = ev.sharpe_difference_test(a, b, n_bootstrap=100, seed=7)
    assert first == ev.sharpe_difference_test(a, b, n_bootstrap=100, seed=7)
    same = ev.sharpe_difference_test(a, a, n_bootstrap=100, seed=7)
    assert same.difference == 0.0
    assert same.p_value == 1.0
    with pytest.raises(ValueError, match="equal length"):
        ev.sharpe_difference_test(a, b[:-1])


def test_sharpe_difference_aligns_dates():
    rng = np.random.default_rng(16)
    dates = pd.bdate_range("2020-01-01", periods=600)
    a = pd.Series(rng.normal(0.0004, 0.01, 600), index=dates)
    b = pd.Series(rng.normal(0.0004, 0.01, 600), index=dates)
    shuffled = ev.sharpe_difference_test(a, b.sample(frac=1.0, random_state=0), n_bootstrap=50)
    assert shuffled == ev.sharpe_difference_test(a, b, n_bootstrap=50)


def _strategies(rng: np.random.Generator, edge: float) -> tuple[pd.DataFrame, pd.Series]:
    dates = pd.bdate_range("2016-01-01", periods=1000)
    benchmark = pd.Series(rng.normal(0.0003, 0.01, 1000), index=dates)
    noise = rng.normal(0.0, 0.006, (1000, 6))
    # Strategies track the benchmark with their own noise; the first adds an edge.
    strategies = pd.DataFrame(benchmark.to_numpy()[:, None] + noise, index=dates)
    strategies[0] += edge
    return strategies, benchmark


def test_spa_finds_a_planted_edge():
    strategies, benchmark = _strategies(np.random.default_rng(17), edge=0.001)
    result = ev.spa_test(strategies, benchmark, seed=0, reps=500)
    assert result.consistent < 0.01
    assert result.lower <= result.consistent <= result.upper


def test_spa_does_not_reject_without_an_edge():
    strategies, benchmark = _strategies(np.random.default_rng(18), edge=0.0)
    strategies -= 0.0002  # no strategy beats the benchmark; all cost a little
    result = ev.spa_test(strategies, benchmark, seed=0, reps=500)
    assert result.consistent > 0.2
    assert result.lower <= result.consistent <= result.upper
    assert result.block_size == int(math.sqrt(1000))


def test_spa_is_reproducible_and_aligns_dates():
    strategies, benchmark = _strategies(np.random.default_rng(19), edge=0.0003)
    first = ev.spa_test(strategies, benchmark, seed=3, reps=200)
    assert first == ev.spa_test(strategies, benchmark.iloc[::-1], seed=3, reps=200)
    assert first != ev.spa_test(strategies, benchmark, seed=4, reps=200)
