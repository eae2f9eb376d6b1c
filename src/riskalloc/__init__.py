"""riskalloc: risk-aware asset allocation, benchmarked honestly.

Examples
--------
>>> import riskalloc as ra
>>> prices = ra.load_dataset("sp500")
>>> result = ra.backtest(prices, ra.get_strategy("inverse_volatility", window=50),
...                      rebalance="weekly", costs_bps=10, test_start="2015-08-01")
>>> metrics = ra.performance(result.returns)

The report's figures are in ``ra.report`` (imported on first use, with plotly):
``ra.report.cumulative_returns("runs/bench", "bull-2010")``. A saved model (deep,
ensemble or RL, with its limits) loads with ``ra.load_model(path)``, also on first use.
"""

from riskalloc.backtest import BacktestResult, backtest
from riskalloc.core import ConfigError, DataError, Rebalance, RiskallocError, RunContext
from riskalloc.data import (
    MarketData,
    Scenario,
    load_dataset,
    load_indicators,
    load_prices,
    scenario,
)
from riskalloc.evaluation import performance
from riskalloc.strategies import Allocator, BaseAllocator, get_strategy, list_strategies, register

__version__ = "0.1.0"

__all__ = [
    "Allocator",
    "BacktestResult",
    "BaseAllocator",
    "ConfigError",
    "DataError",
    "MarketData",
    "Rebalance",
    "RiskallocError",
    "RunContext",
    "Scenario",
    "__version__",
    "backtest",
    "get_strategy",
    "list_strategies",
    "load_dataset",
    "load_indicators",
    "load_model",
    "load_prices",
    "performance",
    "register",
    "report",
    "scenario",
]


def __getattr__(name: str):
    # ``ra.report`` imports plotly; load it on first use so ``import riskalloc`` stays fast.
    if name == "report":
        import importlib

        return importlib.import_module("riskalloc.report")
    if name == "load_model":
        # Loading a model needs the deep and RL families (torch, stable-baselines3).
        import importlib

        return importlib.import_module("riskalloc.strategies._saved_models").load_model
    raise AttributeError(f"module 'riskalloc' has no attribute {name!r}")
