"""Saving an RL allocator: SB3's zip plus a manifest; loading needs trust and a matching hash."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

import riskalloc as ra
from riskalloc.core import ConfigError
from riskalloc.strategies.rl import RLDQN, RLPPO, RLAllocator

torch.set_num_threads(1)

TINY = {"total_timesteps": 200, "hidden_size": 8, "n_layers": 1, "episode_length": 40}


@pytest.fixture(scope="module")
def market():
    rng = np.random.default_rng(0)
    dates = pd.bdate_range("2010-01-01", periods=200)
    prices = 100 * np.cumprod(1 + rng.normal(3e-4, 0.01, size=(200, 3)), axis=0)
    return ra.MarketData(pd.DataFrame(prices, index=dates, columns=["X", "Y", "Z"]))


@pytest.mark.parametrize("name", ["rl_ppo", "rl_dqn"])
def test_a_saved_allocator_loads_back_to_the_same_weights(market, tmp_path, name):
    strategy = ra.get_strategy(name, **TINY, volatility_windows=(5, 10), cash=True)
    strategy.fit(market.until(market.dates[149]))
    dates = market.dates[150::3]
    expected = strategy.allocate(market, dates)
    strategy.save(tmp_path / "model")

    manifest = json.loads((tmp_path / "model" / "manifest.json").read_text())
    assert manifest["strategy"] == name
    assert manifest["assets"] == ["X", "Y", "Z"]
    assert manifest["params"]["volatility_windows"] == [5, 10]
    assert manifest["features"]["mean"] and manifest["features"]["std"]  # frozen normalisation
    assert {"stable-baselines3", "gymnasium", "torch"} <= set(manifest["versions"])
    assert len(manifest["sha256"]) == 64  # over the manifest and policy.zip together

    loaded = RLAllocator.load(tmp_path / "model", trust_model=True)
    assert type(loaded) is type(strategy)
    assert loaded.get_params() == strategy.get_params()
    pd.testing.assert_frame_equal(loaded.allocate(market, dates), expected)


def test_loading_without_trust_is_refused_with_one_line_naming_the_flag(market, tmp_path):
    RLPPO(**TINY).fit(market).save(tmp_path)
    with pytest.raises(ConfigError, match="--trust-model") as error:
        RLAllocator.load(tmp_path)
    assert "\n" not in str(error.value)


def test_a_changed_policy_file_is_refused(market, tmp_path):
    RLDQN(**TINY).fit(market).save(tmp_path)
    policy = tmp_path / "policy.zip"
    policy.write_bytes(policy.read_bytes() + b"\0")
    with pytest.raises(ConfigError, match="SHA-256"):
        RLAllocator.load(tmp_path, trust_model=True)


def test_loading_as_another_agent_or_from_an_empty_folder_is_refused(market, tmp_path):
    RLDQN(**TINY).fit(market).save(tmp_path / "dqn")
    with pytest.raises(ConfigError, match="'rl_dqn' model, not 'rl_ppo'"):
        RLPPO.load(tmp_path / "dqn", trust_model=True)
    with pytest.raises(ConfigError, match="not a saved RL model"):
        RLAllocator.load(tmp_path / "nothing", trust_model=True)


def test_save_before_fit_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="fit"):
        RLPPO().save(tmp_path)
