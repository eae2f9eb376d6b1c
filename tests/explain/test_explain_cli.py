"""`riskalloc explain`: the top drivers of a saved model's allocation and its risk contributions."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from riskalloc.cli import app
from riskalloc.explain import feature_attribution
from riskalloc.risk import allocation_risk

runner = CliRunner()
DATE = "2015-11-20"


@pytest.fixture(scope="module")
def model_dir(deep_sharpe, tmp_path_factory):
    return deep_sharpe.save(tmp_path_factory.mktemp("models") / "ds")


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_table_prints_the_top_drivers_and_the_risk_contributions(model_dir):
    result = invoke(
        "explain", "--model", str(model_dir), "--scenario", "bull-2010", "--date", DATE,
        "--top", "4",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"What drove the weights on {DATE}" in result.output
    assert "contribution pp" in result.output and "by family" in result.output
    assert "Euler risk contributions of the day's weights" in result.output
    assert any(family in result.output for family in ("momentum", "volatility", "drawdown"))


@pytest.mark.parametrize("target", ["weights", "risk"])
def test_json_holds_efficient_shapley_values_and_euler_contributions(
    model_dir, deep_sharpe, market, target, tmp_path
):
    prices = tmp_path / "prices.csv"
    market.prices.to_csv(prices, index_label="date")
    result = invoke(
        "explain", "--model", str(model_dir), "--prices", str(prices), "--date", DATE,
        "--target", target, "--top", "5", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["date"] == DATE and answer["target"] == target and answer["by"] == "family"
    contributions = pd.DataFrame(answer["contributions"]).T  # groups by outputs
    gap = contributions.sum() - (pd.Series(answer["output"]) - pd.Series(answer["base_value"]))
    assert gap.abs().max() < 1e-6
    sizes = [abs(driver["contribution"]) for driver in answer["drivers"]]
    assert len(sizes) == min(5, contributions.size) and sizes == sorted(sizes, reverse=True)
    expected = feature_attribution(deep_sharpe, market, DATE, target=target)
    np.testing.assert_allclose(
        contributions.loc[expected.contributions.index, expected.contributions.columns],
        expected.contributions,
        rtol=0,
        atol=1e-12,
    )
    weights = deep_sharpe.allocate(market.until(DATE), pd.DatetimeIndex([DATE])).iloc[0]
    oracle = allocation_risk(weights, market.until(DATE).returns)
    for measure, total in (("volatility", oracle.volatility), ("cvar", oracle.cvar)):
        risk = answer["risk_contributions"][measure]
        assert risk["risk"] == pytest.approx(total, rel=1e-12)
        parts = [asset["contribution"] for asset in risk["assets"].values()]
        assert sum(parts) == pytest.approx(total, rel=1e-10)


def _error(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    return result.output


def test_user_errors_are_one_line(model_dir, tmp_path):
    model = ["explain", "--model", str(model_dir), "--scenario", "bull-2010"]
    assert "is after the last price (2016-12-30)" in _error(*model, "--date", "2017-03-01")
    assert "the model needs" in _error(*model, "--date", "2010-02-01")
    assert "cannot read the date" in _error(*model, "--date", "someday")
    assert "not a riskalloc model" in _error(
        "explain", "--model", str(tmp_path), "--scenario", "bull-2010"
    )
    assert "one data source" in _error(
        "explain", "--model", str(model_dir), "--scenario", "bull-2010", "--dataset", "sp500"
    )
    assert "--top must be at least 1" in _error(*model, "--top", "0")
