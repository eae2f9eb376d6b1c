"""Run statistics: intervals, PSR/DSR and tests against the benchmark, wired into every run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import riskalloc.evaluation as ev
from riskalloc.backtest import backtest
from riskalloc.cli import app
from riskalloc.data import MarketData, scenario
from riskalloc.runner import (
    BacktestSettings,
    DataSource,
    SourceKind,
    StrategyChoice,
    run_benchmark,
)
from riskalloc.strategies import get_strategy

FAST = ev.StatisticsSettings(n_bootstrap=200, spa_reps=200)


# --- a real run on covid-2017 without equal_weight -------------------------------------------
@pytest.fixture(scope="module")
def covid_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("stats") / "covid"
    summary = run_benchmark(
        [DataSource(SourceKind.SCENARIO, "covid-2017")],
        [StrategyChoice("inverse_volatility"), StrategyChoice("minimum_variance")],
        out,
        settings=BacktestSettings(rebalance="weekly"),
        workers=1,
        progress=False,
    )
    assert summary.ok, summary.failures
    return out, summary


def test_a_real_run_has_sane_statistics_in_metrics_csv(covid_run):
    out, summary = covid_run
    metrics = pd.read_csv(out / "metrics.csv")
    assert list(metrics.columns) == [
        "scenario",
        "strategy",
        "seed",
        *ev.METRIC_COLUMNS,
        *ev.STATISTIC_COLUMNS,
    ]
    assert metrics[list(ev.STATISTIC_COLUMNS)].notna().all().all()
    assert (metrics["sharpe_ci_low"] < metrics["sharpe"]).all()
    assert (metrics["sharpe"] < metrics["sharpe_ci_high"]).all()
    assert (metrics["annual_return_ci_low"] < metrics["annual_return"]).all()
    assert (metrics["annual_return"] < metrics["annual_return_ci_high"]).all()
    assert (metrics["max_drawdown_ci_low"] <= metrics["max_drawdown_ci_high"]).all()
    assert (metrics["max_drawdown_ci_high"] <= 0).all()
    assert metrics["psr"].between(0, 1).all() and metrics["dsr"].between(0, 1).all()
    assert (metrics["n_trials"] == 2).all()
    assert (metrics["dsr"] < metrics["psr"]).all()  # two trials: deflated below the PSR
    for column in ("sharpe_diff_pvalue", "spa_pvalue"):
        assert metrics[column].between(0, 1).all()
    assert metrics["spa_pvalue"].nunique() == 1  # the scenario's family p-value on each row
    pd.testing.assert_frame_equal(summary.metrics, metrics, check_dtype=False)


def test_equal_weight_is_backtested_for_the_comparison_when_the_run_lacks_it(covid_run):
    out, _ = covid_run
    metrics = pd.read_csv(out / "metrics.csv")
    covid = scenario("covid-2017")
    oracle = backtest(
        MarketData(covid.prices, name="covid-2017"),
        get_strategy("equal_weight"),
        rebalance="weekly",
        test_start=covid.test_start,
    )
    expected = ev.sharpe_ratio(oracle.returns)
    assert metrics["benchmark_sharpe"].to_numpy() == pytest.approx([expected, expected], abs=1e-9)
    assert metrics["sharpe_diff"].to_numpy() == pytest.approx(
        (metrics["sharpe"] - expected).to_numpy(), abs=1e-9
    )
    assert "equal_weight" not in set(metrics["strategy"])  # a yardstick, not a row
    assert pd.read_parquet(out / "returns.parquet")["strategy"].nunique() == 2


def test_dsr_deflates_by_the_trials_of_the_scenario(covid_run):
    out, _ = covid_run
    metrics = pd.read_csv(out / "metrics.csv")
    returns = pd.read_parquet(out / "returns.parquet")
    threshold = ev.expected_maximum_sharpe(len(metrics), float(np.var(metrics["sharpe"], ddof=1)))
    for _, row in metrics.iterrows():
        series = returns.loc[returns["strategy"] == row["strategy"], "return"]
        assert row["psr"] == pytest.approx(ev.probabilistic_sharpe_ratio(series), abs=1e-9)
        assert row["dsr"] == pytest.approx(
            ev.probabilistic_sharpe_ratio(series, benchmark_sharpe=threshold), abs=1e-9
        )


def test_a_rerun_writes_bit_identical_statistics(covid_run):
    out, _ = covid_run
    before = (out / "metrics.csv").read_bytes()
    summary = run_benchmark(
        [DataSource(SourceKind.SCENARIO, "covid-2017")],
        [StrategyChoice("inverse_volatility"), StrategyChoice("minimum_variance")],
        out,
        settings=BacktestSettings(rebalance="weekly"),
        workers=1,
        progress=False,
    )
    assert summary.skipped == 2  # cells reused; statistics recomputed from scratch
    assert (out / "metrics.csv").read_bytes() == before


# --- run_statistics on planted returns --------------------------------------------------------
def long_returns(cells: dict[tuple[str, str, int], np.ndarray]) -> pd.DataFrame:
    dates = pd.bdate_range("2015-01-01", periods=len(next(iter(cells.values()))))
    return pd.concat(
        [
            pd.DataFrame(
                {"scenario": sc, "strategy": st, "seed": seed, "date": dates, "return": values}
            )
            for (sc, st, seed), values in cells.items()
        ],
        ignore_index=True,
    )


def test_comparisons_find_a_planted_edge_and_see_none_in_a_copy():
    rng = np.random.default_rng(3)
    ew = rng.normal(0.0003, 0.01, 1000)
    cells = {
        ("a", "equal_weight", 0): ew,
        ("a", "copy", 0): ew.copy(),
        ("a", "skilled", 0): ew + 0.002 + rng.normal(0, 0.002, 1000),
        ("b", "equal_weight", 0): rng.normal(0.0003, 0.01, 1000),
        ("b", "other", 0): rng.normal(0.0003, 0.01, 1000),
        ("b", "other", 1): rng.normal(0.0003, 0.01, 1000),
        ("b", "other", 2): rng.normal(0.0003, 0.01, 1000),
    }
    table = ev.run_statistics(long_returns(cells), settings=FAST).set_index(
        ["scenario", "strategy", "seed"]
    )
    assert list(table.columns) == list(ev.STATISTIC_COLUMNS)
    assert table.loc[("a", "copy", 0), "sharpe_diff"] == pytest.approx(0.0, abs=1e-12)
    assert table.loc[("a", "copy", 0), "sharpe_diff_pvalue"] == 1.0
    assert table.loc[("a", "skilled", 0), "sharpe_diff_pvalue"] < 0.01
    assert table.loc[("a", "skilled", 0), "spa_pvalue"] < 0.05
    assert table.loc[("a", "copy", 0), "spa_pvalue"] == table.loc[("a", "skilled", 0), "spa_pvalue"]
    # The benchmark is not compared with itself.
    benchmark_rows = table.xs("equal_weight", level="strategy")
    assert benchmark_rows[["sharpe_diff", "sharpe_diff_pvalue", "spa_pvalue"]].isna().all().all()
    # Trials are counted per scenario, every seed one trial.
    assert table.xs("a", level="scenario")["n_trials"].eq(3).all()
    assert table.xs("b", level="scenario")["n_trials"].eq(4).all()
    assert table.loc[("a", "copy", 0), "benchmark_sharpe"] == pytest.approx(ev.sharpe_ratio(ew))


def test_a_scenario_without_benchmark_gets_empty_comparisons_but_all_else():
    rng = np.random.default_rng(4)
    cells = {("s", "x", 0): rng.normal(0.0005, 0.01, 500)}
    row = ev.run_statistics(long_returns(cells), settings=FAST).iloc[0]
    assert np.isnan(row["benchmark_sharpe"]) and np.isnan(row["spa_pvalue"])
    assert row["n_trials"] == 1 and row["dsr"] == pytest.approx(
        row["psr"]
    )  # one trial: no deflation
    assert row["sharpe_ci_low"] < row["sharpe_ci_high"]


def test_the_sharpe_interval_is_of_the_excess_return_sharpe():
    rng = np.random.default_rng(5)
    values = rng.normal(0.0004, 0.01, 1500)
    cells = {("s", "x", 0): values}
    plain = ev.run_statistics(long_returns(cells), settings=FAST).iloc[0]
    excess = ev.run_statistics(long_returns(cells), settings=FAST, risk_free=0.08).iloc[0]
    assert excess["sharpe_ci_low"] < ev.sharpe_ratio(values, 0.08) < excess["sharpe_ci_high"]
    assert excess["sharpe_ci_high"] < plain["sharpe_ci_high"]
    # The other intervals are of the returns themselves, untouched by the rate.
    assert excess["annual_return_ci_low"] == plain["annual_return_ci_low"]


# --- seeds: median, best, worst and the share beating the benchmark ---------------------------
def planted_seeds() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "scenario": "s",
            "strategy": ["equal_weight", "ppo", "ppo", "ppo", "ppo"],
            "seed": [0, 0, 1, 2, 3],
            "sharpe": [0.9, 0.4, 1.3, np.nan, 1.0],
        }
    )


def test_seed_spread_gives_the_median_best_and_worst_of_planted_sharpes():
    spread = ev.seed_spread(planted_seeds()).set_index(["strategy", "statistic"])
    assert tuple(spread.loc["ppo"].index) == ev.SEED_STATISTICS
    assert spread.loc[("ppo", "median"), "sharpe"] == pytest.approx(1.0)  # NaN seed left out
    assert spread.loc[("ppo", "best"), "seed"] == 1
    assert spread.loc[("ppo", "best"), "sharpe"] == 1.3
    assert spread.loc[("ppo", "worst"), "seed"] == 2  # undefined ranks lowest


def test_share_of_seeds_beating_the_benchmark_rows_or_its_recorded_sharpe():
    metrics = planted_seeds()
    wins = ev.seeds_beating_benchmark(metrics).set_index("strategy")
    assert wins.loc["ppo", "beating"] == 2 and wins.loc["ppo", "share"] == 0.5
    assert wins.loc["equal_weight", "beating"] == 0  # not strictly above itself
    # Without the benchmark among the rows, the run's recorded benchmark Sharpe decides.
    recorded = metrics[metrics["strategy"] == "ppo"].assign(benchmark_sharpe=1.1)
    wins = ev.seeds_beating_benchmark(recorded).set_index("strategy")
    assert wins.loc["ppo", "beating"] == 1 and wins.loc["ppo", "share"] == 0.25
    assert np.isnan(
        ev.seeds_beating_benchmark(recorded.drop(columns="benchmark_sharpe"))["share"][0]
    )


def test_the_cli_prints_the_statistics_and_seeds_tables_and_refuses_an_unknown_benchmark(
    tmp_path, plugin_env
):
    runner = CliRunner()
    args = ["benchmark", "--scenario", "bull-2010", "--rebalance", "monthly", "--workers", "1"]
    args += ["--no-progress", "--out", str(tmp_path / "run")]
    result = runner.invoke(
        app,
        [*args, "--strategies", "slow_random,equal_weight", "--seeds", "3", "-p", "delay=0"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    for text in ("Sharpe CI", "PSR", "DSR", "SPA p", "Median", "Best (seed)", "Beat equal_weight"):
        assert text in result.output, text
    metrics = pd.read_csv(tmp_path / "run" / "metrics.csv")
    wins = ev.seeds_beating_benchmark(metrics).set_index("strategy").loc["slow_random"]
    assert f"{wins['beating']}/3 ({wins['share']:.0%})" in result.output
    wrong = runner.invoke(app, [*args, "--strategies", "equal_weight", "--benchmark", "nope"])
    assert wrong.exit_code == 2
    assert "--benchmark: unknown strategy 'nope'" in wrong.output
