"""Summaries of a run's metrics table across seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskalloc.evaluation._metrics import METRIC_COLUMNS

__all__ = ["SEED_STATISTICS", "seed_spread", "summarise_seeds"]


def summarise_seeds(metrics: pd.DataFrame) -> pd.DataFrame:
    """Mean of each metric over seeds, per scenario and strategy, with the seed count.

    Rows keep the order in which scenario/strategy pairs first appear.
    """
    columns = [column for column in METRIC_COLUMNS if column in metrics.columns]
    grouped = metrics.groupby(["scenario", "strategy"], sort=False)
    summary = grouped[columns].mean()
    summary.insert(0, "seeds", grouped.size())
    return summary.reset_index()


#: Statistics of :func:`seed_spread`, in row order.
SEED_STATISTICS = ("mean", "std", "best", "worst")


def seed_spread(metrics: pd.DataFrame, rank_by: str = "sharpe") -> pd.DataFrame:
    """Mean, standard deviation, best and worst seed of each metric, per scenario and strategy.

    The best and worst seeds are the rows of the seeds with the highest and the
    lowest ``rank_by`` (ties go to the lowest seed; an undefined value ranks
    lowest); their ``seed`` column says which. ``std`` is the sample standard
    deviation over seeds (NaN for one seed).

    Returns
    -------
    pandas.DataFrame
        Columns ``scenario, strategy, statistic, seed, seeds`` then the metrics;
        four rows per pair (``mean, std, best, worst``), pairs in order of appearance.

    Examples
    --------
    >>> table = pd.DataFrame({"scenario": "s", "strategy": "a", "seed": [0, 1],
    ...                       "sharpe": [0.5, 1.5]})
    >>> seed_spread(table).set_index("statistic")["sharpe"].to_dict()
    {'mean': 1.0, 'std': 0.7071067811865476, 'best': 1.5, 'worst': 0.5}
    """
    columns = [column for column in METRIC_COLUMNS if column in metrics.columns]
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
