"""`riskalloc robustness`: a small real sweep on covid-2017, its tables, stress windows and report."""

import pandas as pd
import pytest
from typer.testing import CliRunner

from riskalloc.cli import app

runner = CliRunner()
STRATEGIES = ("inverse_volatility", "risk_parity")


@pytest.fixture(scope="module")
def robust(tmp_path_factory):
    out = tmp_path_factory.mktemp("robust")
    args = [
        "robustness", "--scenario", "covid-2017", "--strategies", ",".join(STRATEGIES),
        "--sweeps", "costs,window", "--costs", "0,50", "--windows", "63,126",
        "--rebalance", "weekly", "--out", str(out), "--workers", "1", "--no-progress",
    ]  # fmt: skip
    result = runner.invoke(app, args, catch_exceptions=False)
    return out, result


def test_robustness_csv_has_one_row_per_sweep_point_and_strategy(robust):
    out, result = robust
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "robustness.csv")
    got = set(zip(table["sweep"], table["value"].astype(str), table["strategy"], strict=True))
    expected = {
        (sweep, value, name)
        for sweep, values in (("costs_bps", ("0", "50")), ("window", ("63", "126")))
        for value in values
        for name in STRATEGIES
    }
    assert got == expected and len(table) == len(expected)
    assert (table["scenario"] == "covid-2017").all()
    for point in ("base", "costs_bps=0", "costs_bps=50", "window=63", "window=126"):
        assert (out / point / "metrics.csv").is_file()
    assert "Sharpe / max DD" in result.output


def test_higher_costs_never_raise_net_return(robust):
    out, _ = robust
    table = pd.read_csv(out / "robustness.csv")
    costs = table[table["sweep"] == "costs_bps"].pivot_table(
        index="strategy", columns="value", values="annual_return"
    )
    assert (costs[50] < costs[0]).all()


def test_stress_csv_has_the_covid_window_and_its_trough(robust):
    out, result = robust
    stress = pd.read_csv(out / "stress.csv", parse_dates=["market_trough"])
    covid = stress[stress["window"] == "COVID crash"].set_index("strategy")
    assert set(covid.index) == set(STRATEGIES) and covid["covered"].all()
    assert (covid["market_trough"] == pd.Timestamp("2020-03-23")).all()
    assert covid.loc["risk_parity", "drawdown_reduction"] == pytest.approx(0.0)
    assert (covid["max_drawdown"] < -0.2).all()
    crisis = stress[stress["window"] == "2008 crisis"]
    assert len(crisis) == 2 and not crisis["covered"].any()
    assert "not covered" in result.output


def test_report_has_the_robustness_section(robust):
    out, _ = robust
    page = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="robustness"' in page
    assert page.count('class="plotly-graph-div"') == 3  # two sweeps and the stress figure
    assert "Stress windows" in page and "2020-03-23" in page


def test_a_bad_sweep_value_is_one_line_and_exit_2(tmp_path):
    result = runner.invoke(
        app,
        ["robustness", "--scenario", "covid-2017", "--costs", "0,abc", "--out", str(tmp_path)],
    )
    assert result.exit_code == 2
    assert "--costs" in result.output and "Traceback" not in result.output


def test_limits_ride_along_every_sweep_point_and_stress_compares_to_limited_risk_parity(tmp_path):
    args = [
        "robustness", "--scenario", "covid-2017", "--strategies", ",".join(STRATEGIES),
        "--sweeps", "costs", "--costs", "0,50", "--rebalance", "weekly",
        "--limit", "vol_target=0.08", "--limit", "max_weight=0.2",
        "--out", str(tmp_path), "--workers", "1", "--no-progress",
    ]  # fmt: skip
    result = runner.invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "robustness.csv")
    assert set(table["strategy"]) == {f"{name}+limits" for name in STRATEGIES}
    # The limits hold at every sweep point: the realised volatility stays near the target.
    assert (table["annual_volatility"] < 0.10).all()
    for point in ("costs_bps=0", "costs_bps=50"):
        weights = pd.read_parquet(tmp_path / point / "weights.parquet")
        assert weights["weight"].max() <= 0.2 + 1e-9
    stress = pd.read_csv(tmp_path / "stress.csv")
    covid = stress[stress["window"] == "COVID crash"].set_index("strategy")
    assert covid.loc["risk_parity+limits", "drawdown_reduction"] == pytest.approx(0.0)
    assert covid["drawdown_reduction"].notna().all()
