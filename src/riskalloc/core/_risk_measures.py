"""Historical VaR and CVaR: one definition, one sign convention, NumPy and torch.

Both are **positive losses** (0.02: a 2 % loss), of the returns along the last axis:

- ``VaR_a`` is the smallest ``z`` with ``P(loss <= z) >= a``: the order statistic of
  the losses at rank ``ceil(a n) - 1`` (0-based), with no interpolation;
- ``CVaR_a`` is Rockafellar-Uryasev's ``min_z z + E[(loss - z)+] / (1 - a)``, taken at
  its minimiser ``z = VaR_a``: the average of the worst ``(1 - a)`` share of
  observations, the boundary one counted fractionally.

The optimisers (minimum CVaR), the limits, the deep losses, the VaR models and the
evaluator's ``var_95``/``cvar_95`` all call these, so a CVaR an optimiser minimises is
the CVaR the metrics table reports. (empyrical interpolates the VaR quantile and
averages the worst ``floor((n - 1)(1 - a)) + 1`` days instead, as returns; its VaR is
within one order statistic of this one, which on a volatile year of a single stock can
be tens of basis points of a daily return.)
"""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = [
    "conditional_value_at_risk",
    "torch_conditional_value_at_risk",
    "torch_value_at_risk",
    "value_at_risk",
]


def _rank(confidence: float, n_observations: int) -> int:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return max(math.ceil(confidence * n_observations) - 1, 0)


def value_at_risk(returns: np.ndarray, confidence: float = 0.95) -> np.ndarray | float:
    """Historical VaR of ``returns`` (last axis) as a positive loss.

    Examples
    --------
    >>> float(value_at_risk(np.array([-0.04, -0.01, 0.0, 0.01, 0.02]), 0.8))
    0.01
    """
    losses = -np.asarray(returns, dtype=float)
    rank = _rank(confidence, losses.shape[-1])
    return np.partition(losses, rank, axis=-1)[..., rank]


def conditional_value_at_risk(returns: np.ndarray, confidence: float = 0.95) -> np.ndarray | float:
    """Historical CVaR (expected shortfall) of ``returns`` (last axis) as a positive loss.

    Examples
    --------
    >>> float(conditional_value_at_risk(np.array([-0.04, -0.01, 0.0, 0.01, 0.02]), 0.8))
    0.04
    """
    losses = -np.asarray(returns, dtype=float)
    threshold = value_at_risk(returns, confidence)
    excess = np.maximum(losses - np.expand_dims(threshold, -1), 0.0).mean(axis=-1)
    return threshold + excess / (1.0 - confidence)


def torch_value_at_risk(returns: torch.Tensor, confidence: float = 0.95) -> torch.Tensor:
    """:func:`value_at_risk` in torch (a subgradient flows to the order statistic)."""
    rank = _rank(confidence, returns.shape[-1])
    return (-returns).kthvalue(rank + 1, dim=-1).values


def torch_conditional_value_at_risk(
    returns: torch.Tensor, confidence: float = 0.95
) -> torch.Tensor:
    """:func:`conditional_value_at_risk` in torch; piecewise linear, so autograd gives a subgradient."""
    threshold = torch_value_at_risk(returns, confidence)
    excess = (-returns - threshold.unsqueeze(-1)).clamp(min=0.0).mean(dim=-1)
    return threshold + excess / (1.0 - confidence)
