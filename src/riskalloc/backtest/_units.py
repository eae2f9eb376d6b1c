"""A backtest's units: its periods a year and what its cash earns."""

from __future__ import annotations

from typing import Any

import numpy as np

from riskalloc.core import ConfigError, RiskFree, check_risk_free, infer_periods_per_year
from riskalloc.data import MarketData, Scenario

__all__ = ["periods_per_year_of", "resolve_risk_free"]


def periods_per_year_of(market: MarketData, given: int | None) -> int:
    """``given``, checked, or the periods a year read from the data's dates."""
    if given is None:
        return infer_periods_per_year(market.dates, source=market.name)
    if isinstance(given, bool) or not isinstance(given, int | np.integer) or given < 1:
        raise ConfigError(f"periods_per_year must be an integer >= 1, got {given!r}")
    return int(given)


def resolve_risk_free(risk_free: Any, data: Any, source: str = "prices") -> RiskFree:
    """``risk_free`` as a number or a Series of annual rates; ``"tbill"`` is the bill rate
    of a scenario's dataset (``Scenario.cash_rate``)."""
    if isinstance(risk_free, str):
        if risk_free.strip().lower() != "tbill":
            raise ConfigError(
                f"risk_free: '{risk_free}' is not a rate; give a number (0.02 for 2 %), a "
                "Series of annual rates by date, or 'tbill' with a scenario that has a bill rate"
            )
        bills = getattr(data, "cash_rate", None) if isinstance(data, Scenario) else None
        if bills is None:
            raise ConfigError(
                f"risk_free='tbill': {source} has no bill rate; run a scenario of a dataset "
                "with one (multi-asset-2008, rates-1994) or give the rates as a Series"
            )
        return check_risk_free(bills, source=f"{source}: tbill")
    return check_risk_free(risk_free, source=f"{source}: risk_free")
