"""Saving and loading a fitted deep strategy: ``model.safetensors`` + ``model.json``, no pickle.

``model.safetensors`` holds the tensors only (the network's parameters and
buffers under ``model.``, any other fitted tensors under ``extra.``);
``model.json`` holds everything else as plain JSON: the strategy's registered
name and parameters, the asset names, the feature builder's state (feature
names and the scaler statistics fitted on the training span), the training
span and history, versions, and ``sha256``, the digest of the manifest and the
tensors together (see :mod:`riskalloc.strategies._model_files`).

Loading checks before it builds anything, in this order: the manifest's size, depth
and JSON; its format and version; its schema (:mod:`~riskalloc.strategies._model_schema`:
types, names, bounds); the tensor file's size; the digest; then the shape of every
tensor in the file's header against a template of the network built on torch's
``meta`` device (which allocates nothing). Only then is the network built and filled
in; nothing is ever unpickled.

Format version 2 (this one) seals manifest and tensors together. Version 1 sealed the
tensors only, so an edited ``model.json`` went unnoticed; such folders are refused with
a request to train and save the model again.

A saved strategy's name becomes its class through the ``strategy_class`` the
caller hands in (:func:`riskalloc.load_model` hands in the registry's), so this
module knows no strategy and no registry.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from riskalloc.core import ConfigError, RiskallocError, RunContext, atomic_write, package_version
from riskalloc.features import FeatureBuilder, load_extra_features
from riskalloc.strategies._model_files import (
    DEEP_FORMAT,
    DEEP_MANIFEST,
    TENSORS_FILE,
    StrategyClass,
    check_payload,
    params_from_json,
    params_to_json,
    read_json_file,
    verify_digest,
    write_sealed,
)
from riskalloc.strategies._model_folder import prepare_model_folder
from riskalloc.strategies._model_schema import SIZE_BOUNDS, ManifestCheck, check_param_bounds
from riskalloc.strategies.deep._tensor_shapes import check_tensor_shapes

__all__ = [
    "MANIFEST_FILE",
    "MODEL_FORMAT",
    "MODEL_VERSION",
    "TENSORS_FILE",
    "load_deep_model",
    "read_manifest",
    "save_ensemble",
    "save_model",
]

MODEL_FORMAT = DEEP_FORMAT
MODEL_VERSION = 2
MANIFEST_FILE = DEEP_MANIFEST


def save_model(strategy: Any, directory: str | Path) -> Path:
    """Write a fitted deep strategy to ``directory`` (created if needed); returns it.

    What ``strategy.save(directory)`` does (an ensemble's goes to :func:`save_ensemble`).
    ``directory`` must be new, empty or a riskalloc model folder (whose files are
    replaced); a folder holding anything else is refused.

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
    check_param_bounds(params_to_json(strategy.get_params()), strategy.name)
    directory = prepare_model_folder(directory)
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
    }
    write_sealed(directory / MANIFEST_FILE, manifest, directory / TENSORS_FILE)
    return directory


