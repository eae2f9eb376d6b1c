"""Risk: covariance and mean estimators, risk measures, risk contributions."""

from riskalloc.risk._estimators import (
    CovarianceEstimator,
    MeanEstimator,
    estimate_covariance,
    estimate_mean,
    ewma_weights,
    regularise_covariance,
)
from riskalloc.risk._measures import (
    RiskMeasure,
    conditional_value_at_risk,
    diversification_ratio,
    portfolio_mean,
    portfolio_variance,
    portfolio_volatility,
    risk_contributions,
    semi_deviation,
    sharpe,
    value_at_risk,
)
from riskalloc.risk._risk_budgeting import solve_risk_budgeting

__all__ = [
    "CovarianceEstimator",
    "MeanEstimator",
    "RiskMeasure",
    "conditional_value_at_risk",
    "diversification_ratio",
    "estimate_covariance",
    "estimate_mean",
    "ewma_weights",
    "portfolio_mean",
    "portfolio_variance",
    "portfolio_volatility",
    "regularise_covariance",
    "risk_contributions",
    "semi_deviation",
    "sharpe",
    "solve_risk_budgeting",
    "value_at_risk",
]
