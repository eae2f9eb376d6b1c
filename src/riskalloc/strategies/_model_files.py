"""What every saved model's files share: names, bounds, bounded JSON reading and the digest.

A saved model is a folder holding a JSON manifest and one payload file:

=========  ====================  ==========================  ================================
kind       manifest              payload                     manifest marker
=========  ====================  ==========================  ================================
deep       ``model.json``        ``model.safetensors``       ``"format": "riskalloc.model"``
ensemble   ``model.json``        ``member_K/`` deep folders  ``"format": "riskalloc.model"``
rl         ``manifest.json``     ``policy.zip``              ``"kind": "riskalloc.strategies.rl"``
=========  ====================  ==========================  ================================

The manifest's ``sha256`` seals the folder: it is the SHA-256 of

    b"riskalloc.manifest\\n" + len(C) (8 bytes, little-endian) + C + payload bytes

where ``C`` is the manifest without its ``sha256`` as canonical JSON (keys sorted, no
spaces, ASCII). Editing any value of the manifest (a parameter, an asset name, the
feature scaler, the training context) or any byte of the payload breaks it. The digest
is not a signature: it tells that files changed after riskalloc wrote them, not who
wrote them.

Reading is bounded before anything is parsed or allocated: a manifest of at most
:data:`MAX_MANIFEST_BYTES` nested at most :data:`MAX_JSON_DEPTH` levels, a payload of at
most :data:`MAX_PAYLOAD_BYTES`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from riskalloc.core import ConfigError, update_from_file, write_json

__all__ = [
    "DEEP_FORMAT",
    "DEEP_MANIFEST",
    "DIGEST_KEY",
    "MAX_JSON_DEPTH",
    "MAX_MANIFEST_BYTES",
    "MAX_PAYLOAD_BYTES",
    "RL_KIND",
    "RL_MANIFEST",
    "RL_POLICY",
    "TENSORS_FILE",
    "StrategyClass",
    "check_payload",
    "json_depth",
    "params_from_json",
    "params_to_json",
    "read_json_file",
    "sealed_digest",
    "verify_digest",
    "write_sealed",
]

#: How a loader turns the strategy name saved in a manifest into its class (the registry's
#: ``strategy_class``, handed in by :func:`riskalloc.load_model`).
StrategyClass = Callable[[str], type]

DEEP_MANIFEST = "model.json"
TENSORS_FILE = "model.safetensors"
DEEP_FORMAT = "riskalloc.model"
RL_MANIFEST = "manifest.json"
RL_POLICY = "policy.zip"
RL_KIND = "riskalloc.strategies.rl"
DIGEST_KEY = "sha256"

#: A manifest holds parameters, asset names, feature statistics and the loss history:
#: kilobytes. 16 MiB leaves room for thousands of assets and features.
MAX_MANIFEST_BYTES = 16 * 2**20
#: Tensors or a policy of the largest network the size bounds allow fit well within 1 GiB.
MAX_PAYLOAD_BYTES = 2**30
#: Manifests nest five levels at most (params -> training_limits -> value); 16 is ample.
MAX_JSON_DEPTH = 16

_DIGEST_PREFIX = b"riskalloc.manifest\n"


def json_depth(value: Any) -> int:
    """Nesting depth of a JSON value (a scalar is 0, ``[1]`` is 1); iterative, so any depth."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return deepest


def read_json_file(path: Path) -> Any:
    """The JSON value in ``path``, refused (ConfigError naming the file) when it is larger than
    :data:`MAX_MANIFEST_BYTES`, not UTF-8, not JSON, or nested deeper than
    :data:`MAX_JSON_DEPTH` (including JSON too deep for Python's parser)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_MANIFEST_BYTES:
            raise ConfigError(
                f"{path}: {size:,} bytes, more than a model manifest may hold "
                f"({MAX_MANIFEST_BYTES:,}); it is not a riskalloc manifest"
            )
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not valid JSON (not UTF-8 text)") from None
    try:
        value = json.loads(text)
    except RecursionError:
        value = None
        depth = None
    except ValueError as error:  # JSONDecodeError, or an integer of thousands of digits
        raise ConfigError(f"{path}: not valid JSON ({str(error).splitlines()[0]})") from None
    else:
        depth = json_depth(value)
    if depth is None or depth > MAX_JSON_DEPTH:
        raise ConfigError(
            f"{path}: JSON nested deeper than {MAX_JSON_DEPTH} levels; not a riskalloc manifest"
        )
    return value


def check_payload(path: Path, manifest: Path) -> None:
    """``path`` (tensors or policy) exists and is at most :data:`MAX_PAYLOAD_BYTES`."""
    if not path.is_file():
        raise ConfigError(
            f"{path.parent}: {path.name} is missing (it belongs with {manifest.name})"
        )
    size = path.stat().st_size
    if size > MAX_PAYLOAD_BYTES:
        raise ConfigError(
            f"{path}: {size:,} bytes, more than a riskalloc model may hold "
            f"({MAX_PAYLOAD_BYTES:,}); refusing to read it"
        )


def _canonical(manifest: Mapping[str, Any]) -> bytes:
    body = {key: value for key, value in manifest.items() if key != DIGEST_KEY}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return text.encode("ascii")


def sealed_digest(manifest: Mapping[str, Any], payload: Path | None) -> str:
    """SHA-256 of ``manifest`` (less its ``sha256``) as canonical JSON, then ``payload``'s bytes.

    Examples
    --------
    >>> sealed_digest({"a": 1, "sha256": "x"}, None) == sealed_digest({"a": 1}, None)
    True
    >>> sealed_digest({"a": 1}, None) == sealed_digest({"a": 2}, None)
    False
    """
    canonical = _canonical(manifest)
    digest = hashlib.sha256(_DIGEST_PREFIX)
    digest.update(len(canonical).to_bytes(8, "little"))
    digest.update(canonical)
    if payload is not None:
        update_from_file(digest, payload)
    return digest.hexdigest()


def write_sealed(path: Path, manifest: Mapping[str, Any], payload: Path | None) -> dict[str, Any]:
    """Write ``manifest`` to ``path`` with its ``sha256`` over it and ``payload``; returns it.

    The manifest is first made plain JSON (tuples to lists, other values to strings, as
    the file will hold them), so the digest on reading is the digest written.
    """
    plain = json.loads(json.dumps(dict(manifest), default=str))
    plain[DIGEST_KEY] = sealed_digest(plain, payload)
    write_json(path, plain)
    return plain


def verify_digest(manifest: Mapping[str, Any], payload: Path | None, path: Path) -> None:
    """Refuse (ConfigError naming ``path``) a manifest whose ``sha256`` is not its digest."""
    saved = manifest.get(DIGEST_KEY)
    if not isinstance(saved, str) or saved != sealed_digest(manifest, payload):
        what = f"{path.name}" + ("" if payload is None else f" or {payload.name}")
        raise ConfigError(
            f"{path}: {what} was modified after riskalloc saved the model (the SHA-256 in "
            f"{path.name} does not match); train and save the model again"
        )


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
