"""`riskalloc train` and `riskalloc allocate`: a saved model gives today's weights and their risk."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

import riskalloc as ra
from riskalloc.cli import app
from riskalloc.strategies.deep import load_model

runner = CliRunner()
TINY = [
    "--param", "epochs=1", "--param", "hidden_size=4", "--param", "n_layers=1",
    "--param", "lookback=10", "--param", "volatility_windows=5",
    "--param", "ma_windows=5", "--param", "rsi_window=none",
    "--param", "drawdown_window=20", "--param", "market=false",
]  # fmt: skip


@pytest.fixture(autouse=True)
def _one_torch_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "dc"
    result = invoke(
        "train", "--scenario", "bull-2010", "--strategy", "deep_cvar", "--seed", "3", *TINY,
        "--param", "risk_aversion=2", "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out, result.output


@pytest.fixture(scope="module")
def latest(tmp_path_factory):
    path = tmp_path_factory.mktemp("prices") / "latest.csv"
    ra.scenario("bull-2010").prices.to_csv(path, index_label="date")
    return path


def test_train_fits_on_the_training_span_and_saves_the_model(trained):
    out, output = trained
    assert (out / "model.safetensors").is_file() and (out / "model.json").is_file()
    manifest = json.loads((out / "model.json").read_text())
    s = ra.scenario("bull-2010")
    assert manifest["training"]["end"] == str(s.train_end.date())
    assert manifest["params"]["seed"] == 3 and manifest["params"]["risk_aversion"] == 2.0
    assert "trained deep_cvar (seed 3) on bull-2010" in output


def test_allocate_json_gives_the_models_weights_and_their_risk(trained, latest):
    out, _ = trained
    result = invoke("allocate", "--model", str(out), "--prices", str(latest), "--format", "json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    prices = ra.scenario("bull-2010").prices
    assert answer["date"] == str(prices.index[-1].date())
    history = ra.MarketData(prices)
    expected = load_model(out).allocate(history, history.dates[-1:]).iloc[0]
    assert set(answer["weights"]) == set(prices.columns)  # fully invested: no cash key
    for asset, weight in expected.items():
        assert answer["weights"][asset] == pytest.approx(weight, abs=1e-15)
    # Known answers from the last 252 returns: annualised volatility and Euler shares.
    returns = prices.pct_change().iloc[-252:]
    w = expected.to_numpy()
    covariance = np.cov(returns.to_numpy(), rowvar=False)
    assert answer["volatility"] == pytest.approx(np.sqrt(252 * w @ covariance @ w), rel=1e-10)
    shares = w * (covariance @ w) / (w @ covariance @ w)
    assert [answer["risk_contributions"][a] for a in prices.columns] == pytest.approx(shares)
    portfolio = returns.to_numpy() @ w
    worst = np.sort(portfolio)[: int(np.ceil(0.05 * 252))]
    assert -answer["cvar_95"] <= worst.max() + 1e-12  # the CVaR is a loss in the worst tail
    assert answer["cvar_95"] == pytest.approx(-worst.mean(), rel=0.1)


def test_allocate_on_an_earlier_date_uses_prices_up_to_it_only(trained, latest, tmp_path):
    out, _ = trained
    date = "2015-06-15"
    full = invoke("allocate", "--model", str(out), "--prices", str(latest), "--date", date,
                  "--format", "json")  # fmt: skip
    cut = tmp_path / "cut.csv"
    ra.scenario("bull-2010").prices.loc[:date].to_csv(cut, index_label="date")
    short = invoke("allocate", "--model", str(out), "--prices", str(cut), "--format", "json")
    assert json.loads(full.output) == json.loads(short.output)
    assert json.loads(full.output)["date"] == date


def test_allocate_prints_a_table_by_default(trained, latest):
    out, _ = trained
    result = invoke("allocate", "--model", str(out), "--prices", str(latest))
    assert result.exit_code == 0
    assert "risk share %" in result.output and "AAPL" in result.output


def _error(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return result.output


def test_mismatched_assets_short_history_and_bad_models_give_one_line(trained, latest, tmp_path):
    out, _ = trained
    fewer = tmp_path / "fewer.csv"
    ra.scenario("bull-2010").prices.drop(columns="GE").to_csv(fewer, index_label="date")
    assert "lacks the asset(s) GE" in _error(
        "allocate", "--model", str(out), "--prices", str(fewer)
    )
    short = tmp_path / "short.csv"
    ra.scenario("bull-2010").prices.iloc[:15].to_csv(short, index_label="date")
    assert "the model needs" in _error("allocate", "--model", str(out), "--prices", str(short))
    bogus = tmp_path / "bogus"
    bogus.mkdir()
    (bogus / "model.json").write_text("[1, 2")
    assert "not valid JSON" in _error("allocate", "--model", str(bogus), "--prices", str(latest))
    assert "no such model folder" in _error(
        "allocate", "--model", str(tmp_path / "none"), "--prices", str(latest)
    )


def test_train_refuses_a_strategy_with_nothing_to_save(tmp_path):
    output = _error("train", "--scenario", "bull-2010", "--strategy", "equal_weight",
                    "--out", str(tmp_path / "m"))  # fmt: skip
    assert "nothing to save" in output


def test_weights_that_leave_cash_report_it_and_cash_takes_no_risk():
    from riskalloc.cli._model_commands import _as_json
    from riskalloc.risk._allocation_risk import allocation_risk

    history = ra.MarketData(ra.scenario("bull-2010").prices)
    weights = pd.Series(0.7 / 8, index=history.assets)
    answer = _as_json(allocation_risk(weights, history.returns))
    assert answer["weights"]["cash"] == pytest.approx(0.3)
    assert sum(answer["weights"].values()) == pytest.approx(1.0)
    assert sum(answer["risk_contributions"].values()) == pytest.approx(1.0)
    assert "cash" not in answer["risk_contributions"]
    full = _as_json(allocation_risk(weights / 0.7, history.returns))
    assert answer["volatility"] == pytest.approx(0.7 * full["volatility"])
    assert answer["cvar_95"] == pytest.approx(0.7 * full["cvar_95"])
