"""Strategies: the Allocator protocol, the registry, and the strategy families."""

from riskalloc.strategies._protocol import Allocator, BaseAllocator
from riskalloc.strategies._registry import get_strategy, list_strategies, register, strategy_class
from riskalloc.strategies.limits import LimitedAllocator, Limits, parse_limits

__all__ = [
    "Allocator",
    "BaseAllocator",
    "LimitedAllocator",
    "Limits",
    "get_strategy",
    "list_strategies",
    "parse_limits",
    "register",
    "strategy_class",
]
