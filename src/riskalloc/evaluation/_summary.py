"""Summaries of a run's metrics table across seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskalloc.evaluation._metrics import METRIC_COLUMNS
from riskalloc.evaluation._run_statistics import STATISTIC_COLUMNS

__all__ = ["SEED_STATISTICS", "seed_spread", "seeds_beating_benchmark", "summarise_seeds"]


def _summary_columns(metrics: pd.DataFrame) -> list[str]:
    """The metric and statistic columns that ``metrics`` has, in ``metrics.csv`` order."""
    return [column for column in (*METRIC_COLUMNS, *STATISTIC_COLUMNS) if column in metrics.columns]


def summarise_seeds(metrics: pd.DataFrame) -> pd.DataFrame:
    """Mean of each metric and statistic over seeds, per scenario and strategy, with the seed count.

    Rows keep the order in which scenario/strategy pairs first appear. The mean
    of a statistic over seeds (e.g. of ``sharpe_ci_low``) is a summary of the
    seeds, not itself an interval or a test.
    """
    columns = _summary_columns(metrics)
    grouped = metrics.groupby(["scenario", "strategy"], sort=False)
    summary = grouped[columns].mean()
    summary.insert(0, "seeds", grouped.size())
    return summary.reset_index()


#: Statistics of :func:`seed_spread`, in row order.
SEED_STATISTICS = ("mean", "std", "median", "best", "worst")


def seed_spread(metrics: pd.DataFrame, rank_by: str = "sharpe") -> pd.DataFrame:
    """Mean, standard deviation, median, best and worst seed of each metric, per scenario and strategy.

    The median is of each column on its own (not one seed's row). The best and
    worst seeds are the rows of the seeds with the highest and the lowest
    ``rank_by`` (ties go to the lowest seed; an undefined value ranks lowest);
    their ``seed`` column says which. ``std`` is the sample standard
    deviation over seeds (NaN for one seed).

    Returns
    -------
    pandas.DataFrame
        Columns ``scenario, strategy, statistic, seed, seeds`` then the metrics
        (and the statistic columns of ``metrics.csv`` it has); five rows per
        pair (``mean, std, median, best, worst``), pairs in order of appearance.

    Examples
    --------
    >>> table = pd.DataFrame({"scenario": "s", "strategy": "a", "seed": [0, 1],
    ...                       "sharpe": [0.5, 1.5]})
    >>> seed_spread(table).set_index("statistic")["sharpe"].to_dict()
    {'mean': 1.0, 'std': 0.7071067811865476, 'median': 1.0, 'best': 1.5, 'worst': 0.5}
    """
    columns = _summary_columns(metrics)
    if rank_by not in columns:
        raise ValueError(f"seed_spread: rank_by must be a metric column, got {rank_by!r}")
    rows = []
    for (scenario, strategy), group in metrics.groupby(["scenario", "strategy"], sort=False):
        # A seed whose rank metric is undefined ranks last.
        ranked = group.assign(_rank=group[rank_by].astype(float).fillna(-np.inf))
        best = ranked.sort_values(["_rank", "seed"], ascending=[False, True]).iloc[0]
        worst = ranked.sort_values(["_rank", "seed"], ascending=[True, True]).iloc[0]
        key = {"scenario": scenario, "strategy": strategy}
        for statistic, values, seed in (
            ("mean", group[columns].mean(), None),
            ("std", group[columns].std(ddof=1), None),
            ("median", group[columns].median(), None),
            ("best", best[columns], best["seed"]),
            ("worst", worst[columns], worst["seed"]),
        ):
            rows.append(
                key
                | {"statistic": statistic, "seed": seed, "seeds": len(group)}
                | values.astype(float).to_dict()
            )
    return pd.DataFrame(
        rows, columns=["scenario", "strategy", "statistic", "seed", "seeds", *columns]
    )


def seeds_beating_benchmark(
    metrics: pd.DataFrame, benchmark: str = "equal_weight", metric: str = "sharpe"
) -> pd.DataFrame:
    """How many seeds of each strategy beat the benchmark strategy on ``metric``, per scenario.

    The benchmark's value in a scenario is the ``benchmark_sharpe`` column of
    ``metrics.csv`` when ranking by Sharpe and it is there (the benchmark's
    seed-0 Sharpe ratio on the same scenario, computed even when the run does
    not include the benchmark); otherwise the mean of the benchmark strategy's
    rows of that scenario. A seed beats it when its value is strictly higher;
    an undefined value does not. Without a benchmark value, ``share`` is NaN.

    Returns
    -------
    pandas.DataFrame
        Columns ``scenario, strategy, seeds, beating, share, benchmark_value``
        (``beating`` seeds out of ``seeds``; the benchmark's value they were
        compared with), one row per pair in order of appearance.

    Examples
    --------
    >>> table = pd.DataFrame({"scenario": "s", "seed": [0, 0, 1, 2],
    ...     "strategy": ["equal_weight", "rl", "rl", "rl"], "sharpe": [1.0, 0.5, 1.5, 2.0]})
    >>> wins = seeds_beating_benchmark(table).set_index("strategy")
    >>> int(wins.loc["rl", "beating"]), round(float(wins.loc["rl", "share"]), 3)
    (2, 0.667)
    """
    if metric not in metrics.columns:
        raise ValueError(f"seeds_beating_benchmark: no column {metric!r} in the metrics")
    rows = []
    for scenario, in_scenario in metrics.groupby("scenario", sort=False):
        target = np.nan
        if metric == "sharpe" and "benchmark_sharpe" in in_scenario.columns:
            recorded = in_scenario["benchmark_sharpe"].astype(float).dropna()
            target = float(recorded.iloc[0]) if len(recorded) else np.nan
        if np.isnan(target):
            own = in_scenario.loc[in_scenario["strategy"] == benchmark, metric].astype(float)
            target = float(own.mean()) if own.notna().any() else np.nan
        for strategy, group in in_scenario.groupby("strategy", sort=False):
            values = group[metric].astype(float)
            beating = int((values > target).sum())
            rows.append(
                {
                    "scenario": scenario,
                    "strategy": strategy,
                    "seeds": len(group),
                    "beating": beating,
                    "share": np.nan if np.isnan(target) else beating / len(group),
                    "benchmark_value": target,
                }
            )
    columns = ["scenario", "strategy", "seeds", "beating", "share", "benchmark_value"]
    return pd.DataFrame(rows, columns=columns)
