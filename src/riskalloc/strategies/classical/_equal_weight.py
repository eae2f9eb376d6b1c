"""Equal weight: 1/N over the assets that have a price at the decision date."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from riskalloc.core import DataError
from riskalloc.data import MarketData
from riskalloc.strategies._protocol import BaseAllocator, decision_positions

__all__ = ["EqualWeight"]


class EqualWeight(BaseAllocator):
    """Equal weight, ``w_i = 1 / N_t``, over the ``N_t`` assets priced at date ``t``.

    Examples
    --------
    >>> import riskalloc as ra
    >>> ra.get_strategy("equal_weight")
    EqualWeight()
    """

    name = "equal_weight"
    family: ClassVar[str] = "classical"

    def __init__(self) -> None:
        pass

    def allocate(self, history: MarketData, dates: pd.DatetimeIndex) -> pd.DataFrame:
        positions = decision_positions(history, dates, self.name)
        priced = ~np.isnan(history.prices.to_numpy()[positions])
        counts = priced.sum(axis=1, keepdims=True)
        if (counts == 0).any():
            empty = pd.DatetimeIndex(dates)[np.flatnonzero(counts[:, 0] == 0)[0]]
            raise DataError(f"{self.name}: no asset has a price on {empty.date()}")
        return pd.DataFrame(priced / counts, index=pd.DatetimeIndex(dates), columns=history.assets)
