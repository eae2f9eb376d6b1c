"""Evaluation: performance metrics (and, later, statistical tests and regimes)."""

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
from riskalloc.evaluation._summary import summarise_seeds

__all__ = [
    "METRIC_COLUMNS",
    "PERIODS_PER_YEAR",
    "annual_return",
    "annual_volatility",
    "average_turnover",
    "calmar_ratio",
    "conditional_value_at_risk",
    "cumulative_return",
    "effective_holdings",
    "max_drawdown",
    "performance",
    "sharpe_ratio",
    "sortino_ratio",
    "stability",
    "summarise_seeds",
    "value_at_risk",
]
