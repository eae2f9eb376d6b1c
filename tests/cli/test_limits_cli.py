"""`--limit` on backtest and benchmark: labelled, recorded in config.json, resumable, checked."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from riskalloc.cli import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_benchmark_with_limits_labels_records_and_resumes(tmp_path):
    groups = tmp_path / "sectors.csv"
    groups.write_text("asset,group\nAAPL,tech\nMSFT,tech\nJPM,financials\n")
    out = tmp_path / "run"
    args = [
        "benchmark", "--scenario", "bull-2010",
        "--strategies", "equal_weight,inverse_volatility",
        "--rebalance", "monthly", "--no-progress", "--workers", "1",
        "--limit", "max_weight=0.2", "--limit", "group_caps=tech:0.15",
        "--groups", str(groups), "--limit", "vol_target=0.08",
        "--out", str(out),
    ]  # fmt: skip
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert "equal_weight+limits" in result.output and "inverse_volatility+limits" in result.output
    assert "group_caps bound:" in result.output and "vol_target bound:" in result.output

    metrics = pd.read_csv(out / "metrics.csv")
    assert set(metrics["strategy"]) == {"equal_weight+limits", "inverse_volatility+limits"}
    weights = pd.read_parquet(out / "weights.parquet")
    wide = weights.pivot_table(index=["strategy", "date"], columns="asset", values="weight")
    assert wide.max().max() <= 0.2 + 1e-12
    assert (wide["AAPL"] + wide["MSFT"]).max() <= 0.15 + 1e-10

    config = json.loads((out / "config.json").read_text())
    limits = config["strategies"]["equal_weight+limits"]["limits"]
    assert limits == {
        "max_weight": 0.2,
        "group_caps": {"tech": 0.15},
        "groups": {"AAPL": "tech", "JPM": "financials", "MSFT": "tech"},
        "vol_target": 0.08,
    }

    again = invoke(*args)  # the same limits: every cell is already done
    assert again.exit_code == 0 and "2 done earlier" in again.output


def test_bad_limits_are_one_line_user_errors(tmp_path):
    for extra, message in [
        (["--limit", "max_weight=2"], "--limit max_weight: must be at most 1"),
        (["--limit", "group_caps=tech:0.4"], "needs the asset -> group mapping"),
        (["--limit", "stop=0.1"], "--limit stop: unknown limit"),
    ]:
        result = runner.invoke(
            app,
            ["backtest", "--scenario", "bull-2010", "--strategy", "equal_weight",
             "--out", str(tmp_path / "x"), *extra],
        )  # fmt: skip
        assert result.exit_code == 2, result.output
        assert message in result.output and "Traceback" not in result.output
