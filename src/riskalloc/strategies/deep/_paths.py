"""Net returns of many portfolio paths at once: every day of every path in a few tensor ops.

The backtest's accounting, one period at a time, is
:func:`riskalloc.core.torch_rebalance_step`: trade from the drifted weights to the
target, pay ``cost_rate`` per unit of turnover, earn the day's returns, drift. Between
two rebalances nothing is traded, so the weights held on day ``d`` are the last
decision's weights grown by the assets' returns since that decision — a cumulative
product, the same closed form the backtest's own simulator uses
(:func:`riskalloc.backtest.simulate`). Here each path is split into its holding
segments at its decision days and every day's value, drifted weights, turnover and
net return come out of cumulative sums of ``log(1 + r)``, without a Python loop over
days. :func:`sequential_paths` is the day-by-day loop over ``torch_rebalance_step``
kept as the reference; the two agree to rounding (a test checks 1e-12).
"""

from __future__ import annotations

import torch

from riskalloc.core import torch_rebalance_step

__all__ = ["segment_paths", "sequential_paths"]


def segment_paths(
    weights: torch.Tensor,
    asset_returns: torch.Tensor,
    decisions: torch.Tensor,
    previous: torch.Tensor | None,
    cost_rate: float,
    cash_return: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Net returns and turnover ``(batch, T)`` of paths that trade on their decision days.

    Parameters
    ----------
    weights : (batch, T, assets)
        Target weights decided at the close before each day's return; read only on
        decision days.
    asset_returns : (batch, T, assets)
        Simple returns earned over each day.
    decisions : (batch, T) bool
        The days that trade to ``weights``; on the others the portfolio drifts.
    previous : (batch, assets) or None
        Drifted weights held before day 0 (None: cash), drifting until the first decision.
    cost_rate, cash_return : float
        Cost per unit of turnover; per-day return of the cash left over.
    """
    batch, days, n_assets = asset_returns.shape
    dtype, device = asset_returns.dtype, asset_returns.device
    weights = weights.to(dtype)
    if previous is None:
        previous = torch.zeros(batch, n_assets, dtype=dtype, device=device)
    previous = previous.to(dtype)
    day = torch.arange(days, device=device)
    # The segment a day belongs to starts at the last decision on or before it (0 when
    # none was made yet: the previous weights drift from day 0).
    marked = torch.where(decisions, day, torch.full_like(day, -1).expand(batch, days))
    start = torch.cummax(marked, dim=1).values
    decided = start >= 0
    start = start.clamp(min=0)
    chosen = torch.gather(weights, 1, start.unsqueeze(-1).expand(batch, days, n_assets))
    held = torch.where(decided.unsqueeze(-1), chosen, previous.unsqueeze(1))
    # Growth of each asset from the segment's start through the end of the day.
    log_growth = torch.zeros(batch, days + 1, n_assets, dtype=dtype, device=device)
    log_growth[:, 1:] = torch.cumsum(torch.log1p(asset_returns), dim=1)
    base = torch.gather(log_growth, 1, start.unsqueeze(-1).expand(batch, days, n_assets))
    growth = torch.exp(log_growth[:, 1:] - base)
    length = (day + 1 - start).to(dtype)
    cash = (1.0 - held.sum(dim=-1)) * torch.pow(
        torch.as_tensor(1.0 + cash_return, dtype=dtype), length
    )
    invested = held * growth
    value = invested.sum(dim=-1) + cash  # per unit of the value traded at the segment start
    # The value the day starts from: 1 on the segment's first day, else the day before's.
    before = torch.ones_like(value)
    before[:, 1:] = torch.where(start[:, 1:] == day[1:], before[:, 1:], value[:, :-1])
    gross = value / before - 1.0
    drifted = invested / value.unsqueeze(-1)
    pre_trade = torch.cat([previous.unsqueeze(1), drifted[:, :-1]], dim=1)
    turnover = torch.where(decisions, (weights - pre_trade).abs().sum(dim=-1), 0.0)
    net = (1.0 - cost_rate * turnover) * (1.0 + gross) - 1.0
    return net, turnover


def sequential_paths(
    weights: torch.Tensor,
    asset_returns: torch.Tensor,
    decisions: torch.Tensor,
    previous: torch.Tensor | None,
    cost_rate: float,
    cash_return: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`segment_paths` one day at a time through ``torch_rebalance_step`` (the
    reference: slower, the backtest's accounting step by step)."""
    drifted = previous if previous is not None else torch.zeros_like(asset_returns[:, 0])
    net_returns, turnovers = [], []
    for day in range(asset_returns.shape[1]):
        target = torch.where(decisions[:, day, None], weights[:, day], drifted)
        net, drifted, turnover = torch_rebalance_step(
            drifted, target, asset_returns[:, day], cost_rate, cash_return
        )
        net_returns.append(net)
        turnovers.append(turnover)
    return torch.stack(net_returns, dim=1), torch.stack(turnovers, dim=1)
