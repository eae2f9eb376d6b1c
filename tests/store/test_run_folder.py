"""Run folders riskalloc owns: the marker, foreign folders, paths, settings and cell checksums."""

import json
import os

import pandas as pd
import pytest

from riskalloc.core import ConfigError
from riskalloc.store import (
    MARKER,
    CellOutcome,
    CellSpec,
    FolderKind,
    RunStore,
    check_out_path,
    claim_folder,
    next_free_path,
    prepare_folder,
)
from riskalloc.store._run_folder import run_settings, settings_differences


def spec(strategy="equal_weight", seed=0):
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


def outcome(cell_spec):
    dates = pd.to_datetime(["2020-01-02", "2020-01-03", "2020-01-06"])
    return CellOutcome(
        cell_spec,
        metrics={"annual_return": 0.5},
        weights=pd.DataFrame({"date": dates[:1], "asset": ["A"], "weight": [1.0]}),
        returns=pd.DataFrame({"date": dates, "return": [0.01, -0.02, 0.015]}),
        held_weights=pd.DataFrame(
            {"date": dates.repeat(2), "asset": ["A", "B"] * 3, "weight": [0.5, 0.5] * 3}
        ),
        turnover=pd.DataFrame({"date": dates[:1], "turnover": [1.0]}),
        info={"periods_per_year": 252},
    )


def snapshot(folder):
    return {
        str(path.relative_to(folder)): path.read_bytes() if path.is_file() else None
        for path in sorted(folder.rglob("*"))
    }


SETTINGS = {
    "backtest": {"rebalance": "daily", "costs_bps": 10.0},
    "data": {"bull-2010": {"kind": "scenario", "assets": ["A", "B"], "sha256": "x"}},
    "strategies": {"hrp": {"window": 252}, "equal_weight": {}},
    "cells": [["bull-2010", "hrp", 0], ["bull-2010", "equal_weight", 0]],
}


# --- paths ------------------------------------------------------------------------------------
@pytest.mark.parametrize("out", ["", "   ", None])
def test_an_empty_out_is_refused(out):
    with pytest.raises(ConfigError, match="--out is empty"):
        check_out_path(out)


def test_a_file_and_a_path_under_a_file_are_refused(tmp_path):
    file = tmp_path / "results.txt"
    file.write_text("mine")
    with pytest.raises(ConfigError, match="is a file, not a folder"):
        check_out_path(file)
    with pytest.raises(ConfigError, match=f"{file} is a file"):
        check_out_path(file / "deeper" / "run")
    assert file.read_text() == "mine"


def test_a_folder_that_cannot_be_written_is_refused(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("riskalloc.store._run_folder.tempfile.mkstemp", refuse)
    with pytest.raises(ConfigError, match=r"cannot write in .*Permission denied"):
        prepare_folder(tmp_path / "new" / "run")
    assert not (tmp_path / "new").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with pytest.raises(ConfigError, match="cannot write in"):
            prepare_folder(locked / "run")
    finally:
        locked.chmod(0o755)


def test_nothing_is_written_by_the_checks(tmp_path):
    prepare_folder(tmp_path / "run")
    assert list(tmp_path.iterdir()) == []


# --- ownership --------------------------------------------------------------------------------
def test_an_empty_or_new_folder_is_taken(tmp_path):
    (tmp_path / "empty").mkdir()
    for folder in (tmp_path / "empty", tmp_path / "new"):
        assert prepare_folder(folder) == folder
        claim_folder(folder)
        assert json.loads((folder / MARKER).read_text())["tool"] == "riskalloc"


def test_a_foreign_folder_is_refused_naming_its_files(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "data").mkdir()
    before = snapshot(tmp_path)
    with pytest.raises(ConfigError) as refused:
        prepare_folder(tmp_path)
    message = str(refused.value)
    assert str(tmp_path) in message and "notes.txt" in message and "data" in message
    assert "--force" in message and "\n" not in message
    with pytest.raises(ConfigError):
        claim_folder(tmp_path)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "name",
    ["config.json", "metrics.csv", "report.html", "failures.csv", "weights.parquet", "cells"],
)
def test_force_does_not_take_a_folder_whose_files_a_run_would_overwrite(tmp_path, name):
    (tmp_path / "notes.txt").write_text("mine")
    if name == "cells":
        (tmp_path / "cells").mkdir()
        (tmp_path / "cells" / "x.txt").write_text("mine too")
    else:
        (tmp_path / name).write_text("mine too")
    before = snapshot(tmp_path)
    with pytest.raises(ConfigError, match=f"holds {name}, which the run would overwrite"):
        prepare_folder(tmp_path, force=True)
    with pytest.raises(ConfigError):
        claim_folder(tmp_path, force=True)
    assert snapshot(tmp_path) == before


