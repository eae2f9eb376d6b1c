"""Saving and loading a trained RL allocator: stable-baselines3's zip plus a JSON manifest.

stable-baselines3 stores a model as a zip whose ``data`` entry holds pickled
objects, so loading one can run code. :func:`load_allocator` therefore refuses
unless the caller says it trusts the file (``trust_model=True``, ``--trust-model`` on
the command line), and refuses a zip whose SHA-256 differs from the manifest's.
The saved strategy name becomes its class through the ``strategy_class`` the caller
hands in (:func:`riskalloc.load_model` hands in the registry's).
"""

from __future__ import annotations

import json
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from riskalloc.core import ConfigError, write_json
from riskalloc.features import FeatureBuilder
from riskalloc.strategies._model_files import (
    StrategyClass,
    file_sha256,
    params_from_json,
    params_to_json,
)
from riskalloc.strategies.rl._actions import CandidateActions, SoftmaxActions

__all__ = ["MANIFEST", "POLICY", "load_allocator", "save_allocator"]

POLICY = "policy.zip"
MANIFEST = "manifest.json"
MANIFEST_KIND = "riskalloc.strategies.rl"
MANIFEST_VERSION = 1
_PACKAGES = ("riskalloc", "stable-baselines3", "gymnasium", "torch", "numpy")


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "unknown"
    return versions


def _action_state(actions: SoftmaxActions | CandidateActions) -> dict[str, Any]:
    if isinstance(actions, SoftmaxActions):
        return {"kind": "softmax", "scale": actions.scale, "cash": actions.cash}
    return {"kind": "candidates", "names": actions.names, "weights": actions.candidates.tolist()}


def _actions_from_state(state: dict[str, Any], n_assets: int) -> SoftmaxActions | CandidateActions:
    if state["kind"] == "softmax":
        return SoftmaxActions(n_assets, float(state["scale"]), cash=bool(state["cash"]))
    return CandidateActions(np.asarray(state["weights"], dtype=float), list(state["names"]))


def save_allocator(allocator: Any, directory: str | Path) -> Path:
    """Write ``policy.zip`` and ``manifest.json`` for a fitted allocator; returns the folder."""
    if not hasattr(allocator, "model_"):
        raise ConfigError(f"{allocator.name}: call fit(train) before save()")
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
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
        "policy_sha256": file_sha256(policy),
    }
    write_json(folder / MANIFEST, manifest)
    return folder


def load_allocator(
    directory: str | Path,
    strategy_class: StrategyClass,
    *,
    trust_model: bool = False,
    device: str | None = None,
) -> Any:
    """A fitted allocator from :func:`save_allocator`'s folder.

    ``strategy_class`` turns the saved strategy name into its class; ``device``
    overrides the saved one. Raises :class:`~riskalloc.ConfigError` unless
    ``trust_model`` is True (loading the policy zip runs code from the folder), and
    when ``policy.zip`` does not match the manifest's SHA-256. Users call
    :func:`riskalloc.load_model` or :meth:`RLAllocator.load`.
    """
    folder = Path(directory)
    manifest_path, policy = folder / MANIFEST, folder / POLICY
    if not manifest_path.is_file() or not policy.is_file():
        raise ConfigError(f"{folder}: not a saved RL model (needs {MANIFEST} and {POLICY})")
    try:
        manifest = json.loads(manifest_path.read_text())
    except json.JSONDecodeError as error:
        raise ConfigError(f"{manifest_path}: not valid JSON ({error})") from error
    if not isinstance(manifest, dict) or manifest.get("kind") != MANIFEST_KIND:
        raise ConfigError(f"{manifest_path}: not a riskalloc RL manifest")
    if not trust_model:
        raise ConfigError(
            f"{policy}: loading this RL policy runs code from {folder} (stable-baselines3's "
            "zip holds pickled objects); load it only from a source you trust, with "
            "--trust-model (trust_model=True)"
        )
    if file_sha256(policy) != manifest.get("policy_sha256"):
        raise ConfigError(
            f"{policy}: SHA-256 differs from {MANIFEST}; the file was changed or replaced, "
            "refusing to load it"
        )
    cls = strategy_class(manifest["strategy"])
    names = set(cls.param_names())
    params = {k: v for k, v in params_from_json(manifest["params"]).items() if k in names}
    if device is not None:
        params["device"] = device
    allocator = cls(**params)
    allocator.assets_ = list(manifest["assets"])
    allocator.features_ = FeatureBuilder.from_state_dict(manifest["features"])
    allocator.actions_ = _actions_from_state(manifest["actions"], len(allocator.assets_))
    if isinstance(allocator.actions_, CandidateActions):
        allocator.candidates_ = allocator.actions_.candidates
    allocator.model_ = cls.algorithm.load(policy, device=allocator.device)
    return allocator
