"""Walk-forward backtest: schedule, drift, costs, the no-look-ahead contract."""

from riskalloc.backtest._engine import (
    DEFAULT_TRAIN_FRACTION,
    BacktestResult,
    Split,
    as_market_data,
    backtest,
    check_backtest_inputs,
    resolve_risk_free,
    resolve_split,
)
from riskalloc.backtest._forecasts import FORECAST_TARGETS, realised_forecasts
from riskalloc.backtest._simulate import Simulation, simulate

__all__ = [
    "DEFAULT_TRAIN_FRACTION",
    "FORECAST_TARGETS",
    "BacktestResult",
    "Simulation",
    "Split",
    "as_market_data",
    "backtest",
    "check_backtest_inputs",
    "realised_forecasts",
    "resolve_risk_free",
    "resolve_split",
    "simulate",
]
