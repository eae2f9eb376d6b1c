"""Named scenarios: the settings of the published studies, on the bundled assets."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from riskalloc.core import ConfigError, event_windows
from riskalloc.data._datasets import DATASETS, load_dataset, load_indicators

__all__ = [
    "REGIME_INDICATORS",
    "SCENARIOS",
    "Scenario",
    "ScenarioSpec",
    "scenario",
    "split_by_fraction",
]


def _events(*names: str) -> tuple[tuple[str, str, str], ...]:
    """The named event windows of :mod:`riskalloc.core` as ``(label, first day, last day)``."""
    return tuple((name, first, last) for name, (first, last) in event_windows(*names).items())


@dataclass(frozen=True)
class ScenarioSpec:
    """The definition of a named scenario (dates, assets, train/test protocol)."""

    name: str
    description: str
    start: str
    end: str
    assets: tuple[str, ...] | None  # None: every asset of the dataset
    test_start: str | None = None
    train_fraction: float | None = None
    stress_windows: tuple[tuple[str, str, str], ...] = ()  # (label, first day, last day)
    dataset: str = "sp500"


#: The market indicators a scenario hands its strategies as features, when its dataset
#: has them: the credit spread, the term spread and realised equity volatility, as the
#: published deep risk-budgeting work drives its regimes (the bill rate is cash, and VIX
#: starts in 2014 in the bundled data, so neither is a default feature).
REGIME_INDICATORS = ("credit_spread", "term_spread", "equity_volatility")


@dataclass(frozen=True)
class Scenario:
    """A scenario's prices and its train/test boundary.

    ``test_start`` is the first trading date of the test span; the training span
    is every date before it. A scenario on a dataset with market indicators
    (``multi_asset``) also offers them, and the cash rate, on the prices' dates.
    """

    name: str
    prices: pd.DataFrame
    test_start: pd.Timestamp
    spec: ScenarioSpec = field(repr=False)

    @property
    def train_end(self) -> pd.Timestamp:
        """Last date of the training span."""
        return self.prices.index[self.prices.index < self.test_start][-1]

    @property
    def indicators(self) -> pd.DataFrame | None:
        """The dataset's market indicators on the prices' dates, or None if it has none.

        Each row is known at that date's close (see :func:`riskalloc.data.load_indicators`);
        a fresh copy each call.
        """
        dataset = DATASETS.get(self.spec.dataset)
        if dataset is None or dataset.indicators is None:
            return None
        return load_indicators(self.spec.dataset).reindex(self.prices.index)

    @property
    def features(self) -> pd.DataFrame | None:
        """The indicators that drive regime models (:data:`REGIME_INDICATORS` the dataset
        has), on the prices' dates, or None: what a backtest of the scenario hands its
        strategies as ``MarketData.features``."""
        indicators = self.indicators
        if indicators is None:
            return None
        columns = [name for name in REGIME_INDICATORS if name in indicators.columns]
        return indicators[columns] if columns else None

    @property
    def cash_rate(self) -> pd.Series | None:
        """The 3-month Treasury yield (annual decimal) on the prices' dates, or None.

        The rate known at each close, which cash earns over the next period: the
        ``tbill3m`` indicator.
        """
        indicators = self.indicators
        if indicators is None or "tbill3m" not in indicators:
            return None
        return indicators["tbill3m"]

    @property
    def stress_windows(self) -> dict[str, tuple[pd.Timestamp, pd.Timestamp]]:
        return {
            label: (pd.Timestamp(first), pd.Timestamp(last))
            for label, first, last in self.spec.stress_windows
        }


SCENARIOS: dict[str, ScenarioSpec] = {
    spec.name: spec
    for spec in (
        ScenarioSpec(
            "bull-2010",
            "bull market: 8 large caps 2010-2016, first 80 % train, last 20 % test",
            "2010-01-01",
            "2016-12-31",
            ("AAPL", "GE", "JPM", "MSFT", "HD", "UNH", "LLY", "PFE"),
            train_fraction=0.8,
        ),
        ScenarioSpec(
            "bear-2003",
            "bear market: 8 large caps 2003-2009, first 80 % train, last 20 % test",
            "2003-01-01",
            "2009-12-31",
            ("PEP", "KO", "BAC", "GE", "PFE", "MRK", "WMT", "LLY"),
            train_fraction=0.8,
            stress_windows=_events("2008 crisis"),
        ),
        ScenarioSpec(
            "covid-2017",
            "all 20 stocks: train 2010-2016, test 2017-01-01 .. 2022-12-28",
            "2010-01-01",
            "2022-12-28",
            None,
            test_start="2017-01-01",
            stress_windows=_events("COVID crash"),
        ),
        ScenarioSpec(
            "multi-asset-2008",
            "stocks, 2- and 10-year Treasuries and crude oil (SPY UST2Y UST10Y WTI): "
            "train 1993-2004, test 2005 .. 2017-03-29 (stress: 2008-09, 2011, 2013, 2014-16)",
            "1993-02-01",
            "2017-03-31",
            ("SPY", "UST2Y", "UST10Y", "WTI"),
            test_start="2005-01-01",
            stress_windows=_events(
                "Lehman panic", "2011 debt crisis", "taper tantrum", "2014 oil crash"
            ),
            dataset="multi_asset",
        ),
        ScenarioSpec(
            "rates-1994",
            "stocks, 5- and 10-year Treasuries and crude oil (SPY UST5Y UST10Y WTI): "
            "train 1993-1998 with the 1994 bond rout, test 1999-2004 with the dot-com bust",
            "1993-02-01",
            "2004-12-31",
            ("SPY", "UST5Y", "UST10Y", "WTI"),
            test_start="1999-01-01",
            stress_windows=_events("1994 bond rout", "dot-com bust"),
            dataset="multi_asset",
        ),
    )
}


def split_by_fraction(index: pd.DatetimeIndex, train_fraction: float) -> pd.Timestamp:
    """First test date when the first ``train_fraction`` of the rows are for training."""
    if not 0.0 < train_fraction < 1.0:
        raise ConfigError(f"train_fraction must be strictly between 0 and 1, got {train_fraction}")
    n_train = int(len(index) * train_fraction)
    if n_train < 1 or n_train >= len(index):
        raise ConfigError(
            f"train_fraction={train_fraction} leaves an empty train or test span "
            f"over {len(index)} dates"
        )
    return pd.Timestamp(index[n_train])


def scenario(name: str) -> Scenario:
    """A named scenario's prices and train/test boundary.

    Examples
    --------
    >>> import riskalloc as ra
    >>> s = ra.scenario("bull-2010")
    >>> list(s.prices.columns)
    ['AAPL', 'GE', 'JPM', 'MSFT', 'HD', 'UNH', 'LLY', 'PFE']
    """
    if name not in SCENARIOS:
        raise ConfigError(f"unknown scenario '{name}'; available: {', '.join(SCENARIOS)}")
    spec = SCENARIOS[name]
    prices = load_dataset(spec.dataset).loc[spec.start : spec.end]
    if spec.assets is not None:
        prices = prices[list(spec.assets)]
    if spec.test_start is not None:
        test_start = prices.index[prices.index >= pd.Timestamp(spec.test_start)][0]
    else:
        assert spec.train_fraction is not None
        test_start = split_by_fraction(prices.index, spec.train_fraction)
    return Scenario(name, prices, pd.Timestamp(test_start), spec)
