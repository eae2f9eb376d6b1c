"""Verdicts in words: the median seed of each deep and RL strategy against 1/N and the best
classical strategy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskalloc.evaluation import (
    VERDICT_COLUMNS,
    StatisticsSettings,
    Verdict,
    run_statistics,
    sharpe_ratio,
    verdicts,
)

DAYS = 750
DATES = pd.bdate_range("2015-01-01", periods=DAYS)
SETTINGS = StatisticsSettings(n_bootstrap=200, spa_reps=200)
FAMILIES = {
    "equal_weight": "classical",
    "minimum_variance": "classical",
    "inverse_volatility": "classical",
    "deep_sharpe": "deep",
    "deep_cvar": "deep",
    "rl_a2c": "rl",
}


def _long(scenario: str, cells: dict[tuple[str, int], np.ndarray]) -> pd.DataFrame:
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "scenario": scenario,
                    "strategy": strategy,
                    "seed": seed,
                    "date": DATES,
                    "return": values,
                }
            )
            for (strategy, seed), values in cells.items()
        ],
        ignore_index=True,
    )


def _metrics(returns: pd.DataFrame) -> pd.DataFrame:
    """metrics.csv as a run writes it: the Sharpe ratio of each cell, then its statistics."""
    statistics = run_statistics(returns, settings=SETTINGS)
    sharpe = (
        returns.groupby(["scenario", "strategy", "seed"], sort=False)["return"]
        .agg(sharpe_ratio)
        .rename("sharpe")
        .reset_index()
    )
    return sharpe.merge(statistics, on=["scenario", "strategy", "seed"])


@pytest.fixture(scope="module")
def run_tables():
    """A scenario whose answers are clear from how its returns are drawn."""
    rng = np.random.default_rng(11)
    classical = rng.normal(0.0008, 0.008, DAYS)
    cells = {
        ("equal_weight", 0): rng.normal(0.0003, 0.01, DAYS),
        ("minimum_variance", 0): classical,
        ("inverse_volatility", 0): rng.normal(0.0002, 0.01, DAYS),
        # The median seed loses by far; seed 0, the best, wins by far.
        **{("deep_sharpe", seed): rng.normal(mean, 0.01, DAYS)
           for seed, mean in enumerate([0.004, -0.0015, -0.002, -0.001, -0.0025])},
        # Every seed far ahead; four seeds: the lower middle one is the median.
        **{("rl_a2c", seed): rng.normal(0.004, 0.01, DAYS) for seed in range(4)},
        # The best classical's own days in reverse: exactly its Sharpe ratio.
        ("deep_cvar", 0): classical[::-1].copy(),
    }  # fmt: skip
    returns = _long("s", cells)
    return _metrics(returns), returns


@pytest.fixture(scope="module")
def table(run_tables):
    metrics, returns = run_tables
    return verdicts(metrics, returns, FAMILIES, settings=SETTINGS).set_index("strategy")


def test_one_row_per_deep_and_rl_strategy_with_every_column(table):
    assert sorted(table.reset_index().columns) == sorted(VERDICT_COLUMNS)
    assert list(table.index) == ["deep_sharpe", "rl_a2c", "deep_cvar"]
    assert list(table["family"]) == ["deep", "rl", "deep"]
    assert (table["best_classical"] == "minimum_variance").all()
    assert (table["benchmark"] == "equal_weight").all()


def test_the_median_seed_loses_while_the_best_seed_wins_and_the_verdict_says_worse(
    run_tables, table
):
    metrics, _ = run_tables
    seeds = metrics[metrics["strategy"] == "deep_sharpe"].set_index("seed")
    # The best seed would have beaten 1/N: the verdict must not take it.
    assert seeds.loc[0, "sharpe_diff"] > 0 and seeds.loc[0, "sharpe_diff_pvalue"] < 0.05
    median_seed = int(seeds["sharpe"].sort_values().index[2])
    row = table.loc["deep_sharpe"]
    assert row["median_seed"] == median_seed and not row["lower_middle"]
    assert row["sharpe"] == pytest.approx(seeds.loc[median_seed, "sharpe"])
    assert row["benchmark_pvalue"] == seeds.loc[median_seed, "sharpe_diff_pvalue"]
    assert row["benchmark_verdict"] == Verdict.WORSE
    assert row["classical_verdict"] == Verdict.WORSE
    assert row["seeds_above_benchmark"] == 1 and row["share_above_benchmark"] == 0.2
    summary = row["summary"]
    assert summary.startswith("deep_sharpe: median seed Sharpe")
    assert "worse than 1/N (p = " in summary
    assert "worse than the best classical (minimum_variance, " in summary
    assert "1 of 5 seeds above 1/N" in summary


def test_beats_both_and_an_even_seed_count_takes_the_lower_middle_seed(run_tables, table):
    metrics, _ = run_tables
    sharpe = metrics[metrics["strategy"] == "rl_a2c"].set_index("seed")["sharpe"]
    row = table.loc["rl_a2c"]
    assert row["median_seed"] == int(sharpe.sort_values().index[1]) and row["lower_middle"]
    assert row["benchmark_verdict"] == Verdict.BEATS
    assert row["classical_verdict"] == Verdict.BEATS
    assert "lower middle of 4 seeds" in row["summary"]
    assert "beats 1/N" in row["summary"] and "beats the best classical" in row["summary"]


def test_the_same_sharpe_as_the_best_classical_is_no_significant_difference(table):
    row = table.loc["deep_cvar"]
    assert row["classical_diff"] == pytest.approx(0.0, abs=1e-9)
    assert row["classical_pvalue"] > 0.5
    assert row["classical_verdict"] == Verdict.NO_DIFFERENCE
    assert "no significant difference from the best classical" in row["summary"]


def test_against_1_over_n_as_best_classical_it_repeats_the_runs_own_test(run_tables):
    """Same test, same settings: with 1/N the only classical strategy, the computed
    comparison equals the one in metrics.csv."""
    metrics, returns = run_tables
    table = verdicts(
        metrics, returns, {"equal_weight": "classical", "deep_sharpe": "deep"}, settings=SETTINGS
    ).iloc[0]
    assert table["best_classical"] == "equal_weight"
    assert table["classical_pvalue"] == table["benchmark_pvalue"]
    assert table["classical_diff"] == pytest.approx(table["benchmark_diff"], abs=1e-12)


def _hand_made(rows: list[tuple]) -> pd.DataFrame:
    columns = ["scenario", "strategy", "seed", "sharpe", "benchmark_sharpe", "sharpe_diff",
               "sharpe_diff_pvalue", "spa_pvalue"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def test_words_against_1_over_n_come_from_the_metrics_table():
    nan = np.nan
    metrics = _hand_made(
        [
            ("s", "equal_weight", 0, 0.83, 0.83, nan, nan, nan),
            ("s", "minimum_variance", 0, 0.95, 0.83, 0.12, 0.4, 0.3),
            # median seed (Sharpe 0.61) is seed 1: worse; seed 0 would beat.
            ("s", "deep_sharpe", 0, 1.40, 0.83, 0.57, 0.001, 0.3),
            ("s", "deep_sharpe", 1, 0.61, 0.83, -0.22, 0.01, 0.3),
            ("s", "deep_sharpe", 2, 0.30, 0.83, -0.53, 0.001, 0.3),
            # Lower but not significantly: the sentence still says lower.
            ("s", "rl_ppo", 0, 0.70, 0.83, -0.13, 0.42, 0.3),
            ("s", "rl_ppo", 1, 0.75, 0.83, -0.08, 0.6, 0.3),
            # No test: not tested, never "no difference".
            ("s", "deep_cvar", 0, 0.90, 0.83, nan, nan, nan),
            ("t", "equal_weight", 0, 0.5, 0.5, nan, nan, nan),
        ]
    )
    rng = np.random.default_rng(0)
    cells = {
        (s, seed): rng.normal(0.0005, 0.01, DAYS)
        for _, s, seed, *_ in metrics.itertuples(index=False)
    }
    returns = pd.concat([_long(scenario, {(s, seed): cells[(s, seed)]})
                         for scenario, s, seed, *_ in metrics.itertuples(index=False)])  # fmt: skip
    families = {"equal_weight": "classical", "minimum_variance": "classical",
                "deep_sharpe": "deep", "deep_cvar": "deep", "rl_ppo": "rl"}  # fmt: skip
    table = verdicts(metrics, returns, families, settings=SETTINGS).set_index("strategy")
    assert list(table["scenario"]) == ["s", "s", "s"]  # scenario t has no deep or RL strategy
    deep = table.loc["deep_sharpe"]
    assert (deep["median_seed"], deep["sharpe"], deep["benchmark_verdict"]) == (1, 0.61, "worse")
    assert (deep["best_classical"], deep["best_classical_sharpe"]) == ("minimum_variance", 0.95)
    assert deep["summary"].startswith(
        "deep_sharpe: median seed Sharpe 0.61 (seed 1, median of 3 seeds) vs 1/N 0.83 — "
        "worse than 1/N (p = 0.010); "
    )
    ppo = table.loc["rl_ppo"]
    assert (ppo["median_seed"], ppo["lower_middle"]) == (0, True)
    assert ppo["benchmark_verdict"] == Verdict.NO_DIFFERENCE
    assert "no significant difference from 1/N (Sharpe lower, p = 0.420)" in ppo["summary"]
    assert "0 of 2 seeds above 1/N" in ppo["summary"]
    cvar = table.loc["deep_cvar"]
    assert cvar["benchmark_verdict"] == Verdict.NOT_TESTED
    assert "not tested against 1/N (Sharpe higher)" in cvar["summary"]


def test_no_deep_or_rl_strategy_gives_no_verdict(run_tables):
    metrics, returns = run_tables
    classical_only = {k: v for k, v in FAMILIES.items() if v == "classical"}
    table = verdicts(metrics, returns, classical_only, settings=SETTINGS)
    assert table.empty and list(table.columns) == list(VERDICT_COLUMNS)


@pytest.mark.parametrize(
    ("difference", "p_value", "expected"),
    [
        (0.3, 0.01, Verdict.BEATS),
        (-0.3, 0.01, Verdict.WORSE),
        (-0.3, 0.05, Verdict.NO_DIFFERENCE),  # p must be below the level
        (0.3, 0.2, Verdict.NO_DIFFERENCE),
        (0.0, 0.001, Verdict.NO_DIFFERENCE),
        (0.3, np.nan, Verdict.NOT_TESTED),
    ],
)
def test_verdict_words(difference, p_value, expected):
    assert Verdict.of(difference, p_value) is expected
