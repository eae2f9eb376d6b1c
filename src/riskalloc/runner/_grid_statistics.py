"""The end of a grid run: the statistics of every finished cell, written into ``metrics.csv``."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from riskalloc.evaluation import StatisticsSettings, run_statistics
from riskalloc.runner._cell import cell_risk_free, run_cell
from riskalloc.runner._sources import LoadedData
from riskalloc.store import CellSpec, RunStore

__all__ = ["write_statistics"]


def write_statistics(
    store: RunStore,
    specs: list[CellSpec],
    data: dict[str, LoadedData],
    failures: dict[str, str],
    statistics: StatisticsSettings,
) -> pd.DataFrame:
    """The end-of-run step: statistics of every finished cell into ``metrics.csv``.

    The benchmark of a scenario is the seed-0 cell of ``statistics.benchmark``
    when the grid has it. Otherwise it is backtested here, in this process, on
    the scenario with the grid's settings (rebalancing, costs, split, risk-free
    rate) and default parameters, and kept out of every table: it is a yardstick,
    not a trial. If that backtest fails, the comparison columns stay empty.
    """
    returns = store.returns()
    if returns.empty:
        return store.write_tables(specs, failures, with_series=False)
    benchmark_returns = {}
    for scenario in dict.fromkeys(returns["scenario"].astype(str)):
        in_grid = [spec for spec in specs if spec.scenario == scenario]
        if any(s.strategy == statistics.benchmark and s.seed == 0 for s in in_grid):
            continue  # run_statistics takes it from the run's own returns
        yardstick = replace(in_grid[0], strategy=statistics.benchmark, params={}, seed=0)
        outcome = run_cell(yardstick, data[scenario])
        if outcome.ok and outcome.returns is not None:
            benchmark_returns[scenario] = outcome.returns.set_index("date")["return"]
    first_spec = {spec.scenario: spec for spec in reversed(specs)}
    rates = {
        label: cell_risk_free(first_spec[label], loaded)
        for label, loaded in data.items()
        if label in first_spec
    }
    table = run_statistics(
        returns,
        benchmark_returns,
        settings=statistics,
        risk_free=rates,
        periods_per_year=specs[0].periods_per_year,
    )
    return store.write_tables(specs, failures, with_series=False, statistics=table)
