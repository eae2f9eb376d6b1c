"""`Run`: a finished run folder, read once, in the shapes the figures need (or backtest
results held in memory, in the same shapes)."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import pandas as pd

from riskalloc.core import ConfigError, DataError, RiskFree
from riskalloc.report._results import BacktestResults, results_tables
from riskalloc.store import KEY_COLUMNS, RunStore

if TYPE_CHECKING:
    from riskalloc.evaluation import StatisticsSettings

__all__ = ["Run", "RunLike", "as_run"]


@dataclass(frozen=True, eq=False)
class Run:
    """The stored results of one run folder (see :class:`riskalloc.store.RunStore`).

    A strategy is *stochastic* in a scenario when ``metrics.csv`` holds more than
    one seed of it there; nothing else about strategies is assumed, so a strategy
    added later appears in every figure as it is.

    :meth:`from_results` makes the same tables from backtest results held in
    memory; such a run has no folder (``path`` is None) and holds its forecasts
    (``predictions``) and whatever prices it was given (``prices``, by scenario).

    Examples
    --------
    >>> import riskalloc as ra
    >>> run = ra.report.Run.load("runs/bench")                 # doctest: +SKIP
    >>> run.scenarios, run.strategies()                        # doctest: +SKIP
    (['bull-2010', 'bear-2003'], ['equal_weight', 'inverse_volatility', 'fixed_mix'])
    """

    path: Path | None
    config: dict[str, Any] = field(repr=False)
    metrics: pd.DataFrame = field(repr=False)
    returns: pd.DataFrame = field(repr=False)
    weights: pd.DataFrame = field(repr=False)
    failures: pd.DataFrame = field(repr=False)
    #: Forecasts held in memory (long, as ``predictions.parquet``); None: read from the folder.
    predictions: pd.DataFrame | None = field(default=None, repr=False)
    #: Prices held in memory, by scenario; None: reloaded from the source ``config.json`` records.
    prices: Mapping[str, pd.DataFrame] | None = field(default=None, repr=False)
    #: Annual risk-free rates by date, per scenario, of a run at a rate series (``rates.parquet``).
    rates: Mapping[str, pd.Series] = field(default_factory=dict, repr=False)
    #: Training curves of the strategies that train (long, as ``training.parquet``); None: none.
    training: pd.DataFrame | None = field(default=None, repr=False)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Run:
        """Read a run folder; a folder that is not a run is a :class:`ConfigError`."""
        store = RunStore(path)
        missing = [
            name for name in ("config.json", "metrics.csv") if not (store.path / name).is_file()
        ]
        if not store.path.is_dir() or missing:
            raise ConfigError(
                f"{store.path}: not a run folder (no {' or '.join(missing) or 'such folder'}); "
                "make one with `riskalloc benchmark ... --out FOLDER`"
            )
        try:
            config = store.config()
            metrics = store.metrics()
        except (
            json.JSONDecodeError,
            pd.errors.ParserError,
            pd.errors.EmptyDataError,
            UnicodeDecodeError,
        ) as error:
            raise DataError(f"{store.path}: unreadable run folder ({error})") from None
        # The long tables are written when the grid ends; a run stopped before has none yet.
        returns = _read_or_empty(store.path / "returns.parquet", ["date", "return"])
        weights = _read_or_empty(store.path / "weights.parquet", ["date", "asset", "weight"])
        failures_path = store.path / "failures.csv"
        failures = (
            pd.read_csv(failures_path)
            if failures_path.is_file()
            else pd.DataFrame(columns=[*KEY_COLUMNS, "error"])
        )
        for frame in (returns, weights):
            frame["date"] = pd.to_datetime(frame["date"])
        training_path = store.path / "training.parquet"
        training = pd.read_parquet(training_path) if training_path.is_file() else None
        return cls(
            store.path,
            config,
            metrics,
            returns,
            weights,
            failures,
            rates=store.rates(),
            training=training,
        )

    @classmethod
    def from_results(
        cls,
        results: BacktestResults,
        *,
        scenario: str | None = None,
        prices: Any = None,
        statistics: StatisticsSettings | None = None,
    ) -> Run:
        """A run held in memory, made from backtest results, for the figures and the report.

        Parameters
        ----------
        results : one :class:`~riskalloc.backtest.BacktestResult`, a list or tuple of
            them (labelled by their strategy; results of one strategy that differ only
            in their ``seed`` parameter are its seeds; a result without ``seed`` is
            seed 0), or a dict ``{label: result}`` whose label names the strategy in
            every figure (a label may hold a list of results: its seeds)
        scenario : the name the figures give the results' market (default: the name of
            the :class:`~riskalloc.data.Scenario` given as ``prices``, else ``"backtest"``)
        prices : the prices the results were backtested on (a price DataFrame,
            :class:`~riskalloc.data.MarketData` or :class:`~riskalloc.data.Scenario`).
            Results do not carry them, and without them the figures that need them
            return None: :func:`~riskalloc.report.risk_attribution` and
            :func:`~riskalloc.report.risk_return` always, and
            :func:`~riskalloc.report.market_conditions` when the S&P 500 index does
            not cover the test span.
        statistics : settings of :func:`riskalloc.evaluation.run_statistics` (bootstrap
            intervals, PSR/DSR, tests against ``statistics.benchmark`` when the results
            hold it); None leaves those columns empty, as no figure reads them.

        The metrics are :func:`riskalloc.performance` of each result, as a run's
        ``metrics.csv``. A :class:`~riskalloc.core.ConfigError` names what does not
        fit: two results of one strategy and seed, results of one strategy that
        differ in other parameters, different risk-free rates, or prices that lack
        an asset or a date of the results.

        Examples
        --------
        >>> import riskalloc as ra
        >>> bull = ra.scenario("bull-2010")
        >>> results = {name: ra.backtest(bull, ra.get_strategy(name), rebalance="weekly")
        ...            for name in ("equal_weight", "inverse_volatility")}
        >>> run = ra.report.Run.from_results(results, prices=bull)
        >>> run.scenarios, run.strategies()
        (['bull-2010'], ['equal_weight', 'inverse_volatility'])
        """
        tables = results_tables(results, scenario=scenario, prices=prices, statistics=statistics)
        return cls(
            None,
            tables.config,
            tables.metrics,
            tables.returns,
            tables.weights,
            tables.failures,
            predictions=tables.predictions,
            prices=tables.prices,
            rates=tables.rates,
            training=tables.training,
        )

    # --- what the run holds ----------------------------------------------------------
    @property
    def name(self) -> str:
        return "backtest results" if self.path is None else self.path.resolve().name

    @property
    def where(self) -> str:
        """Where the run's results are, for messages: its folder, or that they are in memory."""
        return "backtest results in memory" if self.path is None else str(self.path)

    @cached_property
    def scenarios(self) -> list[str]:
        """Scenarios with results, in run order (then any configured without results)."""
        with_results = list(dict.fromkeys(self.metrics["scenario"].astype(str)))
        configured = [label for label in self.config.get("data", {}) if label not in with_results]
        return with_results + configured

    def strategies(self, scenario: str | None = None) -> list[str]:
        """Strategies with results (in one scenario, or anywhere), in run order."""
        rows = self.metrics if scenario is None else self._metrics_of(scenario)
        return list(dict.fromkeys(rows["strategy"].astype(str)))

    def seeds(self, scenario: str, strategy: str) -> list[int]:
        rows = self._metrics_of(scenario)
        return sorted(int(seed) for seed in rows.loc[rows["strategy"] == strategy, "seed"])

    def is_stochastic(self, scenario: str, strategy: str) -> bool:
        """More than one seed of ``strategy`` in ``scenario``."""
        return len(self.seeds(scenario, strategy)) > 1

    def stochastic_strategies(self, scenario: str) -> list[str]:
        return [name for name in self.strategies(scenario) if self.is_stochastic(scenario, name)]

    def metrics_of(self, scenario: str) -> pd.DataFrame:
        """Rows of ``metrics.csv`` of one scenario."""
        return self._metrics_of(scenario).reset_index(drop=True)

    def _metrics_of(self, scenario: str) -> pd.DataFrame:
        return self.metrics[self.metrics["scenario"].astype(str) == scenario]

    def resolve_scenario(self, scenario: str | None) -> str:
        """``scenario``, checked; when ``None``, the run's only scenario."""
        if scenario is None:
            if len(self.scenarios) != 1:
                raise ConfigError(
                    f"{self.where}: the run has scenarios {', '.join(self.scenarios)}; "
                    "pass scenario=NAME"
                )
            return self.scenarios[0]
        if scenario not in self.scenarios:
            raise ConfigError(
                f"{self.where}: no scenario '{scenario}'; the run has {', '.join(self.scenarios)}"
            )
        return scenario

    # --- series -------------------------------------------------------------------------
    def returns_of(self, scenario: str, strategy: str) -> pd.DataFrame:
        """Daily net returns of every seed: dates by seeds (test span only)."""
        rows = self.returns[
            (self.returns["scenario"].astype(str) == scenario)
            & (self.returns["strategy"].astype(str) == strategy)
        ]
        wide = rows.pivot_table(index="date", columns="seed", values="return", aggfunc="first")
        return wide.sort_index().rename_axis(index="date", columns="seed")

    def prices_of(self, scenario: str) -> pd.DataFrame | None:
        """The scenario's prices as the run used them, reloaded from the source that
        ``config.json`` records (scenario, dataset or file); None when they cannot be
        had unchanged (a file moved, or its SHA-256 differs from the run's). A run made
        from results has the prices it was given, or none."""
        from riskalloc.core import RiskallocError
        from riskalloc.runner import DataSource, SourceKind

        if self.prices is not None:
            return self.prices.get(scenario)
        source = self.source(scenario)
        try:
            kind = SourceKind(source.get("kind"))
            assets = (
                None if kind is SourceKind.SCENARIO else tuple(source.get("assets") or ()) or None
            )
            with warnings.catch_warnings():  # the run said it when it read them
                warnings.simplefilter("ignore")
                loaded = DataSource.recorded(source, assets).load()
        except (RiskallocError, ValueError, OSError):
            return None
        recorded = source.get("sha256")
        if recorded and recorded != loaded.data_hash:
            return None  # changed since the run: figures drawn from it would not be this run's
        return loaded.prices

    def training_of(self, scenario: str) -> pd.DataFrame:
        """Training curves of the scenario's strategies that train: ``strategy, seed`` and
        ``fit, fit_end, epoch, train_loss, validation_loss, chosen`` (deep) or ``timestep,
        episode_reward`` (RL); empty when none trains."""
        frame = self.training  # read once, by load
        if frame is None or frame.empty:
            return pd.DataFrame(columns=[*KEY_COLUMNS, "epoch", "timestep"])
        return frame[frame["scenario"].astype(str) == scenario].reset_index(drop=True)

    def predictions_of(self, scenario: str) -> pd.DataFrame:
        """Forecasts of the scenario's forecasting strategies with the realised values
        (columns strategy, seed, date, asset, target, predicted, realised); empty when none."""
        if self.predictions is not None:
            frame = self.predictions
        elif self.path is not None and (self.path / "predictions.parquet").is_file():
            frame = pd.read_parquet(self.path / "predictions.parquet")
        else:
            return pd.DataFrame(
                columns=[*KEY_COLUMNS, "date", "asset", "target", "predicted", "realised"]
            )
        return frame[frame["scenario"].astype(str) == scenario].reset_index(drop=True)

    def weights_of(self, scenario: str, strategy: str, seed: int | None = None) -> pd.DataFrame:
        """Target weights at each decision: dates by assets, of one seed or the mean over seeds."""
        rows = self.weights[
            (self.weights["scenario"].astype(str) == scenario)
            & (self.weights["strategy"].astype(str) == strategy)
        ]
        if seed is not None:
            rows = rows[rows["seed"] == seed]
        wide = rows.pivot_table(index="date", columns="asset", values="weight", aggfunc="mean")
        assets = [asset for asset in self.assets(scenario) if asset in wide.columns]
        others = [asset for asset in wide.columns if asset not in assets]
        return wide.sort_index()[assets + others].rename_axis(index="date", columns="asset")

    def assets(self, scenario: str) -> list[str]:
        """The scenario's assets as configured (else as found in the weights)."""
        configured = self.config.get("data", {}).get(scenario, {}).get("assets")
        if configured:
            return [str(asset) for asset in configured]
        rows = self.weights[self.weights["scenario"].astype(str) == scenario]
        return list(dict.fromkeys(rows["asset"].astype(str)))

    def test_span(self, scenario: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """First and last date with a return in ``scenario`` (None without returns)."""
        dates = self.returns.loc[self.returns["scenario"].astype(str) == scenario, "date"]
        if dates.empty:
            return None
        return pd.Timestamp(dates.min()), pd.Timestamp(dates.max())

    def train_end(self, scenario: str) -> pd.Timestamp | None:
        """Last date of the training span: the close at which the first weights were decided."""
        cells = [cell for cell in self.config.get("cells", []) if cell.get("scenario") == scenario]
        for cell in cells if self.path is not None else []:
            record = self.path / "cells" / str(cell.get("id")) / "cell.json"
            if record.is_file():
                info = json.loads(record.read_text()).get("info", {})
                if info.get("train_end"):
                    return pd.Timestamp(info["train_end"])
        decisions = self.weights.loc[self.weights["scenario"].astype(str) == scenario, "date"]
        return None if decisions.empty else pd.Timestamp(decisions.min())

    # --- settings --------------------------------------------------------------------------
    @property
    def risk_free(self) -> float:
        """The run's constant annual rate (0 for a run at a rate series: see :meth:`risk_free_of`)."""
        value = self.config.get("backtest", {}).get("risk_free")
        return float(value) if isinstance(value, int | float) else 0.0

    def risk_free_of(self, scenario: str) -> RiskFree:
        """What cash earned in ``scenario``: the run's rate, or its rate series."""
        return self.rates.get(str(scenario), self.risk_free) if self.rates else self.risk_free

    @property
    def risk_free_by_scenario(self) -> dict[str, RiskFree]:
        return {scenario: self.risk_free_of(scenario) for scenario in self.scenarios}

    def source(self, scenario: str) -> dict[str, Any]:
        """The data source of ``scenario`` as recorded in ``config.json``."""
        return dict(self.config.get("data", {}).get(scenario, {}))


#: What every figure function takes as its run.
RunLike: TypeAlias = Run | str | os.PathLike[str] | BacktestResults


def as_run(run: RunLike) -> Run:
    """A :class:`Run` from a run, a run folder path, or backtest results
    (see :meth:`Run.from_results`)."""
    if isinstance(run, Run):
        return run
    if isinstance(run, str | os.PathLike):
        return Run.load(run)
    return Run.from_results(run)


def _read_or_empty(path: Path, columns: list[str]) -> pd.DataFrame:
    if path.is_file():
        return pd.read_parquet(path)
    return pd.DataFrame(columns=[*KEY_COLUMNS, *columns])
