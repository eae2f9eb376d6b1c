"""Training can be seen: every deep fit and RL agent keeps its curve, the report draws it,
and ``--tensorboard`` writes it as TensorBoard event files that TensorBoard reads back."""

from __future__ import annotations

import numpy as np
import pytest

import riskalloc as ra

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

DEEP = {"network": "mlp", "hidden_size": 8, "epochs": 4, "refit_epochs": 2, "retrain_every": 120}


@pytest.fixture(scope="module")
def results():
    scenario = ra.scenario("bull-2010")
    backtested = {"deep_sharpe": [], "rl_a2c": []}
    for seed in range(2):
        backtested["deep_sharpe"].append(
            ra.backtest(
                scenario, ra.get_strategy("deep_sharpe", seed=seed, **DEEP), rebalance="weekly"
            )
        )
        backtested["rl_a2c"].append(
            ra.backtest(
                scenario,
                ra.get_strategy("rl_a2c", seed=seed, total_timesteps=3000),
                rebalance="weekly",
            )
        )
    backtested["equal_weight"] = ra.backtest(scenario, ra.get_strategy("equal_weight"))
    return scenario, backtested


def test_every_fit_keeps_its_curve(results):
    _, backtested = results
    log = backtested["deep_sharpe"][0].training_log
    refits = log["fit"].max()
    assert refits >= 2  # the first fit and the walk-forward refits
    first = log[log["fit"] == 0]
    assert list(first["epoch"]) == list(range(len(first))) and 1 <= len(first) <= 4
    # Exactly one kept epoch per fit: the lowest validation objective (early stopping).
    for _, fit in log.groupby("fit"):
        assert fit["chosen"].sum() == 1
        assert fit.loc[fit["chosen"], "validation_loss"].iloc[0] == fit["validation_loss"].min()
    episodes = backtested["rl_a2c"][0].training_log
    assert len(episodes) > 5 and np.isfinite(episodes["episode_reward"]).all()
    assert episodes["timestep"].is_monotonic_increasing
    assert backtested["equal_weight"].training_log is None


def test_the_report_draws_one_line_per_seed(results):
    scenario, backtested = results
    run = ra.report.Run.from_results(backtested, prices=scenario)
    figure = ra.report.training_curves(run)
    names = {trace.name for trace in figure.data}
    assert {"deep_sharpe / 0", "deep_sharpe / 1", "rl_a2c / 0", "rl_a2c / 1"} <= names
    assert any(trace.marker.symbol == "star" for trace in figure.data if trace.mode == "markers")


def test_tensorboard_reads_back_the_curves(results, tmp_path):
    scenario, backtested = results
    run = ra.report.Run.from_results(backtested, prices=scenario)
    folders = ra.report.write_tensorboard(run, tmp_path / "tb")
    assert len(folders) == 4
    deep = EventAccumulator(str(tmp_path / "tb" / run.scenarios[0] / "deep_sharpe" / "seed-0"))
    deep.Reload()
    log = backtested["deep_sharpe"][0].training_log
    first = log[log["fit"] == 0]
    validation = [event.value for event in deep.Scalars("objective/validation")]
    np.testing.assert_allclose(validation, first["validation_loss"], rtol=1e-6)
    rl = EventAccumulator(str(tmp_path / "tb" / run.scenarios[0] / "rl_a2c" / "seed-1"))
    rl.Reload()
    steps = [event.step for event in rl.Scalars("episode_reward")]
    assert steps == list(backtested["rl_a2c"][1].training_log["timestep"])


def test_a_benchmark_stores_the_curves_and_writes_tensorboard(tmp_path):
    from typer.testing import CliRunner

    from riskalloc.cli import app

    out, board = tmp_path / "run", tmp_path / "board"
    result = CliRunner().invoke(app, [
        "benchmark", "--scenario", "bull-2010", "--strategies", "equal_weight,deep_sharpe",
        "--param", "network=mlp", "--param", "hidden_size=8", "--param", "epochs=2",
        "--param", "retrain_every=none", "--rebalance", "monthly", "--workers", "1",
        "--no-progress", "--out", str(out), "--tensorboard", str(board),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    stored = ra.report.Run.load(out).training_of("bull-2010")
    assert set(stored["strategy"]) == {"deep_sharpe"} and stored["chosen"].sum() == 1
    assert "training" in (out / "report.html").read_text()
    events = EventAccumulator(str(board / "bull-2010" / "deep_sharpe" / "seed-0"))
    events.Reload()
    assert len(events.Scalars("objective/training")) == len(stored)
