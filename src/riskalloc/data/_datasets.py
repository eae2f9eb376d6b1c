"""The bundled real datasets: shipped inside the skfolio wheel, loaded offline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import pandas as pd

from riskalloc._errors import ConfigError
from riskalloc.data._validation import validate_prices

__all__ = ["DATASETS", "Dataset", "load_dataset"]


@dataclass(frozen=True)
class Dataset:
    """A bundled dataset: its name, what it holds, and how to load it."""

    name: str
    description: str
    loader: str  # attribute of ``skfolio.datasets``


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
    )
}


@cache
def _load(name: str) -> pd.DataFrame:
    import skfolio.datasets

    loader: Callable[[], pd.DataFrame] = getattr(skfolio.datasets, DATASETS[name].loader)
    return validate_prices(loader(), source=name)


def load_dataset(name: str) -> pd.DataFrame:
    """Load a bundled real dataset by name (no network).

    Parameters
    ----------
    name : {"sp500", "sp500_index", "factors"}

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
    if name not in DATASETS:
        raise ConfigError(f"unknown dataset '{name}'; available: {', '.join(DATASETS)}")
    return _load(name).copy()
