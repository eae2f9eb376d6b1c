"""The riskalloc command: the commands of the README, and one clear line for a user error."""

import subprocess

import pandas as pd
import pytest
from typer.testing import CliRunner

from riskalloc.cli import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_datasets_lists_bundled_data_and_scenarios():
    result = invoke("datasets")
    assert result.exit_code == 0
    for name in ("sp500", "sp500_index", "factors", "bull-2010", "bear-2003", "covid-2017"):
        assert name in result.output
    assert "1990-01-02" in result.output


def test_backtest_scenario_writes_a_run_folder(tmp_path):
    out = tmp_path / "iv"
    result = invoke(
        "backtest",
        "--scenario",
        "bull-2010",
        "--strategy",
        "inverse_volatility",
        "--rebalance",
        "weekly",
        "--costs-bps",
        "10",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    for header in (
        "Annual return %",
        "Cumulative %",
        "Annual vol %",
        "Sharpe",
        "Calmar",
        "Stability",
        "Max DD %",
    ):
        assert header in result.output
    metrics = pd.read_csv(out / "metrics.csv")
    assert list(metrics.columns[:3]) == ["scenario", "strategy", "seed"]
    assert metrics.loc[0, "strategy"] == "inverse_volatility"
    # Statistics against equal weight, which the run does not include.
    for header in ("Sharpe CI", "PSR", "DSR", "p ΔSharpe", "SPA p"):
        assert header in result.output
    row = metrics.loc[0]
    assert row["sharpe_ci_low"] < row["sharpe"] < row["sharpe_ci_high"]
    assert 0 <= row["sharpe_diff_pvalue"] <= 1 and 0 <= row["psr"] <= 1
    weights = pd.read_parquet(out / "weights.parquet")
    assert list(weights.columns) == ["scenario", "strategy", "seed", "date", "asset", "weight"]
    returns = pd.read_parquet(out / "returns.parquet")
    assert list(returns.columns) == ["scenario", "strategy", "seed", "date", "return"]
    config = (out / "config.json").read_text()
    assert '"costs_bps": 10.0' in config and '"sha256"' in config and '"numpy"' in config


def test_backtest_user_prices_with_test_start(tmp_path):
    from riskalloc import load_dataset

    frame = load_dataset("sp500")[["AAPL", "KO", "XOM"]].loc["2016":"2020"]
    path = tmp_path / "my_prices.csv"
    frame.rename_axis("date").to_csv(path)
    out = tmp_path / "ew"
    result = invoke(
        "backtest",
        "--prices",
        str(path),
        "--strategy",
        "equal_weight",
        "--test-start",
        "2019-01-01",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    returns = pd.read_parquet(out / "returns.parquet")
    assert returns["date"].min() == pd.Timestamp("2019-01-02")
    assert set(returns["scenario"]) == {"my_prices"}


def test_param_is_routed_to_the_strategies_that_have_it(tmp_path):
    out = tmp_path / "run"
    result = invoke(
        "benchmark",
        "--scenario",
        "bull-2010",
        "--strategies",
        "equal_weight,fixed_mix",
        "--param",
        "weights=AAPL:0.6,MSFT:0.4",
        "--no-progress",
        "--workers",
        "1",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    weights = pd.read_parquet(out / "weights.parquet")
    mix = weights[weights["strategy"] == "fixed_mix"].pivot(
        index="date", columns="asset", values="weight"
    )
    assert (mix["AAPL"] == 0.6).all() and (mix["MSFT"] == 0.4).all() and (mix["GE"] == 0).all()


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (
            ("backtest", "--scenario", "bull-2010", "--strategy", "no_such_strategy"),
            "no_such_strategy",
        ),
        (("backtest", "--scenario", "bull-2077", "--strategy", "equal_weight"), "bull-2077"),
        (
            (
                "backtest",
                "--scenario",
                "bull-2010",
                "--strategy",
                "equal_weight",
                "--test-start",
                "2031-01-01",
            ),
            "2031-01-01",
        ),
        (
            (
                "backtest",
                "--scenario",
                "bull-2010",
                "--strategy",
                "equal_weight",
                "--test-start",
                "yesterday-ish",
            ),
            "yesterday-ish",
        ),
        (
            ("backtest", "--prices", "/nonexistent/prices.csv", "--strategy", "equal_weight"),
            "prices.csv",
        ),
        (
            (
                "backtest",
                "--scenario",
                "bull-2010",
                "--strategy",
                "equal_weight",
                "--rebalance",
                "fortnightly",
            ),
            "fortnightly",
        ),
        (
            (
                "backtest",
                "--scenario",
                "bull-2010",
                "--strategy",
                "equal_weight",
                "--param",
                "window=5",
            ),
            "window",
        ),
        (
            (
                "backtest",
                "--scenario",
                "bull-2010",
                "--strategy",
                "inverse_volatility",
                "--param",
                "window=abc",
            ),
            "window",
        ),
        (
            (
                "benchmark",
                "--scenario",
                "bull-2010",
                "--strategies",
                "equal_weight",
                "--backend",
                "spark",
            ),
            "spark",
        ),
        (
            (
                "benchmark",
                "--dataset",
                "sp500",
                "--assets",
                "AAPL,TSLA",
                "--strategies",
                "equal_weight",
            ),
            "TSLA",
        ),
    ],
)
def test_user_errors_print_one_line_and_exit_2(tmp_path, args, named):
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert named in lines[0]


def test_bad_file_content_is_named_by_column_and_date(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("date,AAA,BBB\n2020-01-01,1,2\n2020-01-02,1.1,-3\n2020-01-03,1.2,2.5\n")
    result = runner.invoke(
        app,
        [
            "backtest",
            "--prices",
            str(path),
            "--strategy",
            "equal_weight",
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 2
    assert "'BBB'" in result.output and "2020-01-02" in result.output


def test_failed_cell_gives_exit_status_1(tmp_path, plugin_env, riskalloc_command):
    completed = subprocess.run(
        riskalloc_command(
            "benchmark",
            "--scenario",
            "bull-2010",
            "--strategies",
            "broken,equal_weight",
            "--no-progress",
            "--workers",
            "1",
            "--out",
            str(tmp_path / "run"),
        ),
        env=plugin_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 1
    assert "broken" in completed.stderr and "equal_weight" in completed.stdout


@pytest.mark.parametrize("command", ["datasets", "backtest", "benchmark", "strategies"])
def test_help_everywhere(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0
    if command in ("backtest", "benchmark"):
        assert (
            "Examples" in result.output
            and "--scenario" in result.output
            and "--costs-bps" in result.output
        )


def test_console_script_runs(riskalloc_command):
    completed = subprocess.run(
        riskalloc_command("--help"), capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0 and "benchmark" in completed.stdout