def read_manifest(directory: str | Path) -> dict[str, Any]:
    """``model.json`` of a saved model, checked for size, depth, format and version."""
    directory = Path(directory)
    path = directory / MANIFEST_FILE
    if not directory.is_dir():
        raise ConfigError(f"{directory}: no such model folder")
    if not path.is_file():
        raise ConfigError(
            f"{directory}: not a riskalloc model (needs {MANIFEST_FILE} and {TENSORS_FILE}; "
            "write one with `riskalloc train`)"
        )
    manifest = read_json_file(path)
    if not isinstance(manifest, dict) or manifest.get("format") != MODEL_FORMAT:
        raise ConfigError(f"{path}: not a riskalloc model manifest (format != {MODEL_FORMAT!r})")
    version = manifest.get("version")
    if version == 1:
        raise ConfigError(
            f"{path}: saved by an older riskalloc (model format 1), whose SHA-256 does not "
            f"cover {MANIFEST_FILE}, so changes to it cannot be detected; train and save the "
            "model again"
        )
    if version != MODEL_VERSION:
        raise ConfigError(
            f"{path}: model format version {str(version)[:20]!r} is not supported "
            f"(this riskalloc reads version {MODEL_VERSION})"
        )
    keys = ("strategy", "params", "assets", "members", "sha256")
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

    Raises
    ------
    ConfigError
        One line naming the file and the problem, before anything is allocated: a
        manifest that is not valid (see the module's docstring), a digest that does
        not match (a file was modified), tensors whose names or shapes differ from the
        network the manifest describes.
    """
    directory = Path(directory)
    manifest = read_manifest(directory)
    if "members" in manifest:
        return _load_ensemble(directory, manifest, strategy_class, device, extra_features)
    path, tensors_path = directory / MANIFEST_FILE, directory / TENSORS_FILE
    check = ManifestCheck(path)
    cls = check.strategy(manifest["strategy"], strategy_class, "deep")
    if not callable(getattr(cls, "build_model", None)):
        check.fail("strategy", f"names '{cls.name}', which is not a single deep model")
    saved = check.params(manifest["params"], cls)
    assets = check.assets(manifest["assets"])
    check.features(manifest["features"], saved.get("lookback", cls().lookback))
    fit_end = check.training(manifest["training"])
    check.plain_values(manifest.get("extra", {}), "extra")
    check.plain_values(manifest.get("versions", {}), "versions")
    check_payload(tensors_path, path)
    verify_digest(manifest, tensors_path, path)

    params = params_from_json(saved)
    params["device"] = device
    if extra_features is not None:
        params["extra_features"] = str(extra_features)
    strategy = _new_strategy(cls, params, path)
    extra = params.get("extra_features")
    try:
        columns = None if extra is None else load_extra_features(extra)
    except RiskallocError:
        raise
    except (OSError, ValueError) as error:  # a path that cannot be a file ("", a NUL byte)
        raise ConfigError(
            f"{path}: the feature file {str(extra)[:80]!r} cannot be read ({error})"
        ) from None
    try:
        features = FeatureBuilder.from_state_dict(manifest["features"], extra=columns)
    except (ConfigError, KeyError, TypeError, ValueError) as error:
        raise ConfigError(f"{path}: 'features' is not a valid feature state ({error})") from None
    strategy.assets_ = list(assets)
    strategy.features_ = features
    strategy.fit_end_ = fit_end
    strategy.context_ = _context_from_json(manifest["training"].get("context"), path)
    check_tensor_shapes(strategy, features.n_features, len(assets), tensors_path)

    try:
        tensors = load_file(str(tensors_path), device=device)
    except (SafetensorError, OSError) as error:
        raise ConfigError(f"{tensors_path}: not a readable safetensors file ({error})") from None
    model = strategy.build_model(features.n_features, len(strategy.assets_))
    state = {k.removeprefix("model."): v for k, v in tensors.items() if k.startswith("model.")}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as error:
        first = str(error).strip().splitlines()[0]
        raise ConfigError(
            f"{tensors_path}: tensors do not fit a {cls.name} model with these parameters ({first})"
        ) from None
    model.eval()
    strategy.model_ = model
    strategy.load_extra_state(
        manifest.get("extra", {}),
        {k.removeprefix("extra."): v for k, v in tensors.items() if k.startswith("extra.")},
    )
    return strategy


def save_ensemble(ensemble: Any, directory: str | Path) -> Path:
    """Write each member of a fitted ensemble to ``member_K/`` and a ``model.json`` naming them.

    The ensemble's manifest lists each member's digest (``member_sha256``) and is sealed
    itself, so a member swapped, edited or dropped is refused on loading.
    """
    if not hasattr(ensemble, "members_"):
        raise ConfigError(f"{ensemble.name}: fit the strategy before saving it")
    check_param_bounds(params_to_json(ensemble.explicit_params()), ensemble.name)
    directory = prepare_model_folder(directory)
    names = [f"member_{k}" for k in range(len(ensemble.members_))]
    digests = []
    for name, member in zip(names, ensemble.members_, strict=True):
        save_model(member, directory / name)
        digests.append(read_json_file(directory / name / MANIFEST_FILE)["sha256"])
    manifest = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "strategy": ensemble.name,
        "params": params_to_json(ensemble.explicit_params()),
        "assets": [str(asset) for asset in ensemble.assets_],
        "members": names,
        "member_sha256": digests,
        "versions": _versions(),
    }
    write_sealed(directory / MANIFEST_FILE, manifest, None)
    return directory


def _load_ensemble(
    directory: Path,
    manifest: dict[str, Any],
    strategy_class: StrategyClass,
    device: str,
    extra_features: str | Path | None,
) -> Any:
    path = directory / MANIFEST_FILE
    check = ManifestCheck(path)
    cls = check.strategy(manifest["strategy"], strategy_class, "deep")
    if not callable(getattr(cls, "base_class", None)):
        check.fail("strategy", f"names '{cls.name}', which is not an ensemble")
    saved = check.params(manifest["params"], cls)
    assets = check.assets(manifest["assets"])
    members = check.names(manifest["members"], "members", SIZE_BOUNDS["members"])
    for position, name in enumerate(members):
        if not re.fullmatch(r"member_\d{1,4}", name):
            check.fail(f"members[{position}]", f"must be a folder name member_K, got {name[:40]!r}")
    digests = manifest.get("member_sha256")
    if not isinstance(digests, list) or len(digests) != len(members):
        check.fail("member_sha256", "must list one SHA-256 per member")
    check.plain_values(manifest.get("versions", {}), "versions")
    verify_digest(manifest, None, path)
    params = params_from_json(saved)
    params["device"] = device
    ensemble = _new_strategy(cls, params, path)
    try:
        base = ensemble.base_class()
        if len(ensemble.member_seeds()) != len(members):
            raise ConfigError(f"'members' is {ensemble.members} but {len(members)} are listed")
    except ConfigError as error:
        raise ConfigError(f"{path}: 'params' are not valid ({error})") from None
    ensemble.members_ = []
    for name, digest in zip(members, digests, strict=True):
        member_manifest = read_manifest(directory / name)
        if "members" in member_manifest or member_manifest.get("sha256") != digest:
            raise ConfigError(
                f"{directory / name}: not the member this ensemble saved (its SHA-256 differs "
                f"from 'member_sha256' in {path})"
            )
        member = load_deep_model(
            directory / name, strategy_class, device=device, extra_features=extra_features
        )
        if type(member) is not base or member.assets_ != assets:
            raise ConfigError(
                f"{directory / name}: its strategy or assets differ from the ensemble's"
            )
        ensemble.members_.append(member)
    ensemble.assets_ = list(assets)
    ensemble.fit_end_ = ensemble.members_[0].fit_end_
    return ensemble


def _versions() -> dict[str, str]:
    return {"riskalloc": package_version("riskalloc"), "torch": torch.__version__}


def _new_strategy(cls: type, params: dict[str, Any], path: Path) -> Any:
    """The saved strategy, unfitted, from its parameters, checked by the strategy itself."""
    try:
        strategy = cls(**params)
        check = getattr(strategy, "_check_parameters", None)
        if check is not None:
            check()
    except (ConfigError, KeyError, TypeError, ValueError) as error:
        raise ConfigError(f"{path}: 'params' are not valid ({error})") from None
    return strategy


def _context_to_json(context: RunContext) -> dict[str, Any]:
    return {
        "costs_bps": context.costs_bps,
        "risk_free": context.risk_free,
        "periods_per_year": context.periods_per_year,
        "rebalance": str(context.rebalance),
    }


def _context_from_json(values: Any, path: Path) -> RunContext:
    """The saved run context (the default one for a model saved without it)."""
    if values is None:
        return RunContext()
    try:
        return RunContext(
            costs_bps=float(values["costs_bps"]),
            risk_free=float(values["risk_free"]),
            periods_per_year=int(values["periods_per_year"]),
            rebalance=str(values["rebalance"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ConfigError(f"{path}: 'training.context' is not valid ({error})") from None
