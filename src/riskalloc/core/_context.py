"""The run's trading context, handed to a strategy's ``fit``.

A strategy that trains against the portfolio's net returns (deep end-to-end
allocators, RL agents) must train at the costs, cash rate, rebalancing and
annualisation it is judged by. The backtest builds one :class:`RunContext` from its
own arguments and passes it to ``fit``; a library call and a CLI run therefore
train a strategy the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from riskalloc.core._calendar import DEFAULT_COSTS_BPS, PERIODS_PER_YEAR, daily_rate
from riskalloc.core._errors import ConfigError
from riskalloc.core._schedule import Rebalance

__all__ = ["RunContext"]


@dataclass(frozen=True)
class RunContext:
    """Costs, cash rate, annualisation and rebalancing of a backtest.

    Attributes
    ----------
    costs_bps : proportional cost per unit of turnover, in basis points
    risk_free : annual rate that cash earns (compounded per period)
    periods_per_year : periods a year of the data (252 daily, 12 monthly, ...)
    rebalance : the rebalancing schedule of the test span

    Examples
    --------
    >>> context = RunContext(costs_bps=25, risk_free=0.02)
    >>> context.cost_rate, round(context.cash_return, 8)
    (0.0025, 7.858e-05)
    """

    costs_bps: float = DEFAULT_COSTS_BPS
    risk_free: float = 0.0
    periods_per_year: int = PERIODS_PER_YEAR
    rebalance: Rebalance = field(default_factory=lambda: Rebalance.DAILY)

    def __post_init__(self) -> None:
        costs = float(self.costs_bps)
        if not math.isfinite(costs) or costs < 0:
            raise ConfigError(f"costs_bps must be a finite number >= 0, got {self.costs_bps}")
        rate = float(self.risk_free)
        if not math.isfinite(rate) or rate <= -1:
            raise ConfigError(f"risk_free must be an annual rate above -1, got {self.risk_free}")
        periods = self.periods_per_year
        if isinstance(periods, bool) or not isinstance(periods, int) or periods < 1:
            raise ConfigError(f"periods_per_year must be an integer >= 1, got {periods!r}")
        object.__setattr__(self, "costs_bps", costs)
        object.__setattr__(self, "risk_free", rate)
        object.__setattr__(self, "rebalance", Rebalance.parse(self.rebalance))

    @property
    def cost_rate(self) -> float:
        """Cost per unit of turnover as a fraction (10 bps = 0.001)."""
        return self.costs_bps / 1e4

    @property
    def cash_return(self) -> float:
        """Per-period return of cash."""
        return daily_rate(self.risk_free, self.periods_per_year)
