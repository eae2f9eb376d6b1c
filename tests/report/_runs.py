"""Helpers of the report tests: the benchmark they run, synthetic run folders, data checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import riskalloc as ra
from riskalloc.store import CellOutcome, CellSpec, RunStore

PLUGIN_DIR = Path(__file__).parents[1] / "runner" / "plugins"
SCENARIOS = ("bull-2010", "bear-2003")
DETERMINISTIC = ("equal_weight", "inverse_volatility")
STOCHASTIC = "slow_random"  # the seeded random allocator of the test plugin
SEEDS = 3


def make_synthetic_run(
    path: Path,
    strategies: dict[str, int],
    *,
    scenario: str = "synthetic",
    days: int = 300,
    start: str = "2012-01-02",
    assets: tuple[str, ...] = ("AAA", "BBB", "CCC"),
    seed: int = 7,
) -> Path:
    """A run folder written through the store, as the runner writes one, with made-up
    strategies (name -> number of seeds) and random returns and weights."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(start, periods=days)
    store = RunStore(path)
    specs = []
    for strategy, seeds in strategies.items():
        for cell_seed in range(seeds):
            spec = CellSpec(
                scenario=scenario,
                strategy=strategy,
                params={},
                seed=cell_seed,
                rebalance="weekly",
                costs_bps=10.0,
                test_start=None,
                train_fraction=None,
                risk_free=0.0,
                data_hash="synthetic",
            )
            returns = pd.Series(rng.normal(0.0004, 0.01, days), index=dates)
            decisions = dates[::5].insert(0, dates[0] - pd.offsets.BDay(1))
            weights = pd.DataFrame(
                rng.dirichlet(np.ones(len(assets)), len(decisions)), index=decisions, columns=assets
            )
            store.save_cell(
                CellOutcome(
                    spec,
                    metrics={k: float(v) for k, v in ra.performance(returns).items()}
                    | {"turnover": 0.01, "effective_holdings": 2.5},
                    weights=weights.rename_axis(index="date", columns="asset")
                    .stack()
                    .rename("weight")
                    .reset_index(),
                    returns=returns.rename("return").rename_axis("date").reset_index(),
                    info={"train_end": str(decisions[0].date())},
                )
            )
            specs.append(spec)
    store.write_config(
        {
            "created": "2024-01-01T00:00:00+00:00",
            "command": ["riskalloc", "benchmark"],
            "versions": {"riskalloc": ra.__version__},
            "data": {
                scenario: {
                    "kind": "prices",
                    "reference": str(path / "no-such-prices.csv"),
                    "assets": list(assets),
                    "first_date": "2011-01-03",
                    "last_date": str(dates[-1].date()),
                    "sha256": "synthetic",
                }
            },
            "backtest": {"rebalance": "weekly", "costs_bps": 10.0, "risk_free": 0.0},
            "strategies": {name: {} for name in strategies},
            "seeds": list(range(max(strategies.values()))),
            "cells": [
                {"id": s.cell_id, "scenario": s.scenario, "strategy": s.strategy, "seed": s.seed}
                for s in specs
            ],
        }
    )
    store.write_tables(specs)
    return path


def finite_data(figure) -> list[str]:
    """Names of traces holding a NaN or an infinity in their numeric data (none expected)."""
    bad = []
    for trace in figure.data:
        for field in ("x", "y", "z"):
            values = getattr(trace, field, None)
            if values is None:
                continue
            array = np.asarray(values, dtype=object).ravel()
            numbers = [v for v in array if isinstance(v, int | float | np.number)]
            if any(not np.isfinite(float(v)) for v in numbers) or any(v is None for v in array):
                bad.append(f"{trace.name}.{field}")
    return bad
