"""RL agents report their timesteps to a listener (about a hundred times a run), and the
listener changes nothing: the callback only reads the agent's step count."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import riskalloc as ra
from riskalloc.strategies import TrainingStep, TrainingUnit, reporting_training

TINY = {"total_timesteps": 400, "hidden_size": 8, "n_layers": 1, "episode_length": 50}


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def market() -> ra.MarketData:
    rng = np.random.default_rng(0)
    returns = rng.normal(0.0003, 0.01, size=(300, 3))
    prices = pd.DataFrame(
        100 * np.cumprod(1 + returns, axis=0),
        index=pd.bdate_range("2001-01-01", periods=300),
        columns=["A", "B", "C"],
    )
    return ra.MarketData(prices, name="random")


@pytest.mark.parametrize("name", ["rl_a2c", "rl_ppo"])
def test_timesteps_are_reported_in_order_up_to_the_total_and_change_nothing(market, name):
    dates = market.dates[-20:]
    steps: list[TrainingStep] = []
    watched = ra.get_strategy(name, seed=0, **TINY)
    with reporting_training(steps.append):
        watched.fit(market.until(dates[0]))
    quiet = ra.get_strategy(name, seed=0, **TINY).fit(market.until(dates[0]))
    assert {step.unit for step in steps} == {TrainingUnit.TIMESTEP}
    assert {step.total for step in steps} == {TINY["total_timesteps"]}
    done = [step.done for step in steps]
    assert done == sorted(set(done)) and done[-1] >= TINY["total_timesteps"]
    # One report a hundredth of the total (PPO's last rollout may run past the total).
    assert len(steps) <= 1 + 100 * done[-1] / TINY["total_timesteps"]
    pd.testing.assert_frame_equal(
        watched.allocate(market, dates), quiet.allocate(market, dates), check_exact=True
    )
