"""The tensors of a saved deep model against the network its manifest describes, by shape.

Checked from the safetensors header alone (names and shapes, no tensor read) against a
template of the network built on torch's ``meta`` device (shapes without storage), so
a manifest that describes a huge network, or tensors that do not fit the manifest, are
refused before anything is allocated.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open

from riskalloc.core import ConfigError
from riskalloc.strategies._model_files import DEEP_MANIFEST

__all__ = ["check_tensor_shapes"]


def check_tensor_shapes(strategy: Any, n_features: int, n_assets: int, path: Path) -> None:
    """Every tensor in ``path``'s header has the name and shape the manifest's network has.

    The template network is built on torch's ``meta`` device: shapes without storage, so
    a manifest describing a huge network costs nothing here, and tensors that do not fit
    it (a trimmed asset list re-sealed, features removed) are refused before any is read.
    """
    try:
        with safe_open(str(path), framework="pt") as file:
            saved = {key: tuple(file.get_slice(key).get_shape()) for key in file.keys()}
    except (SafetensorError, OSError, ValueError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ConfigError(f"{path}: not a readable safetensors file ({first})") from None
    foreign = sorted(key for key in saved if not key.startswith(("model.", "extra.")))
    template = copy.copy(strategy)
    template.device = "meta"
    try:
        with torch.device("meta"):
            network = template.build_model(n_features, n_assets)
    except (ConfigError, ValueError, TypeError, RuntimeError) as error:
        first = str(error).strip().splitlines()[0]
        raise ConfigError(
            f"{path.parent / DEEP_MANIFEST}: the network cannot be built ({first})"
        ) from None
    expected = {f"model.{key}": tuple(value.shape) for key, value in network.state_dict().items()}
    held = {key: shape for key, shape in saved.items() if key.startswith("model.")}
    missing, unexpected = (
        sorted(expected.keys() - held.keys()),
        sorted(held.keys() - expected.keys()),
    )
    problem = None
    if foreign or unexpected:
        problem = f"unexpected tensor {(foreign or unexpected)[0][:80]!r}"
    elif missing:
        problem = f"tensor {missing[0][:80]!r} is missing"
    else:
        for key, shape in expected.items():
            if held[key] != shape:
                problem = f"{key!r} has shape {list(held[key])}, the manifest implies {list(shape)}"
                break
    if problem is not None:
        raise ConfigError(
            f"{path}: tensors do not fit a {strategy.name} model with these parameters ({problem})"
        )
