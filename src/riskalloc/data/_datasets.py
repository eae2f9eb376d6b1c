"""The bundled real datasets, loaded offline: from the skfolio wheel or packaged Parquet files."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import pandas as pd

from riskalloc.core import ConfigError
from riskalloc.data._synthetic import DEFAULT_START, block_bootstrap_prices
from riskalloc.data._synthetic_spec import (
    DEFAULT_BOOTSTRAP_SOURCE,
    SYNTHETIC_ATTR,
    generate_synthetic,
    is_synthetic_spec,
    parse_synthetic_spec,
)
from riskalloc.data._validation import FEATURE_WORDS, validate_dated_frame, validate_prices

__all__ = [
    "DATASETS",
    "Dataset",
    "bootstrap_prices",
    "load_dataset",
    "load_indicators",
    "synthetic_prices",
]


@dataclass(frozen=True)
class Dataset:
    """A bundled dataset: its name, what it holds, and where its prices come from.

    Exactly one source: ``loader``, a function of ``skfolio.datasets``, or ``file``, a
    Parquet file packaged in ``riskalloc/data/files`` (see its ``PROVENANCE.md``).
    ``indicators`` names the packaged Parquet file of the dataset's market
    indicators (rates, spreads, volatility) on the same dates, if it has one.
    """

    name: str
    description: str
    loader: str | None = None
    file: str | None = None
    indicators: str | None = None

    def __post_init__(self) -> None:
        if (self.loader is None) == (self.file is None):
            raise ValueError(f"dataset '{self.name}': give exactly one of loader and file")


DATASETS: dict[str, Dataset] = {
    dataset.name: dataset
    for dataset in (
        Dataset(
            "sp500",
            "daily adjusted close of 20 S&P 500 stocks, 1990-01-02 .. 2022-12-28",
            "load_sp500_dataset",
        ),
        Dataset(
            "sp500_index",
            "daily close of the S&P 500 index, 1990-01-02 .. 2022-12-28",
            "load_sp500_index",
        ),
        Dataset(
            "factors",
            "daily adjusted close of 5 factor ETFs (MTUM QUAL SIZE USMV VLUE), 2014 .. 2022",
            "load_factors_dataset",
        ),
        Dataset(
            "multi_asset",
            "daily indices (100 on 1993-02-01) of SPY (price return before 2013, total "
            "return after), constant-maturity Treasuries UST2Y UST5Y UST10Y built from par "
            "yields, and the WTI crude spot price (not an investable return), "
            "1993-02-01 .. 2017-03-29; indicators: 3-month bill, 10-year yield, term and "
            "credit spreads, SPY volatility, VIX",
            file="multi_asset.parquet",
            indicators="multi_asset_indicators.parquet",
        ),
    )
}


def _read_packaged(file: str) -> pd.DataFrame:
    """A Parquet file of ``riskalloc/data/files``: dates as the index."""
    packaged = resources.files("riskalloc.data").joinpath("files", file)
    with resources.as_file(packaged) as path:
        return pd.read_parquet(path)


@cache
def _load(name: str) -> pd.DataFrame:
    dataset = DATASETS[name]
    if dataset.file is not None:
        return validate_prices(_read_packaged(dataset.file), source=name)
    import skfolio.datasets

    loader: Callable[[], pd.DataFrame] = getattr(skfolio.datasets, str(dataset.loader))
    return validate_prices(loader(), source=name)


@cache
def _load_indicators(name: str) -> pd.DataFrame:
    file = DATASETS[name].indicators
    assert file is not None
    return validate_dated_frame(_read_packaged(file), source=file, words=FEATURE_WORDS)


def _bundled(name: str, role: str) -> pd.DataFrame:
    # The cached frame itself, not a copy: the generators only read it.
    if name not in DATASETS:
        raise ConfigError(f"{role}: unknown dataset '{name}'; available: {', '.join(DATASETS)}")
    return _load(name)


def load_dataset(name: str) -> pd.DataFrame:
    """Load a bundled real dataset, or generate a synthetic market, by name (no network).

    Parameters
    ----------
    name : {"sp500", "sp500_index", "factors", "multi_asset"} or str
        A bundled dataset, or a synthetic market spec
        ``synthetic:GENERATOR[:key=value,...]`` such as
        ``synthetic:regime:assets=50,days=2520,seed=0`` or
        ``synthetic:bootstrap:source=sp500,days=5000,block=20,seed=1`` or
        ``synthetic:drift:assets=10,days=2520,seed=0``
        (see :func:`riskalloc.data.synthetic_prices` for every parameter).

    Returns
    -------
    pandas.DataFrame
        Dates by assets, adjusted close prices. A fresh copy each call.

    Examples
    --------
    >>> import riskalloc as ra
    >>> ra.load_dataset("sp500").shape
    (8313, 20)
    """
    if is_synthetic_spec(name):
        return synthetic_prices(name)
    if name not in DATASETS:
        raise ConfigError(
            f"unknown dataset '{name}'; available: {', '.join(DATASETS)}, "
            "or synthetic:regime:... / synthetic:bootstrap:... / synthetic:drift:..."
        )
    return _load(name).copy()


def load_indicators(name: str) -> pd.DataFrame:
    """The market indicators of a bundled dataset, each dated at the close it is known.

    Only ``multi_asset`` has indicators (annual decimals; see
    ``riskalloc/data/files/PROVENANCE.md`` for every formula and dating rule):

    - ``tbill3m``: the 3-month Treasury par yield, what cash earns over the next period;
    - ``ust10y_yield``: the 10-year par yield; ``term_spread``: 10-year minus 3-month;
    - ``credit_spread``: Moody's Baa minus Aaa, month m's average from the first
      trading day of month m+1;
    - ``equity_volatility``: ``std(last 21 SPY returns) * sqrt(252)``, NaN for the first 21 days;
    - ``vix``: the VIX close / 100, NaN before 2014-01-03.

    Parameters
    ----------
    name : str
        A bundled dataset with indicators.

    Returns
    -------
    pandas.DataFrame
        The dataset's dates by indicator; a fresh copy each call.

    Raises
    ------
    ConfigError
        For an unknown dataset, or one without indicators.

    Examples
    --------
    >>> list(load_indicators("multi_asset").columns)
    ['tbill3m', 'ust10y_yield', 'term_spread', 'credit_spread', 'equity_volatility', 'vix']
    """
    with_indicators = [key for key, dataset in DATASETS.items() if dataset.indicators]
    if name not in DATASETS:
        raise ConfigError(
            f"unknown dataset '{name}'; datasets with indicators: {', '.join(with_indicators)}"
        )
    if DATASETS[name].indicators is None:
        raise ConfigError(
            f"dataset '{name}' has no indicators; datasets with indicators: "
            f"{', '.join(with_indicators)}"
        )
    return _load_indicators(name).copy()


def bootstrap_prices(
    source: str | pd.DataFrame = DEFAULT_BOOTSTRAP_SOURCE,
    days: int = 2520,
    block: float = 20.0,
    seed: int = 0,
    assets: Sequence[str] | None = None,
    start: str | pd.Timestamp = DEFAULT_START,
    source_start: str | None = None,
    source_end: str | None = None,
) -> pd.DataFrame:
    """Prices whose daily return vectors are a stationary block bootstrap of a real dataset.

    Whole rows of the source's simple returns (every asset on one day) are
    resampled in blocks of random length with mean ``block`` days, which keeps
    the cross-asset correlation and the volatility clustering within blocks.
    Prices start at 100: ``P[t] = 100 * (1 + R[1]) * ... * (1 + R[t])``
    (the generator is :func:`riskalloc.data._synthetic.block_bootstrap_prices`).

    Parameters
    ----------
    source : str or pandas.DataFrame
        A bundled dataset (``sp500``, ``sp500_index``, ``factors``, ``multi_asset``), or prices
        (dates by assets) to resample.
    days : int
        Number of business dates (prices), from ``start``; may exceed the source's length.
    block : float
        Mean block length in days (>= 1; 1 is the i.i.d. bootstrap of days).
    seed : int
        Seed of the draws; the same arguments give the same prices, bit for bit.
    assets : sequence of str, optional
        A subset of the source's assets (default all).
    start : str or Timestamp
        First date of the synthetic prices.
    source_start, source_end : str, optional
        Resample only the source's returns dated within these bounds (e.g. 2007..2009).

    Returns
    -------
    pandas.DataFrame
        Business dates by the source's asset names.

    Examples
    --------
    >>> prices = bootstrap_prices("factors", days=3, seed=0)
    >>> list(prices.columns)
    ['MTUM', 'QUAL', 'SIZE', 'USMV', 'VLUE']
    """
    if isinstance(source, str):
        history, source_name = _bundled(source, "source"), source
    else:
        history, source_name = source, "the source prices"
    if assets is not None:
        unknown = [asset for asset in assets if asset not in history.columns]
        if unknown:
            raise ConfigError(
                f"assets: unknown asset '{unknown[0]}' of {source_name}; available: "
                f"{', '.join(map(str, history.columns))}"
            )
        history = history[list(assets)]
    return block_bootstrap_prices(
        history,
        days=days,
        block=block,
        seed=seed,
        start=start,
        source_start=source_start,
        source_end=source_end,
    )


@lru_cache(maxsize=2)
def _generate(label: str) -> pd.DataFrame:
    spec = parse_synthetic_spec(label)
    try:
        # The generators take prices, not names: a bootstrap's source is resolved here.
        source_prices = None if spec.source is None else _bundled(spec.source, "source")
        return generate_synthetic(spec, source_prices)
    except ConfigError as error:
        raise ConfigError(f"synthetic dataset '{label}': {error}") from None


def synthetic_prices(spec: str) -> pd.DataFrame:
    """Prices of a synthetic market named by a spec string (what ``--dataset`` takes).

    The syntax is ``synthetic:GENERATOR[:key=value,key=value,...]`` (no quoting
    needed in a shell); parameters left out take their defaults.

    ``synthetic:regime``
        :func:`regime_switching_prices`: ``assets`` (10), ``days`` (2520), ``seed``
        (0), ``start`` (2000-01-03), and per regime ``calm_*`` / ``stressed_*`` with
        ``mean``, ``volatility``, ``correlation``, ``persistence`` (annualised
        mean and volatility; see :data:`DEFAULT_REGIMES`).
    ``synthetic:bootstrap``
        :func:`bootstrap_prices`: ``source`` (sp500), ``days`` (2520), ``block``
        (20), ``seed`` (0), ``start`` (2000-01-03), ``source_start``, ``source_end``.
    ``synthetic:drift``
        :func:`riskalloc.data.drift_prices`: each asset's daily drift a
        stationary AR(1), ``m[t] = mean + persistence * (m[t-1] - mean) +
        sqrt(1 - persistence**2) * signal * e[t]``, and ``R[t+1] = m[t] + noise * z[t+1]``;
        ``assets`` (10), ``days`` (2520), ``seed`` (0), ``start`` (2000-01-03),
        ``noise`` (0.01), ``persistence`` (0.99), ``signal`` (0.001), ``mean`` (0.0001).
        :func:`riskalloc.data.drift_market` also returns the drifts.

    An unknown generator, parameter or source dataset, or a value that cannot be
    read, raises :class:`~riskalloc.core.ConfigError` naming it. The same spec gives
    the same prices, bit for bit; pick assets afterwards (``--assets SYN01,SYN02``).

    Returns
    -------
    pandas.DataFrame
        Business dates by assets; a fresh copy each call.

    Examples
    --------
    >>> synthetic_prices("synthetic:regime:assets=50,days=2520,seed=0").shape
    (2520, 50)
    >>> synthetic_prices("synthetic:bootstrap:source=sp500,days=500,block=20,seed=1").shape
    (500, 20)
    """
    canonical = parse_synthetic_spec(spec).label
    prices = _generate(canonical).copy()
    # The mark travels with the prices (MarketData keeps it, slices too), so whatever the
    # data is named, its features know there is no real market index behind it.
    prices.attrs[SYNTHETIC_ATTR] = canonical
    return prices
