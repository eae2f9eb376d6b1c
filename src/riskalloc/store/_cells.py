"""A cell of a benchmark grid: one scenario x strategy x seed, and what it produced."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

__all__ = ["CellOutcome", "CellSpec"]


@dataclass(frozen=True)
class CellSpec:
    """Everything that determines a cell's result; equal specs give equal results.

    ``data_hash`` fingerprints the prices, so a cell is recomputed when the data
    change, and skipped on a rerun when nothing did. ``risk_free`` is an annual rate,
    or ``"tbill"``: the source's own rate series (its bill rate, or the prices file's
    rate column). ``periods_per_year`` is None when read from the dates.
    """

    scenario: str
    strategy: str
    params: dict[str, Any]
    seed: int
    rebalance: str
    costs_bps: float
    test_start: str | None
    train_fraction: float | None
    risk_free: float | str
    data_hash: str
    periods_per_year: int | None = None

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        if values["periods_per_year"] is None:
            del values["periods_per_year"]  # as before the option existed: same cell ids
        return values

    @property
    def cell_id(self) -> str:
        """A stable 20-hex-digit key of the spec (folder name of the finished cell)."""
        text = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    @property
    def label(self) -> str:
        return f"{self.scenario} / {self.strategy} / seed {self.seed}"


@dataclass
class CellOutcome:
    """What running a cell gave: results, or the error that stopped it.

    ``held_weights``, ``turnover`` and ``rates`` are what the metrics are computed
    from besides the returns; the store keeps them so that a run's tables are
    always rebuilt from the cells' series (see :mod:`riskalloc.store._cell_files`).
    """

    spec: CellSpec
    metrics: dict[str, float] = field(default_factory=dict)
    weights: pd.DataFrame | None = None  # long: date, asset, weight
    returns: pd.DataFrame | None = None  # long: date, return
    predictions: pd.DataFrame | None = None  # long: date, asset, target, predicted, realised
    held_weights: pd.DataFrame | None = None  # long: date, asset, weight (drifted, each close)
    turnover: pd.DataFrame | None = None  # long: date, turnover (each decision)
    rates: pd.DataFrame | None = None  # long: date, rate (annual), at a rate series only
    training: pd.DataFrame | None = None  # the strategy's training curve (training_log_)
    info: dict[str, Any] = field(default_factory=dict)  # timings, split, fallbacks ...
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None
