"""Digests and versions that files record: a file's SHA-256, a JSON value's, a package's version."""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["file_sha256", "json_sha256", "package_version", "update_from_file"]


def update_from_file(digest: Any, path: Path) -> None:
    """Feed ``path``'s bytes to a hashlib ``digest``, 1 MiB at a time."""
    with Path(path).open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    update_from_file(digest, path)
    return digest.hexdigest()


def json_sha256(value: Any) -> str:
    """SHA-256 of ``value`` as compact JSON with sorted keys (other types as strings)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def package_version(package: str) -> str:
    """The installed version of ``package``, or ``"unknown"``."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"
