"""Risk measures of portfolios: the one evaluator optimisers are checked against.

Each function takes weights ``(..., assets)`` and returns one number per
portfolio, so it serves a single portfolio and a batch of decision dates alike.
Returns-based measures are losses: positive numbers are bad.
"""

from __future__ import annotations

import enum

import numpy as np

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
    """Historical VaR as a loss: the smallest ``z`` with ``P(loss <= z) >= confidence``.

    The lower ``(1 - confidence)``-quantile of the scenario returns, negated,
    without interpolation (the convention under which the Rockafellar-Uryasev
    CVaR below is exactly what a CVaR optimiser minimises).
    """
    losses = -_portfolio_returns(weights, scenarios)
    n_obs = losses.shape[-1]
    rank = int(np.ceil(confidence * n_obs)) - 1
    return np.sort(losses, axis=-1)[..., max(rank, 0)]


def conditional_value_at_risk(
    weights: np.ndarray, scenarios: np.ndarray, confidence: float = 0.95
) -> np.ndarray:
    """Historical CVaR (expected shortfall) as a loss, Rockafellar-Uryasev:

    ``CVaR = min_z  z + E[(loss - z)+] / (1 - confidence)``,

    the average of the worst ``(1 - confidence)`` share of scenarios, counting
    the scenario at the boundary fractionally. This is the objective of the
    minimum-CVaR linear programme, so optimiser and evaluator agree exactly.
    (The metrics table's ``cvar_95`` follows empyrical instead: the mean of the
    worst ``floor((n-1) * 5 %) + 1`` days.)
    """
    losses = -_portfolio_returns(weights, scenarios)
    threshold = value_at_risk(weights, scenarios, confidence)
    excess = np.maximum(losses - threshold[..., None], 0.0).mean(axis=-1)
    return threshold + excess / (1.0 - confidence)


def semi_deviation(weights: np.ndarray, scenarios: np.ndarray) -> np.ndarray:
    """``sqrt(sum(min(r - mean(r), 0)²) / (n - 1))`` of the portfolio's scenario returns."""
    returns = _portfolio_returns(weights, scenarios)
    below = np.minimum(returns - returns.mean(axis=-1, keepdims=True), 0.0)
    return np.sqrt(np.square(below).sum(axis=-1) / (returns.shape[-1] - 1))
