"""Oracles: strategies that know what a synthetic market's generator knows.

They are yardsticks, not strategies one could trade: on a market whose expected
returns are known by construction, an oracle shows the best a learner could reach.
"""

from riskalloc.strategies.oracle._drift_oracle import DriftOracle, long_only_max_sharpe

__all__ = ["DriftOracle", "long_only_max_sharpe"]
