"""`ra.load_model`: every saved kind (deep, ensemble, limited, RL) back to the same weights.

Real bundled data (bull-2010), tiny networks trained for one epoch: the oracle is the
fitted strategy itself, before it was saved.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import riskalloc as ra
from riskalloc.core import ConfigError, RiskallocError
from riskalloc.strategies import LimitedAllocator, Limits, ModelKind, model_kind
from riskalloc.strategies.rl import RLPPO

SCENARIO = ra.scenario("bull-2010")
DATA = ra.MarketData(SCENARIO.prices, name="bull-2010")
TRAIN = DATA.until(SCENARIO.train_end)
TEST_DATES = DATA.dates[DATA.dates > SCENARIO.train_end][:60]
TINY = {
    "retrain_every": None,
    "network": "mlp",
    "epochs": 1,
    "lookback": 10,
    "hidden_size": 4,
    "n_layers": 1,
    "volatility_windows": (5,),
    "ma_windows": (5,),
    "rsi_window": None,
    "drawdown_window": 20,
    "market": False,
}


@pytest.fixture(autouse=True)
def _one_torch_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _assert_same_weights(before, after) -> None:
    expected = before.allocate(DATA, TEST_DATES)
    got = after.allocate(DATA, TEST_DATES)
    assert list(got.columns) == list(expected.columns)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-12)


def test_a_deep_model_round_trips(tmp_path):
    strategy = ra.get_strategy("deep_cvar", seed=1, **TINY).fit(TRAIN)
    folder = strategy.save(tmp_path / "dc")
    assert model_kind(folder) is ModelKind.DEEP
    loaded = ra.load_model(folder)
    assert type(loaded) is type(strategy) and loaded.get_params() == strategy.get_params()
    _assert_same_weights(strategy, loaded)


def test_an_ensemble_round_trips(tmp_path):
    ensemble = ra.get_strategy("deep_ensemble", base="deep_sharpe", members=2, **TINY)
    ensemble.fit(TRAIN)
    folder = ensemble.save(tmp_path / "ens")
    assert model_kind(folder) is ModelKind.ENSEMBLE
    loaded = ra.load_model(folder)
    assert len(loaded.members_) == 2 and loaded.base == "deep_sharpe"
    _assert_same_weights(ensemble, loaded)


def test_a_limited_deep_model_saves_its_limits_and_loads_wrapped_in_them(tmp_path):
    limits = Limits(max_weight=0.3, vol_target=0.08)
    limited = LimitedAllocator(ra.get_strategy("deep_sharpe", **TINY), limits).fit(TRAIN)
    folder = limited.save(tmp_path / "ds-limited")
    saved = json.loads((folder / "model.json").read_text())["params"]["training_limits"]
    assert saved == {"max_weight": 0.3, "vol_target": 0.08}
    loaded = ra.load_model(folder)
    assert isinstance(loaded, LimitedAllocator) and loaded.limits == limits
    assert loaded.name == "deep_sharpe+limits" and loaded.assets_ == limited.assets_
    _assert_same_weights(limited, loaded)
    assert loaded.allocate(DATA, TEST_DATES).max().max() <= 0.3 + 1e-12


def test_limits_that_a_saved_model_cannot_keep_are_refused():
    limits = Limits(max_weight=0.3)
    with pytest.raises(ConfigError, match="'forecast_mvo' does not train under limits"):
        LimitedAllocator(ra.get_strategy("forecast_mvo"), limits).save("unused")
    with pytest.raises(ConfigError, match="nothing to save"):
        LimitedAllocator(ra.get_strategy("equal_weight"), limits).save("unused")


def test_an_rl_policy_loads_only_when_trusted(tmp_path):
    params = {"total_timesteps": 64, "hidden_size": 8, "n_layers": 1, "n_envs": 1}
    policy = RLPPO(episode_length=40, **params).fit(TRAIN)
    folder = policy.save(tmp_path / "ppo")
    assert model_kind(folder) is ModelKind.RL
    with pytest.raises(RiskallocError, match="runs code from") as refused:
        ra.load_model(folder)
    assert isinstance(refused.value, ConfigError) and "trust_model=True" in str(refused.value)
    loaded = ra.load_model(folder, trust_model=True)
    assert type(loaded) is RLPPO
    _assert_same_weights(policy, loaded)


def test_a_folder_that_holds_no_model_is_named(tmp_path):
    with pytest.raises(ConfigError, match="no such model folder"):
        ra.load_model(tmp_path / "absent")
    with pytest.raises(ConfigError, match="not a riskalloc model"):
        ra.load_model(tmp_path)
