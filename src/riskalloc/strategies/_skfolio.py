"""Any skfolio portfolio optimiser as a riskalloc strategy, fitted afresh at every decision.

At each decision date the estimator (a fresh ``sklearn.base.clone``) is fitted on the
``window`` most recent daily returns up to and including that date, and its
``weights_`` are the target weights; the backtest then drifts them, charges costs and
scores them like any other strategy's. An asset without a full window of returns
(not yet listed) is left out of that fit and gets no weight. A fit that skfolio
rescued with its own ``fallback`` is recorded as a fallback step, as riskalloc's
optimisers record theirs.

From the command line a registered name ``skfolio:CLASS`` builds one, e.g.
``--strategy skfolio:MeanRisk --param risk_measure=CVaR``: string parameters are read
as the enum members or numbers the estimator's defaults are.
"""

from __future__ import annotations

import enum
import importlib
import inspect
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from riskalloc.core import PERIODS_PER_YEAR, ConfigError, DataError, RunContext
from riskalloc.data import MarketData
from riskalloc.strategies._allocation_record import AllocationStep
from riskalloc.strategies._protocol import BaseAllocator, decision_positions

__all__ = ["SKFOLIO_PREFIX", "SkfolioAllocator", "from_skfolio", "skfolio_strategy_class"]

#: Registered names ``skfolio:CLASS`` build a :class:`SkfolioAllocator` of that class.
SKFOLIO_PREFIX = "skfolio:"
DEFAULT_WINDOW = PERIODS_PER_YEAR  # a year of daily returns


class SkfolioAllocator(BaseAllocator):
    """A skfolio optimiser (or a scikit-learn ``Pipeline`` ending in one) fitted per window.

    Parameters
    ----------
    estimator : skfolio estimator
        Unfitted; cloned for every decision date.
    window : int, default 252
        Daily returns up to and including each decision date that the estimator sees.

    Examples
    --------
    >>> import riskalloc as ra
    >>> from skfolio.optimization import HierarchicalRiskParity
    >>> strategy = ra.strategies.from_skfolio(HierarchicalRiskParity(), window=252)
    >>> result = ra.backtest(ra.scenario("bull-2010"), strategy, rebalance="monthly")
    """

    name: ClassVar[str] = "skfolio"

    def __init__(self, estimator: Any = None, window: int = DEFAULT_WINDOW) -> None:
        self.estimator = estimator
        self.window = window

    def _checked(self) -> None:
        if self.estimator is None or not hasattr(self.estimator, "fit"):
            raise ConfigError(
                f"{self.name}: give a skfolio estimator (e.g. skfolio.optimization.MeanRisk())"
            )
        window = self.window
        if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 2:
            raise ConfigError(
                f"{self.name}: parameter 'window' must be an integer >= 2, got {window!r}"
            )

    @property
    def min_history(self) -> int:
        self._checked()
        return int(self.window) + 1

    def get_params(self) -> dict[str, Any]:
        estimator = self.estimator
        described = type(estimator).__name__ if estimator is not None else None
        return {"estimator": described, "window": self.window}

    def fit(self, train: MarketData, context: RunContext | None = None) -> SkfolioAllocator:
        self._checked()
        return super().fit(train, context)  # type: ignore[return-value]

    def allocate(self, history: MarketData, dates: pd.DatetimeIndex) -> pd.DataFrame:
        from sklearn.base import clone

        self._checked()
        window_length = int(self.window)
        positions = decision_positions(history, dates, self.name)
        if (positions < window_length).any():
            first = dates[int(np.argmin(positions))]
            raise DataError(
                f"{self.name}: fewer than {window_length} returns up to {first.date()} "
                f"(window={window_length})"
            )
        returns = history.returns.to_numpy()
        assets = list(history.assets)
        weights = np.zeros((len(dates), len(assets)))
        steps = []
        for k, date in enumerate(dates):
            window = returns[positions[k] - window_length + 1 : positions[k] + 1]
            listed = ~np.isnan(window).any(axis=0)
            if not listed.any():
                raise DataError(
                    f"{self.name}: no asset has {self.window} returns up to {date.date()}"
                )
            frame = pd.DataFrame(
                window[:, listed],
                columns=[a for a, keep in zip(assets, listed, strict=True) if keep],
            )
            fitted = clone(self.estimator)
            try:
                fitted.fit(frame)
            except Exception as error:  # skfolio's own failure, named with the date
                raise DataError(
                    f"{self.name}: {type(self.estimator).__name__} failed on the window ending "
                    f"{date.date()}: {error}"
                ) from error
            optimiser = fitted[-1] if hasattr(fitted, "steps") else fitted
            chosen = np.asarray(optimiser.weights_, dtype=float)
            selected = _selected_assets(fitted, optimiser, frame.columns)
            if len(selected) != len(chosen):
                raise DataError(
                    f"{self.name}: {type(optimiser).__name__} gave {len(chosen)} weights for "
                    f"{len(selected)} assets on {date.date()}"
                )
            row = pd.Series(chosen, index=selected).reindex(assets, fill_value=0.0)
            weights[k] = row.to_numpy()
            fallback = getattr(optimiser, "fallback_", None)
            steps.append(
                AllocationStep(
                    method=f"skfolio {type(optimiser).__name__}"
                    + (f" fallback {type(fallback).__name__}" if fallback is not None else ""),
                    reason=None if fallback is None else "skfolio's fallback after a failed fit",
                )
            )
        self.record_allocations(steps, dates)
        return pd.DataFrame(weights, index=dates, columns=history.assets)


