"""What cash earns in a grid's cells and the periods a year of its sources, checked before
any cell runs: ``--risk-free`` as a number, ``tbill`` or ``auto``."""

from __future__ import annotations

from typing import Any

from riskalloc.core import ConfigError, infer_periods_per_year
from riskalloc.data import MarketData
from riskalloc.runner._sources import AUTO_RATE, RATE_SERIES, LoadedData

__all__ = ["cell_rate", "check_units", "spec_risk_free"]


def spec_risk_free(risk_free: float | str) -> float | str:
    """The run's ``--risk-free``: a number, ``tbill`` (every source's own rate series) or
    ``auto`` (a source's own rate series where it has one, else 0)."""
    if isinstance(risk_free, str):
        value = risk_free.strip().lower()
        if value not in (RATE_SERIES, AUTO_RATE):
            raise ConfigError(
                f"--risk-free: '{risk_free}' is not a rate; give a number (0.02 for 2 %), "
                f"'{RATE_SERIES}' (a scenario's bill rate, or --risk-free-column of a prices "
                f"file) or '{AUTO_RATE}' (the bill rate where the data has one, else 0)"
            )
        return value
    return float(risk_free)


def cell_rate(risk_free: float | str, loaded: LoadedData) -> float | str:
    """A cell's own setting: ``auto`` resolves to the source's series or 0."""
    setting = spec_risk_free(risk_free)
    if setting == AUTO_RATE:
        return RATE_SERIES if loaded.cash_rate is not None else 0.0
    return setting


def check_units(loaded: LoadedData, market: MarketData, settings: Any) -> int:
    """The source's periods a year (read from its dates unless ``settings`` — the grid's
    ``BacktestSettings`` — give them) and its rate, checked before any cell runs."""
    periods = settings.periods_per_year or infer_periods_per_year(market.dates, loaded.label)
    if spec_risk_free(settings.risk_free) == RATE_SERIES and loaded.cash_rate is None:
        raise ConfigError(
            f"--risk-free {RATE_SERIES}: {loaded.label} has no bill rate; run a scenario of a "
            "dataset with one (multi-asset-2008, rates-1994), or give --risk-free-column NAME "
            "for a rate column of a prices file"
        )
    return periods
