"""Evaluation: performance metrics, seed summaries, wealth paths and market regimes."""

from riskalloc.evaluation._metrics import (
    METRIC_COLUMNS,
    PERIODS_PER_YEAR,
    annual_return,
    annual_volatility,
    average_turnover,
    calmar_ratio,
    conditional_value_at_risk,
    cumulative_return,
    effective_holdings,
    max_drawdown,
    performance,
    sharpe_ratio,
    sortino_ratio,
    stability,
    value_at_risk,
)
from riskalloc.evaluation._regimes import (
    CRISIS_WINDOWS,
    MarketRegime,
    equal_weight_index,
    market_regimes,
    regime_performance,
)
from riskalloc.evaluation._summary import SEED_STATISTICS, seed_spread, summarise_seeds
from riskalloc.evaluation._wealth import drawdown_path, wealth_path

__all__ = [
    "CRISIS_WINDOWS",
    "METRIC_COLUMNS",
    "PERIODS_PER_YEAR",
    "SEED_STATISTICS",
    "MarketRegime",
    "annual_return",
    "annual_volatility",
    "average_turnover",
    "calmar_ratio",
    "conditional_value_at_risk",
    "cumulative_return",
    "drawdown_path",
    "effective_holdings",
    "equal_weight_index",
    "market_regimes",
    "max_drawdown",
    "performance",
    "regime_performance",
    "seed_spread",
    "sharpe_ratio",
    "sortino_ratio",
    "stability",
    "summarise_seeds",
    "value_at_risk",
    "wealth_path",
]
