"""The closed-form path simulation is the day-by-day accounting, to rounding.

``segment_paths`` (cumulative products over each holding segment) against
``sequential_paths`` (one ``torch_rebalance_step`` a day, the backtest's step): every
schedule shape the trainers use — rebalance every day, on a mask that differs per
path, hold one decision, start from cash or from drifted weights — with cash left
over, costs and a cash rate. Gradients agree too.
"""

from __future__ import annotations

import pytest
import torch

from riskalloc.strategies.deep._paths import segment_paths, sequential_paths


def _case(seed: int, batch: int = 6, days: int = 40, assets: int = 5):
    generator = torch.Generator().manual_seed(seed)
    weights = torch.rand(batch, days, assets, generator=generator, dtype=torch.float64)
    weights = weights / weights.sum(-1, keepdim=True) * 0.9  # 10 % cash
    returns = torch.randn(batch, days, assets, generator=generator, dtype=torch.float64) * 0.02
    previous = torch.rand(batch, assets, generator=generator, dtype=torch.float64)
    previous = previous / previous.sum(-1, keepdim=True) * 0.8
    return weights, returns, previous, generator


@pytest.mark.parametrize("schedule", ["daily", "random", "held", "late_first"])
@pytest.mark.parametrize("start_in_cash", [True, False])
def test_segments_match_the_daily_steps(schedule, start_in_cash):
    weights, returns, previous, generator = _case(3)
    batch, days, _ = returns.shape
    if schedule == "daily":
        decisions = torch.ones(batch, days, dtype=torch.bool)
    elif schedule == "random":
        decisions = torch.rand(batch, days, generator=generator) < 0.25
    elif schedule == "held":
        decisions = torch.zeros(batch, days, dtype=torch.bool)
        decisions[:, 0] = True
    else:  # nothing decided for the first days: the starting weights drift
        decisions = torch.zeros(batch, days, dtype=torch.bool)
        decisions[:, 7::5] = True
    start = None if start_in_cash else previous
    weights.requires_grad_(True)
    fast = segment_paths(weights, returns, decisions, start, 0.001, 0.0001)
    (fast_grad,) = torch.autograd.grad(fast[0].sum() + fast[1].sum(), weights)
    slow = sequential_paths(weights, returns, decisions, start, 0.001, 0.0001)
    (slow_grad,) = torch.autograd.grad(slow[0].sum() + slow[1].sum(), weights)
    torch.testing.assert_close(fast[0], slow[0], rtol=0, atol=1e-12)
    torch.testing.assert_close(fast[1], slow[1], rtol=0, atol=1e-12)
    torch.testing.assert_close(fast_grad, slow_grad, rtol=0, atol=1e-10)
