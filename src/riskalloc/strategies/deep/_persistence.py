"""Saving and loading a fitted deep strategy: ``model.safetensors`` + ``model.json``, no pickle.

``model.safetensors`` holds the tensors only (the network's parameters and
buffers under ``model.``, any other fitted tensors under ``extra.``);
``model.json`` holds everything else as plain JSON: the strategy's registered
name and parameters, the asset names, the feature builder's state (feature
names and the scaler statistics fitted on the training span), the training
span and history, versions, and the SHA-256 of the tensor file. Loading
rebuilds the strategy from its name and parameters and fills in the tensors;
nothing is ever unpickled.

A saved strategy's name becomes its class through the ``strategy_class`` the
caller hands in (:func:`riskalloc.load_model` hands in the registry's), so this
module knows no strategy and no registry.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from riskalloc.core import ConfigError, RunContext, atomic_write, write_json
from riskalloc.features import FeatureBuilder, load_extra_features
from riskalloc.strategies._model_files import (
    StrategyClass,
    file_sha256,
    package_version,
    params_from_json,
    params_to_json,
)

__all__ = [
    "MANIFEST_FILE",
    "MODEL_FORMAT",
    "TENSORS_FILE",
    "load_deep_model",
    "read_manifest",
    "save_ensemble",
    "save_model",
]

MODEL_FORMAT = "riskalloc.model"
MODEL_VERSION = 1
TENSORS_FILE = "model.safetensors"
MANIFEST_FILE = "model.json"


def save_model(strategy: Any, directory: str | Path) -> Path:
    """Write a fitted deep strategy to ``directory`` (created if needed); returns it.

    What ``strategy.save(directory)`` does (an ensemble's goes to :func:`save_ensemble`).

    Examples
    --------
    >>> strategy = ra.get_strategy("deep_cvar", epochs=5).fit(train)      # doctest: +SKIP
    >>> strategy.save("models/dc")                                         # doctest: +SKIP
    >>> ra.load_model("models/dc").allocate(history, history.dates[-1:])   # doctest: +SKIP
    """
    if hasattr(strategy, "members_"):
        return save_ensemble(strategy, directory)
    if not hasattr(strategy, "model_"):
        raise ConfigError(f"{strategy.name}: fit the strategy before saving it")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    extra_values, extra_tensors = strategy.extra_state()
    tensors = {
        **{f"model.{k}": v for k, v in strategy.model_.state_dict().items()},
        **{f"extra.{k}": v for k, v in extra_tensors.items()},
    }
    tensors = {key: value.detach().cpu().contiguous().clone() for key, value in tensors.items()}
    atomic_write(directory / TENSORS_FILE, lambda target: save_file(tensors, str(target)))
    history = getattr(strategy, "history_", None)
    manifest = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "strategy": strategy.name,
        "params": params_to_json(strategy.get_params()),
        "assets": [str(asset) for asset in strategy.assets_],
        "features": strategy.features_.state_dict(),
        "training": {
            "end": str(pd.Timestamp(strategy.fit_end_).date()),
            # The run context it trained under: walk-forward refits of the loaded model
            # train under it too.
            "context": _context_to_json(strategy.context_),
            "best_epoch": None if history is None else history.best_epoch,
            "train_loss": None if history is None else history.train_loss,
            "validation_loss": None if history is None else history.validation_loss,
        },
        "extra": params_to_json(extra_values),
        "versions": _versions(),
        "sha256": file_sha256(directory / TENSORS_FILE),
    }
    write_json(directory / MANIFEST_FILE, manifest)
    return directory


def read_manifest(directory: str | Path) -> dict[str, Any]:
    """``model.json`` of a saved model, checked for format and version."""
    directory = Path(directory)
    path = directory / MANIFEST_FILE
    if not directory.is_dir():
        raise ConfigError(f"{directory}: no such model folder")
    if not path.is_file():
        raise ConfigError(
            f"{directory}: not a riskalloc model (needs {MANIFEST_FILE} and {TENSORS_FILE}; "
            "write one with `riskalloc train`)"
        )
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MODEL_FORMAT:
        raise ConfigError(f"{path}: not a riskalloc model manifest (format != {MODEL_FORMAT!r})")
    if manifest.get("version") != MODEL_VERSION:
        raise ConfigError(
            f"{path}: model format version {manifest.get('version')!r} is not supported "
            f"(this riskalloc reads version {MODEL_VERSION})"
        )
    keys = ("strategy", "params", "assets", "members")
    if "members" not in manifest:
        keys = ("strategy", "params", "assets", "features", "training", "sha256")
        if not (directory / TENSORS_FILE).is_file():
            raise ConfigError(f"{directory}: {TENSORS_FILE} is missing")
    missing = [key for key in keys if key not in manifest]
    if missing:
        raise ConfigError(f"{path}: the manifest lacks {', '.join(missing)}")
    return manifest


def load_deep_model(
    directory: str | Path,
    strategy_class: StrategyClass,
    *,
    device: str = "cpu",
    extra_features: str | Path | None = None,
) -> Any:
    """The fitted strategy (or ensemble) saved in ``directory``, ready to ``allocate``.

    ``strategy_class`` turns the saved strategy name into its class. ``device``
    overrides where it runs (saved models load on the CPU by default);
    ``extra_features`` points at the user feature file when the model was trained
    with one and it has moved (or has newer rows). Users call
    :func:`riskalloc.load_model`, which also wraps a model saved with limits in them.
    """
    directory = Path(directory)
    manifest = read_manifest(directory)
    if "members" in manifest:
        return _load_ensemble(directory, manifest, strategy_class, device, extra_features)
    tensors_path = directory / TENSORS_FILE
    if file_sha256(tensors_path) != manifest["sha256"]:
        raise ConfigError(
            f"{tensors_path}: SHA-256 differs from the one in {MANIFEST_FILE}; the model files "
            "do not belong together or were modified"
        )
    params = params_from_json(manifest["params"])
    params["device"] = device
    if extra_features is not None:
        params["extra_features"] = str(extra_features)
    strategy = _new_strategy(strategy_class, manifest, params, directory)
    try:
        tensors = load_file(str(tensors_path), device=device)
    except (SafetensorError, OSError) as error:
        raise ConfigError(f"{tensors_path}: not a readable safetensors file ({error})") from None
    extra = params.get("extra_features")
    features = FeatureBuilder.from_state_dict(
        manifest["features"], extra=None if extra is None else load_extra_features(extra)
    )
    strategy.assets_ = list(manifest["assets"])
    strategy.features_ = features
    strategy.fit_end_ = pd.Timestamp(manifest["training"]["end"])
    strategy.context_ = _context_from_json(manifest["training"].get("context"), tensors_path)
    model = strategy.build_model(features.n_features, len(strategy.assets_))
    state = {k.removeprefix("model."): v for k, v in tensors.items() if k.startswith("model.")}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as error:
        first = str(error).strip().splitlines()[0]
        raise ConfigError(
            f"{tensors_path}: tensors do not fit a {manifest['strategy']} model with these "
            f"parameters ({first})"
        ) from None
    model.eval()
    strategy.model_ = model
    strategy.load_extra_state(
        manifest.get("extra", {}),
        {k.removeprefix("extra."): v for k, v in tensors.items() if k.startswith("extra.")},
    )
    return strategy


def save_ensemble(ensemble: Any, directory: str | Path) -> Path:
    """Write each member of a fitted ensemble to ``member_K/`` and a ``model.json`` naming them."""
    if not hasattr(ensemble, "members_"):
        raise ConfigError(f"{ensemble.name}: fit the strategy before saving it")
    directory = Path(directory)
    names = [f"member_{k}" for k in range(len(ensemble.members_))]
    for name, member in zip(names, ensemble.members_, strict=True):
        save_model(member, directory / name)
    manifest = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "strategy": ensemble.name,
        "params": params_to_json(ensemble.explicit_params()),
        "assets": [str(asset) for asset in ensemble.assets_],
        "members": names,
        "versions": _versions(),
    }
    write_json(directory / MANIFEST_FILE, manifest)
    return directory


def _load_ensemble(
    directory: Path,
    manifest: dict[str, Any],
    strategy_class: StrategyClass,
    device: str,
    extra_features: str | Path | None,
) -> Any:
    params = params_from_json(manifest["params"])
    params["device"] = device
    ensemble = _new_strategy(strategy_class, manifest, params, directory)
    members = manifest["members"]
    if not isinstance(members, list) or not members:
        raise ConfigError(f"{directory / MANIFEST_FILE}: 'members' must be a non-empty list")
    ensemble.members_ = []
    for name in members:
        if not isinstance(name, str) or Path(name).name != name:
            raise ConfigError(f"{directory / MANIFEST_FILE}: member {name!r} is not a folder name")
        member = load_deep_model(
            directory / name, strategy_class, device=device, extra_features=extra_features
        )
        if member.assets_ != list(manifest["assets"]):
            raise ConfigError(f"{directory / name}: assets differ from the ensemble's")
        ensemble.members_.append(member)
    ensemble.assets_ = list(manifest["assets"])
    ensemble.fit_end_ = ensemble.members_[0].fit_end_
    return ensemble


def _versions() -> dict[str, str]:
    return {"riskalloc": package_version("riskalloc"), "torch": torch.__version__}


def _new_strategy(
    strategy_class: StrategyClass, manifest: dict[str, Any], params: dict[str, Any], where: Path
) -> Any:
    """The saved strategy, unfitted, from its name and parameters (checked against its class)."""
    cls = strategy_class(manifest["strategy"])
    known = cls.param_names()
    unknown = [key for key in params if key not in known]
    if unknown:
        raise ConfigError(
            f"{where / MANIFEST_FILE}: strategy '{manifest['strategy']}' has no parameter "
            f"'{unknown[0]}'; the model was saved by another version of riskalloc"
        )
    return cls(**params)


def _context_to_json(context: RunContext) -> dict[str, Any]:
    return {
        "costs_bps": context.costs_bps,
        "risk_free": context.risk_free,
        "periods_per_year": context.periods_per_year,
        "rebalance": str(context.rebalance),
    }


def _context_from_json(values: Any, where: Path) -> RunContext:
    """The saved run context (the default one for folders written before it was saved)."""
    if values is None:
        return RunContext()
    if not isinstance(values, dict):
        raise ConfigError(f"{where.parent / MANIFEST_FILE}: 'training.context' is not a mapping")
    try:
        return RunContext(
            costs_bps=float(values["costs_bps"]),
            risk_free=float(values["risk_free"]),
            periods_per_year=int(values["periods_per_year"]),
            rebalance=str(values["rebalance"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ConfigError(
            f"{where.parent / MANIFEST_FILE}: 'training.context' is not valid ({error})"
        ) from None
