"""metrics.csv carries the run's statistics after the metrics, matched to cells by key."""

import numpy as np
import pandas as pd

from riskalloc.evaluation import METRIC_COLUMNS, STATISTIC_COLUMNS
from riskalloc.store import CellOutcome, CellSpec, RunStore


def spec(strategy, seed=0):
    return CellSpec(
        scenario="s",
        strategy=strategy,
        params={},
        seed=seed,
        rebalance="daily",
        costs_bps=10.0,
        test_start=None,
        train_fraction=None,
        risk_free=0.0,
        data_hash="abc",
    )


def save(store, cell):
    dates = pd.to_datetime(["2020-01-02", "2020-01-03"])
    store.save_cell(
        CellOutcome(
            cell,
            metrics={"sharpe": 1.0},
            weights=pd.DataFrame({"date": dates, "asset": "A", "weight": 1.0}),
            returns=pd.DataFrame({"date": dates, "return": [0.01, -0.01]}),
        )
    )


def test_statistics_follow_the_metrics_and_are_matched_by_cell_not_by_order(tmp_path):
    store = RunStore(tmp_path)
    specs = [spec("a"), spec("b", 0), spec("b", 1)]
    for cell in specs:
        save(store, cell)
    # Given in another order, and without cell b/1.
    statistics = pd.DataFrame(
        [
            {"scenario": "s", "strategy": "b", "seed": 0} | dict.fromkeys(STATISTIC_COLUMNS, 0.2),
            {"scenario": "s", "strategy": "a", "seed": 0} | dict.fromkeys(STATISTIC_COLUMNS, 0.1),
        ]
    )
    store.write_tables(specs, statistics=statistics)
    metrics = store.metrics()
    assert list(metrics.columns) == [
        "scenario",
        "strategy",
        "seed",
        *METRIC_COLUMNS,
        *STATISTIC_COLUMNS,
    ]
    assert list(metrics["strategy"]) == ["a", "b", "b"]
    assert (metrics.loc[0, list(STATISTIC_COLUMNS)] == 0.1).all()
    assert (metrics.loc[1, list(STATISTIC_COLUMNS)] == 0.2).all()
    assert metrics.loc[2, list(STATISTIC_COLUMNS)].isna().all()


def test_before_the_statistics_are_computed_their_columns_are_empty(tmp_path):
    store = RunStore(tmp_path)
    save(store, spec("a"))
    metrics = store.write_tables([spec("a")], with_series=False)
    assert list(metrics.columns[-len(STATISTIC_COLUMNS) :]) == list(STATISTIC_COLUMNS)
    assert np.isnan(metrics[list(STATISTIC_COLUMNS)].to_numpy(dtype=float)).all()
    assert metrics.loc[0, "sharpe"] == 1.0
