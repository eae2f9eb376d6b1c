"""What every windowed optimiser shares: estimation windows, estimators, bounds,
batched solving in chunks, and a record of which method produced each date's weights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
import torch

from riskalloc.core import ConfigError, RunContext
from riskalloc.data import MarketData
from riskalloc.risk import (
    CovarianceEstimator,
    MeanEstimator,
    estimate_covariance,
    estimate_mean,
    regularise_covariance,
)
from riskalloc.strategies._allocation_record import AllocationStep
from riskalloc.strategies._protocol import BaseAllocator, check_positive_int
from riskalloc.strategies.classical._constrained import (
    ConstraintSet,
    Objective,
    SequentialProblem,
    check_feasible,
)

__all__ = [
    "CVXPY_FALLBACK",
    "REGULARISED_COVARIANCE",
    "Estimates",
    "Solved",
    "WindowOptimiser",
    "as_tensor",
]

#: Largest number of float64 values held per chunk of decision dates (about 160 MB).
_CHUNK_VALUES = 20_000_000


def as_tensor(values: np.ndarray, device: str | torch.device = "cpu") -> torch.Tensor:
    return torch.as_tensor(np.ascontiguousarray(values), dtype=torch.float64, device=device)


#: Note on a decision whose covariance needed a ridge to be positive definite.
REGULARISED_COVARIANCE = "regularised covariance"
#: Note on a decision the batched solver could not certify, solved again by cvxpy.
CVXPY_FALLBACK = "cvxpy fallback"


@dataclass(frozen=True)
class Estimates:
    """Inputs of one chunk of decision dates (daily units)."""

    dates: pd.DatetimeIndex  # (D,) decision dates
    windows: np.ndarray  # (D, T, N) returns
    mean: np.ndarray  # (D, N)
    covariance: np.ndarray  # (D, N, N), positive definite
    regularised: np.ndarray  # (D,) whether the covariance needed a ridge


@dataclass(frozen=True)
class Solved:
    """Outputs of one chunk: weights, the step that produced each, the objective."""

    weights: np.ndarray  # (D, N)
    methods: list[AllocationStep]
    objective: np.ndarray  # (D,)


class WindowOptimiser(BaseAllocator):
    """Base of the optimisers that solve a problem on each rolling estimation window.

    Subclasses define ``_solve(estimates) -> Solved``. After ``allocate``:

    - ``allocation_record_``: per decision date, the step that produced the
      weights (the strategy's own method, or a declared fallback and why, with
      notes such as a regularised covariance);
    - ``objective_``: per decision date, the optimiser's own objective value.
    """

    family: ClassVar[str] = "classical"

    #: The parameters the base class understands (subclasses list theirs in __init__).
    window: int
    covariance: str
    mean: str
    half_life: float
    device: str

    @property
    def min_history(self) -> int:
        return int(self.window) + 1

    # --- validation ----------------------------------------------------------------
    def _check_parameters(self) -> None:
        check_positive_int(self.window, "window", self.name, minimum=2)
        for parameter, enum_type in (("covariance", CovarianceEstimator), ("mean", MeanEstimator)):
            if hasattr(self, parameter):
                value = getattr(self, parameter)
                try:
                    enum_type(value)
                except ValueError:
                    choices = ", ".join(member.value for member in enum_type)
                    raise ConfigError(
                        f"{self.name}: parameter '{parameter}' must be one of {choices}, got {value!r}"
                    ) from None
        if hasattr(self, "half_life") and not (
            isinstance(self.half_life, int | float) and self.half_life > 0
        ):
            raise ConfigError(
                f"{self.name}: parameter 'half_life' must be > 0, got {self.half_life!r}"
            )

    def _check_bounds(self, n_assets: int) -> tuple[float, float]:
        lower, upper = float(self.min_weight), float(self.max_weight)
        if not (np.isfinite(lower) and np.isfinite(upper)) or lower > upper:
            raise ConfigError(
                f"{self.name}: min_weight={lower} and max_weight={upper} leave no room (need min <= max)"
            )
        if lower * n_assets > 1.0 + 1e-12:
            raise ConfigError(
                f"{self.name}: constraint min_weight={lower} is infeasible with {n_assets} assets "
                f"(they would hold {lower * n_assets:.4g} > 1)"
            )
        if upper * n_assets < 1.0 - 1e-12:
            raise ConfigError(
                f"{self.name}: constraint max_weight={upper} is infeasible with {n_assets} assets "
                f"(at most {upper * n_assets:.4g} < 1 can be invested)"
            )
        return lower, upper

    def fit(self, train: MarketData, context: RunContext | None = None) -> WindowOptimiser:
        self._check_parameters()
        if hasattr(self, "min_weight"):
            self._check_bounds(len(train.assets))
        return super().fit(train, context)  # type: ignore[return-value]

    # --- constraints beyond bounds ----------------------------------------------------------
    def _constraint_set(self, assets: list[str]) -> ConstraintSet | None:
        """Bounds, group caps, cash and turnover limit, checked (None for optimisers without bounds)."""
        if not hasattr(self, "min_weight"):
            return None
        lower, upper = self._check_bounds(len(assets))
        return ConstraintSet.build(
            assets,
            strategy=self.name,
            lower=lower,
            upper=upper,
            groups=getattr(self, "groups", None),
            group_caps=getattr(self, "group_caps", None),
            allow_cash=bool(getattr(self, "allow_cash", False)),
            max_turnover=getattr(self, "max_turnover", None),
        )

    def _general_problem(self, n_assets: int, constraints):
        """The cvxpy form of this optimiser, for the general path (subclasses that support it)."""
        raise ConfigError(f"{self.name}: group caps, cash and turnover limits are not supported")

    def _general_numerator(self, estimates: Estimates) -> np.ndarray:
        return estimates.mean

    # --- the batched path -----------------------------------------------------------------
    def allocate(self, history: MarketData, dates: pd.DatetimeIndex) -> pd.DataFrame:
        self._check_parameters()
        dates = pd.DatetimeIndex(dates)
        n_assets = len(history.assets)
        windows = history.return_windows(dates, int(self.window), strategy=self.name)
        constraints = self._constraint_set(list(history.assets))
        if constraints is not None and constraints.needs_general_path:
            return self._allocate_sequential(history, dates, windows, constraints)
        per_date = n_assets * n_assets * 4 + int(self.window) * n_assets * 3
        chunk = max(1, _CHUNK_VALUES // per_date)
        weights, methods, objective = [], [], []
        for first in range(0, len(dates), chunk):
            part = slice(first, first + chunk)
            solved = self._solve(self._estimate(windows[part], dates[part]))
            weights.append(solved.weights)
            methods.extend(solved.methods)
            objective.append(solved.objective)
        self.record_allocations(methods, dates)
        self.objective_ = pd.Series(np.concatenate(objective), index=dates, name="objective")
        return pd.DataFrame(np.concatenate(weights), index=dates, columns=history.assets)

    def _allocate_sequential(
        self, history: MarketData, dates: pd.DatetimeIndex, windows: np.ndarray, constraints
    ) -> pd.DataFrame:
        """Date by date with cvxpy (compiled once): group caps, cash, turnover limits."""
        n_assets = len(history.assets)
        check_feasible(constraints, n_assets, self.name)
        problem = self._general_problem(n_assets, constraints)
        fallback = None
        positions = history.dates.get_indexer(dates)
        growth = 1.0 + np.nan_to_num(history.returns.to_numpy(), nan=0.0)
        weights = np.zeros((len(dates), n_assets))
        objective = np.zeros(len(dates))
        methods: list[AllocationStep] = []
        previous = None
        for k in range(len(dates)):
            estimates = self._estimate(windows[k : k + 1], dates[k : k + 1])
            method = self._label(estimates)[0]
            if previous is not None:
                # The previous decision's weights, drifted with the returns realised since.
                held = previous * growth[positions[k - 1] + 1 : positions[k] + 1].prod(axis=0)
                previous = held / (held.sum() + (1.0 - previous.sum()))
            numerator = self._general_numerator(estimates)[0]
            try:
                solved = problem.solve(estimates.covariance[0], numerator, previous)
                if solved is None and previous is not None and constraints.max_turnover is not None:
                    solved = problem.solve(estimates.covariance[0], numerator, None)
                    method = method.with_notes(
                        "turnover limit lifted: no portfolio within it meets the other constraints"
                    )
                if solved is None:
                    fallback = fallback or SequentialProblem(
                        Objective.VARIANCE, n_assets, constraints
                    )
                    solved = fallback.solve(estimates.covariance[0], numerator, previous)
                    method = self._label(
                        estimates,
                        "minimum_variance",
                        reason="the problem is infeasible on this window",
                    )[0]
                if solved is None:
                    raise RuntimeError("no portfolio satisfies the constraints")
            except RuntimeError as error:
                raise RuntimeError(f"{self.name} on {dates[k].date()}: {error}") from error
            weights[k] = solved
            objective[k] = self._objective_values(solved[None], estimates)[0]
            methods.append(method)
            previous = solved
        self.record_allocations(methods, dates)
        self.objective_ = pd.Series(objective, index=dates, name="objective")
        return pd.DataFrame(weights, index=dates, columns=history.assets)

    def _objective_values(self, weights: np.ndarray, estimates: Estimates) -> np.ndarray:
        raise NotImplementedError

    def _estimate(self, windows: np.ndarray, dates: pd.DatetimeIndex) -> Estimates:
        half_life = float(getattr(self, "half_life", 20.0))
        covariance = estimate_covariance(windows, getattr(self, "covariance", "sample"), half_life)
        covariance, regularised = regularise_covariance(covariance)
        mean = estimate_mean(windows, getattr(self, "mean", "sample"), half_life)
        return Estimates(dates, windows, mean, covariance, regularised)

    def _solve(self, estimates: Estimates) -> Solved:
        raise NotImplementedError

    # --- helpers for subclasses ------------------------------------------------------------
    def _label(
        self, estimates: Estimates, method: str | None = None, *, reason: str | None = None
    ) -> list[AllocationStep]:
        """The step of each date (this strategy's own method, or ``method`` as a fallback
        for ``reason``), noting where the covariance had to be regularised."""
        step = AllocationStep(method or self.name, reason)
        return [
            step.with_notes(REGULARISED_COVARIANCE) if flag else step
            for flag in estimates.regularised
        ]
