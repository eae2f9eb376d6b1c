"""Forecasts a strategy made, next to what then happened (for "predictions vs actual").

A strategy that forecasts sets ``forecasts_`` during ``allocate``: a long frame
with columns ``date, asset, target, predicted`` — at the close of ``date`` it
predicted ``target`` for ``asset`` over the next ``forecast_horizon`` trading
days (default 1). Targets:

- ``"return"``: the asset's compounded simple return over the horizon;
- ``"volatility"``: the annualised volatility of its per-period returns over the
  horizon (``|r| * sqrt(P)`` for a one-period horizon; ``P`` the data's periods a
  year, 252 for daily data), as the strategies annualise theirs.

The realised values are computed here, after the fact, from the market data:
this is evaluation, never an input to the strategy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskalloc.core import PERIODS_PER_YEAR

__all__ = ["FORECAST_TARGETS", "realised_forecasts"]

FORECAST_TARGETS = ("return", "volatility")
_COLUMNS = ["date", "asset", "target", "predicted"]


def realised_forecasts(
    forecasts: pd.DataFrame,
    returns: pd.DataFrame,
    horizon: int,
    strategy: str,
    periods_per_year: int = PERIODS_PER_YEAR,
) -> pd.DataFrame:
    """``forecasts`` with a ``realised`` column; forecasts whose horizon runs past the data are dropped."""
    missing = [column for column in _COLUMNS if column not in forecasts.columns]
    if missing:
        raise ValueError(
            f"{strategy}.forecasts_ lacks the column(s) {missing}; expected {_COLUMNS}"
        )
    unknown = set(forecasts["target"]) - set(FORECAST_TARGETS)
    if unknown:
        raise ValueError(
            f"{strategy}.forecasts_ has unknown target(s) {sorted(unknown)}; use {FORECAST_TARGETS}"
        )
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
        raise ValueError(f"{strategy}.forecast_horizon must be an integer >= 1, got {horizon!r}")
    frame = forecasts[_COLUMNS].copy()
    frame["date"] = pd.to_datetime(frame["date"])
    positions = returns.index.get_indexer(frame["date"])
    columns = returns.columns.get_indexer(frame["asset"])
    if (positions < 0).any() or (columns < 0).any():
        raise ValueError(f"{strategy}.forecasts_ names a date or an asset that is not in the data")
    values = returns.to_numpy()
    ahead = positions + horizon < len(values)
    frame, positions, columns = frame[ahead], positions[ahead], columns[ahead]
    # Rows k+1 .. k+horizon: the days after the decision.
    paths = np.stack([values[positions + step, columns] for step in range(1, horizon + 1)], axis=1)
    realised_return = np.prod(1.0 + paths, axis=1) - 1.0
    if horizon == 1:
        realised_volatility = np.abs(paths[:, 0]) * np.sqrt(periods_per_year)
    else:
        realised_volatility = paths.std(axis=1, ddof=1) * np.sqrt(periods_per_year)
    frame["realised"] = np.where(frame["target"] == "return", realised_return, realised_volatility)
    frame["predicted"] = frame["predicted"].astype(float)
    return frame.reset_index(drop=True)
