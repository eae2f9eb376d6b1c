"""Walk-forward backtest: schedule, drift, costs, the no-look-ahead contract."""

from riskalloc.backtest._engine import (
    DEFAULT_COSTS_BPS,
    DEFAULT_TRAIN_FRACTION,
    BacktestResult,
    Split,
    as_market_data,
    backtest,
    check_backtest_inputs,
    resolve_split,
)
from riskalloc.backtest._forecasts import FORECAST_TARGETS, realised_forecasts
from riskalloc.backtest._schedule import Frequency, Rebalance
from riskalloc.backtest._simulate import Simulation, daily_rate, rebalance_step, simulate

__all__ = [
    "DEFAULT_COSTS_BPS",
    "DEFAULT_TRAIN_FRACTION",
    "FORECAST_TARGETS",
    "BacktestResult",
    "Frequency",
    "Rebalance",
    "Simulation",
    "Split",
    "as_market_data",
    "backtest",
    "check_backtest_inputs",
    "daily_rate",
    "realised_forecasts",
    "rebalance_step",
    "resolve_split",
    "simulate",
]
