"""Saving and loading a trained RL allocator: stable-baselines3's zip plus a JSON manifest.

stable-baselines3 stores a model as a zip whose ``data`` entry holds pickled
objects, so loading one runs code from the folder. :func:`load_allocator` therefore
refuses unless the caller says it trusts the folder (``trust_model=True``,
``--trust-model`` on the command line): that flag is the only door to the pickle.

Before that door, everything that can be checked without running the folder's code
is: the manifest's size, depth and JSON, its kind and format version, its schema
(:mod:`~riskalloc.strategies._model_schema`: parameters, assets, feature scaler, the
action mapping), the policy's size, and ``sha256``, the digest of the manifest and
``policy.zip`` together, so an edited manifest is refused like an edited policy. The
digest tells that files changed after riskalloc wrote them; it cannot tell whether the
folder came from someone you trust, which is what ``--trust-model`` asserts. After
loading, the policy's observation and action spaces must match the manifest's assets
and actions.

Format version 2 (this one) seals manifest and policy together; version 1 sealed the
policy only and is refused with a request to train and save the model again.
"""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

import numpy as np

from riskalloc.core import ConfigError, package_version
from riskalloc.features import FeatureBuilder
from riskalloc.strategies._model_files import (
    RL_KIND,
    RL_MANIFEST,
    RL_POLICY,
    StrategyClass,
    check_payload,
    params_from_json,
    params_to_json,
    read_json_file,
    verify_digest,
    write_sealed,
)
from riskalloc.strategies._model_folder import prepare_model_folder
from riskalloc.strategies._model_schema import MAX_ASSETS, ManifestCheck, check_param_bounds
from riskalloc.strategies.rl._actions import CandidateActions, SoftmaxActions

__all__ = ["MANIFEST", "POLICY", "load_allocator", "save_allocator"]

POLICY = RL_POLICY
MANIFEST = RL_MANIFEST
MANIFEST_KIND = RL_KIND
MANIFEST_VERSION = 2
_PACKAGES = ("riskalloc", "stable-baselines3", "gymnasium", "torch", "numpy")


def _versions() -> dict[str, str]:
    return {"python": platform.python_version()} | {p: package_version(p) for p in _PACKAGES}


def _action_state(actions: SoftmaxActions | CandidateActions) -> dict[str, Any]:
    if isinstance(actions, SoftmaxActions):
        return {"kind": "softmax", "scale": actions.scale, "cash": actions.cash}
    return {"kind": "candidates", "names": actions.names, "weights": actions.candidates.tolist()}


def _check_actions(check: ManifestCheck, value: Any, n_assets: int) -> None:
    """The action mapping: a softmax scale, or candidate weights (one row per name)."""
    state = check.mapping(value, "actions")
    if state.get("kind") == "softmax":
        check.number(state.get("scale"), "actions.scale", positive=True)
        if not isinstance(state.get("cash"), bool):
            check.fail("actions.cash", f"must be true or false, got {state.get('cash')!r:.40}")
        return
    if state.get("kind") != "candidates":
        check.fail("actions.kind", "must be 'softmax' or 'candidates'")
    names = check.names(state.get("names"), "actions.names", MAX_ASSETS + 16)
    weights = state.get("weights")
    if not isinstance(weights, list) or len(weights) != len(names):
        check.fail("actions.weights", f"must list {len(names)} rows, one per candidate")
    for k, row in enumerate(weights):
        if not isinstance(row, list) or len(row) != n_assets:
            check.fail(f"actions.weights[{k}]", f"must hold {n_assets} weights, one per asset")
        total = sum(check.number(w, f"actions.weights[{k}]", low=0) for w in row)
        if total > 1 + 1e-9:
            check.fail(f"actions.weights[{k}]", f"sums to {total:.6g} > 1")


def _actions_from_state(state: dict[str, Any], n_assets: int) -> SoftmaxActions | CandidateActions:
    if state["kind"] == "softmax":
        return SoftmaxActions(n_assets, float(state["scale"]), cash=bool(state["cash"]))
    return CandidateActions(np.asarray(state["weights"], dtype=float), list(state["names"]))


def save_allocator(allocator: Any, directory: str | Path) -> Path:
    """Write ``policy.zip`` and ``manifest.json`` for a fitted allocator; returns the folder.

    ``directory`` must be new, empty or a riskalloc model folder (whose files are
    replaced); a folder holding anything else is refused.
    """
    if not hasattr(allocator, "model_"):
        raise ConfigError(f"{allocator.name}: call fit(train) before save()")
    check_param_bounds(params_to_json(allocator.get_params()), allocator.name)
    folder = prepare_model_folder(directory)
    policy = folder / POLICY
    allocator.model_.save(policy)
    manifest = {
        "kind": MANIFEST_KIND,
        "version": MANIFEST_VERSION,
        "strategy": allocator.name,
        "algorithm": type(allocator.model_).__name__,
        "params": params_to_json(allocator.get_params()),
        "assets": list(map(str, allocator.assets_)),
        "features": allocator.features_.state_dict(),
        "actions": _action_state(allocator.actions_),
        "versions": _versions(),
    }
    write_sealed(folder / MANIFEST, manifest, policy)
    return folder


