"""Backtest results held in memory, laid out as a run folder's tables (for :meth:`Run.from_results`).

A run folder holds one row of ``metrics.csv`` and one block of each long table
per scenario x strategy x seed cell. Here each :class:`BacktestResult` is one
cell: its label is the strategy (the dict key, else ``result.strategy``), its
seed the ``seed`` parameter (0 without one), and its metrics are
:func:`riskalloc.performance` of it, as the runner computes them.
"""

from __future__ import annotations

import datetime as dt
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from riskalloc.backtest import BacktestResult, as_market_data
from riskalloc.core import ConfigError, RiskFree
from riskalloc.data import Scenario
from riskalloc.evaluation import (
    METRIC_COLUMNS,
    STATISTIC_COLUMNS,
    StatisticsSettings,
    performance,
    run_statistics,
)
from riskalloc.store import KEY_COLUMNS

__all__ = ["DEFAULT_SCENARIO", "BacktestResults", "ResultTables", "results_tables"]

#: Backtest results a figure can draw: one, several (a list or tuple; results of one
#: strategy with different ``seed`` parameters are its seeds), or labelled
#: ``{label: result}`` (a label may hold a list of seeds).
BacktestResults: TypeAlias = (
    BacktestResult
    | Sequence[BacktestResult]
    | Mapping[str, BacktestResult | Sequence[BacktestResult]]
)
#: The scenario name of results given without a Scenario's prices.
DEFAULT_SCENARIO = "backtest"
#: What ``config.json`` records as the data source of results held in memory.
SOURCE_KIND = "backtest results"
_PREDICTION_COLUMNS = ["date", "asset", "target", "predicted", "realised"]


@dataclass(frozen=True)
class ResultTables:
    """A run's tables and settings, made from results (the fields of a :class:`Run`)."""

    config: dict[str, Any]
    metrics: pd.DataFrame
    returns: pd.DataFrame
    weights: pd.DataFrame
    failures: pd.DataFrame
    predictions: pd.DataFrame
    prices: dict[str, pd.DataFrame]
    rates: dict[str, pd.Series] = field(default_factory=dict)
    training: pd.DataFrame | None = None


@dataclass(frozen=True)
class _Cell:
    label: str
    seed: int
    result: BacktestResult

    @property
    def key(self) -> dict[str, Any]:
        return {"strategy": self.label, "seed": self.seed}


def results_tables(
    results: BacktestResults,
    *,
    scenario: str | None = None,
    prices: Any = None,
    statistics: StatisticsSettings | None = None,
) -> ResultTables:
    """The tables of a run folder holding ``results`` as the cells of one scenario.

    See :meth:`riskalloc.report.Run.from_results` for the parameters.
    """
    cells = _cells(results)
    market = None if prices is None else as_market_data(prices)[0]
    if scenario is None:
        scenario = prices.name if isinstance(prices, Scenario) else DEFAULT_SCENARIO
    scenario = str(scenario)
    risk_free = _shared_risk_free(cells)
    keyed = [{"scenario": scenario, **cell.key} for cell in cells]
    metrics = pd.DataFrame(
        [
            key | performance(cell.result)[list(METRIC_COLUMNS)].astype(float).to_dict()
            for key, cell in zip(keyed, cells, strict=True)
        ],
        columns=[*KEY_COLUMNS, *METRIC_COLUMNS],
    )
    # The long tables exactly as the runner's cells store them.
    returns = pd.concat(
        [
            _keyed(cell.result.returns.rename("return").rename_axis("date").reset_index(), key)
            for key, cell in zip(keyed, cells, strict=True)
        ],
        ignore_index=True,
    )
    weights = pd.concat(
        [
            _keyed(
                cell.result.weights.rename_axis(index="date", columns="asset")
                .stack()
                .rename("weight")
                .reset_index(),
                key,
            )
            for key, cell in zip(keyed, cells, strict=True)
        ],
        ignore_index=True,
    )
    for frame in (returns, weights):
        frame["date"] = pd.to_datetime(frame["date"])
    forecasts = [
        _keyed(cell.result.predictions, key)
        for key, cell in zip(keyed, cells, strict=True)
        if cell.result.predictions is not None
    ]
    predictions = (
        pd.concat(forecasts, ignore_index=True)
        if forecasts
        else pd.DataFrame(columns=[*KEY_COLUMNS, *_PREDICTION_COLUMNS])
    )
    assets = list(dict.fromkeys(str(a) for cell in cells for a in cell.result.weights.columns))
    held = {} if market is None else {scenario: _checked_prices(market.prices, cells, assets)}
    return ResultTables(
        config=_config(cells, scenario, assets, risk_free, held.get(scenario), statistics),
        metrics=_with_statistics(metrics, returns, statistics, risk_free),
        returns=returns,
        weights=weights,
        failures=pd.DataFrame(columns=[*KEY_COLUMNS, "error"]),
        predictions=predictions,
        prices=held,
        rates={scenario: risk_free} if isinstance(risk_free, pd.Series) else {},
        training=_training(cells, keyed),
    )