def test_force_takes_a_foreign_folder_beside_its_files(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    prepare_folder(tmp_path, force=True)
    claim_folder(tmp_path, force=True)
    assert (tmp_path / MARKER).is_file() and (tmp_path / "notes.txt").read_text() == "mine"
    # Now riskalloc's: a rerun needs no --force, and the user's file stays.
    claim_folder(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize(
    "damage",
    [
        "",
        "{",
        "[]",
        '{"tool": "riskalloc"}',
        json.dumps(
            {
                "tool": "riskalloc",
                "kind": "run",
                "format": 1,
                "created": "t",
                "settings": {"a": 1},
                "fingerprint": "0" * 64,
            }
        ),
    ],
)
def test_a_damaged_marker_is_refused(tmp_path, damage):
    claim_folder(tmp_path, settings=SETTINGS)
    (tmp_path / MARKER).write_text(damage)
    with pytest.raises(ConfigError, match="damaged riskalloc marker"):
        prepare_folder(tmp_path)
    with pytest.raises(ConfigError, match="damaged riskalloc marker"):
        prepare_folder(tmp_path, force=True)


def test_a_folder_of_another_kind_is_refused(tmp_path):
    claim_folder(tmp_path, kind=FolderKind.ROBUSTNESS)
    with pytest.raises(ConfigError, match="robustness folder, not a run folder"):
        prepare_folder(tmp_path)


def test_new_run_goes_beside_a_folder_that_holds_anything(tmp_path):
    taken = tmp_path / "run"
    taken.mkdir()
    (taken / "x").write_text("")
    assert prepare_folder(taken, new_run=True) == tmp_path / "run-2"
    (tmp_path / "run-2").mkdir()  # empty: free
    assert next_free_path(taken) == tmp_path / "run-2"
    (tmp_path / "run-2" / "y").write_text("")
    assert next_free_path(taken) == tmp_path / "run-3"
    assert prepare_folder(tmp_path / "fresh", new_run=True) == tmp_path / "fresh"


# --- settings ---------------------------------------------------------------------------------
def test_same_settings_or_more_cells_are_no_difference():
    grown = json.loads(json.dumps(SETTINGS))
    grown["strategies"]["risk_parity"] = {}
    grown["data"]["bear-2003"] = {"sha256": "y"}
    grown["cells"] += [["bull-2010", "risk_parity", 0], ["bear-2003", "hrp", 0]]
    assert settings_differences(SETTINGS, SETTINGS) == []
    assert settings_differences(SETTINGS, grown) == []


def test_differences_are_named():
    other = json.loads(json.dumps(SETTINGS))
    other["backtest"]["costs_bps"] = 20.0
    other["data"]["bull-2010"]["sha256"] = "changed"
    other["strategies"]["hrp"]["window"] = 126
    other["cells"] = [["bull-2010", "hrp", 0], ["bull-2010", "equal_weight", 1]]
    assert settings_differences(SETTINGS, other) == [
        "backtest.costs_bps: 10.0 -> 20.0",
        "data.bull-2010.sha256 changed",
        "strategies.hrp.window: 252 -> 126",
        "cells: bull-2010 / equal_weight / seed 0 not in this command",
    ]
    fewer = json.loads(json.dumps(SETTINGS))
    del fewer["strategies"]["equal_weight"]
    fewer["cells"] = [["bull-2010", "hrp", 0]]
    assert settings_differences(SETTINGS, fewer) == ["strategies.equal_weight: not in this command"]


def test_a_run_with_other_settings_is_refused_with_the_differences(tmp_path):
    claim_folder(tmp_path, settings=SETTINGS)
    marker = (tmp_path / MARKER).read_bytes()
    other = json.loads(json.dumps(SETTINGS))
    other["backtest"]["costs_bps"] = 20.0
    with pytest.raises(ConfigError) as refused:
        claim_folder(tmp_path, settings=other)
    message = str(refused.value)
    assert "backtest.costs_bps: 10.0 -> 20.0" in message and "--new-run" in message
    assert str(tmp_path.parent / f"{tmp_path.name}-2") in message
    assert (tmp_path / MARKER).read_bytes() == marker


def test_run_settings_take_the_shared_parts_of_a_config():
    config = {
        "created": "now",
        "command": ["x"],
        "backtest": {"costs_bps": 10.0},
        "data": {"s": {"kind": "scenario", "reference": "s", "sha256": "h", "assets": ("A",)}},
        "strategies": {"hrp": {"window": 252}},
        "workers": 3,
    }
    settings = run_settings(config, [("s", "hrp", 0)])
    assert settings["backtest"] == {"costs_bps": 10.0}
    assert settings["data"]["s"]["sha256"] == "h" and settings["data"]["s"]["assets"] == ["A"]
    assert "reference" not in settings["data"]["s"] and settings["cells"] == [["s", "hrp", 0]]


# --- cells --------------------------------------------------------------------------------------
def test_a_whole_cell_is_done_and_its_metrics_are_computed_from_its_series(tmp_path):
    from riskalloc.evaluation import performance

    store = RunStore(tmp_path)
    cell = spec()
    store.save_cell(outcome(cell))
    assert store.is_done(cell) and store.cell_problem(cell) is None
    record = RunStore(tmp_path).load_cell(cell)
    expected = performance(
        pd.Series(
            [0.01, -0.02, 0.015], index=pd.to_datetime(["2020-01-02", "2020-01-03", "2020-01-06"])
        ),
        turnover=pd.Series([1.0]),
        weights=pd.DataFrame({"A": [0.5] * 3, "B": [0.5] * 3}),
        periods_per_year=252,
    )
    assert record["metrics"]["annual_return"] == expected["annual_return"] != 0.5
    assert record["metrics"]["effective_holdings"] == 2.0


def _damage_cell(folder, kind):
    if kind == "truncated returns":
        data = (folder / "returns.parquet").read_bytes()
        (folder / "returns.parquet").write_bytes(data[: len(data) // 2])
    elif kind == "missing returns":
        (folder / "returns.parquet").unlink()
    elif kind == "missing cell.json":
        (folder / "cell.json").unlink()
    elif kind == "empty cell.json":
        (folder / "cell.json").write_text("")
    elif kind == "garbage cell.json":
        (folder / "cell.json").write_bytes(b"\x00\xffnot json")
    elif kind == "edited cell.json":
        record = json.loads((folder / "cell.json").read_text())
        record["metrics"]["annual_return"] = 9.99
        (folder / "cell.json").write_text(json.dumps(record))
    elif kind == "another cell's cell.json":
        record = json.loads((folder / "cell.json").read_text())
        record["spec"]["seed"] = 7
        (folder / "cell.json").write_text(json.dumps(record))


DAMAGES = [
    ("truncated returns", "returns.parquet is damaged"),
    ("missing returns", "returns.parquet is missing"),
    ("missing cell.json", "cell.json is missing"),
    ("empty cell.json", "cell.json is unreadable"),
    ("garbage cell.json", "cell.json is unreadable"),
    ("edited cell.json", "cell.json was changed"),
    ("another cell's cell.json", "cell.json was changed"),
]


@pytest.mark.parametrize(("kind", "problem"), DAMAGES)
def test_a_damaged_cell_is_not_done_and_is_replaced_when_saved_again(tmp_path, kind, problem):
    store = RunStore(tmp_path)
    cell = spec()
    store.save_cell(outcome(cell))
    _damage_cell(store.cell_path(cell), kind)
    fresh = RunStore(tmp_path)
    assert not fresh.is_done(cell)
    assert problem in fresh.cell_problem(cell)
    assert fresh.pending([cell], say=lambda line: None) == [cell]
    fresh.save_cell(outcome(cell))
    assert RunStore(tmp_path).is_done(cell)


def test_pending_warns_naming_the_damaged_cell(tmp_path):
    store = RunStore(tmp_path)
    cells = [spec("a"), spec("b")]
    for cell in cells:
        store.save_cell(outcome(cell))
    _damage_cell(store.cell_path(cells[1]), "truncated returns")
    said = []
    assert RunStore(tmp_path).pending([*cells, spec("c")], say=said.append) == [cells[1], spec("c")]
    assert len(said) == 1 and "s / b / seed 0" in said[0] and cells[1].cell_id in said[0]
    assert not store.cell_path(cells[1]).exists()


def test_a_file_in_place_of_a_cell_folder_is_replaced(tmp_path):
    store = RunStore(tmp_path)
    cell = spec()
    store.cells_path.mkdir(parents=True)
    store.cell_path(cell).write_text("in the way")
    assert store.cell_problem(cell) == "not a folder"
    store.pending([cell], say=lambda line: None)
    store.save_cell(outcome(cell))
    assert RunStore(tmp_path).is_done(cell)


def test_a_user_file_inside_cells_is_left_alone(tmp_path):
    store = RunStore(tmp_path)
    store.save_cell(outcome(spec()))
    (store.cells_path / "notes.txt").write_text("mine")
    store.clean_staging()
    store.write_tables([spec()])
    assert (store.cells_path / "notes.txt").read_text() == "mine"
