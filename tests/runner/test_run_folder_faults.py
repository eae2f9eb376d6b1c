"""Fault injection on run folders: foreign files, other settings, damaged cells, bad paths.

Every refusal is one line with exit status 2, before any work, and leaves the folder
as it was; every damaged cell is recomputed with a warning naming it, and the rerun's
metrics equal the untouched run's.
"""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from riskalloc.cli import app
from riskalloc.evaluation import StatisticsSettings
from riskalloc.runner import (
    BacktestSettings,
    DataSource,
    SourceKind,
    StrategyChoice,
    run_benchmark,
    run_cell,
)
from riskalloc.store import MARKER, RunStore

runner = CliRunner()
BULL = [DataSource(SourceKind.SCENARIO, "bull-2010")]
STRATEGIES = [StrategyChoice("equal_weight"), StrategyChoice("inverse_volatility")]
WEEKLY = BacktestSettings(rebalance="weekly")
QUIET = {"workers": 1, "progress": False, "statistics": StatisticsSettings(enabled=False)}
BENCHMARK = (
    "benchmark",
    "--scenario",
    "bull-2010",
    "--strategies",
    "equal_weight,inverse_volatility",
    "--rebalance",
    "weekly",
    "--workers",
    "1",
    "--no-progress",
)


def invoke(*args):
    return runner.invoke(app, [str(arg) for arg in args])


def one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    return lines[0]


