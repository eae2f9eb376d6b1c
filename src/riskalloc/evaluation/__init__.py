"""Evaluation: performance metrics, seed summaries, wealth paths, market regimes, statistical tests and verdicts."""

from riskalloc.evaluation._bootstrap import (
    BootstrapMetric,
    bootstrap_confidence_intervals,
    stationary_block_size,
)
from riskalloc.evaluation._deflated_sharpe import (
    EULER_MASCHERONI,
    deflated_sharpe_ratio,
    deflated_sharpe_ratios,
    expected_maximum_sharpe,
    probabilistic_sharpe_ratio,
)
from riskalloc.evaluation._metrics import (
    METRIC_COLUMNS,
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
from riskalloc.evaluation._run_statistics import (
    STATISTIC_COLUMNS,
    StatisticsSettings,
    run_statistics,
)
from riskalloc.evaluation._significance import (
    SharpeDifferenceTest,
    SPATest,
    sharpe_difference_test,
    spa_test,
)
from riskalloc.evaluation._stress import (
    STRESS_COLUMNS,
    STRESS_WINDOWS,
    risky_exposure,
    stress_windows,
)
from riskalloc.evaluation._summary import (
    SEED_STATISTICS,
    seed_spread,
    seeds_beating_benchmark,
    summarise_seeds,
)
from riskalloc.evaluation._verdicts import (
    SIGNIFICANCE_LEVEL,
    VERDICT_COLUMNS,
    VERDICT_FAMILIES,
    Verdict,
    benchmark_label,
    median_seed_row,
    verdicts,
)
from riskalloc.evaluation._wealth import drawdown_path, wealth_path

__all__ = [
    "CRISIS_WINDOWS",
    "EULER_MASCHERONI",
    "METRIC_COLUMNS",
    "SEED_STATISTICS",
    "SIGNIFICANCE_LEVEL",
    "STATISTIC_COLUMNS",
    "STRESS_COLUMNS",
    "STRESS_WINDOWS",
    "VERDICT_COLUMNS",
    "VERDICT_FAMILIES",
    "BootstrapMetric",
    "MarketRegime",
    "SPATest",
    "SharpeDifferenceTest",
    "StatisticsSettings",
    "Verdict",
    "annual_return",
    "annual_volatility",
    "average_turnover",
    "benchmark_label",
    "bootstrap_confidence_intervals",
    "calmar_ratio",
    "conditional_value_at_risk",
    "cumulative_return",
    "deflated_sharpe_ratio",
    "deflated_sharpe_ratios",
    "drawdown_path",
    "effective_holdings",
    "equal_weight_index",
    "expected_maximum_sharpe",
    "market_regimes",
    "max_drawdown",
    "median_seed_row",
    "performance",
    "probabilistic_sharpe_ratio",
    "regime_performance",
    "risky_exposure",
    "run_statistics",
    "seed_spread",
    "seeds_beating_benchmark",
    "sharpe_difference_test",
    "sharpe_ratio",
    "sortino_ratio",
    "spa_test",
    "stability",
    "stationary_block_size",
    "stress_windows",
    "summarise_seeds",
    "value_at_risk",
    "verdicts",
    "wealth_path",
]
