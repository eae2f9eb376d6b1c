"""Fixed mix: constant target weights, rebalanced back to them at every rebalance date."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np
import pandas as pd

from riskalloc.core import ConfigError, RunContext
from riskalloc.data import MarketData
from riskalloc.strategies._protocol import BaseAllocator, decision_positions

__all__ = ["FixedMix"]


class FixedMix(BaseAllocator):
    """Constant-mix portfolio: the same target weights at every rebalance.

    Parameters
    ----------
    weights : mapping of asset -> weight, optional
        Target weights (each >= 0, summing to at most 1; the remainder is cash).
        Assets not named get no weight. If omitted, the mix is fixed at ``fit``
        as the inverse-volatility weights over the whole training span, so the
        default never looks past the training data.

    Examples
    --------
    >>> import riskalloc as ra
    >>> ra.get_strategy("fixed_mix", weights={"AAPL": 0.6, "MSFT": 0.4})
    FixedMix(weights={'AAPL': 0.6, 'MSFT': 0.4})
    """

    name = "fixed_mix"
    family: ClassVar[str] = "classical"

    def __init__(self, weights: Mapping[str, float] | None = None) -> None:
        self.weights = weights

    def fit(self, train: MarketData, context: RunContext | None = None) -> FixedMix:
        super().fit(train, context)
        if self.weights is None:
            sigma = train.returns.std(ddof=1).to_numpy()
            usable = np.isfinite(sigma) & (sigma > 0)
            if not usable.any():
                raise ConfigError(f"{self.name}: the training span has no asset with a volatility")
            inverse = np.where(usable, 1.0 / np.where(usable, sigma, 1.0), 0.0)
            self.target_weights_ = pd.Series(inverse / inverse.sum(), index=train.assets)
            return self
        unknown = [asset for asset in self.weights if asset not in train.assets]
        if unknown:
            raise ConfigError(
                f"{self.name}: parameter 'weights' names unknown asset '{unknown[0]}'; "
                f"assets: {', '.join(map(str, train.assets))}"
            )
        target = pd.Series(0.0, index=train.assets)
        for asset, weight in self.weights.items():
            weight = float(weight)
            if not np.isfinite(weight) or weight < 0:
                raise ConfigError(
                    f"{self.name}: parameter 'weights' gives asset '{asset}' the weight "
                    f"{weight}; weights must be finite and >= 0"
                )
            target[asset] = weight
        if target.sum() > 1.0 + 1e-9 or target.sum() <= 0:
            raise ConfigError(
                f"{self.name}: parameter 'weights' sums to {target.sum():.6g}; "
                "it must be in (0, 1] (the remainder is cash)"
            )
        self.target_weights_ = target
        return self

    def allocate(self, history: MarketData, dates: pd.DatetimeIndex) -> pd.DataFrame:
        if not hasattr(self, "target_weights_"):
            raise ConfigError(f"{self.name}: call fit() before allocate()")
        decision_positions(history, dates, self.name)
        target = self.target_weights_.reindex(history.assets, fill_value=0.0).to_numpy()
        weights = np.broadcast_to(target, (len(dates), len(target)))
        return pd.DataFrame(weights.copy(), index=pd.DatetimeIndex(dates), columns=history.assets)
