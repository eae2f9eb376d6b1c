"""The run store: atomic writes, cells written whole, tables in grid order."""

import json

import pandas as pd
import pytest

from riskalloc.core import atomic_write, write_json
from riskalloc.store import CellOutcome, CellSpec, RunStore


def spec(strategy="equal_weight", seed=0, **changes):
    fields = dict(
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
    fields.update(changes)
    return CellSpec(**fields)


def outcome(cell_spec, value=0.01):
    dates = pd.to_datetime(["2020-01-02", "2020-01-03"])
    return CellOutcome(
        cell_spec,
        metrics={"annual_return": value, "sharpe": 1.5},
        weights=pd.DataFrame({"date": dates, "asset": ["A", "A"], "weight": [1.0, 1.0]}),
        returns=pd.DataFrame({"date": dates, "return": [value, -value]}),
    )


def test_cell_id_depends_on_everything_that_changes_the_result():
    base = spec()
    assert base.cell_id == spec().cell_id
    for change in (
        {"seed": 1},
        {"costs_bps": 5.0},
        {"data_hash": "other"},
        {"params": {"window": 20}},
        {"rebalance": "weekly"},
        {"test_start": "2020-01-01"},
    ):
        assert spec(**change).cell_id != base.cell_id, change


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "config.json"
    write_json(path, {"version": 1})

    def explode(target):
        target.write_text('{"version": 2, "trunc')
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(path, explode)
    assert json.loads(path.read_text()) == {"version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]


def test_tables_follow_grid_order_not_finishing_order(tmp_path):
    store = RunStore(tmp_path)
    specs = [spec("a"), spec("b"), spec("c")]
    for cell in reversed(specs):
        store.save_cell(outcome(cell, value={"a": 0.01, "b": 0.02, "c": 0.03}[cell.strategy]))
    metrics = store.write_tables(specs)
    assert list(metrics["strategy"]) == ["a", "b", "c"]
    assert list(store.metrics()["annual_return"]) == [0.01, 0.02, 0.03]
    returns = store.returns()
    assert list(returns.columns) == ["scenario", "strategy", "seed", "date", "return"]
    assert list(returns["strategy"]) == ["a", "a", "b", "b", "c", "c"]


def test_saving_a_cell_twice_keeps_the_first(tmp_path):
    store = RunStore(tmp_path)
    cell = spec()
    store.save_cell(outcome(cell, 0.01))
    store.save_cell(outcome(cell, 0.99))
    assert store.load_cell(cell)["metrics"]["annual_return"] == 0.01
    assert store.is_done(cell)


def test_staging_leftovers_are_not_cells_and_are_cleaned(tmp_path):
    store = RunStore(tmp_path)
    leftover = tmp_path / "cells" / ".0123.abc.tmp"
    leftover.mkdir(parents=True)
    (leftover / "weights.parquet").write_bytes(b"PAR1 half")
    store.clean_staging()
    assert not leftover.exists()


def test_failed_outcome_is_not_saved_as_a_cell(tmp_path):
    with pytest.raises(ValueError):
        RunStore(tmp_path).save_cell(CellOutcome(spec(), error="boom"))


def test_written_files_get_the_usual_permissions(tmp_path):
    import os
    import stat

    previous = os.umask(0o022)
    try:
        write_json(tmp_path / "config.json", {"a": 1})
    finally:
        os.umask(previous)
    mode = stat.S_IMODE((tmp_path / "config.json").stat().st_mode)
    assert mode == 0o644
