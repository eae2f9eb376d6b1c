"""Summaries of a run's metrics table across seeds."""

from __future__ import annotations

import pandas as pd

from riskalloc.evaluation._metrics import METRIC_COLUMNS

__all__ = ["summarise_seeds"]


def summarise_seeds(metrics: pd.DataFrame) -> pd.DataFrame:
    """Mean of each metric over seeds, per scenario and strategy, with the seed count.

    Rows keep the order in which scenario/strategy pairs first appear.
    """
    columns = [column for column in METRIC_COLUMNS if column in metrics.columns]
    grouped = metrics.groupby(["scenario", "strategy"], sort=False)
    summary = grouped[columns].mean()
    summary.insert(0, "seeds", grouped.size())
    return summary.reset_index()
