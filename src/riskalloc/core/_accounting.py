"""Portfolio simulation: drift between rebalances, proportional costs on turnover.

This is the one place where a portfolio's net return is computed. The backtest
uses :func:`simulate` (all days at once); a sequential consumer such as an RL
environment uses :func:`rebalance_step`, which is the same arithmetic for one day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

__all__ = ["Simulation", "daily_rate", "rebalance_step", "simulate"]


def daily_rate(annual_rate: float, periods_per_year: int = 252) -> float:
    """Daily rate compounding to ``annual_rate`` over ``periods_per_year`` days."""
    return float((1.0 + annual_rate) ** (1.0 / periods_per_year) - 1.0)


@dataclass(frozen=True)
class Simulation:
    """Arrays of a simulated test span of ``T`` holding days and ``K`` decisions.

    Attributes
    ----------
    net_returns : (T,) portfolio returns net of costs
    gross_returns : (T,) portfolio returns before costs
    drifted_weights : (T, N) weights at each close after that day's returns, before trading
    pre_trade_weights : (K, N) weights just before each decision's trade
    turnover : (K,) ``sum_i |target_i - pre_trade_i|`` at each decision
    costs : (K,) cost at each decision as a fraction of portfolio value
    """

    net_returns: np.ndarray
    gross_returns: np.ndarray
    drifted_weights: np.ndarray
    pre_trade_weights: np.ndarray
    turnover: np.ndarray
    costs: np.ndarray


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


def simulate(
    target_weights: np.ndarray,
    decision_days: np.ndarray,
    asset_returns: np.ndarray,
    cost_rate: float,
    cash_return: float = 0.0,
) -> Simulation:
    """Simulate holding ``target_weights`` between decisions, all days at once.

    Day 0 is the first decision (the close of the last training date), days
    ``1..T`` are the test span. A decision at day ``d`` is traded at its close
    and earns returns from day ``d + 1``; between decisions the weights drift
    with prices. The portfolio starts in cash, so the first decision's turnover
    is its gross exposure.

    Costs are proportional: ``cost = cost_rate * turnover`` of the portfolio
    value at the decision, paid out of the portfolio, so it lowers the net
    return of the first day the new weights are held.

    Parameters
    ----------
    target_weights : (K, N) weights decided at each decision day
    decision_days : (K,) increasing day numbers in ``[0, T - 1]``, starting at 0
    asset_returns : (T + 1, N) simple returns; row 0 (the first decision day) is ignored
    cost_rate : cost per unit of turnover (10 bps = 0.001)
    cash_return : daily return of the cash left over when weights sum below one
    """
    target_weights = np.asarray(target_weights, dtype=float)
    decision_days = np.asarray(decision_days, dtype=np.int64)
    n_days = asset_returns.shape[0] - 1
    n_assets = asset_returns.shape[1]
    days = np.arange(1, n_days + 1)
    # Segment k holds the weights decided at decision_days[k]; day j belongs to the
    # last decision made strictly before it.
    segment = np.searchsorted(decision_days, days - 1, side="right") - 1
    start = decision_days[segment]

    held = asset_returns[1:]
    log_growth = np.zeros((n_days + 1, n_assets))
    # Days with no weight anywhere may hold NaN returns of unpriced assets; they
    # multiply a zero weight, so count them as flat rather than poisoning the sums.
    np.cumsum(np.log1p(np.nan_to_num(held, nan=0.0)), axis=0, out=log_growth[1:])
    growth = np.exp(log_growth[1:] - log_growth[start])  # (T, N) since the segment start
    cash_growth = (1.0 + cash_return) ** (days - start)

    weights = target_weights[segment]
    cash = 1.0 - weights.sum(axis=1)
    invested = weights * growth
    value = invested.sum(axis=1) + cash * cash_growth  # relative to the post-trade value
    previous_value = np.ones(n_days)
    within = days - 1 > start
    previous_value[within] = value[np.flatnonzero(within) - 1]
    gross = value / previous_value - 1.0
    drifted = invested / value[:, None]

    pre_trade = np.zeros_like(target_weights)
    pre_trade[1:] = drifted[decision_days[1:] - 1]
    turnover = np.abs(target_weights - pre_trade).sum(axis=1)
    costs = cost_rate * turnover
    net = gross.copy()
    first_day = days - 1 == start
    net[first_day] = (1.0 - costs[segment[first_day]]) * (1.0 + gross[first_day]) - 1.0
    return Simulation(net, gross, drifted, pre_trade, turnover, costs)
