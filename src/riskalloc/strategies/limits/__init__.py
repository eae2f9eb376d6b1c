"""Risk limits any strategy can be wrapped with: caps, VaR/CVaR, volatility, turnover, drawdown stop.

:class:`LimitedAllocator` applies :class:`Limits` to a strategy's weights,
exactly, with data up to each decision date (see its module for the order).
The differentiable part of the limits (:func:`differentiable_limits`) is what a deep
strategy trains under; its torch layers live with the networks, in
:mod:`riskalloc.strategies.deep` (``LimitLayers``, ``TailRiskScaling``, ``TurnoverBlend``).
"""

from riskalloc.strategies.limits._caps import CapSet, project_onto_caps
from riskalloc.strategies.limits._risk import RiskInputs, risk_ratios, scale_to_risk_limits
from riskalloc.strategies.limits._spec import (
    LIMITED_SUFFIX,
    Limits,
    base_strategy_name,
    differentiable_limits,
    parse_limits,
)
from riskalloc.strategies.limits._wrapper import LimitedAllocator

__all__ = [
    "LIMITED_SUFFIX",
    "CapSet",
    "LimitedAllocator",
    "Limits",
    "RiskInputs",
    "base_strategy_name",
    "differentiable_limits",
    "parse_limits",
    "project_onto_caps",
    "risk_ratios",
    "scale_to_risk_limits",
]
