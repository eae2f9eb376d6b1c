"""Risk: covariance and mean estimators, risk measures, risk contributions, VaR and regime models."""

from riskalloc.risk._allocation_risk import AllocationRisk, allocation_risk
from riskalloc.risk._estimators import (
    CovarianceEstimator,
    MeanEstimator,
    estimate_covariance,
    estimate_mean,
    ewma_weights,
    regularise_covariance,
)
from riskalloc.risk._hmm import GaussianHMM, filter_regimes, fit_gaussian_hmm
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
from riskalloc.risk._quantile_var import (
    DEEP_QUANTILE,
    forecast_quantile_var,
    fz0_loss,
    pinball_loss,
    quantile_var_backtest,
    quantile_var_features,
)
from riskalloc.risk._risk_budgeting import solve_risk_budgeting
from riskalloc.risk._var_backtest import (
    ChristoffersenTest,
    ConditionalCoverageTest,
    KupiecTest,
    christoffersen_test,
    conditional_coverage_test,
    kupiec_test,
    var_backtest,
)
from riskalloc.risk._var_models import VaRMethod, forecast_var

__all__ = [
    "DEEP_QUANTILE",
    "AllocationRisk",
    "ChristoffersenTest",
    "ConditionalCoverageTest",
    "CovarianceEstimator",
    "GaussianHMM",
    "KupiecTest",
    "MeanEstimator",
    "RiskMeasure",
    "VaRMethod",
    "allocation_risk",
    "christoffersen_test",
    "conditional_coverage_test",
    "conditional_value_at_risk",
    "diversification_ratio",
    "estimate_covariance",
    "estimate_mean",
    "ewma_weights",
    "filter_regimes",
    "fit_gaussian_hmm",
    "forecast_quantile_var",
    "forecast_var",
    "fz0_loss",
    "kupiec_test",
    "pinball_loss",
    "portfolio_mean",
    "portfolio_variance",
    "portfolio_volatility",
    "quantile_var_backtest",
    "quantile_var_features",
    "regularise_covariance",
    "risk_contributions",
    "semi_deviation",
    "sharpe",
    "solve_risk_budgeting",
    "value_at_risk",
    "var_backtest",
]