def snapshot(folder):
    return {
        str(path.relative_to(folder)): path.read_bytes() if path.is_file() else None
        for path in sorted(folder.rglob("*"))
    }


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished two-cell run (library, no statistics) and its metrics."""
    out = tmp_path_factory.mktemp("finished") / "run"
    summary = run_benchmark(BULL, STRATEGIES, out, settings=WEEKLY, **QUIET)
    assert summary.ok
    return out


@pytest.fixture
def run(finished, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(finished, copy)
    return copy


# --- folders riskalloc does not own ------------------------------------------------------
@pytest.mark.parametrize(
    "name", ["config.json", "metrics.csv", "report.html", "failures.csv", "cells"]
)
def test_foreign_files_are_never_overwritten(tmp_path, name):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    if name == "cells":
        (out / "cells").mkdir()
        (out / "cells" / "keep.txt").write_text("my cell")
    else:
        (out / name).write_text("my own file")
    before = snapshot(out)
    line = one_error_line(invoke(*BENCHMARK, "--out", out))
    assert str(out) in line and "notes.txt" in line and name in line
    line = one_error_line(invoke(*BENCHMARK, "--out", out, "--force"))
    assert f"holds {name}, which the run would overwrite" in line
    assert snapshot(out) == before


def test_force_runs_beside_foreign_files_and_keeps_them(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    result = invoke(
        "backtest", "--scenario", "bull-2010", "--strategy", "equal_weight", "--out", out, "--force"
    )
    assert result.exit_code == 0, result.output
    assert (out / "notes.txt").read_text() == "my notes"
    assert (out / MARKER).is_file() and (out / "metrics.csv").is_file()


def test_an_empty_existing_folder_needs_no_force(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    summary = run_benchmark(BULL, STRATEGIES[:1], out, settings=WEEKLY, **QUIET)
    assert summary.ok and (out / MARKER).is_file()


# --- another configuration -------------------------------------------------------------------
def test_other_costs_are_refused_with_the_difference_and_nothing_changes(run):
    before = snapshot(run)
    line = one_error_line(invoke(*BENCHMARK, "--costs-bps", "20", "--out", run))
    assert "backtest.costs_bps: 10.0 -> 20.0" in line and "--new-run" in line
    assert snapshot(run) == before


def test_another_scenario_or_fewer_strategies_are_refused(run):
    before = snapshot(run)
    line = one_error_line(
        invoke(
            "backtest",
            "--scenario",
            "bear-2003",
            "--strategy",
            "equal_weight",
            "--rebalance",
            "weekly",
            "--out",
            run,
        )
    )
    assert "data.bull-2010: not in this command" in line
    line = one_error_line(invoke(*BENCHMARK[:4], "equal_weight", *BENCHMARK[5:], "--out", run))
    assert "strategies.inverse_volatility: not in this command" in line
    line = one_error_line(invoke(*BENCHMARK, "--param", "window=30", "--out", run))
    assert "strategies.inverse_volatility.window: 50 -> 30" in line
    assert snapshot(run) == before


def test_changed_data_are_refused(tmp_path):
    from riskalloc import load_dataset

    prices = tmp_path / "prices.csv"
    frame = load_dataset("sp500")[["AAPL", "KO", "XOM"]].loc["2016":"2018"]
    frame.rename_axis("date").to_csv(prices)
    out = tmp_path / "run"
    source = [DataSource(SourceKind.PRICES, str(prices))]
    assert run_benchmark(source, STRATEGIES[:1], out, settings=WEEKLY, **QUIET).ok
    frame.iloc[-1, 0] *= 1.01
    frame.rename_axis("date").to_csv(prices)
    before = snapshot(out)
    args = ("backtest", "--prices", prices, "--strategy", "equal_weight", "--rebalance", "weekly")
    line = one_error_line(invoke(*args, "--out", out))
    assert "data.prices.sha256 changed" in line
    assert snapshot(out) == before


def test_more_strategies_extend_the_run(run):
    summary = run_benchmark(
        BULL, [*STRATEGIES, StrategyChoice("minimum_variance")], run, settings=WEEKLY, **QUIET
    )
    assert summary.skipped == 2 and summary.finished == 1
    assert list(summary.metrics["strategy"]) == [
        "equal_weight",
        "inverse_volatility",
        "minimum_variance",
    ]


def test_new_run_starts_beside_and_leaves_the_run_alone(run):
    before = snapshot(run)
    result = invoke(*BENCHMARK, "--costs-bps", "20", "--out", run, "--new-run")
    assert result.exit_code == 0, result.output
    second = run.parent / "run-2"
    assert f"new run: {second}" in result.output
    assert pd.read_csv(second / "metrics.csv")["strategy"].tolist() == [
        "equal_weight",
        "inverse_volatility",
    ]
    assert json.loads((second / "config.json").read_text())["backtest"]["costs_bps"] == 20.0
    assert snapshot(run) == before
    said = []
    third = run_benchmark(
        BULL, STRATEGIES[:1], run, settings=WEEKLY, new_run=True, say=said.append, **QUIET
    )
    assert third.path == run.parent / "run-3" and said == [
        f"new run: {third.path} ({run} holds another)"
    ]


# --- damaged cells ------------------------------------------------------------------------------
def _cell_folder(run, strategy):
    cells = json.loads((run / "config.json").read_text())["cells"]
    cell_id = next(cell["id"] for cell in cells if cell["strategy"] == strategy)
    return run / "cells" / cell_id


def _edit_record(folder, change):
    record = json.loads((folder / "cell.json").read_text())
    change(record)
    (folder / "cell.json").write_text(json.dumps(record))


DAMAGE = {
    "truncated returns": lambda f: (f / "returns.parquet").write_bytes(
        (f / "returns.parquet").read_bytes()[:100]
    ),
    "truncated weights": lambda f: (f / "weights.parquet").write_bytes(b"PAR1"),
    "missing returns": lambda f: (f / "returns.parquet").unlink(),
    "missing held weights": lambda f: (f / "held_weights.parquet").unlink(),
    "empty cell.json": lambda f: (f / "cell.json").write_text(""),
    "garbage cell.json": lambda f: (f / "cell.json").write_text("{'not': json"),
    "deleted cell.json": lambda f: (f / "cell.json").unlink(),
    "edited cell.json": lambda f: _edit_record(
        f, lambda r: r["metrics"].update(annual_return=12.3)
    ),
    "file instead of the folder": lambda f: (shutil.rmtree(f), f.write_text("x")),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_cell_is_recomputed_with_a_warning(finished, run, damage):
    folder = _cell_folder(run, "inverse_volatility")
    DAMAGE[damage](folder)
    said = []
    summary = run_benchmark(BULL, STRATEGIES, run, settings=WEEKLY, say=said.append, **QUIET)
    assert summary.ok and summary.skipped == 1 and summary.finished == 1
    assert len(said) == 1 and "bull-2010 / inverse_volatility / seed 0" in said[0]
    assert folder.name in said[0] and "recomputing" in said[0]
    assert (run / "metrics.csv").read_bytes() == (finished / "metrics.csv").read_bytes()
    assert RunStore(run).is_done(summary.specs[1])


def test_an_edited_cell_with_its_checksum_fixed_still_gives_metrics_from_its_returns(finished, run):
    from riskalloc.core import json_sha256 as _digest

    folder = _cell_folder(run, "inverse_volatility")

    def edit(record):
        record["metrics"]["sharpe"] = 42.0
        del record["sha256"]
        record["sha256"] = _digest(record)

    _edit_record(folder, edit)
    said = []
    summary = run_benchmark(BULL, STRATEGIES, run, settings=WEEKLY, say=said.append, **QUIET)
    assert summary.skipped == 2 and not said
    assert (run / "metrics.csv").read_bytes() == (finished / "metrics.csv").read_bytes()


def test_damage_through_the_command_warns_on_one_line_and_finishes(run):
    DAMAGE["truncated returns"](_cell_folder(run, "equal_weight"))
    (run / "config.json").write_text("garbage")
    result = invoke(*BENCHMARK, "--out", run)
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "equal_weight" in warnings[0], result.output
    assert "2 cells: 1 run, 1 done earlier, 0 failed" in result.output


@pytest.mark.parametrize(
    ("strategy", "source", "risk_free"),
    [
        ("inverse_volatility", "bull-2010", 0.0),
        ("minimum_variance", "bull-2010", 0.02),
        ("equal_weight", "multi-asset-2008", "tbill"),
    ],
)
def test_metrics_rebuilt_from_a_cell_equal_the_cells_own(tmp_path, strategy, source, risk_free):
    source = [DataSource(SourceKind.SCENARIO, source)]
    settings = BacktestSettings(rebalance="weekly", risk_free=risk_free)
    summary = run_benchmark(
        source, [StrategyChoice(strategy)], tmp_path, settings=settings, **QUIET
    )
    spec = summary.specs[0]
    computed = run_cell(spec, source[0].load()).metrics
    rebuilt = RunStore(tmp_path).load_cell(spec)["metrics"]
    assert list(rebuilt) == list(computed)
    np.testing.assert_array_equal(list(rebuilt.values()), list(computed.values()))


# --- paths ---------------------------------------------------------------------------------------
COMMANDS = {
    "backtest": ("backtest", "--scenario", "bull-2010", "--strategy", "equal_weight"),
    "benchmark": BENCHMARK,
    "robustness": (
        "robustness",
        "--scenario",
        "bull-2010",
        "--strategies",
        "equal_weight",
        "--sweeps",
        "costs",
        "--costs",
        "0",
        "--no-progress",
    ),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_path_problems_are_one_line_before_any_work(tmp_path, command, monkeypatch):
    monkeypatch.chdir(tmp_path)
    file = tmp_path / "a-file"
    file.write_text("mine")
    args = COMMANDS[command]
    assert "is a file, not a folder" in one_error_line(invoke(*args, "--out", file))
    assert f"{file} is a file" in one_error_line(invoke(*args, "--out", file / "run"))
    assert "--out is empty" in one_error_line(invoke(*args, "--out", ""))

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("riskalloc.store._run_folder.tempfile.mkstemp", refuse)
    line = one_error_line(invoke(*args, "--out", tmp_path / "locked" / "run"))
    assert "cannot write in" in line and "Permission denied" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]
    assert file.read_text() == "mine"


def test_robustness_refuses_a_foreign_folder_and_a_run_folder(tmp_path, run):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "base").mkdir()
    args = COMMANDS["robustness"]
    assert "not a riskalloc robustness folder" in one_error_line(invoke(*args, "--out", mine))
    assert "holds base, which" in one_error_line(invoke(*args, "--out", mine, "--force"))
    assert "a riskalloc run folder, not a robustness folder" in one_error_line(
        invoke(*args, "--out", run)
    )
