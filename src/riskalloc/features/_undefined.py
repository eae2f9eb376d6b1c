"""Naming the culprit when a feature is missing inside a decision window.

A missing value is never zeroed or filled from later dates: the error says which
feature, asset and date, why (a late start, a gap, an index or column that does
not cover the date) and what to do about it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from riskalloc.core import DataError
from riskalloc.features._market_state import MarketIndex

__all__ = ["EXTRA_PREFIX", "undefined_feature_error"]

#: Tensor names of user columns: ``extra:{column}``, never confused with a built-in feature.
EXTRA_PREFIX = "extra:"


def undefined_feature_error(
    builder: Any,
    batch: np.ndarray,
    dates: pd.DatetimeIndex,
    positions: np.ndarray,
    past: pd.DataFrame,
) -> DataError:
    """The error for the first non-finite value of ``batch`` ``(dates, features, lookback, assets)``."""
    k, f, row, asset_column = np.argwhere(~np.isfinite(batch))[0]
    lookback = builder.lookback
    name = builder.feature_names_[f]
    day_position = positions[k] - lookback + 1 + row
    day = past.index[day_position].date()
    where = f"on {day} (in the {lookback}-day window up to decision date {dates[k].date()})"
    if name.startswith(EXTRA_PREFIX):
        column = name[len(EXTRA_PREFIX) :]
        first = builder.extra_[column].first_valid_index().date()
        return DataError(
            f"FeatureBuilder: extra column '{column}' has no value {where}; its first value "
            f"is on {first}"
        )
    if name.startswith("market_"):
        source = builder.market_source_
        if source is MarketIndex.EQUAL_WEIGHT:
            cause = "the equal-weight index of the assets has too little history there"
        else:
            levels = builder.market_levels_.index
            what = "bundled sp500_index" if source is MarketIndex.SP500 else "market index given"
            cause = f"the {what} covers {levels[0].date()}..{levels[-1].date()}"
        return DataError(
            f"FeatureBuilder: market feature '{name}' is undefined {where}: {cause}. Use "
            "market_index=MarketIndex.EQUAL_WEIGHT, pass index levels that cover the dates, "
            "or market=False"
        )
    asset = past.columns[asset_column]
    prices = past[asset].iloc[: day_position + 1]
    first = prices.first_valid_index()
    if first is None:
        cause = "it has no price yet; start the decisions later or drop the asset"
    elif prices.loc[first:].isna().any():
        gap = prices.loc[first:][prices.loc[first:].isna()].index[0].date()
        cause = f"it has missing prices from {gap}; fill them or drop the asset"
    else:
        cause = f"its prices start on {first.date()}; start the decisions later or drop it"
    return DataError(f"FeatureBuilder: asset '{asset}' has no '{name}' {where}: {cause}")
