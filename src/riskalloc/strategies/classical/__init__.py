"""Classical portfolios."""

from riskalloc.strategies.classical._equal_weight import EqualWeight
from riskalloc.strategies.classical._fixed_mix import FixedMix
from riskalloc.strategies.classical._inverse_volatility import InverseVolatility, rolling_volatility

__all__ = ["EqualWeight", "FixedMix", "InverseVolatility", "rolling_volatility"]
