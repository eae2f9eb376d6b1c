"""The benchmark grid: plan the cells, skip finished ones, run the rest, write the run."""

from __future__ import annotations

import datetime as dt
import platform
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from riskalloc.backtest import check_backtest_inputs
from riskalloc.core import (
    DEFAULT_COSTS_BPS,
    ConfigError,
    Rebalance,
    cash_returns,
    check_annual_rate,
    check_costs_bps,
)
from riskalloc.evaluation import StatisticsSettings
from riskalloc.runner._backends import Backend, execute
from riskalloc.runner._cell import make_strategy
from riskalloc.runner._grid_statistics import write_statistics
from riskalloc.runner._progress import GridProgress
from riskalloc.runner._rates import cell_rate, check_units, spec_risk_free
from riskalloc.runner._sources import AUTO_RATE, RATE_SERIES, DataSource, LoadedData
from riskalloc.store import CellSpec, RunStore
from riskalloc.strategies import strategy_class
from riskalloc.strategies.limits import LIMITED_SUFFIX, Limits

__all__ = [
    "BacktestSettings",
    "GridSummary",
    "StrategyChoice",
    "plan_grid",
    "resolved_config",
    "run_benchmark",
    "run_grid",
]


@dataclass(frozen=True)
class StrategyChoice:
    """A registered strategy name with its parameters, and the risk limits it is wrapped with."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    limits: Limits | None = None

    @property
    def label(self) -> str:
        """The name in tables and cells: ``risk_parity``, or ``risk_parity+limits`` when limited."""
        return self.name if self.limits is None else self.name + LIMITED_SUFFIX

    @property
    def cell_params(self) -> dict[str, Any]:
        """The cell's parameters; a limited strategy's limits ride along under ``limits``."""
        if self.limits is None:
            return dict(self.params)
        return {**self.params, "limits": self.limits.to_dict()}

    def build(self) -> Any:
        """A new strategy (wrapped in :class:`LimitedAllocator` when limited), built as its
        cells build it."""
        return make_strategy(self.label, self.cell_params)


@dataclass(frozen=True)
class BacktestSettings:
    """The backtest options every cell of a grid shares."""

    rebalance: str = "daily"
    costs_bps: float = DEFAULT_COSTS_BPS
    test_start: str | None = None
    train_fraction: float | None = None
    risk_free: float | str = 0.0  # an annual rate, or "tbill": each source's own rate series
    periods_per_year: int | None = None  # None: read from each source's dates

    def check(self) -> None:
        """Refuse a setting no cell could run with, naming it, before any data is read."""
        Rebalance.parse(self.rebalance)
        check_costs_bps(self.costs_bps, "BacktestSettings.costs_bps")
        periods = self.periods_per_year
        if periods is not None and (
            isinstance(periods, bool) or not isinstance(periods, int) or periods < 1
        ):
            raise ConfigError(
                f"BacktestSettings.periods_per_year must be an integer >= 1, got {periods!r}"
            )
        fraction = self.train_fraction
        if fraction is not None and not 0.0 < fraction < 1.0:
            raise ConfigError(
                f"BacktestSettings.train_fraction must be strictly between 0 and 1, got {fraction}"
            )
        if isinstance(self.risk_free, str):
            spec_risk_free(self.risk_free)
        else:
            check_annual_rate(self.risk_free, "BacktestSettings.risk_free")


@dataclass
class GridSummary:
    """How a grid run went."""

    specs: list[CellSpec]
    skipped: int
    finished: int
    failures: dict[str, str]
    metrics: pd.DataFrame
    benchmark: str = "equal_weight"  # the strategy the statistics compare with
    path: Path | None = None  # the run folder (with --new-run, maybe OUT-2 ...)
    store: RunStore | None = None  # its store, with the cells it verified or wrote

    @property
    def ok(self) -> bool:
        return not self.failures


def plan_grid(
    data: dict[str, LoadedData],
    strategies: list[StrategyChoice],
    seeds: int,
    settings: BacktestSettings,
) -> list[CellSpec]:
    """One cell per scenario x strategy x seed (seeds ``0..seeds-1``).

    Deterministic strategies run once, as seed 0. Parameters, the split, the
    history length and the test-span prices are checked for every pair first,
    so a user error stops the run before any work rather than failing cells.
    """
    rebalance = str(Rebalance.parse(settings.rebalance))
    specs = []
    for label, loaded in data.items():
        market = loaded.market()
        periods = check_units(loaded, market, settings)
        rate_checked: set[pd.Timestamp] = set()  # the test spans whose cash is known
        for choice in strategies:
            split = check_backtest_inputs(
                market,
                choice.build(),
                test_start=settings.test_start,
                train_fraction=settings.train_fraction,
                default_test_start=loaded.default_test_start,
            )
            if (
                loaded.cash_rate is not None
                and isinstance(settings.risk_free, str)
                and split.train_end not in rate_checked
            ):
                rate_checked.add(split.train_end)
                test_dates = market.dates[market.dates > split.train_end]
                cash_returns(loaded.cash_rate, test_dates, periods, source=f"{label}: tbill")
            if choice.limits is not None:
                choice.limits.check_assets(list(market.assets), choice.label)
            stochastic = bool(getattr(strategy_class(choice.name), "stochastic", False))
            for seed in range(seeds) if stochastic else [0]:
                specs.append(
                    CellSpec(
                        scenario=label,
                        strategy=choice.label,
                        params=choice.cell_params,
                        seed=seed,
                        rebalance=rebalance,
                        costs_bps=float(settings.costs_bps),
                        test_start=settings.test_start,
                        train_fraction=settings.train_fraction,
                        risk_free=cell_rate(settings.risk_free, loaded),
                        data_hash=loaded.data_hash,
                        periods_per_year=settings.periods_per_year,
                    )
                )
    return specs


def run_grid(
    specs: list[CellSpec],
    data: dict[str, LoadedData],
    store: RunStore,
    *,
    config: dict[str, Any] | None = None,
    backend: Backend = Backend.LOCAL,
    workers: int | None = None,
    address: str | None = None,
    progress: bool = True,
    statistics: StatisticsSettings | None = None,
    force: bool = False,
    reuse: RunStore | None = None,
    rates: dict[str, pd.Series] | None = None,
    say: Callable[[str], None] | None = None,
) -> GridSummary:
    """Run every cell not already finished in ``store``; record each as it finishes.

    The folder is claimed first (:meth:`RunStore.claim`, ``force`` as there): a
    folder riskalloc does not own, or one holding a run with other settings, is
    refused before anything is written. Then :meth:`RunStore.pending` verifies
    the finished cells (a damaged one runs again, warned through ``say``,
    default a :class:`UserWarning`) and copies those finished in ``reuse``.

    A cell that raises is recorded with its error and the others go on. After
    each finished cell, ``metrics.csv`` is rewritten (atomically) from the cells'
    own series, so a run killed part-way keeps every finished cell.

    When the grid ends, the statistics of :func:`riskalloc.evaluation.run_statistics`
    (bootstrap intervals, PSR/DSR, tests against ``statistics.benchmark``) are
    computed once for every finished cell and written into ``metrics.csv``;
    before that their columns are empty. ``rates`` (scenario -> annual rates)
    are written as ``rates.parquet``.
    """
    statistics = statistics or StatisticsSettings()
    store.claim(config or {}, specs, force=force)
    store.clean_staging()
    store.write_config(config or {})
    if rates:
        store.write_rates(rates)
    pending = store.pending(specs, reuse=reuse, say=say or _warn)
    skipped = len(specs) - len(pending)
    failures: dict[str, str] = {}
    finished = 0
    with GridProgress(progress, total=len(specs), done=skipped) as display:
        for outcome in execute(
            pending,
            data,
            backend=backend,
            workers=workers,
            address=address,
            on_event=display.on_event if progress else None,
        ):
            if outcome.ok:
                store.save_cell(outcome)
                finished += 1
            else:
                failures[outcome.spec.cell_id] = outcome.error or "unknown error"
            store.write_tables(specs, failures, with_series=False)
            display.finished(outcome.spec, outcome.ok)
    metrics = store.write_tables(specs, failures, with_series=True)
    if statistics.enabled:
        metrics = write_statistics(store, specs, data, failures, statistics)
    return GridSummary(
        specs,
        skipped,
        finished,
        failures,
        metrics,
        statistics.benchmark,
        path=store.path,
        store=store,
    )


def _warn(line: str) -> None:
    warnings.warn(line.removeprefix("warning: "), UserWarning, stacklevel=3)


def resolved_config(
    sources: list[DataSource],
    data: dict[str, LoadedData],
    strategies: list[StrategyChoice],
    seeds: int,
    settings: BacktestSettings,
    specs: list[CellSpec],
    *,
    backend: Backend,
    workers: int | None,
    command: list[str] | None = None,
) -> dict[str, Any]:
    """The fully resolved configuration written to ``config.json``."""
    versions = {"python": platform.python_version()}
    for package in ("riskalloc", "numpy", "pandas", "scipy", "pyarrow", "skfolio", "torch", "ray"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": command if command is not None else sys.argv,
        "versions": versions,
        "data": {
            source.label: {
                "kind": str(source.kind),
                "reference": str(Path(source.reference))
                if source.kind == "prices"
                else source.reference,
                "assets": list(data[source.label].prices.columns),
                "first_date": str(data[source.label].prices.index[0].date()),
                "last_date": str(data[source.label].prices.index[-1].date()),
                "default_test_start": None
                if data[source.label].default_test_start is None
                else str(data[source.label].default_test_start.date()),
                "sha256": data[source.label].data_hash,
                **source.reading_options(),  # a date format or move bound other than the default
            }
            for source in sources
        },
        "backtest": {
            "rebalance": str(Rebalance.parse(settings.rebalance)),
            "costs_bps": settings.costs_bps,
            "test_start": settings.test_start,
            "train_fraction": settings.train_fraction,
            "risk_free": spec_risk_free(settings.risk_free),
            "periods_per_year": settings.periods_per_year,
        },
        "strategies": {choice.label: choice.build().get_params() for choice in strategies},
        "seeds": list(range(seeds)),
        "backend": str(backend),
        "workers": workers,
        "cells": [
            {
                "id": spec.cell_id,
                "scenario": spec.scenario,
                "strategy": spec.strategy,
                "seed": spec.seed,
            }
            for spec in specs
        ],
    }


def run_benchmark(
    sources: list[DataSource],
    strategies: list[StrategyChoice],
    out: str | Path,
    *,
    seeds: int = 1,
    settings: BacktestSettings | None = None,
    backend: Backend = Backend.LOCAL,
    workers: int | None = None,
    address: str | None = None,
    progress: bool = True,
    command: list[str] | None = None,
    statistics: StatisticsSettings | None = None,
    force: bool = False,
    new_run: bool = False,
    reuse: RunStore | None = None,
    say: Callable[[str], None] | None = None,
) -> GridSummary:
    """Load the data, plan the grid, and run it into the run folder ``out``.

    ``out`` is checked before any work, ``force`` and ``new_run`` as in
    :meth:`RunStore.prepare` (the folder used is ``GridSummary.path``). A run
    into a folder of riskalloc's resumes it when the settings are the same
    (strategies, seeds and scenarios may be added); otherwise it is refused with
    the differences named.

    ``statistics`` sets the benchmark strategy the run is tested against
    (default ``equal_weight``, computed even when the grid lacks it), the
    bootstrap sizes and their seed; see :func:`run_grid`, which gets ``reuse``
    and ``say``.

    Examples
    --------
    >>> from riskalloc.runner import DataSource, SourceKind, StrategyChoice, run_benchmark
    >>> summary = run_benchmark(                                     # doctest: +SKIP
    ...     [DataSource(SourceKind.SCENARIO, "bull-2010")],
    ...     [StrategyChoice("equal_weight"), StrategyChoice("inverse_volatility")],
    ...     "runs/bench",
    ... )
    """

    settings = settings or BacktestSettings()
    settings.check()
    store = RunStore.prepare(out, force=force, new_run=new_run)
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise ConfigError(f"--seeds must be an integer >= 1, got {seeds!r}")
    if not sources:
        raise ConfigError("no data: give --scenario, --dataset or --prices")
    if not strategies:
        raise ConfigError("no strategy given")
    statistics = statistics or StatisticsSettings()
    try:
        strategy_class(statistics.benchmark)
    except ConfigError as error:
        raise ConfigError(f"--benchmark: {error}") from None
    labels = [source.label for source in sources]
    repeated = {label for label in labels if labels.count(label) > 1}
    if repeated:
        raise ConfigError(f"data source '{sorted(repeated)[0]}' is given twice")
    data = {source.label: source.load() for source in sources}
    specs = plan_grid(data, strategies, seeds, settings)
    rates = (
        {label: loaded.cash_rate for label, loaded in data.items() if loaded.cash_rate is not None}
        if spec_risk_free(settings.risk_free) in (RATE_SERIES, AUTO_RATE)
        else {}
    )
    config = resolved_config(
        sources,
        data,
        strategies,
        seeds,
        settings,
        specs,
        backend=backend,
        workers=workers,
        command=command,
    )
    config["statistics"] = statistics.to_dict()
    if store.path != Path(out):
        (say or _warn)(f"new run: {store.path} ({out} holds another)")
    return run_grid(
        specs,
        data,
        store,
        config=config,
        backend=backend,
        workers=workers,
        address=address,
        progress=progress,
        statistics=statistics,
        force=force,
        reuse=reuse,
        rates=rates,
        say=say,
    )
