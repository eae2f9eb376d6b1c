"""Turning ``--param key=value`` strings into typed strategy parameters, at the edge."""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from riskalloc.core import ConfigError
from riskalloc.strategies import strategy_class
from riskalloc.strategies._presets import preset_params

__all__ = ["convert", "parse_params"]


def parse_params(
    pairs: list[str], strategies: list[str], preset: str = "default"
) -> dict[str, dict[str, Any]]:
    """Route each ``key=value`` to every strategy that has parameter ``key``.

    The values start from the named training ``preset`` (see
    :data:`riskalloc.strategies._presets.PRESETS`); a pair overrides the preset.

    Raises
    ------
    ConfigError
        A pair without ``=``, a key no selected strategy has, or a value that
        does not read as the parameter's type.
    """
    params = preset_params(preset, strategies)
    for pair in pairs:
        key, separator, raw = pair.partition("=")
        key = key.strip()
        if not separator or not key:
            raise ConfigError(f"--param {pair!r}: expected key=value, e.g. window=50")
        if key == "training_limits":
            raise ConfigError(
                "--param training_limits: set by --limit KEY=VALUE, which also applies the "
                "limits at allocation (a network trained under limits alone would hold "
                "unlimited weights)"
            )
        targets = [name for name in strategies if key in strategy_class(name).param_names()]
        if not targets:
            raise ConfigError(
                f"--param {key}: none of the selected strategies ({', '.join(strategies)}) "
                f"has a parameter '{key}'"
            )
        for name in targets:
            annotation = strategy_class(name).param_annotations()[key]
            params[name][key] = convert(raw.strip(), annotation, key)
    return params


def convert(raw: str, annotation: Any, key: str) -> Any:
    """Read ``raw`` as a value of type ``annotation`` (int, float, bool, str, enums,
    ``Mapping[str, float]`` written ``A:0.6,B:0.4``, sequences written ``a,b,c``,
    and optional versions of these, where ``none`` means ``None``)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if raw.lower() in ("none", "null") and len(members) < len(typing.get_args(annotation)):
            return None
        errors = []
        for member in members:
            try:
                return convert(raw, member, key)
            except ConfigError as error:
                errors.append(str(error))
        raise ConfigError(errors[0] if errors else f"--param {key}: cannot read {raw!r}")
    if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
        _, value_type = typing.get_args(annotation) or (str, float)
        result = {}
        for item in filter(None, (part.strip() for part in raw.split(","))):
            name, colon, value = item.partition(":")
            if not colon:
                raise ConfigError(
                    f"--param {key}: expected NAME:VALUE pairs like AAPL:0.6,MSFT:0.4, got {item!r}"
                )
            result[name.strip()] = convert(value.strip(), value_type, key)
        return result
    if origin is not None and isinstance(origin, type) and issubclass(origin, Sequence):
        (item_type, *_) = typing.get_args(annotation) or (str,)
        return [convert(part.strip(), item_type, key) for part in raw.split(",") if part.strip()]
    if annotation is bool:
        lowered = raw.lower()
        if lowered in ("true", "yes", "1", "on"):
            return True
        if lowered in ("false", "no", "0", "off"):
            return False
        raise ConfigError(f"--param {key}: expected true or false, got {raw!r}")
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        for member in annotation:
            if raw.lower() in (str(member.value).lower(), member.name.lower()):
                return member
        choices = ", ".join(str(member.value) for member in annotation)
        raise ConfigError(f"--param {key}: {raw!r} is not one of {choices}")
    if annotation in (int, float):
        try:
            return annotation(raw)
        except ValueError:
            kind = "an integer" if annotation is int else "a number"
            raise ConfigError(f"--param {key}: expected {kind}, got {raw!r}") from None
    return raw
