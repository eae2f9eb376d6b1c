"""Mean-variance allocation layer: weights from a predicted mean and covariance."""

from __future__ import annotations

import torch
from torch import nn

from riskalloc.core import ConfigError, threads_for
from riskalloc.strategies.classical._qp import solve_box_qp
from riskalloc.strategies.deep._layers_risk import _batched

__all__ = ["MeanVarianceLayer"]

# Weights sum to one, so this is far below any weight that matters and far above rounding.
_AT_ZERO = 1e-12


class MeanVarianceLayer(nn.Module):
    """Fully invested mean-variance weights, ``argmin -w'mu + risk_aversion * w'Sw`` with ``sum(w) = 1``.

    The objective is the one of :class:`riskalloc.strategies.classical.MeanVariance`
    (``mu`` and ``S`` in the units of one period, so ``risk_aversion`` is per period).

    ``long_only=False`` (budget constraint only): the closed form

        w = S^{-1} (mu - nu 1) / (2 risk_aversion),
        nu = (1'S^{-1}mu - 2 risk_aversion) / (1'S^{-1}1),

    differentiated by autograd through the linear solve; exact everywhere.

    ``long_only=True`` (adds ``w >= 0``): the batched active-set QP solver
    (:func:`riskalloc.strategies.classical._qp.solve_box_qp`, no gradient) finds
    which weights are zero; the weights are then recomputed, with autograd, from
    the KKT system of that active set: the equality-constrained problem on the
    free assets, zero on the others (weights below 1e-12 count as zero; the
    layer raises if the recomputed weights differ from the solver's by more
    than 1e-9). The forward value is the exact QP solution; the gradient is the
    exact derivative of the QP solution wherever the active set does not change
    under a small perturbation (strict complementarity: every zero weight has a
    positive multiplier), which holds almost everywhere. Zero weights get zero
    gradient: a small change of ``mu`` does not bring an excluded asset in.

    Parameters
    ----------
    risk_aversion : float, default 1.0
    long_only : bool, default True
    dtype : torch.dtype, default torch.float64
        Precision of the solve and of the output.

    Forward arguments
    -----------------
    mean : (batch, assets) or (assets,), predicted mean returns of one period
    covariance : (batch, assets, assets), positive definite

    Examples
    --------
    >>> layer = MeanVarianceLayer(risk_aversion=1.0, long_only=False)
    >>> covariance = torch.eye(2, dtype=torch.float64)[None]
    >>> layer(torch.tensor([[0.5, 0.0]]), covariance).tolist()  # nu = -0.75
    [[0.625, 0.375]]
    """

    def __init__(
        self, risk_aversion: float = 1.0, long_only: bool = True, dtype: torch.dtype = torch.float64
    ) -> None:
        super().__init__()
        if not risk_aversion > 0:
            raise ConfigError(
                f"MeanVarianceLayer: parameter 'risk_aversion' must be > 0, got {risk_aversion!r}"
            )
        self.risk_aversion = risk_aversion
        self.long_only = long_only
        self.dtype = dtype

    def forward(self, mean: torch.Tensor, covariance: torch.Tensor) -> torch.Tensor:
        covariance = covariance.to(self.dtype)
        mean = _batched(mean.to(self.dtype), covariance, "mean")
        covariance = 0.5 * (covariance + covariance.transpose(-1, -2))
        quadratic = 2.0 * self.risk_aversion * covariance
        size = covariance.numel() if covariance.device.type == "cpu" else 1 << 62
        with threads_for(size):
            if not self.long_only:
                return _budget_only(quadratic, mean)
            return _long_only(quadratic, mean)

    def extra_repr(self) -> str:
        return f"risk_aversion={self.risk_aversion}, long_only={self.long_only}"


def _budget_only(quadratic: torch.Tensor, mean: torch.Tensor) -> torch.Tensor:
    """``argmin 0.5 w'Qw - mu'w`` subject to ``sum(w) = 1``, in closed form."""
    ones = torch.ones_like(mean)
    solved = torch.linalg.solve(quadratic, torch.stack([mean, ones], dim=-1))
    towards_mean, towards_ones = solved[..., 0], solved[..., 1]
    multiplier = (towards_mean.sum(-1) - 1.0) / towards_ones.sum(-1)
    return towards_mean - multiplier[:, None] * towards_ones


def _long_only(quadratic: torch.Tensor, mean: torch.Tensor) -> torch.Tensor:
    """``argmin 0.5 w'Qw - mu'w`` subject to ``sum(w) = 1, w >= 0``; gradient through the active set."""
    batch, n = mean.shape
    with torch.no_grad():
        ones = torch.ones_like(mean)
        solution = solve_box_qp(
            quadratic.detach(),
            mean.detach(),
            ones,
            ones[:, 0],
            torch.zeros_like(ones),
            torch.full_like(ones, float("inf")),
        )
    if not bool(solution.converged.all()):
        rows = torch.nonzero(~solution.converged).flatten().tolist()
        raise RuntimeError(
            f"MeanVarianceLayer: the QP solver could not verify its solution on rows {rows[:10]} "
            "of the batch (is each covariance positive definite?)"
        )
    # The solver can leave a weight that belongs at zero a rounding error above it
    # (5e-17, say); freeing it would change the KKT system, so such weights count as zero.
    free = (solution.weights > _AT_ZERO).to(mean.dtype)
    fixed = 1.0 - free
    # KKT system of the free assets; a zero weight's row reads w_i = 0.
    eye = torch.eye(n, dtype=mean.dtype, device=mean.device)
    system = torch.zeros(batch, n + 1, n + 1, dtype=mean.dtype, device=mean.device)
    system[:, :n, :n] = free[:, :, None] * quadratic + fixed[:, :, None] * eye
    system[:, :n, n] = -free
    system[:, n, :n] = 1.0
    rhs = torch.cat([free * mean, torch.ones_like(mean[:, :1])], dim=-1)
    weights = torch.linalg.solve(system, rhs)[:, :n] * free
    mismatch = (weights.detach() - solution.weights).abs().amax(-1)
    if bool((mismatch > 1e-9).any()):
        rows = torch.nonzero(mismatch > 1e-9).flatten().tolist()
        raise RuntimeError(
            f"MeanVarianceLayer: the active set found by the QP solver does not reproduce its "
            f"weights on rows {rows[:10]} of the batch (largest gap {mismatch.max().item():.2g})"
        )
    return weights
