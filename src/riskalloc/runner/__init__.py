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
from riskalloc.runner._robustness import (
    RISK_MEASURE_VARIANTS,
    WINDOW_PARAMETERS,
    RobustnessResult,
    Sweep,
    SweepPlan,
    run_robustness,
)
from riskalloc.runner._sources import DataSource, LoadedData, SourceKind

__all__ = [
    "RISK_MEASURE_VARIANTS",
    "WINDOW_PARAMETERS",
    "Backend",
    "BacktestSettings",
    "DataSource",
    "GridSummary",
    "LoadedData",
    "RobustnessResult",
    "SourceKind",
    "StrategyChoice",
    "Sweep",
    "SweepPlan",
    "execute",
    "plan_grid",
    "resolved_config",
    "run_benchmark",
    "run_cell",
    "run_grid",
    "run_robustness",
    "strategy_params",
]
