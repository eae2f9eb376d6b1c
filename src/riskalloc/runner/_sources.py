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
    DEFAULT_MAX_DAILY_RETURN,
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
    max_daily_return: float | None = DEFAULT_MAX_DAILY_RETURN  # the bound it was loaded with

    def market(self) -> MarketData:
        """The cells' view of the data: prices and features."""
        return MarketData(
            self.prices,
            features=self.features,
            name=self.label,
            max_daily_return=self.max_daily_return,
        )


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
    date_format: str | None = None  # strftime format of a prices file's dates (None: year-first)
    max_daily_return: float | None = DEFAULT_MAX_DAILY_RETURN  # bound on a one-period move

    def reading_options(self) -> dict[str, object]:
        """How the prices were read, where it differs from the defaults (for ``config.json``,
        so that a report reloads the prices the same way); empty by default."""
        options: dict[str, object] = {}
        if self.date_format is not None:
            options["date_format"] = self.date_format
        if self.max_daily_return != DEFAULT_MAX_DAILY_RETURN:
            bound = self.max_daily_return
            options["max_daily_return"] = None if bound is None or bound == float("inf") else bound
        return options

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

    @classmethod
    def recorded(cls, entry: dict, assets: tuple[str, ...] | None = None) -> DataSource:
        """The source a run's ``config.json`` records under ``data`` (with the reading
        options it was loaded with), restricted to ``assets``."""
        reading = {key: entry[key] for key in ("date_format", "max_daily_return") if key in entry}
        return cls(SourceKind(entry.get("kind")), str(entry.get("reference")), assets, **reading)

    def load(self) -> LoadedData:
        default_test_start = None
        cash_rate: pd.Series | None = None
        features: pd.DataFrame | None = None
        if self.rate_column is not None and self.kind is not SourceKind.PRICES:
            raise ConfigError(
                f"--risk-free-column: {self.label} is a {self.kind}, not a prices file; "
                "use --risk-free tbill for a bundled dataset's bill rate"
            )
        if self.date_format is not None and self.kind is not SourceKind.PRICES:
            raise ConfigError(f"--date-format reads a --prices file; {self.label} is a {self.kind}")
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
            prices, cash_rate = load_prices_and_rate(
                self.reference,
                self.rate_column,
                date_format=self.date_format,
                max_daily_return=self.max_daily_return,
            )
        else:
            prices = load_prices(
                self.reference,
                date_format=self.date_format,
                max_daily_return=self.max_daily_return,
            )
        if self.assets:
            repeated = [a for i, a in enumerate(self.assets) if a in self.assets[:i]]
            if repeated:
                raise ConfigError(f"{self.label}: asset '{repeated[0]}' is listed twice")
            unknown = [asset for asset in self.assets if asset not in prices.columns]
            if unknown:
                raise ConfigError(
                    f"{self.label}: unknown asset '{unknown[0]}'; available: {', '.join(prices.columns)}"
                )
            prices = prices[list(self.assets)]
        if features is not None:
            features = features.reindex(prices.index)
        market = MarketData(prices, name=self.label, max_daily_return=self.max_daily_return)
        digest = hashlib.sha256(market.fingerprint().encode())
        for extra in (cash_rate, features):
            if extra is not None:  # the rate and the features change results too
                digest.update(pd.util.hash_pandas_object(extra, index=True).to_numpy().tobytes())
        data_hash = digest.hexdigest() if cash_rate is not None or features is not None else None
        return LoadedData(
            self.label,
            prices,
            default_test_start,
            data_hash or market.fingerprint(),
            cash_rate=None if cash_rate is None else cash_rate.dropna(),
            features=features,
            max_daily_return=self.max_daily_return,
        )
