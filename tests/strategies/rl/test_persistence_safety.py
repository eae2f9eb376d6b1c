"""RL model files: the digest covers the manifest, the pickle needs trust, spaces must fit."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

import riskalloc as ra
from riskalloc.core import ConfigError
from riskalloc.strategies import load_model
from riskalloc.strategies._model_files import sealed_digest

SCENARIO = ra.scenario("bull-2010")
TRAIN = ra.MarketData(SCENARIO.prices, name="bull-2010").until(SCENARIO.train_end)


@pytest.fixture(scope="module")
def policy(tmp_path_factory) -> Path:
    from riskalloc.strategies.rl import RLPPO

    torch.set_num_threads(1)
    agent = RLPPO(total_timesteps=64, hidden_size=8, n_layers=1, n_envs=1, episode_length=40)
    return agent.fit(TRAIN).save(tmp_path_factory.mktemp("models") / "ppo")


def _rl_edit(folder: Path, edit, *, reseal: bool) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    edit(manifest)
    if reseal:
        manifest["sha256"] = sealed_digest(manifest, folder / "policy.zip")
    (folder / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("trust", [False, True])
def test_an_rl_manifest_edited_alone_is_detected_trusted_or_not(policy, tmp_path, trust):
    folder = Path(shutil.copytree(policy, tmp_path / "ppo"))
    _rl_edit(folder, lambda m: m["params"].update(gamma=0.5), reseal=False)
    with pytest.raises(ConfigError, match=r"manifest.json or policy.zip was modified"):
        load_model(folder, trust_model=trust)


def test_an_untrusted_policy_is_refused_saying_it_runs_code_from_the_folder(policy):
    with pytest.raises(ConfigError) as error:
        load_model(policy)
    assert str(error.value) == (
        f"{policy / 'policy.zip'} holds pickled Python objects (stable-baselines3's format): "
        f"loading it runs code from {policy}; pass --trust-model (trust_model=True) only for "
        "a folder you made or trust"
    )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m["params"].update(hidden_size=[8]), "'params.hidden_size' must be an integer"),
        (lambda m: m["params"].update(n_envs=10**6), "'n_envs' = 1000000 exceeds 1024"),
        (lambda m: m["actions"].update(scale="5"), "'actions.scale' must be a finite number"),
        (lambda m: m.update(strategy="deep_sharpe"), "not a saved rl strategy"),
        (lambda m: m.update(version=1), "older riskalloc .*train and save the model again"),
    ],
)
def test_an_rl_manifest_outside_the_schema_is_refused_before_the_trust_question(
    policy, tmp_path, edit, message
):
    folder = Path(shutil.copytree(policy, tmp_path / "ppo"))
    _rl_edit(folder, edit, reseal=True)
    with pytest.raises(ConfigError, match=message):
        load_model(folder)


def test_a_resealed_rl_manifest_with_fewer_assets_does_not_fit_the_policy(policy, tmp_path):
    folder = Path(shutil.copytree(policy, tmp_path / "ppo"))
    _rl_edit(folder, lambda m: m.update(assets=m["assets"][:-1]), reseal=True)
    with pytest.raises(ConfigError, match=r"policy.zip does not fit the manifest"):
        load_model(folder, trust_model=True)
