"""The grid runner: scenario x strategy x seed cells on local processes or Ray."""

from riskalloc.runner._backends import Backend, execute
from riskalloc.runner._cell import run_cell, strategy_params
from riskalloc.runner._grid import (
    BacktestSettings,
    GridSummary,
    StrategyChoice,
    plan_grid,
    resolved_config,
    run_benchmark,
    run_grid,
)
from riskalloc.runner._sources import DataSource, LoadedData, SourceKind

__all__ = [
    "Backend",
    "BacktestSettings",
    "DataSource",
    "GridSummary",
    "LoadedData",
    "SourceKind",
    "StrategyChoice",
    "execute",
    "plan_grid",
    "resolved_config",
    "run_benchmark",
    "run_cell",
    "run_grid",
    "strategy_params",
]
