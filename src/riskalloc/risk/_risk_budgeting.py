"""Risk budgeting, solved exactly for a batch of covariance matrices (Newton's method).

The long-only portfolio whose risk contributions ``w_i (Sw)_i / w'Sw`` equal
the budgets ``b`` is ``w = y / sum(y)`` for the unique minimiser ``y > 0`` of

    f(y) = 0.5 y'Sy - sum_i b_i log(y_i)

(Spinu 2013; Roncalli 2013). The budget constraint is deliberately *not*
imposed inside the log-barrier problem: doing so distorts the contributions.
Newton's method with a fraction-to-the-boundary rule and Armijo backtracking
converges quadratically; the batch runs at once, on a GPU when the tensors
are there.
"""

from __future__ import annotations

import torch

from riskalloc.core import threads_for

__all__ = ["solve_risk_budgeting"]


def solve_risk_budgeting(
    covariance: torch.Tensor,
    budgets: torch.Tensor,
    *,
    max_iterations: int = 100,
    tolerance: float = 1e-12,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Risk-budgeting weights for each covariance matrix of the batch (see :func:`_solve`)."""
    size = covariance.numel() if covariance.device.type == "cpu" else 1 << 62
    with threads_for(size):
        return _solve(covariance, budgets, max_iterations=max_iterations, tolerance=tolerance)


def _solve(
    covariance: torch.Tensor,
    budgets: torch.Tensor,
    *,
    max_iterations: int = 100,
    tolerance: float = 1e-12,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Risk-budgeting weights for each covariance matrix of the batch.

    Parameters
    ----------
    covariance : (B, N, N) positive definite
    budgets : (B, N) or (N,), positive, summing to one
    tolerance : largest ``|risk_contribution_share - budget|`` accepted as converged

    Returns
    -------
    weights : (B, N), positive, summing to one
    converged : (B,) whether every contribution matches its budget to ``tolerance``
    """
    batch, n = covariance.shape[0], covariance.shape[-1]
    budgets = budgets.expand(batch, n).to(covariance)
    # Scale to unit average variance so the tolerances mean the same at any scale.
    scale = torch.diagonal(covariance, dim1=-2, dim2=-1).mean(-1)
    sigma = covariance / scale[:, None, None]
    y = budgets / torch.sqrt(torch.diagonal(sigma, dim1=-2, dim2=-1))
    # At the optimum y'Sy = sum(b) = 1: start on that scale.
    y = y / torch.sqrt(torch.einsum("bi,bij,bj->b", y, sigma, y))[:, None]

    def objective(point: torch.Tensor) -> torch.Tensor:
        return 0.5 * torch.einsum("bi,bij,bj->b", point, sigma, point) - (
            budgets * torch.log(point)
        ).sum(-1)

    value = objective(y)
    for _ in range(max_iterations):
        gradient = torch.einsum("bij,bj->bi", sigma, y) - budgets / y
        hessian = sigma + torch.diag_embed(budgets / (y * y))
        step = -torch.linalg.solve(hessian, gradient[..., None])[..., 0]
        decrement = -(gradient * step).sum(-1)
        if bool((decrement < 1e-28).all()):
            break
        # Stay strictly positive, then backtrack until the objective decreases enough.
        ratio = torch.where(step < 0, -y / step, torch.full_like(y, float("inf")))
        length = torch.clamp(0.99 * ratio.min(-1).values, max=1.0)
        for _ in range(60):
            candidate = y + length[:, None] * step
            candidate_value = objective(candidate)
            # Near the optimum (small Newton decrement) the full step is safe, and the
            # objective's change is below rounding, so Armijo's test could not see it.
            accept = (candidate_value <= value - 1e-4 * length * decrement) | (decrement < 1e-8)
            if bool(accept.all()):
                break
            length = torch.where(accept, length, 0.5 * length)
        y = torch.where((decrement >= 1e-28)[:, None], candidate, y)
        value = objective(y)
    weights = y / y.sum(-1, keepdim=True)
    marginal = torch.einsum("bij,bj->bi", sigma, weights)
    shares = weights * marginal / (weights * marginal).sum(-1, keepdim=True)
    converged = (shares - budgets).abs().amax(-1) <= tolerance
    return weights, converged
