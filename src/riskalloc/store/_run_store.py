"""The run folder: resolved config, finished cells, and the tables built from them.

Layout of ``runs/NAME/``::

    config.json        fully resolved configuration (versions, seeds, data hashes, cells)
    metrics.csv        one row per scenario x strategy x seed: metrics, then statistics
    weights.parquet    long: scenario, strategy, seed, date, asset, weight
    returns.parquet    long: scenario, strategy, seed, date, return
    rates.parquet      runs at a rate series (--risk-free tbill): scenario, date, annual rate
    predictions.parquet  forecasting strategies only: ..., date, asset, target, predicted, realised
    failures.csv       cells that raised, with the error (absent when none did)
    cells/ID/          one finished cell: weights.parquet, returns.parquet, cell.json

A cell's folder is written under a temporary name and renamed into place when
complete, so a run killed at any moment leaves finished cells whole and no
partial one. The tables are rebuilt from the cell folders, each written
atomically. A rerun skips every cell whose folder exists.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from riskalloc.core import write_csv, write_json, write_parquet
from riskalloc.evaluation import METRIC_COLUMNS, STATISTIC_COLUMNS
from riskalloc.store._cells import CellOutcome, CellSpec

__all__ = ["FALLBACKS_KEY", "KEY_COLUMNS", "RunStore", "read_fallbacks"]

#: Columns that identify a cell in every table.
KEY_COLUMNS = ("scenario", "strategy", "seed")
#: Parquet metadata key of weights.parquet: per cell, the decision dates whose weights
#: came from a declared fallback, and which method produced them.
FALLBACKS_KEY = "riskalloc.fallbacks"


class RunStore:
    """Reads and writes one run folder.

    Examples
    --------
    >>> store = RunStore("runs/bench")                    # doctest: +SKIP
    >>> store.metrics().head()                            # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    # --- paths ---------------------------------------------------------------------
    @property
    def cells_path(self) -> Path:
        return self.path / "cells"

    def cell_path(self, spec: CellSpec) -> Path:
        return self.cells_path / spec.cell_id

    def is_done(self, spec: CellSpec) -> bool:
        return (self.cell_path(spec) / "cell.json").exists()

    # --- writing ---------------------------------------------------------------------
    def write_config(self, config: dict[str, Any]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        write_json(self.path / "config.json", config)

    def save_cell(self, outcome: CellOutcome) -> None:
        """Write a finished cell's folder atomically (no-op if it is already there)."""
        if not outcome.ok:
            raise ValueError("save_cell takes a successful outcome; failures are kept in the run")

        def fill(staging: Path) -> None:
            assert outcome.weights is not None and outcome.returns is not None
            fallbacks = json.dumps(outcome.info.get("fallbacks", {}))
            write_parquet(staging / "weights.parquet", outcome.weights, {FALLBACKS_KEY: fallbacks})
            write_parquet(staging / "returns.parquet", outcome.returns)
            if outcome.predictions is not None:
                write_parquet(staging / "predictions.parquet", outcome.predictions)
            write_json(
                staging / "cell.json",
                {"spec": outcome.spec.to_dict(), "metrics": outcome.metrics, "info": outcome.info},
            )

        self._publish(outcome.spec, fill)

    def copy_cell(self, spec: CellSpec, source: RunStore) -> None:
        """Take ``source``'s finished cell ``spec`` as this run's own, atomically (no-op if
        this run has it already): the same spec in two runs is the same result."""
        self._publish(
            spec,
            lambda staging: shutil.copytree(source.cell_path(spec), staging, dirs_exist_ok=True),
        )

    def _publish(self, spec: CellSpec, fill: Callable[[Path], None]) -> None:
        """Fill a staging folder, then rename it to the cell's folder: a cell is there whole or
        not at all. A cell that is already there is left alone."""
        self.cells_path.mkdir(parents=True, exist_ok=True)
        final = self.cell_path(spec)
        if final.exists():
            return
        staging = Path(
            tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=self.cells_path)
        )
        try:
            fill(staging)
            os.rename(staging, final)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            if not final.exists():
                raise
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def clean_staging(self) -> None:
        """Remove leftovers of cells that were being written when a run was killed."""
        if self.cells_path.exists():
            for leftover in self.cells_path.glob(".*.tmp"):
                shutil.rmtree(leftover, ignore_errors=True)

    # --- reading -----------------------------------------------------------------------
    def load_cell(self, spec: CellSpec) -> dict[str, Any]:
        return json.loads((self.cell_path(spec) / "cell.json").read_text())

    def config(self) -> dict[str, Any]:
        return json.loads((self.path / "config.json").read_text())

    def metrics(self) -> pd.DataFrame:
        return pd.read_csv(self.path / "metrics.csv")

    def weights(self) -> pd.DataFrame:
        return pd.read_parquet(self.path / "weights.parquet")

    def returns(self) -> pd.DataFrame:
        return pd.read_parquet(self.path / "returns.parquet")

    def write_rates(self, rates: dict[str, pd.Series]) -> None:
        """The run's risk-free rate series, per scenario (``rates.parquet``: scenario, date,
        rate), when cash earned a series rather than one number."""
        frames = [
            pd.DataFrame({"scenario": label, "date": series.index, "rate": series.to_numpy()})
            for label, series in rates.items()
        ]
        if frames:
            write_parquet(self.path / "rates.parquet", pd.concat(frames, ignore_index=True))

    def rates(self) -> dict[str, pd.Series]:
        """Each scenario's annual risk-free rates by the date they were known ({} for a run at
        one constant rate)."""
        path = self.path / "rates.parquet"
        if not path.exists():
            return {}
        table = pd.read_parquet(path)
        return {
            str(label): pd.Series(
                rows["rate"].to_numpy(dtype=float),
                index=pd.DatetimeIndex(rows["date"]),
                name="rate",
            )
            for label, rows in table.groupby("scenario", sort=False)
        }

    def predictions(self) -> pd.DataFrame | None:
        """Forecasts of forecasting strategies with the realised values (None when no cell forecasts)."""
        path = self.path / "predictions.parquet"
        return pd.read_parquet(path) if path.exists() else None

    # --- tables --------------------------------------------------------------------------
    def write_tables(
        self,
        specs: Iterable[CellSpec],
        failures: dict[str, str] | None = None,
        *,
        with_series: bool = True,
        statistics: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Rebuild ``metrics.csv`` (and the long Parquet tables) from the finished cells.

        Rows follow the order of ``specs`` (the grid), so two runs of the same
        grid write identical files whatever order their cells finished in.

        The columns of :data:`~riskalloc.evaluation.STATISTIC_COLUMNS` follow the
        metrics. They depend on every cell of a scenario (deflated Sharpe, tests
        against the benchmark), so the runner computes them once, when the grid
        ends, and passes them as ``statistics`` (keyed by scenario, strategy,
        seed); until then, and for a cell they lack, they are empty.
        """
        specs = list(specs)
        rows, weights, returns, predictions = [], [], [], []
        fallbacks: dict[str, dict[str, str]] = {}
        for spec in specs:
            if not self.is_done(spec):
                continue
            record = self.load_cell(spec)
            if record["info"].get("fallbacks"):
                fallbacks[f"{spec.scenario}/{spec.strategy}/{spec.seed}"] = record["info"][
                    "fallbacks"
                ]
            rows.append(
                {"scenario": spec.scenario, "strategy": spec.strategy, "seed": spec.seed}
                | {column: record["metrics"].get(column) for column in METRIC_COLUMNS}
            )
            if with_series:
                key = {"scenario": spec.scenario, "strategy": spec.strategy, "seed": spec.seed}
                weights.append(
                    _keyed(pd.read_parquet(self.cell_path(spec) / "weights.parquet"), key)
                )
                returns.append(
                    _keyed(pd.read_parquet(self.cell_path(spec) / "returns.parquet"), key)
                )
                forecast_file = self.cell_path(spec) / "predictions.parquet"
                if forecast_file.exists():
                    predictions.append(_keyed(pd.read_parquet(forecast_file), key))
        metrics = pd.DataFrame(rows, columns=[*KEY_COLUMNS, *METRIC_COLUMNS])
        metrics = _with_statistics(metrics, statistics)
        write_csv(self.path / "metrics.csv", metrics)
        if with_series:
            write_parquet(
                self.path / "weights.parquet",
                _concat(weights, ["date", "asset", "weight"]),
                {FALLBACKS_KEY: json.dumps(fallbacks)},
            )
            write_parquet(self.path / "returns.parquet", _concat(returns, ["date", "return"]))
            forecast_path = self.path / "predictions.parquet"
            if predictions:
                write_parquet(forecast_path, pd.concat(predictions, ignore_index=True))
            else:
                forecast_path.unlink(missing_ok=True)
        failure_path = self.path / "failures.csv"
        if failures:
            by_id = {spec.cell_id: spec for spec in specs}
            table = pd.DataFrame(
                [
                    {
                        "scenario": by_id[i].scenario,
                        "strategy": by_id[i].strategy,
                        "seed": by_id[i].seed,
                        "error": error,
                    }
                    for i, error in failures.items()
                ]
            )
            write_csv(failure_path, table)
        else:
            failure_path.unlink(missing_ok=True)
        return metrics


def read_fallbacks(path: str | os.PathLike[str]) -> dict[str, dict[str, str]]:
    """The fallback record kept in a weights.parquet file's metadata."""
    import pyarrow.parquet as pq

    metadata = pq.read_schema(path).metadata or {}
    raw = metadata.get(FALLBACKS_KEY.encode())
    return json.loads(raw) if raw else {}


def _with_statistics(metrics: pd.DataFrame, statistics: pd.DataFrame | None) -> pd.DataFrame:
    """``metrics`` with the statistic columns, taken from ``statistics`` by cell (NaN where absent)."""
    if statistics is None or statistics.empty:
        return metrics.assign(**{column: float("nan") for column in STATISTIC_COLUMNS})
    keyed = statistics.set_index(list(KEY_COLUMNS))[list(STATISTIC_COLUMNS)]
    cells = pd.MultiIndex.from_frame(metrics[list(KEY_COLUMNS)])
    values = keyed.reindex(cells).to_numpy(dtype=float)
    return pd.concat(
        [metrics, pd.DataFrame(values, columns=list(STATISTIC_COLUMNS), index=metrics.index)],
        axis=1,
    )


def _keyed(frame: pd.DataFrame, key: dict[str, Any]) -> pd.DataFrame:
    keyed = frame.copy()
    for position, (column, value) in enumerate(key.items()):
        keyed.insert(position, column, value)
    return keyed


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(columns=[*KEY_COLUMNS, *columns])
    return pd.concat(frames, ignore_index=True)