def _training(cells: list[_Cell], keyed: list[dict[str, Any]]) -> pd.DataFrame | None:
    """The results' training curves, long (as the runner's ``training.parquet``)."""
    frames = [
        _keyed(cell.result.training_log, key)
        for key, cell in zip(keyed, cells, strict=True)
        if cell.result.training_log is not None and len(cell.result.training_log)
    ]
    return pd.concat(frames, ignore_index=True) if frames else None


def _cells(results: Any) -> list[_Cell]:
    """One cell per result, labelled and seeded; a :class:`ConfigError` for what is not one."""
    if isinstance(results, BacktestResult):
        labelled = [(results.strategy, results)]
    elif isinstance(results, Mapping):
        labelled = [
            (str(label), result)
            for label, value in results.items()
            for result in (value if isinstance(value, list | tuple) else [value])
        ]
    elif isinstance(results, list | tuple):
        labelled = [(getattr(result, "strategy", None), result) for result in results]
    else:
        raise ConfigError(
            "a figure takes a run folder, a Run, a BacktestResult, a list of them or a dict "
            f"{{label: result}}; got {type(results).__name__}"
        )
    if not labelled:
        raise ConfigError("no backtest results given: nothing to draw")
    cells: dict[tuple[str, int], _Cell] = {}
    parameters: dict[str, dict[str, Any]] = {}
    for label, result in labelled:
        if not isinstance(result, BacktestResult):
            raise ConfigError(
                f"expected BacktestResult objects (from riskalloc.backtest), got {type(result).__name__}"
            )
        seed = result.params.get("seed")
        cell = _Cell(str(label), 0 if seed is None else int(seed), result)
        others = {name: value for name, value in result.params.items() if name != "seed"}
        first = parameters.setdefault(cell.label, others)
        if _differing(first, others):
            raise ConfigError(
                f"results of '{cell.label}' differ in {', '.join(_differing(first, others))}, "
                "not only in their seed; label them apart with a dict {label: result}"
            )
        if (cell.label, cell.seed) in cells:
            raise ConfigError(
                f"two results of '{cell.label}' with seed {cell.seed}; label them apart "
                "with a dict {label: result}"
            )
        cells[(cell.label, cell.seed)] = cell
    return list(cells.values())


def _differing(first: dict[str, Any], other: dict[str, Any]) -> list[str]:
    names = dict.fromkeys([*first, *other])
    return [name for name in names if repr(first.get(name)) != repr(other.get(name))]


