"""Risk limits any strategy can be wrapped with: caps, VaR/CVaR, volatility, turnover, drawdown stop.

:class:`LimitedAllocator` applies :class:`Limits` to a strategy's weights,
exactly, with data up to each decision date (see its module for the order).
The differentiable layers (:class:`LimitLayers`, :class:`TailRiskScaling`,
:class:`TurnoverBlend`) import torch, so they load on first use.
"""

from riskalloc.strategies.limits._caps import CapSet, project_onto_caps
from riskalloc.strategies.limits._risk import RiskInputs, risk_ratios, scale_to_risk_limits
from riskalloc.strategies.limits._spec import (
    LIMITED_SUFFIX,
    Limits,
    base_strategy_name,
    parse_limits,
)
from riskalloc.strategies.limits._wrapper import LimitedAllocator

__all__ = [
    "LIMITED_SUFFIX",
    "CapSet",
    "LimitLayers",
    "LimitedAllocator",
    "Limits",
    "RiskInputs",
    "TailRiskScaling",
    "TurnoverBlend",
    "base_strategy_name",
    "differentiable_limits",
    "parse_limits",
    "project_onto_caps",
    "risk_ratios",
    "scale_to_risk_limits",
    "tail_loss",
]

_TORCH_NAMES = (
    "LimitLayers",
    "TailRiskScaling",
    "TurnoverBlend",
    "differentiable_limits",
    "tail_loss",
)


def __getattr__(name: str):
    # The torch layers load torch; import them only when asked for.
    if name in _TORCH_NAMES:
        from riskalloc.strategies.limits import _layers

        return getattr(_layers, name)
    raise AttributeError(f"module 'riskalloc.strategies.limits' has no attribute {name!r}")
