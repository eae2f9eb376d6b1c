"""The one-period portfolio accounting kernel: trade at a close, then hold one period.

:func:`rebalance_step` (NumPy, compiled) and :func:`torch_rebalance_step` (torch,
differentiable) are the same formula; the backtest's vectorised simulation, the RL
environments and the deep allocators' training losses all compute a portfolio's net
return with one of the two, so none of them can disagree on what a portfolio earned.
"""

from __future__ import annotations

import numba
import numpy as np
import torch

__all__ = ["rebalance_step", "torch_rebalance_step"]


@numba.njit(cache=True, nogil=True)
def _rebalance_into(
    drifted, target, next_returns, cost_rate, cash_return, out
):  # pragma: no cover (compiled)
    """One portfolio's day: ``out`` receives the new drifted weights; returns ``(net, turnover)``.

    The single definition of the one-day arithmetic that :func:`rebalance_step` runs for
    one portfolio and for every row of a batch, so the two agree bit for bit.
    """
    turnover = 0.0
    invested = 0.0
    value = 0.0
    for i in range(target.shape[0]):
        weight = target[i]
        turnover += abs(weight - drifted[i])
        invested += weight
        grown = weight * (1.0 + next_returns[i])
        out[i] = grown
        value += grown
    value += (1.0 - invested) * (1.0 + cash_return)
    for i in range(target.shape[0]):
        out[i] /= value
    return (1.0 - cost_rate * turnover) * value - 1.0, turnover


@numba.njit(cache=True, nogil=True)
def _rebalance_rows(
    drifted, target, next_returns, cost_rate, cash_return, out, net, turnover
):  # pragma: no cover (compiled)
    for row in range(target.shape[0]):
        net[row], turnover[row] = _rebalance_into(
            drifted[row], target[row], next_returns[row], cost_rate, cash_return, out[row]
        )


def rebalance_step(
    drifted_weights: np.ndarray,
    target_weights: np.ndarray,
    next_returns: np.ndarray,
    cost_rate: float,
    cash_return: float = 0.0,
) -> tuple[float | np.ndarray, np.ndarray, float | np.ndarray]:
    """Trade from ``drifted_weights`` to ``target_weights`` at a close, then hold one day.

    Works on the last axis, so a batch of portfolios steps at once (the three arrays
    broadcast against each other).

    Returns ``(net_return, new_drifted_weights, turnover)`` (the first and last are
    floats for one portfolio, arrays for a batch) where

    - ``turnover = sum_i |target_i - drifted_i|`` (cash is the residual, not counted),
    - ``net_return = (1 - cost_rate * turnover) * (1 + target . r + cash * r_cash) - 1``,
    - ``new_drifted_i = target_i (1 + r_i) / (1 + target . r + cash * r_cash)``.

    The arithmetic is one compiled loop (numba): an RL environment calls this once per
    step, where a dozen NumPy calls on 30 numbers would cost more than the sums.
    """
    drifted = np.asarray(drifted_weights, dtype=np.float64)
    target = np.asarray(target_weights, dtype=np.float64)
    returns = np.asarray(next_returns, dtype=np.float64)
    cost_rate, cash_return = float(cost_rate), float(cash_return)
    if target.ndim == 1 and drifted.shape == target.shape == returns.shape:
        new_drifted = np.empty(target.shape[0])
        net, turnover = _rebalance_into(
            drifted, target, returns, cost_rate, cash_return, new_drifted
        )
        return net, new_drifted, turnover
    try:
        shape = np.broadcast_shapes(drifted.shape, target.shape, returns.shape)
    except ValueError:
        raise ValueError(
            f"rebalance_step: drifted weights {drifted.shape}, target weights "
            f"{target.shape} and returns {returns.shape} do not broadcast"
        ) from None
    if len(shape) == 0:
        raise ValueError("rebalance_step: weights need at least one asset axis")
    # Read-only broadcast views; reshape copies only where a view cannot express it.
    drifted, target, returns = (np.broadcast_to(a, shape) for a in (drifted, target, returns))
    n_assets = shape[-1]
    new_drifted = np.empty(shape)
    net = np.empty(shape[:-1])
    turnover = np.empty(shape[:-1])
    _rebalance_rows(
        drifted.reshape(-1, n_assets),
        target.reshape(-1, n_assets),
        returns.reshape(-1, n_assets),
        cost_rate,
        cash_return,
        new_drifted.reshape(-1, n_assets),
        net.reshape(-1),
        turnover.reshape(-1),
    )
    return net, new_drifted, turnover


def torch_rebalance_step(
    drifted_weights: torch.Tensor,
    target_weights: torch.Tensor,
    next_returns: torch.Tensor,
    cost_rate: float,
    cash_return: float | torch.Tensor = 0.0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """:func:`rebalance_step` in torch (differentiable), on the last axis.

    Returns ``(net_return, new_drifted_weights, turnover)`` where

    - ``turnover = sum_i |target_i - drifted_i|`` (cash is the residual, not counted),
    - ``net_return = (1 - cost_rate * turnover) * (1 + target . r + cash * r_cash) - 1``,
    - ``new_drifted_i = target_i (1 + r_i) / (1 + target . r + cash * r_cash)``.
    """
    turnover = (target_weights - drifted_weights).abs().sum(dim=-1)
    cash = 1.0 - target_weights.sum(dim=-1)
    growth = target_weights * (1.0 + next_returns)
    value = growth.sum(dim=-1) + cash * (1.0 + cash_return)
    net = (1.0 - cost_rate * turnover) * value - 1.0
    return net, growth / value.unsqueeze(-1), turnover