def _shared_risk_free(cells: list[_Cell]) -> RiskFree:
    """The results' cash rate: one for all, since a run's Sharpe ratios are in excess of one
    (a number, or one rate series)."""
    first = cells[0].result.risk_free
    for cell in cells[1:]:
        other = cell.result.risk_free
        same = (
            first.equals(other)
            if isinstance(first, pd.Series) and isinstance(other, pd.Series)
            else not isinstance(first, pd.Series)
            and not isinstance(other, pd.Series)
            and float(first) == float(other)
        )
        if not same:
            raise ConfigError(
                f"the results were backtested with different risk-free rates ('{cells[0].label}' "
                f"and '{cell.label}'); one set of figures needs one rate"
            )
    return first if isinstance(first, pd.Series) else float(first)


def _checked_prices(prices: pd.DataFrame, cells: list[_Cell], assets: list[str]) -> pd.DataFrame:
    """``prices`` when they hold every asset and date of the results (else a named error)."""
    missing = [asset for asset in assets if asset not in prices.columns]
    if missing:
        raise ConfigError(
            f"prices: no column for {', '.join(missing)} of the results; "
            "pass the prices the results were backtested on"
        )
    for cell in cells:
        dates = cell.result.weights.index.union(cell.result.returns.index)
        absent = dates.difference(prices.index)
        if len(absent):
            raise ConfigError(
                f"prices: no row for {absent[0].date()}, a date of the results of "
                f"'{cell.label}'; pass the prices the results were backtested on"
            )
    return prices


def _config(
    cells: list[_Cell],
    scenario: str,
    assets: list[str],
    risk_free: RiskFree,
    prices: pd.DataFrame | None,
    statistics: StatisticsSettings | None,
) -> dict[str, Any]:
    """What ``config.json`` would record: a setting shared by every result is the run's;
    one that differs is recorded with each strategy instead."""
    settings = {
        "rebalance": [str(cell.result.rebalance) for cell in cells],
        "costs_bps": [float(cell.result.costs_bps) for cell in cells],
        "test_start": [str(cell.result.split.test_start.date()) for cell in cells],
    }
    shared = {name: values[0] for name, values in settings.items() if len(set(values)) == 1}
    strategies: dict[str, dict[str, Any]] = {}
    for position, cell in enumerate(cells):
        own = {name: values[position] for name, values in settings.items() if name not in shared}
        params = dict(cell.result.params)
        if sum(other.label == cell.label for other in cells) > 1:
            params.pop("seed", None)  # the seeds are listed once, for the run
        strategies.setdefault(cell.label, params | own)
    source: dict[str, Any] = {"kind": SOURCE_KIND, "reference": scenario, "assets": assets}
    if prices is not None:
        source |= {
            "first_date": str(prices.index[0].date()),
            "last_date": str(prices.index[-1].date()),
        }
    config: dict[str, Any] = {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "versions": _versions(),
        "data": {scenario: source},
        "backtest": {
            "rebalance": shared.get("rebalance"),
            "costs_bps": shared.get("costs_bps"),
            "test_start": shared.get("test_start"),
            "train_fraction": None,
            "risk_free": "tbill" if isinstance(risk_free, pd.Series) else risk_free,
        },
        "strategies": strategies,
        "seeds": sorted({cell.seed for cell in cells}),
    }
    if statistics is not None:
        config["statistics"] = statistics.to_dict()
    return config


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in ("riskalloc", "numpy", "pandas"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _with_statistics(
    metrics: pd.DataFrame,
    returns: pd.DataFrame,
    statistics: StatisticsSettings | None,
    risk_free: RiskFree,
) -> pd.DataFrame:
    """``metrics`` with the statistic columns of ``metrics.csv``: computed as the runner's end
    step computes them when ``statistics`` is given, else empty (as before that step)."""
    if statistics is None or not statistics.enabled:
        return metrics.assign(**dict.fromkeys(STATISTIC_COLUMNS, np.nan))
    table = run_statistics(returns, settings=statistics, risk_free=risk_free)
    return metrics.merge(table, on=list(KEY_COLUMNS), how="left")


def _keyed(frame: pd.DataFrame, key: dict[str, Any]) -> pd.DataFrame:
    keyed = frame.copy()
    for position, (column, value) in enumerate(key.items()):
        keyed.insert(position, column, value)
    return keyed
