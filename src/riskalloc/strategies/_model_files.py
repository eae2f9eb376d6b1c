"""What every saved model's manifest needs: a file digest, parameters as plain JSON, versions."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = [
    "StrategyClass",
    "file_sha256",
    "package_version",
    "params_from_json",
    "params_to_json",
]

#: How a loader turns the strategy name saved in a manifest into its class (the registry's
#: ``strategy_class``, handed in by :func:`riskalloc.load_model`).
StrategyClass = Callable[[str], type]


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def params_to_json(value: Any) -> Any:
    """Strategy parameters as JSON values: tuples become lists, paths strings, keys strings."""
    if isinstance(value, tuple | list):
        return [params_to_json(item) for item in value]
    if isinstance(value, dict):
        return {str(key): params_to_json(item) for key, item in value.items()}
    if isinstance(value, Path):
        return str(value)
    return value


def params_from_json(value: Any) -> Any:
    """The inverse for the parameters riskalloc's strategies take: JSON lists back to tuples."""
    if isinstance(value, list):
        return tuple(params_from_json(item) for item in value)
    if isinstance(value, dict):
        return {key: params_from_json(item) for key, item in value.items()}
    return value


def package_version(package: str) -> str:
    """The installed version of ``package``, or ``"unknown"``."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"
