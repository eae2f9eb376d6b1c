"""Classical portfolios."""

from riskalloc.strategies.classical._cvar import MeanCVaR, MinimumCVaR
from riskalloc.strategies.classical._equal_weight import EqualWeight
from riskalloc.strategies.classical._fixed_mix import FixedMix
from riskalloc.strategies.classical._frontier import efficient_frontier
from riskalloc.strategies.classical._hrp import HierarchicalRiskParity
from riskalloc.strategies.classical._inverse_volatility import InverseVolatility, rolling_volatility
from riskalloc.strategies.classical._markowitz import MeanVariance, MinimumVariance
from riskalloc.strategies.classical._maximum_return import MaximumReturn
from riskalloc.strategies.classical._optimiser import WindowOptimiser
from riskalloc.strategies.classical._ratio import MaximumDiversification, MaximumSharpe
from riskalloc.strategies.classical._risk_parity import RiskBudgeting, RiskParity

__all__ = [
    "EqualWeight",
    "FixedMix",
    "HierarchicalRiskParity",
    "InverseVolatility",
    "MaximumDiversification",
    "MaximumReturn",
    "MaximumSharpe",
    "MeanCVaR",
    "MeanVariance",
    "MinimumCVaR",
    "MinimumVariance",
    "RiskBudgeting",
    "RiskParity",
    "WindowOptimiser",
    "efficient_frontier",
    "rolling_volatility",
]
