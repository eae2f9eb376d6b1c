"""`riskalloc benchmark` ends each scenario with deep or RL strategies with its verdict."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from riskalloc.cli import app

runner = CliRunner()
RL_TINY = ["--param", "total_timesteps=64", "--param", "hidden_size=8", "--param", "n_envs=1"]


@pytest.fixture(autouse=True)
def _one_torch_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def test_benchmark_with_an_rl_strategy_prints_a_verdict_and_reports_it(tmp_path):
    out = tmp_path / "bench"
    result = runner.invoke(
        app,
        [
            "benchmark", "--scenario", "bull-2010",
            "--strategies", "equal_weight,minimum_variance,rl_a2c", *RL_TINY,
            "--seeds", "2", "--rebalance", "monthly", "--workers", "1", "--no-progress",
            "--out", str(out),
        ],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    output = result.output
    verdict = output[output.index("Verdict — bull-2010") :]
    assert "Report:" in verdict  # after the statistics tables, before the closing lines
    assert "vs best classical" in verdict and "SPA p" in verdict
    assert "rl_a2c: median seed Sharpe" in verdict
    # The words the table shows are the ones the metrics give.
    metrics = pd.read_csv(out / "metrics.csv")
    rl = metrics[metrics["strategy"] == "rl_a2c"].sort_values(["sharpe", "seed"])
    median = rl.iloc[0]  # two seeds: the lower middle one
    expected = (
        "beats"
        if median["sharpe_diff_pvalue"] < 0.05 and median["sharpe_diff"] > 0
        else "worse"
        if median["sharpe_diff_pvalue"] < 0.05
        else "no significant difference"
    )
    assert f"({int(median['seed'])}*)" in verdict
    sentence = verdict[verdict.index("rl_a2c: median seed Sharpe") :]
    assert f"{expected} {'than ' if expected == 'worse' else ''}" in " ".join(sentence.split())
    html = (out / "report.html").read_text()
    assert 'data-section="verdict"' in html and "rl_a2c: median seed Sharpe" in html
    assert "selection on the test data" in html


def test_a_classical_benchmark_prints_no_verdict(tmp_path):
    result = runner.invoke(
        app,
        [
            "backtest", "--scenario", "bull-2010", "--strategy", "inverse_volatility",
            "--rebalance", "monthly", "--out", str(tmp_path / "iv"),
        ],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Verdict" not in result.output
    assert 'data-section="verdict"' not in (tmp_path / "iv" / "report.html").read_text()
