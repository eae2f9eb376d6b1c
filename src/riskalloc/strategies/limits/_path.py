"""The path-dependent limits: the drawdown stop and the turnover limit, decision by decision.

Both depend on what the limited portfolio held before, so they are applied in
one pass over the decision dates, in date order. Everything decision ``k``
uses is in the past of its date: the previous decisions, and the daily asset
returns from the day after decision ``k - 1`` up to and including date ``k``,
with which the previous weights drift (as in the backtester, cash earns
nothing in this bookkeeping and no costs are charged, so wealth and drawdown
here are *gross* of costs).

Drawdown stop
    The wealth of the limited portfolio is followed daily. At a decision date
    where its drawdown from the running peak, ``1 - W_t / max_{s<=t} W_s``,
    is at least ``drawdown_stop``, the portfolio moves entirely to cash. It
    stays in cash until the *shadow* portfolio -- the one the strategy would
    hold under every other limit, drifting between decisions -- has risen
    ``reenter`` above its lowest value since the stop (or ``reenter_days``
    trading days have passed). On re-entry the peak restarts at the current
    wealth, so the drawdown is measured from the re-entry.

Turnover limit
    With ``d`` the previous weights drifted to the decision date and ``t`` the
    target after every other limit, a trade ``sum_i |t_i - d_i|`` above
    ``max_turnover`` is cut to ``w = d + lambda (t - d)``, the point on the
    straight line from ``d`` to ``t`` at exactly ``max_turnover``. Along that
    line the caps and the risk limits hold at ``t``; where ``d`` breaches them
    (prices drifted a weight over its cap, or volatility rose), the smallest
    ``lambda`` at which they hold is taken instead, and that date is recorded
    as the turnover limit exceeded. The first decision (from cash) is not
    limited: it builds the portfolio.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from riskalloc.strategies.limits._spec import Limits

__all__ = ["PathRecord", "apply_path_limits"]

_BISECTIONS = 60


@dataclass(frozen=True)
class PathRecord:
    """Per decision date: final weights and where each path-dependent limit bound."""

    weights: np.ndarray
    drawdown_stop: np.ndarray  # in cash because of the stop
    max_turnover: np.ndarray  # trade cut to the limit
    max_turnover_exceeded: np.ndarray  # limit exceeded so the caps and risk limits hold


def apply_path_limits(
    limits: Limits,
    targets: np.ndarray,
    growth: np.ndarray,
    positions: np.ndarray,
    within: Callable[[np.ndarray, int], bool],
) -> PathRecord:
    """Apply the drawdown stop and the turnover limit to ``targets`` ``(dates, assets)``.

    Parameters
    ----------
    limits : the limits; only ``drawdown_stop``, ``reenter``, ``reenter_days``
        and ``max_turnover`` are used here
    targets : weights after the caps and the risk limits
    growth : ``1 + r`` of every day of the history ``(days, assets)``, missing as 0 return
    positions : row of each decision date in ``growth``, increasing
    within : ``within(weights, k)`` says whether weights meet the caps and risk limits at ``k``
    """
    n_dates, n_assets = targets.shape
    final = np.zeros_like(targets)
    in_cash = np.zeros(n_dates, dtype=bool)
    cut = np.zeros(n_dates, dtype=bool)
    exceeded = np.zeros(n_dates, dtype=bool)
    wealth = peak = shadow = trough = 1.0
    stopped, stopped_at = False, 0
    drifted = np.zeros(n_assets)
    for k in range(n_dates):
        if k > 0:
            cumulative = np.cumprod(growth[positions[k - 1] + 1 : positions[k] + 1], axis=0)
            held = final[k - 1]
            value = cumulative @ held + (1.0 - held.sum())
            path = wealth * value
            peak, wealth = max(peak, float(path.max())), float(path[-1])
            drifted = held * cumulative[-1] / value[-1]
            shadow_path = shadow * (cumulative @ targets[k - 1] + (1.0 - targets[k - 1].sum()))
            shadow = float(shadow_path[-1])
            trough = min(trough, float(shadow_path.min()))
        target = targets[k]
        if limits.drawdown_stop is not None:
            if stopped:
                recovered = shadow >= trough * (1.0 + limits.reenter)
                waited = (
                    limits.reenter_days is not None
                    and positions[k] - stopped_at >= limits.reenter_days
                )
                if recovered or waited:
                    stopped, peak = False, wealth
            elif 1.0 - wealth / peak >= limits.drawdown_stop:
                stopped, stopped_at, trough = True, positions[k], shadow
            if stopped:
                in_cash[k] = True
                continue  # final[k] stays all cash
        final[k] = target
        if limits.max_turnover is None or k == 0:
            continue
        change = target - drifted
        traded = float(np.abs(change).sum())
        if traded <= limits.max_turnover:
            continue
        low = limits.max_turnover / traded
        if within(drifted + low * change, k):
            final[k], cut[k] = drifted + low * change, True
            continue
        # The drifted weights breach a cap or a risk limit: trade just enough to meet them.
        high = 1.0
        for _ in range(_BISECTIONS):
            middle = 0.5 * (low + high)
            if within(drifted + middle * change, k):
                high = middle
            else:
                low = middle
        if high < 1.0:
            final[k] = drifted + high * change
        exceeded[k] = True
    return PathRecord(final, in_cash, cut, exceeded)
