"""`riskalloc var-backtest RUN_DIR` on a real run: the table, the csv, and user errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from riskalloc.cli import app
from riskalloc.risk import VaRMethod, quantile_var_backtest, var_backtest
from riskalloc.store import RunStore

runner = CliRunner()
CLASSICAL = [VaRMethod.HISTORICAL, VaRMethod.GAUSSIAN, VaRMethod.CORNISH_FISHER]


@pytest.fixture(autouse=True)
def _one_torch_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """An equal-weight backtest of the covid-2017 scenario (real data, 2017-2022)."""
    out = tmp_path_factory.mktemp("runs") / "ew"
    args = ["backtest", "--scenario", "covid-2017", "--strategy", "equal_weight"]
    result = runner.invoke(app, [*args, "--rebalance", "weekly", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def backtested(run_dir):
    args = ["var-backtest", str(run_dir), "--alpha", "0.95,0.99", "--refit-every", "252"]
    result = runner.invoke(app, [*args, "--seed", "3"], catch_exceptions=False)
    return result, pd.read_csv(run_dir / "var_backtest.csv")


def test_prints_a_table_per_scenario(backtested):
    result, _ = backtested
    assert result.exit_code == 0, result.output
    assert "VaR backtest: covid-2017" in result.output
    for text in ["equal_weight", "historical", "cornish_fisher", "deep_quantile", "Kupiec LR"]:
        assert text in result.output
    assert "8 backtests" in result.output


def test_csv_agrees_with_the_library(run_dir, backtested):
    _, table = backtested
    assert list(table.columns[:5]) == ["scenario", "strategy", "seed", "confidence", "method"]
    assert len(table) == 2 * 4
    returns = RunStore(run_dir).returns().set_index("date")["return"]
    for confidence in (0.95, 0.99):
        rows = table[table["confidence"] == confidence].set_index("method")
        assert list(rows.index) == [*map(str, CLASSICAL), "deep_quantile"]
        expected = pd.concat(
            [
                var_backtest(returns, confidence, CLASSICAL, 250),
                quantile_var_backtest(returns, confidence, 250, refit_every=252, seed=3),
            ]
        )
        columns = list(expected.columns)
        np.testing.assert_allclose(rows[columns].to_numpy(float), expected.to_numpy(float))
    assert set(table["n_observations"]) == {len(returns) - 250}
    assert (table["scenario"] == "covid-2017").all() and (table["seed"] == 0).all()


def test_methods_and_window_options(run_dir):
    result = runner.invoke(
        app, ["var-backtest", str(run_dir), "--methods", "gaussian", "--window", "500"]
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(run_dir / "var_backtest.csv")
    assert list(table["method"]) == ["gaussian"]
    assert table["n_observations"].item() == len(RunStore(run_dir).returns()) - 500


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--alpha", "1.5"], "--alpha"),
        (["--alpha", "ninety"], "--alpha"),
        (["--methods", "historical,monte_carlo"], "monte_carlo"),
        (["--window", "5000"], "covid-2017/equal_weight"),
        (["--refit-every", "0"], "--refit-every"),
    ],
)
def test_bad_options_print_one_line_and_exit_2(run_dir, extra, named):
    result = runner.invoke(app, ["var-backtest", str(run_dir), *extra])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert named in lines[0]


@pytest.mark.parametrize("make", ["missing", "empty folder"])
def test_a_run_dir_without_returns_is_one_line_exit_2(tmp_path, make):
    folder = tmp_path / "run"
    if make == "empty folder":
        folder.mkdir()
    result = runner.invoke(app, ["var-backtest", str(folder)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: RUN_DIR"), result.output
    assert not (folder / "var_backtest.csv").exists()
