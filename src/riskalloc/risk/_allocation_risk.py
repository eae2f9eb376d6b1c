"""The risk behind one set of weights: volatility, Euler risk contributions and CVaR."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskalloc.core import PERIODS_PER_YEAR, DataError
from riskalloc.risk._estimators import estimate_covariance
from riskalloc.risk._measures import (
    conditional_value_at_risk,
    portfolio_volatility,
    risk_contributions,
)

__all__ = ["AllocationRisk", "allocation_risk"]


#: Cash below this share of wealth is rounding, not a position.
_CASH_TOLERANCE = 1e-12


@dataclass(frozen=True)
class AllocationRisk:
    """Risk of ``weights`` estimated from the ``window`` daily returns up to ``date``.

    Attributes
    ----------
    volatility : float
        Annualised, ``sqrt(252 * w' S w)`` with ``S`` the sample covariance (ddof=1).
    risk_contributions : pandas.Series
        Euler contributions as shares of the volatility,
        ``w_i (S w)_i / (w' S w)``; they sum to 1 over the risky assets (cash adds none).
    cvar : float
        Historical CVaR at ``confidence`` of the portfolio's daily return over the
        window, as a loss (positive = loss): the mean loss in the worst
        ``1 - confidence`` of days (Rockafellar-Uryasev, as the CVaR optimisers use).
    """

    date: pd.Timestamp
    weights: pd.Series
    cash: float
    volatility: float
    risk_contributions: pd.Series
    cvar: float
    confidence: float
    window: int


def allocation_risk(
    weights: pd.Series, returns: pd.DataFrame, *, window: int = 252, confidence: float = 0.95
) -> AllocationRisk:
    """Volatility, risk contributions and CVaR of ``weights`` over the last ``window`` returns.

    ``returns`` are daily simple returns up to the decision date (the last row);
    nothing after it is used. Weights summing to less than one leave the rest in
    cash, which is taken as riskless.

    Examples
    --------
    >>> import riskalloc as ra
    >>> data = ra.MarketData(ra.scenario("bull-2010").prices)
    >>> w = pd.Series(1 / 8, index=data.assets)
    >>> risk = allocation_risk(w, data.returns)
    >>> round(float(risk.risk_contributions.sum()), 12)
    1.0
    """
    recent = returns.iloc[-window:]
    if len(recent) < window or recent.isna().to_numpy().any():
        usable = int(recent.notna().all(axis=1).sum())
        raise DataError(
            f"allocation risk: needs {window} complete daily returns up to "
            f"{returns.index[-1].date()}, found {usable}"
        )
    values = recent[weights.index].to_numpy()
    w = weights.to_numpy(dtype=float)
    covariance = estimate_covariance(values[None])[0]
    variance = float(w @ covariance @ w)
    contributions = risk_contributions(w, covariance) / np.sqrt(variance) if variance > 0 else w * 0
    return AllocationRisk(
        date=pd.Timestamp(returns.index[-1]),
        weights=weights,
        # Weights that sum to one up to rounding (0.9999999999999999) hold no cash.
        cash=float(1.0 - w.sum()) if 1.0 - w.sum() > _CASH_TOLERANCE else 0.0,
        volatility=float(portfolio_volatility(w, covariance) * np.sqrt(PERIODS_PER_YEAR)),
        risk_contributions=pd.Series(contributions, index=weights.index),
        cvar=float(conditional_value_at_risk(w, values, confidence)),
        confidence=confidence,
        window=window,
    )
