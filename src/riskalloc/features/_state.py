"""A fitted `FeatureBuilder` as plain JSON-able values, and back.

The state holds parameters, feature names, the resolved market index and the
standardisation statistics: numbers, strings and lists only, so a trained model
is saved as safetensors weights plus JSON and loading it cannot run code. Floats
round-trip through ``json`` exactly (``repr`` is shortest-exact), so a restored
builder returns bit-for-bit the same tensors.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from riskalloc.core import ConfigError
from riskalloc.features._extra import validate_extra_features
from riskalloc.features._market_state import (
    MarketIndex,
    bundled_index_levels,
    validate_index_levels,
)
from riskalloc.features._parameters import check_parameters

__all__ = ["STATE_KIND", "builder_from_state", "builder_state"]

STATE_KIND = "riskalloc.features.FeatureBuilder"
STATE_VERSION = 1


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def builder_state(builder: Any) -> dict[str, Any]:
    """``builder``'s parameters and fitted statistics as a JSON-able dict."""
    if not hasattr(builder, "mean_"):
        raise ConfigError("FeatureBuilder: call fit(train) before state_dict()")
    market_index = builder.market_index
    series = isinstance(market_index, pd.Series | pd.DataFrame)
    return {
        "kind": STATE_KIND,
        "version": STATE_VERSION,
        "params": {
            "lookback": int(builder.lookback),
            "volatility_windows": [int(w) for w in builder.volatility_windows],
            "ma_windows": [int(w) for w in builder.ma_windows],
            "rsi_window": _optional_int(builder.rsi_window),
            "drawdown_window": _optional_int(builder.drawdown_window),
            "market": bool(builder.market),
            "market_index": MarketIndex.SERIES.value if series else MarketIndex(market_index).value,
            "market_volatility_window": int(builder.market_volatility_window),
            "trend_window": int(builder.trend_window),
            "dtype": np.dtype(builder.dtype).name,
        },
        "feature_names": list(builder.feature_names_),
        "market_source": None if builder.market_source_ is None else builder.market_source_.value,
        "extra_columns": None
        if builder.extra_ is None or getattr(builder, "data_columns_", None)
        else list(builder.extra_.columns),
        # Columns of the data's own MarketData.features the builder reads (None: none).
        "data_columns": getattr(builder, "data_columns_", None),
        "mean": [float(x) for x in builder.mean_],
        "std": [float(x) for x in builder.std_],
    }


def builder_from_state(
    cls: type,
    state: dict[str, Any],
    *,
    extra: pd.DataFrame | None,
    market_index: pd.Series | None,
) -> Any:
    """A fitted builder of class ``cls`` from :func:`builder_state` output."""
    if not isinstance(state, dict) or state.get("kind") != STATE_KIND:
        raise ConfigError(
            f"FeatureBuilder: not a saved feature builder state (kind != {STATE_KIND!r})"
        )
    if state.get("version") != STATE_VERSION:
        raise ConfigError(
            f"FeatureBuilder: saved state version {state.get('version')!r} is not supported "
            f"(this riskalloc reads version {STATE_VERSION})"
        )
    params = dict(state["params"])
    params["volatility_windows"] = tuple(params["volatility_windows"])
    params["ma_windows"] = tuple(params["ma_windows"])
    source = None if state["market_source"] is None else MarketIndex(state["market_source"])
    if params["market_index"] == MarketIndex.SERIES:
        if market_index is None:
            raise ConfigError(
                "FeatureBuilder: this builder was fitted on a user market index; pass the same "
                "levels as market_index= to from_state_dict"
            )
        params["market_index"] = market_index
    else:
        params["market_index"] = MarketIndex(params["market_index"])
    columns = state["extra_columns"]
    if columns is not None and extra is None:
        raise ConfigError(
            f"FeatureBuilder: this builder was fitted with extra columns {columns}; pass them "
            "as extra= to from_state_dict"
        )
    builder = cls(**params, extra=extra)
    check_parameters(builder)
    builder.extra_ = None if extra is None else validate_extra_features(extra)
    data_columns = state.get("data_columns")
    builder.data_columns_ = None if data_columns is None else [str(c) for c in data_columns]
    if builder.extra_ is not None and list(builder.extra_.columns) != columns:
        raise ConfigError(
            f"FeatureBuilder: extra columns {list(builder.extra_.columns)} differ from those "
            f"fitted {columns}"
        )
    builder.market_source_ = source
    if source is MarketIndex.SP500:
        builder.market_levels_ = bundled_index_levels()
    elif source is MarketIndex.SERIES:
        builder.market_levels_ = validate_index_levels(market_index)  # type: ignore[arg-type]
    else:
        builder.market_levels_ = None
    builder.feature_names_ = list(state["feature_names"])
    builder.mean_ = np.asarray(state["mean"], dtype=float)
    builder.std_ = np.asarray(state["std"], dtype=float)
    if not len(builder.mean_) == len(builder.std_) == len(builder.feature_names_):
        raise ConfigError(
            "FeatureBuilder: saved state has statistics for a different feature count"
        )
    return builder
