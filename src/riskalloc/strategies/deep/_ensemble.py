"""`deep_ensemble`: the average of the weights of k independently seeded deep strategies."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from riskalloc.core import ConfigError, RunContext
from riskalloc.data import MarketData
from riskalloc.strategies._protocol import BaseAllocator, check_positive_int
from riskalloc.strategies.deep._deep_base import DeepAllocator
from riskalloc.strategies.deep._end_to_end import DeepCVaR, DeepLogWealth, DeepSharpe, DeepSortino
from riskalloc.strategies.deep._forecast_mvo import ForecastMVO
from riskalloc.strategies.deep._persistence import save_ensemble
from riskalloc.strategies.deep._vol_risk_budget import VolRiskBudget

__all__ = ["BASE_DEFAULT", "ENSEMBLE_BASES", "DeepEnsemble"]

#: The strategies an ensemble can average, by registered name.
_BASE_CLASSES: dict[str, type[DeepAllocator]] = {
    cls.name: cls
    for cls in (DeepSharpe, DeepSortino, DeepCVaR, DeepLogWealth, ForecastMVO, VolRiskBudget)
}
ENSEMBLE_BASES = tuple(_BASE_CLASSES)
_OWN = ("base", "members", "seed")


class _BaseDefault:
    """The value of an ensemble parameter left unset: the base strategy's own default applies.

    (``None`` cannot play this part: it is a meaningful value of some parameters,
    e.g. ``rsi_window=None`` leaves RSI out.)
    """

    _instance: _BaseDefault | None = None

    def __new__(cls) -> _BaseDefault:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<base default>"

    __str__ = __repr__


#: Marks an ensemble parameter the user did not set.
BASE_DEFAULT = _BaseDefault()


@functools.cache
def _forwarded_annotations() -> dict[str, Any]:
    """Every parameter of the ensemble's bases but ``seed`` and the ensemble's own."""
    annotations: dict[str, Any] = {}
    for cls in _BASE_CLASSES.values():
        for name, annotation in cls.param_annotations().items():
            if name in _OWN or name in annotations:
                continue
            annotations[name] = annotation
    return annotations


class DeepEnsemble(BaseAllocator):
    """Average of the weights of ``members`` copies of a deep strategy trained with different seeds.

    Member ``k`` of an ensemble with seed ``s`` is ``base`` trained with seed
    ``s * members + k``, so ensembles with different seeds share no member (and a
    ``--seeds 10`` run trains ``10 * members`` models). On each date the ensemble
    holds ``w = (1/k) sum_k w_k``; cash left by members is averaged likewise.
    Forecasts (for strategies that make them) are averaged the same way.

    Parameters
    ----------
    base : str, default "deep_sharpe"
        One of ``deep_sharpe``, ``deep_cvar``, ``forecast_mvo``, ``vol_risk_budget``.
    members : int, default 5
    seed : int, default 0
    **base_params
        Any parameter of the base strategy (``epochs``, ``network``, ``risk_aversion``,
        ``retrain_every`` ...); a parameter left unset keeps the base's default. A parameter the
        base does not have is an error.

    Examples
    --------
    >>> import riskalloc as ra
    >>> ra.get_strategy("deep_ensemble", base="deep_cvar", members=3, epochs=5).members
    3
    """

    name: ClassVar[str] = "deep_ensemble"
    family: ClassVar[str] = "deep"
    stochastic: ClassVar[bool] = True
    saveable: ClassVar[bool] = True

    def __init__(self, base: str = "deep_sharpe", members: int = 5, seed: int = 0, **base_params):
        self.base = base
        self.members = members
        self.seed = seed
        for name in _forwarded_annotations():
            setattr(self, name, base_params.pop(name, BASE_DEFAULT))
        if base_params:
            raise TypeError(f"DeepEnsemble got unknown parameter(s) {sorted(base_params)}")

    @classmethod
    def param_names(cls) -> list[str]:
        return [*_OWN, *_forwarded_annotations()]

    @classmethod
    def param_annotations(cls) -> dict[str, Any]:
        return {"base": str, "members": int, "seed": int, **_forwarded_annotations()}

    def explicit_params(self) -> dict[str, Any]:
        """The parameters that were set (those left to the base's default omitted): what
        :meth:`save` writes."""
        return {k: v for k, v in self.get_params().items() if v is not BASE_DEFAULT}

    # --- members --------------------------------------------------------------------
    def base_class(self) -> type[DeepAllocator]:
        """The class of the members (``base``, checked)."""
        if self.base not in _BASE_CLASSES:
            raise ConfigError(
                f"{self.name}: parameter 'base' must be one of {', '.join(ENSEMBLE_BASES)}, "
                f"got {self.base!r}"
            )
        return _BASE_CLASSES[self.base]

    def base_params(self) -> dict[str, Any]:
        """The parameters handed to every member (those set, the seed aside)."""
        accepted = set(self.base_class().param_names())
        chosen = {
            n: getattr(self, n)
            for n in _forwarded_annotations()
            if getattr(self, n) is not BASE_DEFAULT
        }
        foreign = sorted(set(chosen) - accepted)
        if foreign:
            raise ConfigError(
                f"{self.name}: parameter '{foreign[0]}' does not apply to base {self.base!r}"
            )
        return chosen

    def member_seeds(self) -> list[int]:
        check_positive_int(self.members, "members", self.name)
        check_positive_int(self.seed, "seed", self.name, 0)
        return [self.seed * self.members + k for k in range(self.members)]

    @property
    def accepts_training_limits(self) -> bool:
        """Whether the members train under limits (a :class:`LimitedAllocator` sets them)."""
        cls = _BASE_CLASSES.get(self.base)
        return bool(getattr(cls, "accepts_training_limits", False))

    def _member(self, seed: int) -> DeepAllocator:
        return self.base_class()(seed=seed, **self.base_params())

    @property
    def min_history(self) -> int:
        return self._member(0).min_history

    # --- fit and allocate -------------------------------------------------------------
    def fit(self, train: MarketData, context: RunContext | None = None) -> DeepEnsemble:
        seeds = self.member_seeds()
        super().fit(train, context)
        self.members_ = [self._member(seed).fit(train, context) for seed in seeds]
        self.fit_end_ = train.dates[-1]
        return self

    def allocate(self, history: MarketData, dates: pd.DatetimeIndex) -> pd.DataFrame:
        """The mean of the members' weights on each date."""
        if not hasattr(self, "members_"):
            raise ConfigError(f"{self.name}: call fit(train) before allocate()")
        weights = [member.allocate(history, dates) for member in self.members_]
        forecasts = [getattr(member, "forecasts_", None) for member in self.members_]
        if all(frame is not None for frame in forecasts):
            keys = ["date", "asset", "target"]
            stacked = pd.concat(forecasts, ignore_index=True)
            self.forecasts_ = stacked.groupby(keys, sort=False, as_index=False)["predicted"].mean()
            self.forecast_horizon = self.members_[0].forecast_horizon
        return sum(weights[1:], weights[0]) / len(weights)

    # --- saving -------------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Each member in ``member_K/`` (its own model.safetensors + model.json), and a
        ``model.json`` naming them; :func:`riskalloc.load_model` reads it back."""
        return save_ensemble(self, directory)
