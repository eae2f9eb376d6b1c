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
from riskalloc.strategies import load_model

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


# --- RL policies: train, then allocate only with --trust-model --------------------------
RL_TINY = ["--param", "total_timesteps=64", "--param", "hidden_size=8", "--param", "n_envs=1"]


@pytest.fixture(scope="module")
def trained_rl(tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "ppo"
    result = invoke(
        "train", "--scenario", "bull-2010", "--strategy", "rl_ppo", "--seed", "1", *RL_TINY,
        "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def test_allocate_refuses_an_rl_policy_without_trust_model(trained_rl, latest):
    result = runner.invoke(app, ["allocate", "--model", str(trained_rl), "--prices", str(latest)])
    assert result.exit_code == 2
    assert "--trust-model" in result.output and "pickled" in result.output
    assert "Traceback" not in result.output


def test_allocate_with_trust_model_gives_the_policys_weights(trained_rl, latest):
    result = invoke(
        "allocate", "--model", str(trained_rl), "--prices", str(latest), "--trust-model",
        "--date", "2015-06-30", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["date"] == "2015-06-30"
    # The same weights as the policy loaded in Python and replayed over that one date.
    policy = load_model(trained_rl, trust_model=True)
    prices = ra.scenario("bull-2010").prices.loc[:"2015-06-30"]
    expected = policy.allocate(ra.MarketData(prices), prices.index[-1:]).iloc[0]
    got = pd.Series(answer["weights"]).reindex(expected.index)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-12)
    assert sum(answer["risk_contributions"].values()) == pytest.approx(1.0, abs=1e-9)


def test_a_changed_policy_file_is_refused_even_when_trusted(trained_rl, latest, tmp_path):
    import shutil

    copy = tmp_path / "ppo"
    shutil.copytree(trained_rl, copy)
    with open(copy / "policy.zip", "ab") as policy:
        policy.write(b"tampered")
    result = runner.invoke(
        app, ["allocate", "--model", str(copy), "--prices", str(latest), "--trust-model"]
    )
    assert result.exit_code == 2 and "SHA-256" in result.output


def test_preset_full_sets_the_real_budget_and_param_overrides_it():
    from riskalloc.cli._params import parse_params

    params = parse_params([], ["rl_ppo", "deep_cvar", "equal_weight"], "full")
    assert params == {
        "rl_ppo": {"total_timesteps": 1_000_000},
        "deep_cvar": {"epochs": 100, "patience": 10},
        "equal_weight": {},
    }
    assert parse_params(["total_timesteps=500"], ["rl_a2c"], "full")["rl_a2c"] == {
        "total_timesteps": 500
    }
    assert parse_params([], ["rl_a2c"])["rl_a2c"] == {}
    result = runner.invoke(app, ["backtest", "--scenario", "bull-2010",
                                 "--strategy", "rl_ppo", "--preset", "huge"])  # fmt: skip
    assert result.exit_code == 2 and "--preset must be one of default, full" in result.output


def test_agents_train_at_the_runs_costs_and_cash_rate_unless_told_otherwise(tmp_path):
    def trained_at(*extra: str) -> tuple[float, float]:
        out = tmp_path / f"run{len(extra)}"
        result = invoke(
            "backtest", "--scenario", "bull-2010", "--strategy", "rl_a2c", *RL_TINY,
            "--rebalance", "monthly", "--costs-bps", "25", "--risk-free", "0.03", *extra,
            "--out", str(out),
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        config = json.loads((out / "config.json").read_text())
        assert config["backtest"]["costs_bps"] == 25
        params = config["strategies"]["rl_a2c"]
        return params["costs_bps"], params["risk_free"]

    # Unset (None): the agent trains at the run's costs and cash rate, which the backtest
    # hands to fit as its RunContext (tests/backtest/test_engine.py checks what fit gets);
    # --param sets them apart from the run's.
    assert trained_at() == (None, None)
    assert trained_at("--param", "costs_bps=5", "--param", "risk_free=0") == (5, 0)


@pytest.fixture(scope="module")
def trained_limited(tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "dc-limited"
    result = invoke(
        "train", "--scenario", "bull-2010", "--strategy", "deep_cvar", "--seed", "1", *TINY,
        "--limit", "vol_target=0.05", "--limit", "max_weight=0.15", "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def test_a_model_trained_under_limits_saves_them_and_allocate_applies_them_exactly(
    trained_limited, latest
):
    manifest = json.loads((trained_limited / "model.json").read_text())
    assert manifest["params"]["training_limits"] == {"max_weight": 0.15, "vol_target": 0.05}
    result = invoke(
        "allocate", "--model", str(trained_limited), "--prices", str(latest), "--format", "json"
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    prices = ra.scenario("bull-2010").prices
    history = ra.MarketData(prices)
    from riskalloc.strategies.limits import LimitedAllocator, Limits

    expected = LimitedAllocator(
        load_model(trained_limited), Limits(max_weight=0.15, vol_target=0.05)
    ).allocate(history, history.dates[-1:])
    risky = {asset: w for asset, w in answer["weights"].items() if asset != "cash"}
    assert risky == pytest.approx(expected.iloc[0].to_dict(), abs=1e-15)
    assert max(risky.values()) <= 0.15 + 1e-12
    # The 60-day volatility the limit measures is at most the 5 % target.
    w = expected.iloc[0].to_numpy()
    covariance = np.cov(history.returns.iloc[-60:].to_numpy(), rowvar=False)
    assert np.sqrt(252 * w @ covariance @ w) <= 0.05 + 1e-12
    assert answer["weights"]["cash"] == pytest.approx(1 - w.sum(), abs=1e-12)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--limit", "max_turnover=0.2"], "train --limit max_turnover"),
        (["--param", "training_limits=vol_target:0.1"], "--param training_limits: set by --limit"),
    ],
)
def test_train_refuses_limits_a_saved_model_cannot_apply(args, message, tmp_path):
    result = runner.invoke(
        app,
        ["train", "--scenario", "bull-2010", "--strategy", "deep_cvar", *args,
         "--out", str(tmp_path / "m")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_train_limits_on_a_strategy_that_cannot_train_under_them_is_refused(tmp_path):
    result = runner.invoke(
        app,
        ["train", "--scenario", "bull-2010", "--strategy", "forecast_mvo",
         "--limit", "vol_target=0.1", "--out", str(tmp_path / "m")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "'forecast_mvo' does not train under limits" in result.output
