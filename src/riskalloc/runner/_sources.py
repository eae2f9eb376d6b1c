"""Where a run's prices come from: a named scenario, a bundled dataset or a user file."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from riskalloc.core import ConfigError
from riskalloc.data import (
    DATASETS,
    MarketData,
    canonical_synthetic_spec,
    is_synthetic_spec,
    load_dataset,
    load_indicators,
    load_prices,
    load_prices_and_rate,
    scenario,
)

__all__ = ["AUTO_RATE", "BILL_RATE", "RATE_SERIES", "DataSource", "LoadedData", "SourceKind"]


class SourceKind(enum.StrEnum):
    SCENARIO = "scenario"
    DATASET = "dataset"
    PRICES = "prices"


#: The bill-rate column of a bundled dataset's indicators: what ``--risk-free tbill`` reads.
BILL_RATE = "tbill3m"
#: The ``--risk-free`` value meaning "each source's own rate series".
RATE_SERIES = "tbill"
#: The ``--risk-free`` value meaning "a source's own rate series where it has one, else 0".
AUTO_RATE = "auto"


@dataclass(frozen=True)
class LoadedData:
    """Prices ready for the cells of one source, and the source's own test start if any.

    ``cash_rate`` is the source's own risk-free rate (annual, by the date it was known):
    the bill rate of a bundled dataset or the user's ``--risk-free-column``; None when
    it has none. ``features`` are per-date market indicators the strategies may read
    (a scenario's regime indicators), or None.
    """

    label: str
    prices: pd.DataFrame
    default_test_start: pd.Timestamp | None
    data_hash: str
    cash_rate: pd.Series | None = None
    features: pd.DataFrame | None = None

    def market(self) -> MarketData:
        """The cells' view of the data: prices and features."""
        return MarketData(self.prices, features=self.features, name=self.label)


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
    rate_column: str | None = None  # a column of the prices file that is a risk-free rate

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
        cash_rate: pd.Series | None = None
        features: pd.DataFrame | None = None
        if self.rate_column is not None and self.kind is not SourceKind.PRICES:
            raise ConfigError(
                f"--risk-free-column: {self.label} is a {self.kind}, not a prices file; "
                "use --risk-free tbill for a bundled dataset's bill rate"
            )
        if self.kind is SourceKind.SCENARIO:
            named = scenario(self.reference)
            prices, default_test_start = named.prices, named.test_start
            cash_rate, features = named.cash_rate, named.features
        elif self.kind is SourceKind.DATASET:
            prices = load_dataset(self.reference)
            dataset = DATASETS.get(self.reference)
            if dataset is not None and dataset.indicators is not None:
                indicators = load_indicators(self.reference).reindex(prices.index)
                cash_rate = indicators.get(BILL_RATE)
        elif self.rate_column is not None:
            prices, cash_rate = load_prices_and_rate(self.reference, self.rate_column)
        else:
            prices = load_prices(self.reference)
        if self.assets:
            unknown = [asset for asset in self.assets if asset not in prices.columns]
            if unknown:
                raise ConfigError(
                    f"{self.label}: unknown asset '{unknown[0]}'; available: {', '.join(prices.columns)}"
                )
            prices = prices[list(self.assets)]
        if features is not None:
            features = features.reindex(prices.index)
        digest = hashlib.sha256(MarketData(prices, name=self.label).fingerprint().encode())
        for extra in (cash_rate, features):
            if extra is not None:  # the rate and the features change results too
                digest.update(pd.util.hash_pandas_object(extra, index=True).to_numpy().tobytes())
        data_hash = digest.hexdigest() if cash_rate is not None or features is not None else None
        return LoadedData(
            self.label,
            prices,
            default_test_start,
            data_hash or MarketData(prices, name=self.label).fingerprint(),
            cash_rate=None if cash_rate is None else cash_rate.dropna(),
            features=features,
        )
