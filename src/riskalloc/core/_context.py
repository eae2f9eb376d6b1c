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

__all__ = [
    "MAX_COSTS_BPS",
    "MAX_RISK_FREE",
    "MIN_RISK_FREE",
    "RunContext",
    "check_annual_rate",
    "check_costs_bps",
]

#: Costs above 10 % of turnover are no market's costs: a typo for a smaller number.
MAX_COSTS_BPS = 1000.0
#: A cash rate is an annual decimal in (-50 %, 100 %]: bills have yielded from about -1 %
#: to 16 %; 5 written for 5 % (or 1e6) would make cash the best asset by far.
MIN_RISK_FREE = -0.5
MAX_RISK_FREE = 1.0


def _number(value: object, source: str, what: str) -> float:
    if isinstance(value, bool | str) or not hasattr(value, "__float__"):
        raise ConfigError(f"{source} must be {what}, got {value!r}")
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"{source} must be {what}, got {value!r}") from None


def check_costs_bps(costs_bps: object, source: str = "costs_bps") -> float:
    """Proportional costs in basis points of turnover: finite, in ``[0, MAX_COSTS_BPS]``.

    Examples
    --------
    >>> check_costs_bps(10)
    10.0
    """
    what = f"a finite number of basis points from 0 to {MAX_COSTS_BPS:g}"
    costs = _number(costs_bps, source, what)
    if not math.isfinite(costs) or not 0.0 <= costs <= MAX_COSTS_BPS:
        raise ConfigError(f"{source} must be {what}, got {costs_bps!r}")
    return costs


def check_annual_rate(rate: object, source: str = "risk_free") -> float:
    """An annual risk-free rate as a decimal, finite, in ``(MIN_RISK_FREE, MAX_RISK_FREE]``.

    Examples
    --------
    >>> check_annual_rate(0.02)
    0.02
    """
    what = (
        f"an annual rate as a decimal (0.02 for 2 %) above {MIN_RISK_FREE:g} and at most "
        f"{MAX_RISK_FREE:g}"
    )
    value = _number(rate, source, what)
    if not math.isfinite(value) or not MIN_RISK_FREE < value <= MAX_RISK_FREE:
        raise ConfigError(f"{source} must be {what}, got {rate!r}")
    return value


@dataclass(frozen=True)
class RunContext:
    """Costs, cash rate, annualisation and rebalancing of a backtest.

    Attributes
    ----------
    costs_bps : proportional cost per unit of turnover, in basis points (0 to 1000)
    risk_free : annual rate that cash earns (compounded per period), in (-0.5, 1]
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
        costs = check_costs_bps(self.costs_bps)
        rate = check_annual_rate(self.risk_free)
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
