"""Allocation layers that use a forecast covariance: risk budgeting and volatility targeting.

Inputs are weights or budgets ``(batch, assets)`` and a covariance
``(batch, assets, assets)`` in the units of one period (daily returns);
outputs are weights ``(batch, assets)``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.autograd.function import once_differentiable

from riskalloc.core import ConfigError, threads_for
from riskalloc.risk import solve_risk_budgeting

__all__ = ["RiskBudgetingLayer", "VolatilityTarget"]


def _batched(vectors: torch.Tensor, covariance: torch.Tensor, name: str) -> torch.Tensor:
    """``vectors`` as ``(batch, assets)`` matching ``covariance``; a lone ``(assets,)`` is broadcast."""
    if covariance.ndim != 3 or covariance.shape[-1] != covariance.shape[-2]:
        raise ValueError(
            f"covariance must be (batch, assets, assets), got {tuple(covariance.shape)}"
        )
    batch, n = covariance.shape[0], covariance.shape[-1]
    if vectors.shape not in ((n,), (batch, n)):
        raise ValueError(
            f"{name} must be ({batch}, {n}) or ({n},) to match the covariance, got {tuple(vectors.shape)}"
        )
    return vectors.expand(batch, n)


class _RiskBudgetingFunction(torch.autograd.Function):
    """``y`` with ``S y = b / y``, ``y > 0``: the minimiser of ``0.5 y'Sy - b' log(y)``.

    Forward: Newton's method (:func:`riskalloc.risk.solve_risk_budgeting`).
    Backward: implicit differentiation of ``F(y, b, S) = S y - b / y = 0``. With
    ``J = dF/dy = S + diag(b / y²)`` (symmetric positive definite),
    ``dy = J^{-1} (db / y - dS y)``, so for an upstream gradient ``g``:
    ``u = J^{-1} g``, ``dL/db = u / y``, ``dL/dS = -u y'``.
    """

    @staticmethod
    def forward(ctx, budgets: torch.Tensor, covariance: torch.Tensor, tolerance: float):
        weights, converged = solve_risk_budgeting(covariance, budgets, tolerance=tolerance)
        if not bool(converged.all()):
            rows = torch.nonzero(~converged).flatten().tolist()
            raise RuntimeError(
                f"RiskBudgetingLayer: Newton's method did not meet the budgets to {tolerance:g} "
                f"on rows {rows[:10]} of the batch (is each covariance positive definite?)"
            )
        # At the optimum y'Sy = sum(b), which fixes the scale of y = t w.
        variance = torch.einsum("bi,bij,bj->b", weights, covariance, weights)
        unnormalised = weights * torch.sqrt(budgets.sum(-1) / variance)[:, None]
        ctx.save_for_backward(budgets, covariance, unnormalised)
        return unnormalised

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_unnormalised: torch.Tensor):
        budgets, covariance, y = ctx.saved_tensors
        with threads_for(covariance.numel() if covariance.device.type == "cpu" else 1 << 62):
            jacobian = covariance + torch.diag_embed(budgets / (y * y))
            u = torch.linalg.solve(jacobian, grad_unnormalised[..., None])[..., 0]
        grad_budgets = u / y if ctx.needs_input_grad[0] else None
        grad_covariance = -u[:, :, None] * y[:, None, :] if ctx.needs_input_grad[1] else None
        return grad_budgets, grad_covariance, None


class RiskBudgetingLayer(nn.Module):
    """The long-only, fully invested portfolio whose risk contributions equal the budgets.

    ``w_i (S w)_i / (w' S w) = b_i`` for every asset, solved exactly: ``w = y / sum(y)``
    with ``y`` the minimiser of ``0.5 y'Sy - sum_i b_i log(y_i)`` (Spinu 2013). The
    budget ``sum(w) = 1`` is imposed by that normalisation, *after* solving:
    imposing it inside the log-barrier problem would distort the contributions.

    Forward: batched Newton (:func:`riskalloc.risk.solve_risk_budgeting`), which
    raises if a row misses its budgets by more than ``tolerance``. Backward:
    implicit differentiation of ``S y = b / y`` (one linear solve per row), then
    autograd through the normalisation; gradients reach both the budgets and
    the covariance. The covariance is symmetrised first, ``(S + S') / 2``, so its
    gradient is symmetric.

    Parameters
    ----------
    tolerance : float, default 1e-10
        Largest accepted ``|risk share - budget|``.
    dtype : torch.dtype, default torch.float64
        Precision of the solve and of the output.

    Forward arguments
    -----------------
    budgets : (batch, assets) or (assets,), positive; divided by their sum
    covariance : (batch, assets, assets), positive definite

    Examples
    --------
    >>> layer = RiskBudgetingLayer()
    >>> covariance = torch.diag(torch.tensor([0.01, 0.04], dtype=torch.float64))[None]
    >>> layer(torch.tensor([0.5, 0.5]), covariance).tolist()  # inverse volatility
    [[0.6666666666666666, 0.3333333333333333]]
    """

    def __init__(self, tolerance: float = 1e-10, dtype: torch.dtype = torch.float64) -> None:
        super().__init__()
        if not tolerance > 0:
            raise ConfigError(
                f"RiskBudgetingLayer: parameter 'tolerance' must be > 0, got {tolerance!r}"
            )
        self.tolerance = tolerance
        self.dtype = dtype

    def forward(self, budgets: torch.Tensor, covariance: torch.Tensor) -> torch.Tensor:
        covariance = covariance.to(self.dtype)
        budgets = _batched(budgets.to(self.dtype), covariance, "budgets")
        if not bool((budgets > 0).all()):
            raise ValueError(
                "RiskBudgetingLayer: budgets must be positive (use softmax or softplus)"
            )
        covariance = 0.5 * (covariance + covariance.transpose(-1, -2))
        budgets = budgets / budgets.sum(-1, keepdim=True)
        unnormalised = _RiskBudgetingFunction.apply(budgets, covariance, self.tolerance)
        return unnormalised / unnormalised.sum(-1, keepdim=True)

    def extra_repr(self) -> str:
        return f"tolerance={self.tolerance:g}"


class VolatilityTarget(nn.Module):
    """Scale risky weights down to a target annualised volatility; cash holds the rest.

    ``w_out = w * min(1, target / sigma)`` with ``sigma = sqrt(periods_per_year * w' S w)``
    the portfolio's annualised volatility under the forecast covariance ``S`` of
    one period's returns. A portfolio above the target is scaled to exactly the
    target; one below it is left alone (never leveraged). The output is the
    risky weights only: the cash weight is ``1 - w_out.sum(-1)`` (for inputs that
    sum to one), earning nothing and carrying no risk.

    Parameters
    ----------
    target : float, default 0.10
        Annualised volatility (0.10 = 10 %).
    periods_per_year : int, default 252
        Periods of the covariance in one year (252 for daily returns).

    Examples
    --------
    >>> layer = VolatilityTarget(target=0.10)
    >>> covariance = torch.full((1, 1, 1), 0.2**2 / 252, dtype=torch.float64)  # 20 % a year
    >>> layer(torch.ones(1, 1, dtype=torch.float64), covariance).tolist()
    [[0.5]]
    """

    def __init__(self, target: float = 0.10, periods_per_year: int = 252) -> None:
        super().__init__()
        if not target > 0:
            raise ConfigError(f"VolatilityTarget: parameter 'target' must be > 0, got {target!r}")
        if not periods_per_year > 0:
            raise ConfigError(
                f"VolatilityTarget: parameter 'periods_per_year' must be > 0, got {periods_per_year!r}"
            )
        self.target = target
        self.periods_per_year = periods_per_year

    def forward(self, weights: torch.Tensor, covariance: torch.Tensor) -> torch.Tensor:
        covariance = covariance.to(weights.dtype)
        weights = _batched(weights, covariance, "weights")
        variance = self.periods_per_year * torch.einsum(
            "bi,bij,bj->b", weights, covariance, weights
        )
        # A portfolio with no risk (all cash) has nothing to scale; the floor keeps sqrt differentiable.
        volatility = torch.sqrt(variance.clamp_min(torch.finfo(variance.dtype).tiny))
        scale = torch.clamp(self.target / volatility, max=1.0)
        return weights * scale[:, None]

    def extra_repr(self) -> str:
        return f"target={self.target}, periods_per_year={self.periods_per_year}"
