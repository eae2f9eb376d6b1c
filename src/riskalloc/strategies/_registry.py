"""The registry: strategy name -> class, imported lazily so heavy libraries load only when used.

A new strategy is one module that follows the :class:`Allocator` protocol and
one line in ``_REGISTRY``.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from riskalloc.core import ConfigError

__all__ = ["get_strategy", "list_strategies", "register", "strategy_class"]

_REGISTRY: dict[str, str] = {
    "equal_weight": "riskalloc.strategies.classical:EqualWeight",
    "fixed_mix": "riskalloc.strategies.classical:FixedMix",
    "inverse_volatility": "riskalloc.strategies.classical:InverseVolatility",
    "minimum_variance": "riskalloc.strategies.classical:MinimumVariance",
    "mean_variance": "riskalloc.strategies.classical:MeanVariance",
    "maximum_sharpe": "riskalloc.strategies.classical:MaximumSharpe",
    "maximum_return": "riskalloc.strategies.classical:MaximumReturn",
    "maximum_diversification": "riskalloc.strategies.classical:MaximumDiversification",
    "risk_parity": "riskalloc.strategies.classical:RiskParity",
    "risk_budgeting": "riskalloc.strategies.classical:RiskBudgeting",
    "minimum_cvar": "riskalloc.strategies.classical:MinimumCVaR",
    "mean_cvar": "riskalloc.strategies.classical:MeanCVaR",
    "hrp": "riskalloc.strategies.classical:HierarchicalRiskParity",
    "deep_sharpe": "riskalloc.strategies.deep:DeepSharpe",
    "deep_sortino": "riskalloc.strategies.deep:DeepSortino",
    "deep_log_wealth": "riskalloc.strategies.deep:DeepLogWealth",
    "deep_cvar": "riskalloc.strategies.deep:DeepCVaR",
    "forecast_mvo": "riskalloc.strategies.deep:ForecastMVO",
    "vol_risk_budget": "riskalloc.strategies.deep:VolRiskBudget",
    "deep_ensemble": "riskalloc.strategies.deep:DeepEnsemble",
    # reinforcement learning (stable-baselines3)
    "rl_a2c": "riskalloc.strategies.rl:RLA2C",
    "rl_ppo": "riskalloc.strategies.rl:RLPPO",
    "rl_ddpg": "riskalloc.strategies.rl:RLDDPG",
    "rl_sac": "riskalloc.strategies.rl:RLSAC",
    "rl_td3": "riskalloc.strategies.rl:RLTD3",
    "rl_dqn": "riskalloc.strategies.rl:RLDQN",
    # oracles: yardsticks that know a synthetic market's expected returns
    "drift_oracle": "riskalloc.strategies.oracle:DriftOracle",
}


#: Environment variable naming modules (comma-separated) that register their own strategies.
PLUGINS_VARIABLE = "RISKALLOC_PLUGINS"
_plugins_loaded: set[str] = set()


def _load_plugins() -> None:
    """Import the modules named in ``RISKALLOC_PLUGINS``; each calls :func:`register`."""
    for module_name in filter(
        None, (m.strip() for m in os.environ.get(PLUGINS_VARIABLE, "").split(","))
    ):
        if module_name in _plugins_loaded:
            continue
        try:
            importlib.import_module(module_name)
        except ImportError as error:
            raise ConfigError(
                f"{PLUGINS_VARIABLE}: cannot import plugin module '{module_name}' ({error})"
            ) from error
        _plugins_loaded.add(module_name)


def register(name: str, target: str | type) -> None:
    """Register a strategy class (or its ``"module:Class"`` path) under ``name``."""
    if isinstance(target, type):
        target = f"{target.__module__}:{target.__qualname__}"
    _REGISTRY[name] = target


def list_strategies() -> list[str]:
    """Registered strategy names, sorted."""
    _load_plugins()
    return sorted(_REGISTRY)


def strategy_class(name: str) -> type:
    """The class registered under ``name``."""
    from riskalloc.strategies._skfolio import SKFOLIO_PREFIX, skfolio_strategy_class

    _load_plugins()
    if isinstance(name, str) and name.startswith(SKFOLIO_PREFIX):
        return skfolio_strategy_class(name)
    if name not in _REGISTRY:
        raise ConfigError(
            f"unknown strategy '{name}'; available: {', '.join(list_strategies())}, "
            "or skfolio:CLASS for a skfolio optimiser"
        )
    module_name, _, attribute = _REGISTRY[name].partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def get_strategy(name: str, **params: Any) -> Any:
    """A new strategy by registered name, with parameters.

    Examples
    --------
    >>> import riskalloc as ra
    >>> ra.get_strategy("inverse_volatility", window=50)
    InverseVolatility(window=50)
    """
    cls = strategy_class(name)
    known = cls.param_names()
    unknown = [key for key in params if key not in known]
    if unknown:
        raise ConfigError(
            f"strategy '{name}' has no parameter '{unknown[0]}'; "
            f"its parameters: {', '.join(known) or '(none)'}"
        )
    return cls(**params)
