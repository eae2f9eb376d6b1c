"""Helpers of the run's tables: cells keyed by scenario, strategy and seed."""

from __future__ import annotations

from typing import Any

import pandas as pd

from riskalloc.evaluation import STATISTIC_COLUMNS

__all__ = ["KEY_COLUMNS", "concat_cells", "keyed_frame", "with_statistics"]

#: Columns that identify a cell in every table.
KEY_COLUMNS = ("scenario", "strategy", "seed")


def with_statistics(metrics: pd.DataFrame, statistics: pd.DataFrame | None) -> pd.DataFrame:
    """``metrics`` with the statistic columns, taken from ``statistics`` by cell (NaN where absent)."""
    if statistics is None or statistics.empty:
        return metrics.assign(**{column: float("nan") for column in STATISTIC_COLUMNS})
    keyed = statistics.set_index(list(KEY_COLUMNS))[list(STATISTIC_COLUMNS)]
    cells = pd.MultiIndex.from_frame(metrics[list(KEY_COLUMNS)])
    values = keyed.reindex(cells).to_numpy(dtype=float)
    return pd.concat(
        [metrics, pd.DataFrame(values, columns=list(STATISTIC_COLUMNS), index=metrics.index)],
        axis=1,
    )


def keyed_frame(frame: pd.DataFrame, key: dict[str, Any]) -> pd.DataFrame:
    keyed = frame.copy()
    for position, (column, value) in enumerate(key.items()):
        keyed.insert(position, column, value)
    return keyed


def concat_cells(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(columns=[*KEY_COLUMNS, *columns])
    return pd.concat(frames, ignore_index=True)
