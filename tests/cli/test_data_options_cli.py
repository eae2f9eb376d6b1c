"""The data options of the command: --date-format, --max-daily-return, --assets, and the
bounds on --costs-bps and --risk-free, each a one-line usage error (exit 2) before any work."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from riskalloc.cli import app
from riskalloc.report import Run

runner = CliRunner()


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    from riskalloc import load_dataset

    return load_dataset("sp500")[["AAPL", "KO", "XOM"]].loc["2018":"2020"].rename_axis("date")


def backtest(path: Path, out: Path, *extra: str):
    args = ["backtest", "--prices", str(path), "--strategy", "equal_weight", "--out", str(out)]
    return runner.invoke(app, [*args, *extra])


def one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    return lines[0]


def test_day_first_dates_are_a_usage_error_pointing_to_date_format(tmp_path, prices):
    path = tmp_path / "european.csv"
    prices.to_csv(path, date_format="%d/%m/%Y")
    line = one_error_line(backtest(path, tmp_path / "run"))
    assert "--date-format %d/%m/%Y" in line
    assert not (tmp_path / "run" / "cells").exists()


def test_date_format_reads_them_and_the_run_remembers_it(tmp_path, prices):
    path = tmp_path / "european.csv"
    prices.to_csv(path, date_format="%d/%m/%Y")
    out = tmp_path / "run"
    result = backtest(path, out, "--date-format", "%d/%m/%Y", "--test-start", "2020-01-02")
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert config["data"]["european"]["date_format"] == "%d/%m/%Y"
    assert config["data"]["european"]["first_date"] == "2018-01-02"
    # The report reloads the file the way the run read it.
    reloaded = Run.load(out).prices_of("european")
    assert reloaded is not None and reloaded.index[0] == pd.Timestamp("2018-01-02")


def test_an_implausible_jump_names_asset_and_date_and_the_bound_can_be_lifted(tmp_path, prices):
    broken = prices.copy()
    broken.loc["2019-03-01":, "KO"] *= 1e6  # a unit change mid-file
    path = tmp_path / "jump.csv"
    broken.to_csv(path)
    line = one_error_line(backtest(path, tmp_path / "refused"))
    assert "'KO'" in line and "2019-03-01" in line and "--max-daily-return" in line
    out = tmp_path / "allowed"
    result = backtest(path, out, "--max-daily-return", "inf", "--test-start", "2020-01-02")
    assert result.exit_code == 0, result.output
    assert json.loads((out / "config.json").read_text())["data"]["jump"]["max_daily_return"] is None


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (("--assets", "AAPL,AAPL"), "AAPL twice"),
        (("--assets", ","), "names no asset"),
        (("--costs-bps", "-10"), "--costs-bps"),
        (("--costs-bps", "nan"), "--costs-bps"),
        (("--costs-bps", "100000"), "--costs-bps"),
        (("--risk-free", "1e6"), "--risk-free"),
        (("--risk-free", "nan"), "--risk-free"),
        (("--risk-free", "-0.9"), "--risk-free"),
        (("--max-daily-return", "0"), "--max-daily-return"),
        (("--max-daily-return", "-1"), "--max-daily-return"),
        (("--date-format", "mixed"), "format"),
        (("--train-fraction", "nan"), "--train-fraction"),
    ],
)
def test_bad_settings_are_usage_errors_before_any_cell(tmp_path, prices, extra, named):
    path = tmp_path / "prices.csv"
    prices.to_csv(path)
    out = tmp_path / "run"
    line = one_error_line(backtest(path, out, *extra))
    assert named in line
    assert not (out / "cells").exists()


def test_date_format_without_a_prices_file_is_a_usage_error(tmp_path):
    result = runner.invoke(
        app,
        ["backtest", "--scenario", "bull-2010", "--strategy", "equal_weight", "--date-format",
         "%d/%m/%Y", "--out", str(tmp_path / "run")],
    )  # fmt: skip
    assert "--prices" in one_error_line(result)


def test_a_costs_sweep_beyond_the_bound_is_a_usage_error(tmp_path):
    result = runner.invoke(
        app,
        ["robustness", "--scenario", "bull-2010", "--strategies", "equal_weight", "--sweeps",
         "costs", "--costs", "0,5000", "--out", str(tmp_path / "robust")],
    )  # fmt: skip
    assert "--costs" in one_error_line(result)


@pytest.mark.parametrize("command", ["backtest", "benchmark", "robustness", "train", "frontier"])
def test_the_data_options_are_offered_where_prices_are_read(command):
    result = runner.invoke(app, [command, "--help"])
    assert "--date-format" in result.output and "--max-daily-return" in result.output
