"""Allocation layers onto the long-only, fully invested simplex: softmax and capped simplex.

Both take scores ``(batch, assets)`` and return weights ``(batch, assets)``
that are non-negative and sum to one. They hold no parameters, so they serve
any number of assets.
"""

from __future__ import annotations

import torch
from torch import nn

from riskalloc.core import ConfigError
from riskalloc.strategies.classical._qp import project_box_hyperplane

__all__ = ["CappedSimplex", "SoftmaxAllocation", "project_capped_simplex"]


class SoftmaxAllocation(nn.Module):
    """Long-only, fully invested weights ``w = softmax(scores / temperature)``.

    A low temperature concentrates the portfolio on the highest scores; a high
    one spreads it towards equal weights. Every weight is strictly positive.

    Parameters
    ----------
    temperature : float, default 1.0
        Positive divisor of the scores.

    Examples
    --------
    >>> layer = SoftmaxAllocation(temperature=0.5)
    >>> layer(torch.tensor([[0.0, 0.0]])).tolist()
    [[0.5, 0.5]]
    """

    def __init__(self, temperature: float = 1.0) -> None:
        super().__init__()
        if not temperature > 0:
            raise ConfigError(
                f"SoftmaxAllocation: parameter 'temperature' must be > 0, got {temperature!r}"
            )
        self.temperature = temperature

    def forward(self, scores: torch.Tensor) -> torch.Tensor:
        return torch.softmax(scores / self.temperature, dim=-1)

    def extra_repr(self) -> str:
        return f"temperature={self.temperature}"


def project_capped_simplex(scores: torch.Tensor, cap: float) -> torch.Tensor:
    """Euclidean projection of each row onto ``{w : 0 <= w <= cap, sum(w) = 1}``.

    The projection is ``w_i = clip(v_i - tau, 0, cap)`` with the threshold
    ``tau`` that makes the weights sum to one. Bisection (without gradient)
    finds which weights end at 0, which at ``cap`` and which in between
    (the free set ``F``); ``tau`` is then recomputed exactly from that split,

        tau = (sum_{i in F} v_i + cap * #{w_i = cap} - 1) / #F,

    so the weights sum to one to rounding and autograd through this expression
    gives the projection's Jacobian, ``I - 11'/#F`` on the free weights and zero
    elsewhere (exact wherever the split is locally constant, i.e. almost
    everywhere).

    Parameters
    ----------
    scores : (..., assets)
    cap : largest weight of one asset; ``cap * assets >= 1`` is needed for a
        fully invested portfolio to exist.

    Examples
    --------
    >>> project_capped_simplex(torch.tensor([[3.0, 1.0, 0.0]], dtype=torch.float64), 0.75).tolist()
    [[0.75, 0.25, 0.0]]
    """
    n = scores.shape[-1]
    # 1 - 1e-12: a cap of exactly 1 / n is valid, and (1 / 49) * 49 rounds to just under one.
    if not cap > 0 or cap * n < 1 - 1e-12:
        raise ConfigError(
            f"capped simplex: parameter 'cap' = {cap!r} allows no fully invested portfolio "
            f"of {n} assets; it must be at least 1 / {n} = {1 / n:.6g}"
        )
    rows = scores.reshape(-1, n)
    with torch.no_grad():
        detached = rows.detach()
        ones = torch.ones_like(detached)
        split = project_box_hyperplane(
            detached, ones, ones[:, 0], torch.zeros_like(detached), torch.full_like(detached, cap)
        )
    at_cap = split >= cap
    free = (split > 0) & ~at_cap
    n_free = free.sum(-1, keepdim=True)
    threshold = (
        torch.where(free, rows, torch.zeros_like(rows)).sum(-1, keepdim=True)
        + cap * at_cap.sum(-1, keepdim=True).to(rows.dtype)
        - 1.0
    ) / n_free.clamp_min(1)
    capped = torch.full_like(rows, cap)
    weights = torch.where(
        free, rows - threshold, torch.where(at_cap, capped, torch.zeros_like(rows))
    )
    # The split is exact up to ties at rounding level; the clamp only removes those.
    return torch.clamp(weights, min=0.0, max=cap).reshape(scores.shape)


class CappedSimplex(nn.Module):
    """Long-only, fully invested weights with a per-asset maximum: the projection of the scores.

    ``w = argmin ||w - scores||²`` over ``{0 <= w <= cap, sum(w) = 1}``, computed
    exactly (see :func:`project_capped_simplex`), with its exact gradient.
    Computed in ``dtype`` (float64 by default), which the output keeps.

    Parameters
    ----------
    cap : float
        Largest weight of one asset; ``cap >= 1`` is the plain simplex.
        ``cap * assets < 1`` raises :class:`riskalloc.ConfigError` in ``forward``.
    dtype : torch.dtype, default torch.float64

    Examples
    --------
    >>> CappedSimplex(cap=0.5)(torch.tensor([[2.0, 0.0, 0.0]])).tolist()
    [[0.5, 0.25, 0.25]]
    """

    def __init__(self, cap: float, dtype: torch.dtype = torch.float64) -> None:
        super().__init__()
        if not cap > 0:
            raise ConfigError(f"CappedSimplex: parameter 'cap' must be > 0, got {cap!r}")
        self.cap = cap
        self.dtype = dtype

    def forward(self, scores: torch.Tensor) -> torch.Tensor:
        return project_capped_simplex(scores.to(self.dtype), self.cap)

    def extra_repr(self) -> str:
        return f"cap={self.cap}"
