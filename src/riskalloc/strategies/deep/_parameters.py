"""Checks of deep strategies' parameters, and the signature of their ``__init__``."""

from __future__ import annotations

import enum
import inspect
import math
from typing import Any

import torch

from riskalloc.core import ConfigError

__all__ = ["Precision", "check_choice", "check_fraction", "check_nonnegative", "full_signature"]


class Precision(enum.StrEnum):
    """Floating-point type of a network's parameters (layers that solve are always float64)."""

    FLOAT32 = "float32"
    FLOAT64 = "float64"

    @property
    def torch_dtype(self) -> torch.dtype:
        return torch.float32 if self is Precision.FLOAT32 else torch.float64


def check_fraction(value: Any, parameter: str, strategy: str, low: float, high: float) -> None:
    """``low <= value < high`` for a real number, else a ConfigError naming ``parameter``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value < high:
        raise ConfigError(
            f"{strategy}: parameter '{parameter}' must be a number in [{low}, {high}), got {value!r}"
        )


def check_nonnegative(value: Any, parameter: str, strategy: str, allow_zero: bool = False) -> None:
    """A finite real number ``> 0`` (or ``>= 0`` with ``allow_zero``), else a ConfigError."""
    ok = not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ConfigError(
            f"{strategy}: parameter '{parameter}' must be a finite number {bound}, got {value!r}"
        )


def check_choice(value: Any, parameter: str, strategy: str, choices: type[enum.Enum]) -> None:
    """A string naming a member of ``choices`` (any case), else a ConfigError listing them."""
    if not isinstance(value, str) or value.lower() not in {m.value for m in choices}:
        allowed = ", ".join(member.value for member in choices)
        raise ConfigError(
            f"{strategy}: parameter '{parameter}' must be one of {allowed}, got {value!r}"
        )


def full_signature(cls: type, base: type) -> None:
    """Show ``cls.__init__`` with ``base``'s parameters spelled out instead of ``**common``.

    ``param_names``, ``get_params``, the CLI's ``--param`` typing and ``riskalloc
    strategies`` all read the signature and annotations of ``__init__``.
    """
    init = cls.__init__
    own = inspect.signature(init).parameters.values()
    common = list(inspect.signature(base.__init__).parameters.values())
    keyword_only = [p for p in own if p.kind is inspect.Parameter.KEYWORD_ONLY]
    init.__signature__ = inspect.Signature([*common, *keyword_only])  # type: ignore[attr-defined]
    init.__annotations__ = {**base.__init__.__annotations__, **init.__annotations__}
    init.__annotations__.pop("common", None)
