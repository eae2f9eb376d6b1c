"""Portfolio simulation of a test span, all days at once.

Drift between rebalances and proportional costs on turnover; the same arithmetic as
:func:`riskalloc.core.rebalance_step` (one period), vectorised over the span.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Simulation", "simulate"]


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


def simulate(
    target_weights: np.ndarray,
    decision_days: np.ndarray,
    asset_returns: np.ndarray,
    cost_rate: float,
    cash_return: float | np.ndarray = 0.0,
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
    cash_return : per-period return of the cash left over when weights sum below one:
        one number, or ``(T,)`` returns of days ``1..T`` (a bill rate that changes)
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
    if np.ndim(cash_return) == 0:
        cash_growth = (1.0 + float(cash_return)) ** (days - start)
    else:
        cash_log = np.zeros(n_days + 1)
        np.cumsum(np.log1p(np.asarray(cash_return, dtype=float)), out=cash_log[1:])
        cash_growth = np.exp(cash_log[days] - cash_log[start])

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
