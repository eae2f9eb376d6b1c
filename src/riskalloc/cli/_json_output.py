"""``--format json``: always valid JSON, whatever numbers a command computed."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["json_text"]


def _plain(value: Any) -> Any:
    """``value`` with NumPy scalars made Python ones and NaN or infinities made None."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_text(value: Any) -> str:
    """``value`` as one line of strict JSON (RFC 8259): a figure that is NaN or infinite
    is written ``null``, since JSON has no such numbers and ``NaN`` breaks its parsers.

    Examples
    --------
    >>> json_text({"volatility": float("nan"), "weights": {"A": np.float64(0.5)}})
    '{"volatility": null, "weights": {"A": 0.5}}'
    """
    return json.dumps(_plain(value), allow_nan=False)
