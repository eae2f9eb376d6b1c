"""``riskalloc export``: a run's returns in the shapes quantstats, pyfolio and empyrical read.

The exported series are the run's own: empyrical (an independent implementation)
computes from them the Sharpe ratios that metrics.csv reports.
"""

from __future__ import annotations

import empyrical
import pandas as pd
import pytest
from typer.testing import CliRunner

from riskalloc.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "run"
    result = runner.invoke(app, [
        "benchmark", "--scenario", "bull-2010", "--strategies",
        "equal_weight,inverse_volatility,rl_a2c", "--param", "total_timesteps=256",
        "--seeds", "3", "--rebalance", "monthly", "--workers", "1", "--no-progress",
        "--out", str(out),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def test_quantstats_format_holds_the_median_seed_of_each_strategy(run_folder, tmp_path):
    result = runner.invoke(app, ["export", str(run_folder), "--out", str(tmp_path / "q")])
    assert result.exit_code == 0, result.output
    returns = pd.read_csv(tmp_path / "q" / "bull-2010" / "returns.csv", index_col=0,
                          parse_dates=True)  # fmt: skip
    assert list(returns.columns) == ["equal_weight", "inverse_volatility", "rl_a2c"]
    assert isinstance(returns.index, pd.DatetimeIndex)
    metrics = pd.read_csv(run_folder / "metrics.csv")
    for strategy in returns.columns:
        rows = metrics[metrics["strategy"] == strategy].sort_values(["sharpe", "seed"])
        median = rows.iloc[(len(rows) - 1) // 2]
        assert float(empyrical.sharpe_ratio(returns[strategy])) == pytest.approx(
            median["sharpe"], rel=1e-9
        )
    weights = pd.read_csv(tmp_path / "q" / "bull-2010" / "weights.csv")
    assert set(weights.columns) == {"strategy", "seed", "date", "asset", "weight"}
    assert weights.groupby("strategy")["seed"].nunique().max() == 1


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_every_seed_in_csv_and_parquet(run_folder, tmp_path, fmt):
    result = runner.invoke(app, ["export", str(run_folder), "--format", fmt,
                                 "--out", str(tmp_path / fmt)])  # fmt: skip
    assert result.exit_code == 0, result.output
    path = tmp_path / fmt / "bull-2010" / f"returns.{fmt}"
    returns = pd.read_csv(path) if fmt == "csv" else pd.read_parquet(path)
    assert {"rl_a2c/0", "rl_a2c/1", "rl_a2c/2", "equal_weight/0"} <= set(returns.columns)


def test_bad_export_requests_are_one_line(run_folder, tmp_path):
    bad = runner.invoke(app, ["export", str(run_folder), "--format", "xlsx"])
    assert bad.exit_code == 2 and "--format must be one of" in bad.output
    missing = runner.invoke(app, ["export", str(tmp_path / "nothing")])
    assert missing.exit_code == 2 and "Traceback" not in missing.output
