"""A finished cell's folder: its files, their checksums, and the checks before it is trusted.

Layout of ``cells/ID/``::

    weights.parquet        date, asset, weight: target weights at each decision
    returns.parquet        date, return: net returns of the test span
    held_weights.parquet   date, asset, weight: weights held at each close (drifted)
    turnover.parquet       date, turnover: ``sum |target - drifted|`` at each decision
    rates.parquet          date, rate: the annual rates cash earned (a run at a rate series)
    predictions.parquet    forecasting strategies only
    training.parquet       strategies that train: their training curve
    cell.json              spec, metrics, info, the SHA-256 of every file above, and the
                           SHA-256 of cell.json's own content (``sha256``)

A cell is trusted only when cell.json reads, its own checksum holds, its spec is
the cell's, and every file it lists is there with its checksum. Its metrics are
then computed again from its returns, turnover, held weights and rates (a cell
written without them, through the store's API, keeps the metrics it was given).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from riskalloc.core import file_sha256, json_sha256, write_json, write_parquet
from riskalloc.evaluation import performance
from riskalloc.store._cells import CellOutcome, CellSpec

__all__ = [
    "CELL_FORMAT",
    "CELL_RECORD",
    "FALLBACKS_KEY",
    "cell_metrics",
    "read_series",
    "verify_cell",
    "write_cell",
]

#: Parquet metadata key of weights.parquet: per cell, the decision dates whose weights
#: came from a declared fallback, and which method produced them.
FALLBACKS_KEY = "riskalloc.fallbacks"
CELL_FORMAT = 2
CELL_RECORD = "cell.json"
WEIGHTS = "weights.parquet"
RETURNS = "returns.parquet"
HELD_WEIGHTS = "held_weights.parquet"
TURNOVER = "turnover.parquet"
RATES = "rates.parquet"
PREDICTIONS = "predictions.parquet"
TRAINING = "training.parquet"
KNOWN_FILES = (WEIGHTS, RETURNS, HELD_WEIGHTS, TURNOVER, RATES, PREDICTIONS, TRAINING)


def write_cell(folder: Path, outcome: CellOutcome) -> None:
    """Write a successful ``outcome`` into the (staging) ``folder``, cell.json last."""
    assert outcome.weights is not None and outcome.returns is not None
    fallbacks = json.dumps(outcome.info.get("fallbacks", {}))
    write_parquet(folder / WEIGHTS, outcome.weights, {FALLBACKS_KEY: fallbacks})
    write_parquet(folder / RETURNS, outcome.returns)
    optional = {
        HELD_WEIGHTS: outcome.held_weights,
        TURNOVER: outcome.turnover,
        RATES: outcome.rates,
        PREDICTIONS: outcome.predictions,
        TRAINING: outcome.training,
    }
    for name, frame in optional.items():
        if frame is not None:
            write_parquet(folder / name, frame)
    files = {name: file_sha256(folder / name) for name in KNOWN_FILES if (folder / name).is_file()}
    record = _normal(
        {
            "format": CELL_FORMAT,
            "spec": outcome.spec.to_dict(),
            "metrics": outcome.metrics,
            "info": outcome.info,
            "files": files,
        }
    )
    record["sha256"] = json_sha256(record)
    write_json(folder / CELL_RECORD, record)


def verify_cell(folder: Path, spec: CellSpec) -> tuple[dict[str, Any] | None, str | None]:
    """``(record, None)`` for a whole cell, ``(None, None)`` when there is none, and
    ``(None, problem)`` for a damaged or half-missing one (the problem in a few words)."""
    if not folder.exists() and not folder.is_symlink():
        return None, None
    if not folder.is_dir():
        return None, "not a folder"
    path = folder / CELL_RECORD
    if not path.is_file():
        return None, f"{CELL_RECORD} is missing"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None, f"{CELL_RECORD} is unreadable"
    if not isinstance(record, dict) or not isinstance(record.get("files"), dict):
        return None, f"{CELL_RECORD} is not a cell record"
    if record.get("format") != CELL_FORMAT or "sha256" not in record:
        return None, f"{CELL_RECORD} has no checksums (written by an earlier riskalloc)"
    if record["sha256"] != json_sha256({k: v for k, v in record.items() if k != "sha256"}):
        return None, f"{CELL_RECORD} was changed after it was written (checksum mismatch)"
    if record.get("spec") != _normal(spec.to_dict()):
        return None, f"{CELL_RECORD} belongs to another cell"
    if not isinstance(record.get("metrics"), dict) or not isinstance(record.get("info"), dict):
        return None, f"{CELL_RECORD} is not a cell record"
    files = record["files"]
    for name in dict.fromkeys((WEIGHTS, RETURNS, *files)):
        if name not in KNOWN_FILES or not isinstance(files.get(name), str):
            return None, f"{CELL_RECORD} lists files wrongly ({name})"
        if not (folder / name).is_file():
            return None, f"{name} is missing"
        if file_sha256(folder / name) != files[name]:
            return None, f"{name} is damaged (checksum mismatch)"
    return record, None


def cell_metrics(folder: Path, record: dict[str, Any], spec: CellSpec) -> dict[str, float]:
    """The cell's metrics, computed again from its files by
    :func:`riskalloc.evaluation.performance` exactly as the cell computed them.

    A cell written without turnover and held weights (through the store's API,
    not by the runner) keeps the metrics it was given.
    """
    files = record["files"]
    rate_series = isinstance(spec.risk_free, str)
    if HELD_WEIGHTS not in files or TURNOVER not in files or (rate_series and RATES not in files):
        return dict(record["metrics"])
    returns = read_series(folder / RETURNS, "return")
    turnover = read_series(folder / TURNOVER, "turnover")
    held = pd.read_parquet(folder / HELD_WEIGHTS)
    # The assets in their order at the cell: a sum over assets is then added up as it was.
    held_wide = held.pivot(index="date", columns="asset", values="weight").reindex(
        columns=pd.unique(held["asset"])
    )
    risk_free = read_series(folder / RATES, "rate") if rate_series else float(spec.risk_free)
    values = performance(
        returns,
        risk_free=risk_free,
        turnover=turnover,
        weights=held_wide,
        periods_per_year=record["info"].get("periods_per_year"),
    )
    return {key: float(value) for key, value in values.items()}


def read_series(path: Path, column: str) -> pd.Series:
    """A ``date, COLUMN`` Parquet file as a Series on its dates."""
    frame = pd.read_parquet(path)
    return pd.Series(
        frame[column].to_numpy(dtype=float), index=pd.DatetimeIndex(frame["date"]), name=column
    )


def _normal(value: Any) -> Any:
    """``value`` as JSON gives it back (tuples as lists, unknown types as strings)."""
    return json.loads(json.dumps(value, default=str))
