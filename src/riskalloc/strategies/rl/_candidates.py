"""The discrete menu of allocations a DQN agent chooses from, built on the training span."""

from __future__ import annotations

import numpy as np

from riskalloc.data import MarketData
from riskalloc.strategies.classical import MinimumVariance, RiskParity

__all__ = ["candidate_allocations"]

#: Classical portfolios in the menu (default parameters), each fitted and decided at the
#: last training date.
_CLASSICAL = (MinimumVariance, RiskParity)
CLASSICAL_CANDIDATES = tuple(cls.name for cls in _CLASSICAL)


def candidate_allocations(train: MarketData, cash: bool = False) -> tuple[np.ndarray, list[str]]:
    """Candidate target weights ``(K, n_assets)`` and their names.

    The menu: equal weight; each single asset; minimum variance and risk parity as
    decided at the close of the last training date (from the training span only);
    the 50/50 mixes of equal weight, minimum variance and risk parity; and, with
    ``cash``, all cash (zero weights).

    Examples
    --------
    >>> import riskalloc as ra
    >>> s = ra.scenario("bull-2010")
    >>> weights, names = candidate_allocations(ra.MarketData(s.prices).until(s.train_end))
    >>> weights.shape, names[:2]
    ((14, 8), ['equal_weight', 'single:AAPL'])
    """
    n_assets = len(train.assets)
    named: dict[str, np.ndarray] = {"equal_weight": np.full(n_assets, 1.0 / n_assets)}
    for i, asset in enumerate(train.assets):
        named[f"single:{asset}"] = np.eye(n_assets)[i]
    last = train.dates[-1:]
    for cls in _CLASSICAL:
        strategy = cls().fit(train)
        named[cls.name] = strategy.allocate(train, last).to_numpy(dtype=float)[0]
    base = ["equal_weight", *CLASSICAL_CANDIDATES]
    for k, first in enumerate(base):
        for second in base[k + 1 :]:
            named[f"mix:{first}+{second}"] = 0.5 * (named[first] + named[second])
    if cash:
        named["cash"] = np.zeros(n_assets)
    return np.vstack(list(named.values())), list(named)
