"""Strategies: the Allocator protocol, the registry, the strategy families and saved models.

``load_model`` (and ``model_kind``, ``ModelKind``) load torch, safetensors and
stable-baselines3, so they are imported on first use.
"""

import importlib

from riskalloc.strategies._allocation_record import AllocationStep
from riskalloc.strategies._frontier_placements import frontier_with_strategies
from riskalloc.strategies._protocol import Allocator, BaseAllocator, ProtocolAdapter, as_allocator
from riskalloc.strategies._registry import get_strategy, list_strategies, register, strategy_class
from riskalloc.strategies._skfolio import SkfolioAllocator, from_skfolio
from riskalloc.strategies._training_progress import (
    TrainingReporter,
    TrainingStep,
    TrainingUnit,
    report_training,
    reporting_training,
)
from riskalloc.strategies.limits import LimitedAllocator, Limits, parse_limits

__all__ = [
    "AllocationStep",
    "Allocator",
    "BaseAllocator",
    "LimitedAllocator",
    "Limits",
    "ModelKind",
    "ProtocolAdapter",
    "SkfolioAllocator",
    "TrainingReporter",
    "TrainingStep",
    "TrainingUnit",
    "as_allocator",
    "from_skfolio",
    "frontier_with_strategies",
    "get_strategy",
    "list_strategies",
    "load_model",
    "model_kind",
    "parse_limits",
    "register",
    "report_training",
    "reporting_training",
    "strategy_class",
]

_SAVED_MODEL_NAMES = ("ModelKind", "load_model", "model_kind")


def __getattr__(name: str):
    # Saved models need the deep and RL families; import them only when asked for.
    if name in _SAVED_MODEL_NAMES:
        return getattr(importlib.import_module("riskalloc.strategies._saved_models"), name)
    raise AttributeError(f"module 'riskalloc.strategies' has no attribute {name!r}")
