"""Differentiable versions of the limits, for a deep strategy's training graph.

The same rules as :class:`LimitedAllocator`, written in torch so gradients
flow through them (almost everywhere: a cap, a ``min`` or a sort is not
differentiable where two values tie, as for any projection):

- ``max_weight``: :class:`~riskalloc.strategies.deep.CappedSimplex` (reused,
  the exact projection with its exact Jacobian);
- ``vol_target``: :class:`~riskalloc.strategies.deep.VolatilityTarget` (reused);
- ``var`` / ``cvar``: :class:`TailRiskScaling`, the same scaling as the exact
  path with the same measures as :func:`riskalloc.risk.value_at_risk` and
  :func:`riskalloc.risk.conditional_value_at_risk`;
- ``max_turnover``: :class:`TurnoverBlend`, the cut along the line from the
  previous weights.

Group caps and the drawdown stop (a rule over the realised path, not a
function of one decision) have no differentiable layer; :class:`LimitLayers`
says so when asked for them.
"""

from __future__ import annotations

import torch
from torch import nn

from riskalloc.core import (
    PERIODS_PER_YEAR,
    ConfigError,
    torch_conditional_value_at_risk,
    torch_value_at_risk,
)
from riskalloc.strategies.deep._layers_risk import VolatilityTarget
from riskalloc.strategies.deep._layers_simplex import CappedSimplex
from riskalloc.strategies.limits import Limits

__all__ = [
    "LimitLayers",
    "TailRiskScaling",
    "TurnoverBlend",
    "tail_loss",
]


def tail_loss(
    weights: torch.Tensor, scenarios: torch.Tensor, confidence: float, measure: str
) -> torch.Tensor:
    """Historical VaR or CVaR loss ``(batch,)`` of weights ``(batch, assets)`` on
    scenarios ``(batch, observations, assets)``, as :mod:`riskalloc.risk` defines them.

    VaR is the ``ceil(confidence n)``-th smallest loss (no interpolation); CVaR is
    Rockafellar-Uryasev, ``VaR + mean((loss - VaR)+) / (1 - confidence)``.
    """
    returns = torch.einsum("bti,bi->bt", scenarios, weights)
    if measure == "var":
        return torch_value_at_risk(returns, confidence)
    return torch_conditional_value_at_risk(returns, confidence)


class TailRiskScaling(nn.Module):
    """Scale risky weights so the historical VaR or CVaR loss is at most ``limit``.

    ``w_out = w * min(1, limit / loss(w))``; cash (``1 - sum w_out``) takes the rest.
    Exact, because the loss is positively homogeneous in ``w``.

    Parameters
    ----------
    limit : float
        Largest loss, e.g. 0.02 for a 2 % one-day loss.
    measure : {"var", "cvar"}
    confidence : float, default 0.95

    Examples
    --------
    >>> scenarios = torch.tensor([[[-0.04], [0.01], [0.02]]], dtype=torch.float64)
    >>> TailRiskScaling(0.02, "var", 0.5)(torch.ones(1, 1, dtype=torch.float64), scenarios).tolist()
    [[1.0]]
    """

    def __init__(self, limit: float, measure: str = "var", confidence: float = 0.95) -> None:
        super().__init__()
        if not limit > 0:
            raise ConfigError(f"TailRiskScaling: parameter 'limit' must be > 0, got {limit!r}")
        if measure not in ("var", "cvar"):
            raise ConfigError(
                f"TailRiskScaling: parameter 'measure' must be var or cvar, got {measure!r}"
            )
        self.limit, self.measure, self.confidence = limit, measure, confidence

    def forward(self, weights: torch.Tensor, scenarios: torch.Tensor) -> torch.Tensor:
        loss = tail_loss(weights, scenarios.to(weights.dtype), self.confidence, self.measure)
        # A loss at or below zero needs no scaling; the floor keeps the division finite.
        scale = torch.clamp(self.limit / loss.clamp_min(torch.finfo(loss.dtype).tiny), max=1.0)
        return weights * scale[:, None]

    def extra_repr(self) -> str:
        return f"limit={self.limit}, measure={self.measure}, confidence={self.confidence}"


class TurnoverBlend(nn.Module):
    """Cut the trade from ``previous`` to ``target`` to a two-way turnover of at most ``limit``.

    ``w = previous + lambda (target - previous)`` with
    ``lambda = min(1, limit / sum_i |target_i - previous_i|)``.

    Examples
    --------
    >>> blend = TurnoverBlend(0.2)
    >>> target = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    >>> blend(target, torch.tensor([[0.0, 1.0]], dtype=torch.float64)).tolist()
    [[0.1, 0.9]]
    """

    def __init__(self, limit: float) -> None:
        super().__init__()
        if not limit > 0:
            raise ConfigError(f"TurnoverBlend: parameter 'limit' must be > 0, got {limit!r}")
        self.limit = limit

    def forward(self, target: torch.Tensor, previous: torch.Tensor) -> torch.Tensor:
        change = target - previous
        traded = change.abs().sum(-1, keepdim=True)
        fraction = torch.clamp(
            self.limit / traded.clamp_min(torch.finfo(traded.dtype).tiny), max=1.0
        )
        return previous + fraction * change


class LimitLayers(nn.Module):
    """The differentiable limits of ``limits``, stacked in the order of :class:`LimitedAllocator`.

    Forward arguments: ``scores`` ``(batch, assets)`` (projected onto the capped
    simplex when ``max_weight`` is set; otherwise taken as weights), and where
    the limits need them ``covariance`` ``(batch, assets, assets)`` of daily
    returns, ``scenarios`` ``(batch, observations, assets)`` of past daily
    returns, and ``previous`` ``(batch, assets)`` drifted weights.
    """

    def __init__(self, limits: Limits, periods_per_year: int = PERIODS_PER_YEAR) -> None:
        super().__init__()
        limits = limits.validated()
        if limits.group_caps or limits.drawdown_stop is not None:
            which = "group_caps" if limits.group_caps else "drawdown_stop"
            raise ConfigError(
                f"--limit {which}: has no differentiable layer; it is applied after training "
                "by LimitedAllocator"
            )
        self.limits = limits
        self.caps = None if limits.max_weight is None else CappedSimplex(limits.max_weight)
        self.tails = nn.ModuleList(
            TailRiskScaling(getattr(limits, measure), measure, limits.limit_alpha)
            for measure in ("var", "cvar")
            if getattr(limits, measure) is not None
        )
        self.volatility = (
            None
            if limits.vol_target is None
            else VolatilityTarget(limits.vol_target, periods_per_year=periods_per_year)
        )
        self.turnover = None if limits.max_turnover is None else TurnoverBlend(limits.max_turnover)

    def forward(
        self,
        scores: torch.Tensor,
        covariance: torch.Tensor | None = None,
        scenarios: torch.Tensor | None = None,
        previous: torch.Tensor | None = None,
    ) -> torch.Tensor:
        weights = scores if self.caps is None else self.caps(scores)
        for layer in self.tails:
            if scenarios is None:
                raise ValueError("LimitLayers: the VaR/CVaR limit needs 'scenarios'")
            weights = layer(weights, scenarios)
        if self.volatility is not None:
            if covariance is None:
                raise ValueError("LimitLayers: vol_target needs 'covariance'")
            weights = self.volatility(weights, covariance)
        if self.turnover is not None and previous is not None:
            weights = self.turnover(weights, previous.to(weights.dtype))
        return weights
