"""Running one cell: build the strategy, backtest it, compute its metrics."""

from __future__ import annotations

import time
import traceback

import pandas as pd

from riskalloc.backtest import backtest
from riskalloc.core import ConfigError, RiskallocError, RiskFree
from riskalloc.evaluation import performance
from riskalloc.runner._sources import LoadedData
from riskalloc.store import CellOutcome, CellSpec
from riskalloc.strategies import get_strategy, strategy_class
from riskalloc.strategies._allocation_record import record_steps
from riskalloc.strategies.limits import (
    LIMITED_SUFFIX,
    LimitedAllocator,
    Limits,
    base_strategy_name,
)

__all__ = ["build_strategy", "cell_risk_free", "make_strategy", "run_cell", "strategy_params"]


def strategy_params(spec: CellSpec) -> dict:
    """The cell's strategy parameters, with the cell's seed for a strategy that takes one."""
    params = dict(spec.params)
    if "seed" in strategy_class(base_strategy_name(spec.strategy)).param_names():
        params["seed"] = spec.seed
    return params


def build_strategy(spec: CellSpec):
    """The cell's strategy (see :func:`make_strategy`)."""
    return make_strategy(spec.strategy, strategy_params(spec))


def make_strategy(label: str, params: dict):
    """A new strategy from a cell's label and parameters: ``NAME+limits`` wraps NAME with
    the limits carried under ``params["limits"]``; the one place a cell's strategy is built."""
    if not label.endswith(LIMITED_SUFFIX):
        return get_strategy(label, **params)
    params = dict(params)
    limits = Limits.from_dict(params.pop("limits", {}))
    return LimitedAllocator(get_strategy(base_strategy_name(label), **params), limits)


def _notes(result) -> dict[str, int]:
    """How many decision dates carried each note, e.g. a regularised covariance (fallbacks
    are counted apart, in ``BacktestResult.fallbacks``)."""
    if result.allocations is None:
        return {}
    counts: dict[str, int] = {}
    for step in record_steps(result.allocations):
        for note in step.notes:
            counts[note] = counts.get(note, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def cell_risk_free(spec: CellSpec, data: LoadedData) -> RiskFree:
    """What cash earns in the cell: its annual rate, or its source's rate series."""
    if isinstance(spec.risk_free, str):
        if data.cash_rate is None:
            raise ConfigError(f"{data.label}: --risk-free {spec.risk_free} but no rate series")
        return data.cash_rate
    return float(spec.risk_free)


def run_cell(spec: CellSpec, data: LoadedData) -> CellOutcome:
    """Run one cell; never raises for a failure of the cell itself (it is recorded)."""
    started = time.perf_counter()
    try:
        strategy = build_strategy(spec)
        # A scenario's own boundary applies unless the cell sets test_start or train_fraction.
        test_start = spec.test_start
        if test_start is None and spec.train_fraction is None:
            test_start = data.default_test_start
        result = backtest(
            data.market(),
            strategy,
            rebalance=spec.rebalance,
            costs_bps=spec.costs_bps,
            test_start=test_start,
            train_fraction=spec.train_fraction,
            risk_free=cell_risk_free(spec, data),
            periods_per_year=spec.periods_per_year,
        )
    except Exception as error:  # recorded per cell; the grid goes on
        kind = "user error" if isinstance(error, RiskallocError) else type(error).__name__
        detail = "" if isinstance(error, RiskallocError) else "\n" + traceback.format_exc()
        return CellOutcome(spec, error=f"{kind}: {error}{detail}")
    weights = result.weights.rename_axis(index="date", columns="asset").stack().rename("weight")
    returns = result.returns.rename("return").rename_axis("date")
    # What the metrics are computed from besides the returns, kept so that the run's
    # tables are rebuilt from the cell's own series (riskalloc.store._cell_files).
    held = result.drifted_weights.rename_axis(index="date", columns="asset").stack()
    rates = result.risk_free if isinstance(result.risk_free, pd.Series) else None
    return CellOutcome(
        spec,
        metrics={key: float(value) for key, value in performance(result).items()},
        weights=weights.reset_index(),
        returns=returns.reset_index(),
        predictions=result.predictions,
        held_weights=held.rename("weight").reset_index(),
        turnover=result.turnover.rename("turnover").rename_axis("date").reset_index(),
        rates=None if rates is None else rates.rename("rate").rename_axis("date").reset_index(),
        training=result.training_log,
        info={
            "periods_per_year": int(result.periods_per_year),
            "train_end": str(result.split.train_end.date()),
            "test_start": str(result.split.test_start.date()),
            "test_end": str(pd.Timestamp(result.returns.index[-1]).date()),
            "decisions": len(result.weights),
            "seconds": {**result.seconds, "total": time.perf_counter() - started},
            "fallbacks": {str(date.date()): method for date, method in result.fallbacks().items()},
            "notes": _notes(result),
        },
    )