def _selected_assets(fitted: Any, optimiser: Any, columns: pd.Index) -> list[str]:
    """The assets the optimiser's weights are for: after a pipeline's pre-selection steps,
    the names those steps let through."""
    if hasattr(fitted, "steps") and len(fitted.steps) > 1:
        return [str(name) for name in fitted[:-1].get_feature_names_out(list(columns))]
    return [str(name) for name in getattr(optimiser, "feature_names_in_", columns)]


def from_skfolio(estimator: Any, window: int = DEFAULT_WINDOW) -> SkfolioAllocator:
    """Wrap a skfolio optimiser as a strategy fitted on ``window`` returns at every decision.

    Examples
    --------
    >>> from skfolio.optimization import MeanRisk
    >>> from_skfolio(MeanRisk(), window=126)
    SkfolioAllocator(estimator='MeanRisk', window=126)
    """
    return SkfolioAllocator(estimator, window)


def _coerce(value: Any, default: Any, key: str, owner: str) -> Any:
    """A command-line string read as the type of the estimator's default."""
    if not isinstance(value, str):
        return value
    if isinstance(default, enum.Enum):
        for member in type(default):
            if value.lower() in (member.name.lower(), str(member.value).lower()):
                return member
        choices = ", ".join(member.name for member in type(default))
        raise ConfigError(f"{owner}: parameter '{key}' must be one of {choices}, got '{value}'")
    if isinstance(default, bool) or value.lower() in ("true", "false"):
        if value.lower() not in ("true", "false"):
            raise ConfigError(f"{owner}: parameter '{key}' must be true or false, got '{value}'")
        return value.lower() == "true"
    if value.lower() in ("none", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            continue
    return value


def skfolio_strategy_class(name: str) -> type:
    """The strategy class of a registered name ``skfolio:CLASS`` (a class of
    ``skfolio.optimization``), whose parameters are ``window`` and the estimator's."""
    class_name = name[len(SKFOLIO_PREFIX) :]
    module = importlib.import_module("skfolio.optimization")
    estimator_class = getattr(module, class_name, None)
    if not (inspect.isclass(estimator_class) and hasattr(estimator_class, "fit")):
        known = sorted(
            n for n in dir(module) if n[0].isupper() and hasattr(getattr(module, n), "fit")
        )
        raise ConfigError(
            f"unknown skfolio optimiser '{class_name}'; skfolio.optimization has: {', '.join(known)}"
        )
    defaults = estimator_class().get_params(deep=False)

    def __init__(self: SkfolioAllocator, window: int = DEFAULT_WINDOW, **params: Any) -> None:
        unknown = [key for key in params if key not in defaults]
        if unknown:
            raise ConfigError(f"{name}: no parameter '{unknown[0]}'")
        values = {k: _coerce(v, defaults[k], k, name) for k, v in params.items()}
        try:
            estimator = estimator_class(**values)
        except Exception as error:
            raise ConfigError(f"{name}: {error}") from None
        SkfolioAllocator.__init__(self, estimator, window)
        self.params_ = values

    def param_names(cls: type) -> list[str]:
        return ["window", *defaults]

    def param_annotations(cls: type) -> dict[str, Any]:
        simple = {bool: bool, int: int, float: float}
        hints: dict[str, Any] = {"window": int}
        for key, default in defaults.items():
            hints[key] = simple.get(type(default), str)
        return hints

    def get_params(self: SkfolioAllocator) -> dict[str, Any]:
        shown = {k: (v.name if isinstance(v, enum.Enum) else v) for k, v in self.params_.items()}
        return {"window": self.window, **{k: v for k, v in shown.items() if _plain(v)}}

    return type(
        f"Skfolio{class_name}",
        (SkfolioAllocator,),
        {
            "name": name,
            "__init__": __init__,
            "param_names": classmethod(param_names),
            "param_annotations": classmethod(param_annotations),
            "get_params": get_params,
            "__module__": __name__,
        },
    )


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)
