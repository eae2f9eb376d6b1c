"""A library caller's bad backtest settings are refused before any data is read or any cell runs."""

import pytest

from riskalloc.core import ConfigError
from riskalloc.runner import BacktestSettings, DataSource, SourceKind, StrategyChoice, run_benchmark


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        (BacktestSettings(periods_per_year=0), "periods_per_year"),
        (BacktestSettings(periods_per_year=-3), "periods_per_year"),
        (BacktestSettings(risk_free=5.0), "risk_free"),
        (BacktestSettings(risk_free="libor"), "risk-free"),
        (BacktestSettings(costs_bps=-5), "costs_bps"),
        (BacktestSettings(train_fraction=1.0), "train_fraction"),
        (BacktestSettings(rebalance="hourly"), "hourly"),
    ],
)
def test_bad_settings_are_refused_before_the_run_folder_is_made(tmp_path, settings, match):
    out = tmp_path / "run"
    with pytest.raises(ConfigError, match=match):
        run_benchmark(
            [DataSource(SourceKind.SCENARIO, "bull-2010")],
            [StrategyChoice("equal_weight")],
            out,
            settings=settings,
        )
    assert not out.exists()


def test_good_settings_pass():
    BacktestSettings(
        rebalance="weekly", costs_bps=10, risk_free="auto", periods_per_year=52
    ).check()
