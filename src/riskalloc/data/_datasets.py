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
    """Load a bundled real dataset, or generate a synthetic market, by name (no network).

    Parameters
    ----------
    name : {"sp500", "sp500_index", "factors"} or str
        A bundled dataset, or a synthetic market spec
        ``synthetic:GENERATOR[:key=value,...]`` such as
        ``synthetic:regime:assets=50,days=2520,seed=0`` or
        ``synthetic:bootstrap:source=sp500,days=5000,block=20,seed=1``
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
    from riskalloc.data._synthetic_spec import is_synthetic_spec, synthetic_prices

    if is_synthetic_spec(name):
        return synthetic_prices(name)
    if name not in DATASETS:
        raise ConfigError(
            f"unknown dataset '{name}'; available: {', '.join(DATASETS)}, "
            "or synthetic:regime:... / synthetic:bootstrap:..."
        )
    return _load(name).copy()
