"""Bootstrap intervals: coverage on a known Sharpe ratio, shared metric definitions, seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskalloc import evaluation as ev
from riskalloc.evaluation import BootstrapMetric, bootstrap_confidence_intervals


@pytest.fixture(scope="module")
def returns() -> pd.Series:
    rng = np.random.default_rng(5)
    return pd.Series(rng.normal(0.0004, 0.01, 750), index=pd.bdate_range("2018-01-01", periods=750))


def test_sharpe_interval_covers_the_true_sharpe_at_the_nominal_rate():
    # i.i.d. normal days with a known annualised Sharpe ratio of 0.5 / 1 * sqrt(252) ~ 0.79.
    rng = np.random.default_rng(11)
    mean, volatility, replications = 0.0005, 0.01, 200
    true_sharpe = mean / volatility * np.sqrt(252)
    covered = 0
    for replication in range(replications):
        sample = rng.normal(mean, volatility, 500)
        interval = bootstrap_confidence_intervals(
            sample, ["sharpe"], confidence=0.95, n_bootstrap=200, seed=replication
        ).loc["sharpe"]
        covered += interval["lower"] <= true_sharpe <= interval["upper"]
    # Binomial(200, 0.95) has s.e. 1.5 %; the percentile interval with 200 draws is
    # a little narrow besides, so allow 0.88 ... 0.99.
    assert 0.88 <= covered / replications <= 0.99


def test_estimates_are_the_evaluators_metrics(returns):
    table = bootstrap_confidence_intervals(returns, list(BootstrapMetric), n_bootstrap=50)
    assert table.loc["sharpe", "estimate"] == ev.sharpe_ratio(returns)
    assert table.loc["sortino", "estimate"] == ev.sortino_ratio(returns)
    assert table.loc["calmar", "estimate"] == ev.calmar_ratio(returns)
    assert table.loc["annual_return", "estimate"] == ev.annual_return(returns)
    assert table.loc["annual_volatility", "estimate"] == ev.annual_volatility(returns)
    assert table.loc["max_drawdown", "estimate"] == ev.max_drawdown(returns)
    assert (table["lower"] <= table["upper"]).all()
    assert table.loc["max_drawdown", "upper"] <= 0
    assert (table["std_error"] > 0).all()


def test_default_metrics_and_columns(returns):
    table = bootstrap_confidence_intervals(returns, n_bootstrap=50)
    assert list(table.index) == ["sharpe", "annual_return", "max_drawdown"]
    assert table.index.name == "metric"
    assert list(table.columns) == ["estimate", "lower", "upper", "std_error", "block_size"]


def test_same_seed_same_intervals_other_seed_other_intervals(returns):
    first = bootstrap_confidence_intervals(returns, n_bootstrap=100, seed=3)
    again = bootstrap_confidence_intervals(returns, n_bootstrap=100, seed=3)
    other = bootstrap_confidence_intervals(returns, n_bootstrap=100, seed=4)
    pd.testing.assert_frame_equal(first, again)
    assert not first["lower"].equals(other["lower"])


def test_interval_narrows_with_more_data():
    rng = np.random.default_rng(8)
    short = bootstrap_confidence_intervals(
        rng.normal(0.0004, 0.01, 250), ["sharpe"], n_bootstrap=200
    )
    long = bootstrap_confidence_intervals(
        rng.normal(0.0004, 0.01, 2500), ["sharpe"], n_bootstrap=200
    )
    width = lambda table: (table["upper"] - table["lower"]).iloc[0]  # noqa: E731
    # Width shrinks like 1 / sqrt(T): sqrt(10) ~ 3.2.
    assert 2.0 < width(short) / width(long) < 5.0


def test_default_block_size_grows_with_volatility_clustering():
    rng = np.random.default_rng(9)
    calm = rng.normal(0, 0.01, 2000)
    # Volatility that switches regime every 100 days: squared returns are persistent.
    regimes = np.repeat(rng.choice([0.005, 0.03], 20), 100)
    clustered = rng.normal(0, 1, 2000) * regimes
    assert ev.stationary_block_size(calm) < 3
    assert ev.stationary_block_size(clustered) > 10
    table = bootstrap_confidence_intervals(clustered, ["sharpe"], n_bootstrap=20)
    assert table["block_size"].iloc[0] == ev.stationary_block_size(clustered)
    fixed = bootstrap_confidence_intervals(calm, ["sharpe"], n_bootstrap=20, block_size=5)
    assert fixed["block_size"].iloc[0] == 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"metrics": ["alpha"]}, "alpha"),
        ({"metrics": []}, "empty"),
        ({"confidence": 95}, "confidence"),
        ({"n_bootstrap": 1}, "n_bootstrap"),
        ({"block_size": 0.5}, "block_size"),
    ],
)
def test_bad_arguments_are_named(returns, kwargs, message):
    with pytest.raises(ValueError, match=message):
        bootstrap_confidence_intervals(returns, **kwargs)
