"""The run folder: resolved config, finished cells, and the tables built from them.

Layout of ``runs/NAME/``::

    .riskalloc-run.json  the marker: this folder is riskalloc's (see riskalloc.store._run_folder)
    config.json        fully resolved configuration (versions, seeds, data hashes, cells)
    metrics.csv        one row per scenario x strategy x seed: metrics, then statistics
    weights.parquet    long: scenario, strategy, seed, date, asset, weight
    returns.parquet    long: scenario, strategy, seed, date, return
    rates.parquet      runs at a rate series (--risk-free tbill): scenario, date, annual rate
    predictions.parquet  forecasting strategies only: ..., date, asset, target, predicted, realised
    training.parquet   strategies that train: ..., fit, fit_end, epoch, train_loss,
                       validation_loss, chosen (deep) or timestep, episode_reward (RL)
    failures.csv       cells that raised, with the error (absent when none did)
    cells/ID/          one finished cell (see riskalloc.store._cell_files), with checksums

A cell's folder is written under a temporary name and renamed into place when
complete, so a run killed at any moment leaves finished cells whole and no
partial one. A cell counts as finished only when its checksums hold; the tables
are rebuilt from the finished cells' series, each written atomically. A rerun
skips every finished cell.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from riskalloc.core import ConfigError, DataError, write_csv, write_json, write_parquet
from riskalloc.evaluation import METRIC_COLUMNS
from riskalloc.store._cell_files import FALLBACKS_KEY, cell_metrics, verify_cell, write_cell
from riskalloc.store._cells import CellOutcome, CellSpec
from riskalloc.store._run_folder import (
    RUN_ENTRIES,
    FolderKind,
    claim_folder,
    prepare_folder,
    run_settings,
)
from riskalloc.store._tables import KEY_COLUMNS, concat_cells, keyed_frame, with_statistics

__all__ = ["FALLBACKS_KEY", "KEY_COLUMNS", "RunStore", "read_fallbacks"]

#: What a run writes at the top of its folder, files and folders.
_RUN_FOLDERS = ("cells", "figures")
_RUN_FILES = tuple(name for name in RUN_ENTRIES if name not in _RUN_FOLDERS)


class RunStore:
    """Reads and writes one run folder.

    Examples
    --------
    >>> store = RunStore("runs/bench")                    # doctest: +SKIP
    >>> store.metrics().head()                            # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        # Cells found whole, by id: their cell.json with the metrics computed again.
        self._finished: dict[str, dict[str, Any]] = {}

    # --- the folder ------------------------------------------------------------------
    @classmethod
    def prepare(
        cls, out: str | os.PathLike[str] | None, *, force: bool = False, new_run: bool = False
    ) -> RunStore:
        """The store of run folder ``out``, checked before any work (nothing is written).

        Refused with a :class:`~riskalloc.core.ConfigError` of one line: an empty
        path, a file, a path under a file, a folder riskalloc cannot write, and a
        non-empty folder without riskalloc's marker (with ``force``: one holding a
        file of a name a run writes). With ``new_run`` a non-empty ``out`` is left
        alone and the run goes to the first free ``out-2``, ``out-3`` ... (the
        store's ``path``). See :func:`riskalloc.store.prepare_folder`.
        """
        return cls(prepare_folder(out, kind=FolderKind.RUN, force=force, new_run=new_run))

    def claim(
        self, config: dict[str, Any], specs: Iterable[CellSpec], *, force: bool = False
    ) -> None:
        """Make the folder this run's: refused when riskalloc does not own it, or when
        it holds a run whose settings differ from ``config``'s (named); then the
        marker records this run's settings. See :func:`riskalloc.store.claim_folder`."""
        for name in (*_RUN_FILES, *_RUN_FOLDERS):
            entry = self.path / name
            wanted = "folder" if name in _RUN_FOLDERS else "file"
            if (entry.exists() or entry.is_symlink()) and entry.is_dir() != (wanted == "folder"):
                raise ConfigError(
                    f"{entry}: riskalloc writes a {wanted} of that name here and this is not "
                    "one; move it away and run again"
                )
        cells = [(spec.scenario, spec.strategy, spec.seed) for spec in specs]
        claim_folder(
            self.path,
            kind=FolderKind.RUN,
            force=force,
            settings=run_settings(config, dict.fromkeys(cells)),
        )

    # --- paths ---------------------------------------------------------------------
    @property
    def cells_path(self) -> Path:
        return self.path / "cells"

    def cell_path(self, spec: CellSpec) -> Path:
        return self.cells_path / spec.cell_id

    def is_done(self, spec: CellSpec) -> bool:
        """Whether the cell is finished and whole (its checksums hold)."""
        return self._finished_record(spec)[0] is not None

    def cell_problem(self, spec: CellSpec) -> str | None:
        """What is wrong with the cell's folder: None when the cell is whole or absent,
        else a few words (``returns.parquet is damaged (checksum mismatch)``)."""
        return self._finished_record(spec)[1]

    def _finished_record(self, spec: CellSpec) -> tuple[dict[str, Any] | None, str | None]:
        if spec.cell_id in self._finished:
            return self._finished[spec.cell_id], None
        folder = self.cell_path(spec)
        record, problem = verify_cell(folder, spec)
        if record is None:
            return None, problem
        try:
            metrics = cell_metrics(folder, record, spec)
        except Exception as error:  # files that hold their checksums but not a cell's series
            return None, f"its series do not read ({type(error).__name__})"
        self._finished[spec.cell_id] = {**record, "metrics": metrics}
        return self._finished[spec.cell_id], None

    def pending(
        self,
        specs: Iterable[CellSpec],
        *,
        reuse: RunStore | None = None,
        say: Callable[[str], None] = print,
    ) -> list[CellSpec]:
        """The cells left to run: every cell not finished and whole here.

        A damaged or half-missing cell is removed, with a one-line warning through
        ``say`` naming it and what is wrong, and is left to run again. A cell
        finished in ``reuse`` (another run) is copied here instead.
        """
        left = []
        for spec in specs:
            if self.is_done(spec):
                continue
            problem = self.cell_problem(spec)
            if problem is not None:
                say(f"warning: {spec.label} (cells/{spec.cell_id}): {problem}; recomputing it")
                self.discard_cell(spec)
            if reuse is not None and reuse.is_done(spec):
                self.copy_cell(spec, reuse)
                continue
            left.append(spec)
        return left

    def discard_cell(self, spec: CellSpec) -> None:
        """Remove a cell's damaged folder (or a file in its place), so it can be written again."""
        self._finished.pop(spec.cell_id, None)
        final = self.cell_path(spec)
        if final.is_symlink() or final.is_file():
            final.unlink()
        elif final.exists():
            aside = final.with_name(f".{final.name}.damaged-{uuid.uuid4().hex[:8]}.tmp")
            os.rename(final, aside)
            shutil.rmtree(aside, ignore_errors=True)

    # --- writing ---------------------------------------------------------------------
    def write_config(self, config: dict[str, Any]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        write_json(self.path / "config.json", config)

    def save_cell(self, outcome: CellOutcome) -> None:
        """Write a finished cell's folder atomically (no-op if it is already there whole)."""
        if not outcome.ok:
            raise ValueError("save_cell takes a successful outcome; failures are kept in the run")
        self._publish(outcome.spec, lambda staging: write_cell(staging, outcome))

    def copy_cell(self, spec: CellSpec, source: RunStore) -> None:
        """Take ``source``'s finished cell ``spec`` as this run's own, atomically (no-op if
        this run has it already): the same spec in two runs is the same result."""
        if not source.is_done(spec):
            raise ValueError(f"copy_cell: {spec.label} is not finished in {source.path}")
        self._publish(
            spec,
            lambda staging: shutil.copytree(source.cell_path(spec), staging, dirs_exist_ok=True),
        )

    def _publish(self, spec: CellSpec, fill: Callable[[Path], None]) -> None:
        """Fill a staging folder, then rename it to the cell's folder: a cell is there whole or
        not at all. A whole cell that is already there is left alone; a damaged one is
        replaced."""
        self.cells_path.mkdir(parents=True, exist_ok=True)
        final = self.cell_path(spec)
        if self.is_done(spec):
            return
        staging = Path(
            tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=self.cells_path)
        )
        try:
            fill(staging)
            if final.exists() or final.is_symlink():
                self.discard_cell(spec)
            os.rename(staging, final)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            if not self.is_done(spec):
                raise
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def clean_staging(self) -> None:
        """Remove leftovers of cells that were being written when a run was killed."""
        if self.cells_path.is_dir():
            for leftover in self.cells_path.glob(".*.tmp"):
                if leftover.is_dir() and not leftover.is_symlink():
                    shutil.rmtree(leftover, ignore_errors=True)

    # --- reading -----------------------------------------------------------------------
    def load_cell(self, spec: CellSpec) -> dict[str, Any]:
        """A finished cell's record (spec, metrics computed again from its series, info)."""
        record, problem = self._finished_record(spec)
        if record is None:
            raise DataError(
                f"{self.cell_path(spec)}: {spec.label} is "
                + (f"damaged: {problem}" if problem else "not finished")
            )
        return record

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
        rows, weights, returns, predictions, training = [], [], [], [], []
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
                    keyed_frame(pd.read_parquet(self.cell_path(spec) / "weights.parquet"), key)
                )
                returns.append(
                    keyed_frame(pd.read_parquet(self.cell_path(spec) / "returns.parquet"), key)
                )
                if "predictions.parquet" in record["files"]:
                    forecast_file = self.cell_path(spec) / "predictions.parquet"
                    predictions.append(keyed_frame(pd.read_parquet(forecast_file), key))
                if "training.parquet" in record["files"]:
                    curve_file = self.cell_path(spec) / "training.parquet"
                    training.append(keyed_frame(pd.read_parquet(curve_file), key))
        metrics = pd.DataFrame(rows, columns=[*KEY_COLUMNS, *METRIC_COLUMNS])
        metrics = with_statistics(metrics, statistics)
        write_csv(self.path / "metrics.csv", metrics)
        if with_series:
            write_parquet(
                self.path / "weights.parquet",
                concat_cells(weights, ["date", "asset", "weight"]),
                {FALLBACKS_KEY: json.dumps(fallbacks)},
            )
            write_parquet(self.path / "returns.parquet", concat_cells(returns, ["date", "return"]))
            for path, frames in (
                (self.path / "predictions.parquet", predictions),
                (self.path / "training.parquet", training),
            ):
                if frames:
                    write_parquet(path, pd.concat(frames, ignore_index=True))
                else:
                    path.unlink(missing_ok=True)
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
