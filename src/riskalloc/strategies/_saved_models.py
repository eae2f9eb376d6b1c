"""Saved models: one reader that tells what a model folder holds, one loader for every kind.

``riskalloc train`` and ``strategy.save(path)`` write one of three folders:

=========  ===================================================  ==========================
kind       files                                                written by
=========  ===================================================  ==========================
deep       ``model.safetensors`` + ``model.json`` (no pickle)   a deep strategy's ``save``
ensemble   ``model.json`` naming ``member_K/`` deep folders     ``DeepEnsemble.save``
rl         ``policy.zip`` + ``manifest.json``                   ``RLAllocator.save``
=========  ===================================================  ==========================

A deep model or ensemble saved with limits (its ``training_limits``, written by
``riskalloc train --limit`` or :meth:`LimitedAllocator.save`) loads wrapped in a
:class:`~riskalloc.strategies.limits.LimitedAllocator` that applies them exactly.

Every loader checks a folder before it builds anything: the manifest against its schema
(types, names, bounds), the digest of manifest and payload together, and the tensors'
shapes against the network the manifest describes; an RL policy, a pickle, loads only
with ``trust_model=True`` (see :mod:`riskalloc.strategies._model_files`).

This module sits above the families: it hands the registry's ``strategy_class`` to
their loaders, which know no registry.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from riskalloc.core import ConfigError
from riskalloc.strategies._registry import strategy_class
from riskalloc.strategies.deep._persistence import (
    MANIFEST_FILE,
    TENSORS_FILE,
    load_deep_model,
    read_manifest,
)
from riskalloc.strategies.limits import LimitedAllocator, Limits
from riskalloc.strategies.rl._persistence import MANIFEST as RL_MANIFEST
from riskalloc.strategies.rl._persistence import POLICY as RL_POLICY
from riskalloc.strategies.rl._persistence import load_allocator

__all__ = ["ModelKind", "load_model", "model_kind"]


class ModelKind(enum.StrEnum):
    """What a saved model folder holds."""

    DEEP = "deep"
    ENSEMBLE = "ensemble"
    RL = "rl"


def model_kind(path: str | Path) -> ModelKind:
    """The kind of model saved in ``path``, read from its manifest (checked).

    Raises :class:`~riskalloc.ConfigError` for a missing folder, a folder with no
    riskalloc manifest, and a deep manifest that is not valid.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise ConfigError(f"{folder}: no such model folder")
    if (folder / RL_MANIFEST).is_file():
        return ModelKind.RL
    if not (folder / MANIFEST_FILE).is_file():
        raise ConfigError(
            f"{folder}: not a riskalloc model (needs {MANIFEST_FILE} and {TENSORS_FILE}, or "
            f"{RL_MANIFEST} and {RL_POLICY}; write one with `riskalloc train`)"
        )
    manifest = read_manifest(folder)
    return ModelKind.ENSEMBLE if "members" in manifest else ModelKind.DEEP


def load_model(
    path: str | Path,
    *,
    trust_model: bool = False,
    device: str = "cpu",
    extra_features: str | Path | None = None,
) -> Any:
    """The fitted allocator saved in ``path``, ready to ``allocate``.

    Parameters
    ----------
    path : str or Path
        A folder written by ``riskalloc train`` or a strategy's ``save``: a deep model,
        a deep ensemble or an RL policy (see :func:`model_kind`).
    trust_model : bool, default False
        Loading an RL policy runs code from the folder (stable-baselines3's zip holds
        pickled objects), so it is refused unless this is True: pass it only for a
        folder you made or trust. Deep models are plain tensors and JSON and never
        need it.
    device : str, default "cpu"
        Torch device the model runs on.
    extra_features : str or Path, optional
        The user feature file of a deep model trained with one, when it has moved (or
        has newer rows).

    Returns
    -------
    Allocator
        The fitted strategy; a deep model saved with limits comes wrapped in a
        :class:`~riskalloc.strategies.limits.LimitedAllocator` that applies them.

    Raises
    ------
    ConfigError
        One line naming the file and the problem, before anything is allocated: a
        manifest that is not valid (a type, a name, a size out of bounds), a file
        modified after it was saved, tensors that do not fit the manifest, a model
        saved by an older format, an RL policy without ``trust_model``.

    Examples
    --------
    >>> import riskalloc as ra
    >>> s = ra.scenario("bull-2010")
    >>> data = ra.MarketData(s.prices)
    >>> strategy = ra.get_strategy("deep_sharpe", network="mlp", epochs=1)
    >>> folder = strategy.fit(data.until(s.train_end)).save("models/ds")  # doctest: +SKIP
    >>> ra.load_model(folder).allocate(data, data.dates[-1:])             # doctest: +SKIP
    """
    folder = Path(path)
    if model_kind(folder) is ModelKind.RL:
        if extra_features is not None:
            raise ConfigError(
                f"{folder}: an RL policy takes no user features; leave out the feature file "
                "(--features)"
            )
        return load_allocator(folder, strategy_class, trust_model=trust_model, device=device)
    model = load_deep_model(folder, strategy_class, device=device, extra_features=extra_features)
    saved = getattr(model, "training_limits", None)
    if not isinstance(saved, Mapping) or not saved:
        return model
    try:
        limited = LimitedAllocator(model, Limits.from_dict(saved))
    except (ConfigError, KeyError, TypeError, ValueError) as error:
        raise ConfigError(
            f"{folder / MANIFEST_FILE}: 'params.training_limits' is not valid ({error})"
        ) from None
    limited.assets_ = list(model.assets_)
    return limited