def _read_manifest(folder: Path, strategy_class: StrategyClass) -> tuple[dict[str, Any], type]:
    """The checked manifest of an RL folder and the class it names (nothing unpickled)."""
    path, policy = folder / MANIFEST, folder / POLICY
    if not path.is_file() or not policy.is_file():
        raise ConfigError(f"{folder}: not a saved RL model (needs {MANIFEST} and {POLICY})")
    manifest = read_json_file(path)
    if not isinstance(manifest, dict) or manifest.get("kind") != MANIFEST_KIND:
        raise ConfigError(f"{path}: not a riskalloc RL manifest")
    version = manifest.get("version")
    if version == 1:
        raise ConfigError(
            f"{path}: saved by an older riskalloc (RL format 1), whose SHA-256 does not cover "
            f"{MANIFEST}, so changes to it cannot be detected; train and save the model again"
        )
    if version != MANIFEST_VERSION:
        raise ConfigError(
            f"{path}: RL format version {str(version)[:20]!r} is not supported (this riskalloc "
            f"reads version {MANIFEST_VERSION})"
        )
    check = ManifestCheck(path)
    cls = check.strategy(manifest.get("strategy"), strategy_class, "rl")
    check.string(manifest.get("algorithm"), "algorithm", 64)
    params = check.params(manifest.get("params"), cls)
    assets = check.assets(manifest.get("assets"))
    check.features(manifest.get("features"), params.get("lookback", cls().lookback))
    _check_actions(check, manifest.get("actions"), len(assets))
    check.plain_values(manifest.get("versions", {}), "versions")
    check_payload(policy, path)
    verify_digest(manifest, policy, path)
    return manifest, cls


def load_allocator(
    directory: str | Path,
    strategy_class: StrategyClass,
    *,
    trust_model: bool = False,
    device: str | None = None,
) -> Any:
    """A fitted allocator from :func:`save_allocator`'s folder.

    ``strategy_class`` turns the saved strategy name into its class; ``device``
    overrides the saved one. Users call :func:`riskalloc.load_model` or
    :meth:`RLAllocator.load`.

    Raises
    ------
    ConfigError
        One line: a manifest that is not valid or a digest that does not match (checked
        first, running nothing from the folder); then, unless ``trust_model`` is True,
        a refusal saying that loading the policy runs code from the folder; after
        loading, a policy whose spaces differ from the manifest's assets and actions.
    """
    folder = Path(directory)
    manifest, cls = _read_manifest(folder, strategy_class)
    path, policy = folder / MANIFEST, folder / POLICY
    if not trust_model:
        raise ConfigError(
            f"{policy} holds pickled Python objects (stable-baselines3's format): loading it "
            f"runs code from {folder}; pass --trust-model (trust_model=True) only for a folder "
            "you made or trust"
        )
    params = params_from_json(manifest["params"])
    if device is not None:
        params["device"] = device
    try:
        allocator = cls(**params)
        allocator._check_parameters()
        allocator.features_ = FeatureBuilder.from_state_dict(manifest["features"])
    except (ConfigError, KeyError, TypeError, ValueError) as error:
        raise ConfigError(f"{path}: the saved strategy is not valid ({error})") from None
    allocator.assets_ = list(manifest["assets"])
    allocator.actions_ = _actions_from_state(manifest["actions"], len(allocator.assets_))
    if isinstance(allocator.actions_, CandidateActions):
        allocator.candidates_ = allocator.actions_.candidates
    allocator.model_ = cls.algorithm.load(policy, device=allocator.device)
    _check_spaces(allocator, path)
    return allocator


def _check_spaces(allocator: Any, path: Path) -> None:
    """The policy observes and acts on what the manifest says (its assets, features, actions)."""
    features = allocator.features_
    n_assets = len(allocator.assets_)
    observed = features.n_features * features.lookback * n_assets
    observed += n_assets + int(allocator.actions_.cash)
    got = getattr(allocator.model_.observation_space, "shape", None)
    if got != (observed,) or allocator.model_.action_space != allocator.actions_.space:
        raise ConfigError(
            f"{path}: {POLICY} does not fit the manifest (it observes {got} and acts in "
            f"{allocator.model_.action_space}; the manifest's {n_assets} assets imply "
            f"({observed},) and {allocator.actions_.space})"
        )
