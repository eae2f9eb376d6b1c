"""Risk measures of portfolios: the one evaluator optimisers are checked against.

Each function takes weights ``(..., assets)`` and returns one number per
portfolio, so it serves a single portfolio and a batch of decision dates alike.
Returns-based measures are losses: positive numbers are bad.
"""

from __future__ import annotations

import enum

import numpy as np

from riskalloc.core import conditional_value_at_risk as core_conditional_value_at_risk
from riskalloc.core import value_at_risk as core_value_at_risk

__all__ = [
    "RiskMeasure",
    "conditional_value_at_risk",
    "diversification_ratio",
    "portfolio_mean",
    "portfolio_variance",
    "portfolio_volatility",
    "risk_contributions",
    "semi_deviation",
    "sharpe",
    "value_at_risk",
]


class RiskMeasure(enum.StrEnum):
    VARIANCE = "variance"
    STANDARD_DEVIATION = "standard_deviation"
    SEMI_DEVIATION = "semi_deviation"
    VAR = "var"
    CVAR = "cvar"


def portfolio_mean(weights: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """``w' mu``."""
    return np.einsum("...i,...i->...", weights, mean)


def portfolio_variance(weights: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """``w' S w``."""
    return np.einsum("...i,...ij,...j->...", weights, covariance, weights)


def portfolio_volatility(weights: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """``sqrt(w' S w)``."""
    return np.sqrt(np.maximum(portfolio_variance(weights, covariance), 0.0))


def sharpe(
    weights: np.ndarray, mean: np.ndarray, covariance: np.ndarray, risk_free: float = 0.0
) -> np.ndarray:
    """``(w' mu - r_f) / sqrt(w' S w)`` in the units of ``mean`` (daily, not annualised)."""
    return (portfolio_mean(weights, mean) - risk_free) / portfolio_volatility(weights, covariance)


def diversification_ratio(weights: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """``w' sigma / sqrt(w' S w)`` with ``sigma`` the assets' volatilities."""
    sigma = np.sqrt(np.diagonal(covariance, axis1=-2, axis2=-1))
    return np.einsum("...i,...i->...", weights, sigma) / portfolio_volatility(weights, covariance)


def risk_contributions(weights: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """Euler contributions to volatility, ``w_i (S w)_i / sqrt(w' S w)``; they sum to the volatility."""
    marginal = np.einsum("...ij,...j->...i", covariance, weights)
    return weights * marginal / portfolio_volatility(weights, covariance)[..., None]


def _portfolio_returns(weights: np.ndarray, scenarios: np.ndarray) -> np.ndarray:
    # scenarios: (..., observations, assets) -> (..., observations)
    return np.einsum("...ti,...i->...t", scenarios, weights)


def value_at_risk(
    weights: np.ndarray, scenarios: np.ndarray, confidence: float = 0.95
) -> np.ndarray:
    """Historical VaR of the portfolio's scenario returns, as a positive loss.

    :func:`riskalloc.core.value_at_risk` (no interpolation; the convention under which
    the Rockafellar-Uryasev CVaR below is exactly what a CVaR optimiser minimises) of
    ``scenarios @ weights``.
    """
    return core_value_at_risk(_portfolio_returns(weights, scenarios), confidence)


def conditional_value_at_risk(
    weights: np.ndarray, scenarios: np.ndarray, confidence: float = 0.95
) -> np.ndarray:
    """Historical CVaR (expected shortfall) of the portfolio's scenario returns, as a loss.

    :func:`riskalloc.core.conditional_value_at_risk` (Rockafellar-Uryasev,
    ``min_z z + E[(loss - z)+] / (1 - confidence)``) of ``scenarios @ weights``: the
    objective of the minimum-CVaR linear programme, and the metrics table's ``cvar_95``.
    """
    return core_conditional_value_at_risk(_portfolio_returns(weights, scenarios), confidence)


def semi_deviation(weights: np.ndarray, scenarios: np.ndarray) -> np.ndarray:
    """``sqrt(sum(min(r - mean(r), 0)²) / (n - 1))`` of the portfolio's scenario returns."""
    returns = _portfolio_returns(weights, scenarios)
    below = np.minimum(returns - returns.mean(axis=-1, keepdims=True), 0.0)
    return np.sqrt(np.square(below).sum(axis=-1) / (returns.shape[-1] - 1))
