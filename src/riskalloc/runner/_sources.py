"""Where a run's prices come from: a named scenario, a bundled dataset or a user file."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from riskalloc.core import ConfigError
from riskalloc.data import (
    MarketData,
    canonical_synthetic_spec,
    is_synthetic_spec,
    load_dataset,
    load_prices,
    scenario,
)

__all__ = ["DataSource", "LoadedData", "SourceKind"]


class SourceKind(enum.StrEnum):
    SCENARIO = "scenario"
    DATASET = "dataset"
    PRICES = "prices"


@dataclass(frozen=True)
class LoadedData:
    """Prices ready for the cells of one source, and the source's own test start if any."""

    label: str
    prices: pd.DataFrame
    default_test_start: pd.Timestamp | None
    data_hash: str


@dataclass(frozen=True)
class DataSource:
    """A source of prices, optionally restricted to some assets.

    Examples
    --------
    >>> DataSource(SourceKind.SCENARIO, "bull-2010").label
    'bull-2010'
    """

    kind: SourceKind
    reference: str  # scenario or dataset name, or a file path
    assets: tuple[str, ...] | None = None

    @property
    def label(self) -> str:
        """The name of the source in every table (the ``scenario`` column)."""
        if self.kind is SourceKind.PRICES:
            return Path(self.reference).stem
        if self.kind is SourceKind.DATASET and is_synthetic_spec(self.reference):
            try:
                # One label per market, however the parameters were ordered or spaced.
                return canonical_synthetic_spec(self.reference)
            except ConfigError:
                return self.reference  # `load` raises the error, naming the parameter
        return self.reference

    def load(self) -> LoadedData:
        default_test_start = None
        if self.kind is SourceKind.SCENARIO:
            named = scenario(self.reference)
            prices, default_test_start = named.prices, named.test_start
        elif self.kind is SourceKind.DATASET:
            prices = load_dataset(self.reference)
        else:
            prices = load_prices(self.reference)
        if self.assets:
            unknown = [asset for asset in self.assets if asset not in prices.columns]
            if unknown:
                raise ConfigError(
                    f"{self.label}: unknown asset '{unknown[0]}'; available: {', '.join(prices.columns)}"
                )
            prices = prices[list(self.assets)]
        market = MarketData(prices, name=self.label)
        return LoadedData(self.label, prices, default_test_start, market.fingerprint())
