"""The command line with a real risk-free rate and with data that is not daily."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import riskalloc as ra
from riskalloc.cli import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def monthly_file(tmp_path_factory):
    """Month-end prices of 12 bundled stocks, 2005-2019, as a user's monthly CSV."""
    daily = ra.load_dataset("sp500").loc["2005-01-01":"2019-12-31"].iloc[:, :12]
    monthly = daily.groupby(daily.index.to_period("M")).tail(1)
    path = tmp_path_factory.mktemp("monthly") / "monthly.csv"
    monthly.rename_axis("date").to_csv(path)
    return path, monthly


def test_a_monthly_file_reports_monthly_figures(monthly_file, tmp_path):
    path, _ = monthly_file
    out = tmp_path / "run"
    result = invoke(
        "backtest", "--prices", str(path), "--strategy", "equal_weight",
        "--rebalance", "monthly", "--test-start", "2012-01-01", "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    row = pd.read_csv(out / "metrics.csv").iloc[0]
    returns = pd.read_parquet(out / "returns.parquet")["return"]
    expected = float(np.prod(1 + returns)) ** (12 / len(returns)) - 1
    assert row["annual_return"] == pytest.approx(expected, rel=1e-9)
    assert 0.05 < row["annual_return"] < 0.25 and 0.3 < row["sharpe"] < 2.0


def test_periods_per_year_is_checked_and_used(monthly_file, tmp_path):
    path, _ = monthly_file
    common = ["backtest", "--prices", str(path), "--strategy", "equal_weight",
              "--rebalance", "monthly", "--test-start", "2012-01-01"]  # fmt: skip
    bad = runner.invoke(app, [*common, "--periods-per-year", "0", "--out", str(tmp_path / "a")])
    assert bad.exit_code == 2 and "--periods-per-year must be at least 1" in bad.output
    forced = invoke(*common, "--periods-per-year", "252", "--out", str(tmp_path / "b"))
    assert forced.exit_code == 0, forced.output
    monthly = invoke(*common, "--out", str(tmp_path / "c"))
    assert monthly.exit_code == 0, monthly.output
    vol_252 = pd.read_csv(tmp_path / "b" / "metrics.csv").loc[0, "annual_volatility"]
    vol_12 = pd.read_csv(tmp_path / "c" / "metrics.csv").loc[0, "annual_volatility"]
    assert vol_252 / vol_12 == pytest.approx(np.sqrt(252 / 12), rel=1e-9)


def test_a_rate_column_of_the_prices_file_is_cash_not_an_asset(tmp_path):
    prices = ra.load_dataset("sp500").loc["2014-01-01":"2018-12-31", ["AAPL", "KO", "JPM"]]
    file = tmp_path / "with_rate.csv"
    prices.assign(bill=0.01).rename_axis("date").to_csv(file)
    common = ["backtest", "--prices", str(file), "--strategy", "fixed_mix",
              "--param", "weights=AAPL:0.25,KO:0.25", "--test-start", "2017-01-01"]  # fmt: skip
    with_column = invoke(*common, "--risk-free-column", "bill", "--out", str(tmp_path / "col"))
    assert with_column.exit_code == 0, with_column.output
    weights = pd.read_parquet(tmp_path / "col" / "weights.parquet")
    assert set(weights["asset"]) == {"AAPL", "KO", "JPM"}
    rates = pd.read_parquet(tmp_path / "col" / "rates.parquet")
    np.testing.assert_allclose(rates["rate"], 0.01, rtol=0, atol=1e-15)
    by_number = invoke(*common, "--risk-free", "0.01", "--out", str(tmp_path / "num"))
    assert by_number.exit_code == 0, by_number.output
    series_row = pd.read_csv(tmp_path / "col" / "metrics.csv").iloc[0]
    number_row = pd.read_csv(tmp_path / "num" / "metrics.csv").iloc[0]
    for column in ("annual_return", "sharpe", "sortino", "psr"):
        assert series_row[column] == pytest.approx(number_row[column], rel=1e-9), column
    report = (tmp_path / "col" / "report.html").read_text()
    assert "a rate series, each period earning the annual rate known at the previous close" in (
        report
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scenario", "bull-2010", "--risk-free", "tbill"], "bull-2010 has no bill rate"),
        (["--scenario", "bull-2010", "--risk-free", "libor"], "neither an annual rate"),
        (["--scenario", "bull-2010", "--risk-free-column", "bill"], "give --prices FILE"),
    ],
)
def test_rate_options_that_cannot_work_are_one_line(args, message, tmp_path):
    result = runner.invoke(
        app, ["backtest", "--strategy", "equal_weight", *args, "--out", str(tmp_path / "x")]
    )
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_benchmark_multi_asset_with_the_bill_rate(tmp_path):
    out = tmp_path / "multi"
    result = invoke(
        "benchmark", "--scenario", "multi-asset-2008",
        "--strategies", "equal_weight,risk_parity", "--rebalance", "monthly",
        "--risk-free", "tbill", "--no-progress", "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    config = ra.report.Run.load(out)
    assert config.config["backtest"]["risk_free"] == "tbill"
    bills = config.rates["multi-asset-2008"]
    assert bills.loc["2007"].max() > 0.04
    metrics = pd.read_csv(out / "metrics.csv").set_index("strategy")
    returns = pd.read_parquet(out / "returns.parquet")
    own = returns[returns["strategy"] == "risk_parity"].set_index("date")["return"]
    assert metrics.loc["risk_parity", "sharpe"] == pytest.approx(
        ra.evaluation.sharpe_ratio(own, bills), rel=1e-9
    )
    assert metrics.loc["risk_parity", "sharpe"] != pytest.approx(
        ra.evaluation.sharpe_ratio(own), rel=1e-3
    )


def test_auto_takes_each_scenarios_own_rate_or_zero(tmp_path):
    out = tmp_path / "auto"
    result = invoke(
        "benchmark", "--scenario", "bull-2010", "--scenario", "multi-asset-2008",
        "--strategies", "equal_weight,inverse_volatility", "--rebalance", "monthly",
        "--risk-free", "auto", "--no-progress", "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    run = ra.report.Run.load(out)
    assert set(run.rates) == {"multi-asset-2008"}
    assert run.risk_free_of("bull-2010") == 0.0
    metrics = pd.read_csv(out / "metrics.csv").set_index(["scenario", "strategy"])
    returns = pd.read_parquet(out / "returns.parquet")
    for scenario, rate in (("bull-2010", 0.0), ("multi-asset-2008", run.rates["multi-asset-2008"])):
        rows = returns[(returns["scenario"] == scenario) & (returns["strategy"] == "equal_weight")]
        own = rows.set_index("date")["return"]
        assert metrics.loc[(scenario, "equal_weight"), "sharpe"] == pytest.approx(
            ra.evaluation.sharpe_ratio(own, rate), rel=1e-9
        )
    report = (out / "report.html").read_text()
    assert "bull-2010: 0 % (no bill rate in the data)" in report


def test_an_error_message_with_brackets_is_printed_as_written(tmp_path):
    # rich would read "[/x]" as a closing markup tag and crash with a traceback.
    result = runner.invoke(
        app, ["backtest", "--scenario", "bull[/x]", "--strategy", "equal_weight",
              "--out", str(tmp_path / "x")],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "unknown scenario 'bull[/x]'" in result.output
