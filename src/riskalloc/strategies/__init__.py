"""Strategies: the Allocator protocol, the registry, and the strategy families."""

from riskalloc.strategies._protocol import Allocator, BaseAllocator
from riskalloc.strategies._registry import get_strategy, list_strategies, register, strategy_class

__all__ = [
    "Allocator",
    "BaseAllocator",
    "get_strategy",
    "list_strategies",
    "register",
    "strategy_class",
]
