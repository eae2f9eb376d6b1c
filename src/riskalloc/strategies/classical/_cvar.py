"""Minimum CVaR and mean-CVaR: the Rockafellar-Uryasev linear programme on each window.

The scenarios of a decision date are the ``window`` most recent daily returns up
to and including it, ``r_1 .. r_T`` (rows of ``R``, ``T x N``). For a portfolio
``w`` the historical CVaR at ``confidence`` ``alpha`` (a loss, as in
:func:`riskalloc.risk.conditional_value_at_risk`) is

``CVaR_alpha(w) = min_z  z + 1 / ((1 - alpha) T) * sum_t max(-r_t'w - z, 0)``,

and minimising it jointly over ``w`` and ``z`` is a linear programme
(Rockafellar and Uryasev, 2000), with one auxiliary ``u_t`` per scenario:

``min  z + sum(u) / ((1 - alpha) T)``
``s.t. u >= -R w - z,  u >= 0,  sum(w) = 1,  min_weight <= w <= max_weight``.

There is no closed form, so the programme is written in cvxpy once per
``allocate`` call with ``R`` (and the mean) as parameters; cvxpy compiles it
once (it is DPP) and each date only sets the parameter values and re-solves
with Clarabel, whose solver object is updated in place rather than rebuilt.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskalloc.core import ConfigError
from riskalloc.data import MarketData
from riskalloc.strategies._allocation_record import AllocationStep
from riskalloc.strategies.classical._optimiser import Estimates, Solved, WindowOptimiser

__all__ = ["MeanCVaR", "MinimumCVaR"]


class _CVaRProgramme:
    """The Rockafellar-Uryasev LP compiled once; :meth:`solve` re-solves it for one window.

    Objective ``-mean_weight * mu'w + cvar_weight * (z + sum(u) / ((1 - alpha) T))``:
    ``(0, 1)`` is minimum CVaR, ``(1, risk_aversion)`` mean-CVaR.
    """

    def __init__(
        self,
        n_scenarios: int,
        n_assets: int,
        confidence: float,
        lower: float,
        upper: float,
        mean_weight: float,
        cvar_weight: float,
    ) -> None:
        import cvxpy as cp

        self.lower, self.upper = lower, upper
        self.scenarios = cp.Parameter((n_scenarios, n_assets))
        self.weights = cp.Variable(n_assets)
        threshold = cp.Variable()  # z: the VaR at the optimum
        shortfall = cp.Variable(n_scenarios, nonneg=True)  # u_t = max(loss_t - z, 0)
        cvar = threshold + cp.sum(shortfall) / ((1.0 - confidence) * n_scenarios)
        objective = cvar_weight * cvar
        self.mean = None
        if mean_weight:
            self.mean = cp.Parameter(n_assets)
            objective = objective - mean_weight * (self.mean @ self.weights)
        constraints = [
            shortfall >= -(self.scenarios @ self.weights) - threshold,
            cp.sum(self.weights) == 1.0,
            self.weights >= lower,
        ]
        if upper < 1.0 or lower < 0.0:  # otherwise implied by the budget and w >= lower >= 0
            constraints.append(self.weights <= upper)
        self.problem = cp.Problem(cp.Minimize(objective), constraints)
        # Not DPP would mean a recompilation per date: a bug here, not the user's.
        if not self.problem.is_dcp(dpp=True):
            raise AssertionError("the CVaR programme must be DPP to be compiled once")

    def solve(
        self, scenarios: np.ndarray, mean: np.ndarray
    ) -> tuple[np.ndarray | None, float, str]:
        """Weights, objective value and cvxpy status for one window of scenarios."""
        import cvxpy as cp

        # The programme is homogeneous in the returns, so it is solved on returns scaled to a
        # largest size of one: Clarabel's tolerances are absolute, and a calm window (daily
        # moves of a few basis points) would otherwise be solved to a relative 1e-4 only.
        scale = float(np.abs(scenarios).max())
        scale = scale if scale > 0.0 else 1.0
        self.scenarios.value = scenarios / scale
        if self.mean is not None:
            self.mean.value = mean / scale
        try:
            # warm_start: cvxpy hands Clarabel the new data in place of a new solver.
            self.problem.solve(solver=cp.CLARABEL, warm_start=True)
        except cp.error.SolverError as error:
            return None, np.nan, f"solver error ({error})"
        status = str(self.problem.status)
        if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) or self.weights.value is None:
            return None, np.nan, status
        weights = _within_bounds(
            np.asarray(self.weights.value, dtype=float), self.lower, self.upper
        )
        return weights, float(self.problem.value) * scale, status


def _within_bounds(weights: np.ndarray, lower: float, upper: float) -> np.ndarray:
    """The solver's weights clipped to the bounds, with the budget restored exactly.

    An interior-point solution meets its constraints to about 1e-9; clipping alone
    would leave the sum off by as much per asset. The residual goes to the assets
    in proportion to their room on the side it needs, which keeps every bound.
    """
    weights = np.clip(weights, lower, upper)
    residual = 1.0 - weights.sum()
    room = upper - weights if residual > 0 else weights - lower
    if room.sum() > 0:
        weights = np.clip(weights + residual * room / room.sum(), lower, upper)
    return weights


class _CVaROptimiser(WindowOptimiser):
    """Shared validation and per-date solving of the CVaR programme."""

    confidence: float
    min_weight: float
    max_weight: float

    _programme: _CVaRProgramme | None = None

    def _objective_weights(self) -> tuple[float, float]:
        """``(mean_weight, cvar_weight)`` of the objective."""
        raise NotImplementedError

    def _check_parameters(self) -> None:
        super()._check_parameters()
        confidence = self.confidence
        if (
            isinstance(confidence, bool)
            or not isinstance(confidence, int | float)
            or not 0.0 < confidence < 1.0
        ):
            raise ConfigError(
                f"{self.name}: parameter 'confidence' must be a probability in (0, 1) such as 0.95, got {confidence!r}"
            )

    def allocate(self, history: MarketData, dates: pd.DatetimeIndex) -> pd.DataFrame:
        # One programme for every chunk of this call; not kept afterwards (it holds
        # the solver, and the next call may have other assets or bounds).
        self._programme = None
        try:
            return super().allocate(history, dates)
        finally:
            self._programme = None

    def _solve(self, estimates: Estimates) -> Solved:
        batch, n_scenarios, n_assets = estimates.windows.shape
        lower, upper = self._check_bounds(n_assets)
        programme = self._programme
        if programme is None:
            mean_weight, cvar_weight = self._objective_weights()
            programme = self._programme = _CVaRProgramme(
                n_scenarios,
                n_assets,
                float(self.confidence),
                lower,
                upper,
                mean_weight,
                cvar_weight,
            )
        weights = np.empty((batch, n_assets))
        objective = np.empty(batch)
        methods: list[AllocationStep] = []
        for k in range(batch):
            solution, value, status = programme.solve(estimates.windows[k], estimates.mean[k])
            if solution is None:
                raise RuntimeError(
                    f"{self.name} on {estimates.dates[k].date()}: Clarabel found no solution "
                    f"(cvxpy status {status}); the weights of that date are undefined"
                )
            weights[k], objective[k] = solution, value
            step = AllocationStep(self.name)
            methods.append(step if status == "optimal" else step.with_notes(status))
        return Solved(weights, methods, objective)


class MinimumCVaR(_CVaROptimiser):
    """Minimum CVaR: ``min CVaR_alpha(w)`` s.t. ``sum w = 1``, ``min_weight <= w <= max_weight``.

    ``CVaR_alpha(w) = min_z z + sum_t max(-r_t'w - z, 0) / ((1 - alpha) T)`` over
    the ``T = window`` most recent daily returns ``r_t`` up to and including the
    decision date (historical scenarios, equally likely): the average loss on
    the worst ``1 - alpha`` share of days, the boundary day counted
    fractionally. It is solved as the Rockafellar-Uryasev LP with cvxpy and
    Clarabel, compiled once per ``allocate`` call. ``objective_`` holds the
    optimiser's own objective value, the daily CVaR (a loss), which
    :func:`riskalloc.risk.conditional_value_at_risk` reproduces from the weights.
    A date the solver cannot solve raises ``RuntimeError`` naming it.

    Parameters
    ----------
    confidence : float, default 0.95
        ``alpha``; the tail holds the worst ``1 - alpha`` of the scenarios.
    window : int, default 50
        Number of daily returns (scenarios) per decision.
    min_weight, max_weight : float, default 0 and 1
        Bounds on each weight (a negative minimum allows bounded shorts).

    Examples
    --------
    >>> import riskalloc as ra
    >>> result = ra.backtest(ra.scenario("bull-2010"), ra.get_strategy("minimum_cvar"))
    """

    name = "minimum_cvar"

    def __init__(
        self,
        confidence: float = 0.95,
        window: int = 50,
        min_weight: float = 0.0,
        max_weight: float = 1.0,
    ) -> None:
        self.confidence = confidence
        self.window = window
        self.min_weight = min_weight
        self.max_weight = max_weight

    def _objective_weights(self) -> tuple[float, float]:
        return 0.0, 1.0


class MeanCVaR(_CVaROptimiser):
    """Mean-CVaR: ``min -w' mu + risk_aversion * CVaR_alpha(w)`` over the bounded, fully invested set.

    ``mu`` is the mean of the ``window`` daily returns (the scenarios) and
    ``CVaR_alpha`` is as for :class:`MinimumCVaR`, both daily, so the two terms
    share units and ``risk_aversion`` is dimensionless: with ``risk_aversion = 0``
    it is maximum return, and as it grows it tends to minimum CVaR.
    ``objective_`` holds the optimiser's own objective value,
    ``-w' mu + risk_aversion * CVaR_alpha(w)``.

    Parameters
    ----------
    risk_aversion : float, default 1.0
        ``lambda >= 0``, the weight of CVaR against the mean.
    confidence, window, min_weight, max_weight
        as for :class:`MinimumCVaR`.

    Examples
    --------
    >>> import riskalloc as ra
    >>> result = ra.backtest(ra.scenario("bull-2010"), ra.get_strategy("mean_cvar", risk_aversion=2.0))
    """

    name = "mean_cvar"

    def __init__(
        self,
        risk_aversion: float = 1.0,
        confidence: float = 0.95,
        window: int = 50,
        min_weight: float = 0.0,
        max_weight: float = 1.0,
    ) -> None:
        self.risk_aversion = risk_aversion
        self.confidence = confidence
        self.window = window
        self.min_weight = min_weight
        self.max_weight = max_weight

    def _check_parameters(self) -> None:
        super()._check_parameters()
        value = self.risk_aversion
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not (np.isfinite(value) and value >= 0)
        ):
            raise ConfigError(
                f"{self.name}: parameter 'risk_aversion' must be a finite number >= 0, got {value!r}"
            )

    def _objective_weights(self) -> tuple[float, float]:
        return 1.0, float(self.risk_aversion)
