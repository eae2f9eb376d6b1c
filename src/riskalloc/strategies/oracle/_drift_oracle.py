"""The drift oracle: long-only maximum Sharpe on the true drifts of a ``synthetic:drift`` market."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from riskalloc.core import ConfigError, RunContext
from riskalloc.data import MarketData, drift_market
from riskalloc.data._synthetic_spec import SYNTHETIC_ATTR
from riskalloc.strategies._protocol import BaseAllocator, decision_positions

__all__ = ["DriftOracle", "long_only_max_sharpe"]

# Returns recomputed from the spec's prices match the history's to rounding (a CSV round
# trip may change the last digit); a different seed or market differs by far more.
_RETURN_TOLERANCE = 1e-9


def long_only_max_sharpe(excess_returns: np.ndarray) -> np.ndarray:
    """The fully invested long-only portfolio of maximum Sharpe ratio when the assets'
    returns are uncorrelated with equal variance (covariance ``sigma**2 I``).

    For each row ``m`` of expected excess returns, maximise ``w'm / (sigma ||w||)``
    over ``w >= 0, sum(w) = 1``. Since ``w'm <= w'm+ <= ||w|| ||m+||`` for ``w >= 0``,
    the optimum is ``w = m+ / sum(m+)`` with ``m+ = max(m, 0)``, whatever ``sigma``.
    When no asset has a positive excess return, every portfolio's Sharpe is negative
    and the least negative is the single asset of largest ``m`` (spreading only
    shrinks ``||w||``); the first such asset on ties.

    Parameters
    ----------
    excess_returns : numpy.ndarray
        ``(dates, assets)`` expected returns in excess of cash.

    Returns
    -------
    numpy.ndarray
        ``(dates, assets)`` weights, each row non-negative and summing to one.

    Examples
    --------
    >>> long_only_max_sharpe(np.array([[0.002, -0.001, 0.002], [-0.003, -0.001, -0.002]]))
    array([[0.5, 0. , 0.5],
           [0. , 1. , 0. ]])
    """
    excess = np.atleast_2d(np.asarray(excess_returns, dtype=float))
    positive = np.maximum(excess, 0.0)
    totals = positive.sum(axis=1, keepdims=True)
    invested = totals[:, 0] > 0
    weights = np.zeros_like(excess)
    weights[invested] = positive[invested] / totals[invested]
    best = np.argmax(excess[~invested], axis=1)
    weights[np.flatnonzero(~invested), best] = 1.0
    return weights


class DriftOracle(BaseAllocator):
    """Long-only maximum Sharpe on the true next-day drifts of a ``synthetic:drift`` market.

    At the close of each decision date ``t`` the oracle reads the drifts ``m[t]`` of
    the market (:func:`riskalloc.data.drift_market`): each asset's expected return of
    day ``t+1``, which the generator fixes from its draws up to ``t``. It holds the
    fully invested long-only portfolio of maximum Sharpe ratio under the market's
    known noise covariance ``noise**2 I`` (:func:`long_only_max_sharpe`)::

        w[t] = (m[t] - c)+ / sum((m[t] - c)+),   c = the run's daily cash return

    (all in the asset of largest ``m[t]`` when none beats cash). Knowing ``m[t]`` at
    ``t`` is the oracle's privilege, the point of an oracle: it is what a learner could
    at best infer from the past. It never reads a drift dated after ``t`` nor a price
    after the history it is handed. Its weights are optimal for a daily rebalance; held
    longer, they are the myopic choice.

    It is the best a Sharpe-maximising network could learn on that market, a yardstick
    rather than a tradable strategy, hence its family ``"oracle"``.

    Parameters
    ----------
    dataset : str, optional
        The ``synthetic:drift:...`` spec the prices came from; the drifts are recomputed
        from it (the same spec gives the same drifts, bit for bit). By default the spec
        that marks the prices (``load_dataset`` and ``--dataset`` mark them). Named
        ``dataset`` like ``--dataset`` (the deep strategies' ``market`` is a flag).

    Raises
    ------
    ConfigError
        In ``fit`` or ``allocate``, when the spec is not a ``synthetic:drift`` market, or
        the history's dates, assets or returns are not that market's.

    Examples
    --------
    >>> import riskalloc as ra
    >>> spec = "synthetic:drift:assets=4,days=300,seed=1"
    >>> result = ra.backtest(ra.load_dataset(spec), ra.get_strategy("drift_oracle", dataset=spec))
    >>> bool(result.weights.ge(0).all().all())
    True
    """

    name = "drift_oracle"
    family: ClassVar[str] = "oracle"

    def __init__(self, dataset: str | None = None) -> None:
        self.dataset = dataset

    def fit(self, train: MarketData, context: RunContext | None = None) -> DriftOracle:
        super().fit(train, context)
        self.dataset_ = self._spec(train)
        self._expected_returns(train)  # a history that is not the spec's fails here, early
        return self

    def allocate(self, history: MarketData, dates: pd.DatetimeIndex) -> pd.DataFrame:
        positions = decision_positions(history, dates, self.name)
        expected = self._expected_returns(history)[positions]
        weights = long_only_max_sharpe(expected - self.context_.cash_return)
        return pd.DataFrame(weights, index=pd.DatetimeIndex(dates), columns=history.assets)

    def _spec(self, history: MarketData) -> str:
        spec = (
            self.dataset if self.dataset is not None else history.prices.attrs.get(SYNTHETIC_ATTR)
        )
        if not spec:
            raise ConfigError(
                f"{self.name}: {history.name} carries no synthetic market spec; pass "
                "dataset='synthetic:drift:...', the spec its prices came from"
            )
        return str(spec)

    def _expected_returns(self, history: MarketData) -> np.ndarray:
        """``m[t]`` for every date ``t`` of ``history`` and each of its assets, checked to be
        the spec's market."""
        spec = self._spec(history)
        try:
            prices, drifts = drift_market(spec)
        except ConfigError as error:
            raise ConfigError(f"{self.name}: {error}") from None
        unknown = [asset for asset in history.assets if asset not in prices.columns]
        if unknown:
            raise ConfigError(
                f"{self.name}: asset '{unknown[0]}' of {history.name} is not in {spec} "
                f"(assets {prices.columns[0]}..{prices.columns[-1]}); pass the spec the "
                "prices came from"
            )
        rows = prices.index.get_indexer(history.dates)
        if (rows < 0).any() or (np.diff(rows) != 1).any():
            outside = rows < 0
            first = history.dates[np.flatnonzero(outside)[0]] if outside.any() else None
            raise ConfigError(
                f"{self.name}: the dates of {history.name} are not consecutive dates of {spec} "
                f"({prices.index[0].date()}..{prices.index[-1].date()}, business days)"
                + (f"; {first.date()} is not one" if first is not None else "")
            )
        columns = prices.columns.get_indexer(history.assets)
        spec_values = prices.to_numpy()
        spec_returns = np.full_like(spec_values, np.nan)
        spec_returns[1:] = spec_values[1:] / spec_values[:-1] - 1.0
        spec_returns = spec_returns[rows][:, columns]
        observed = history.returns.to_numpy()
        compared = ~np.isnan(observed) & ~np.isnan(spec_returns)
        differs = compared & ~np.isclose(observed, spec_returns, rtol=_RETURN_TOLERANCE, atol=1e-12)
        if differs.any():
            row, column = np.argwhere(differs)[0]
            raise ConfigError(
                f"{self.name}: the return of '{history.assets[column]}' on "
                f"{history.dates[row].date()} is {observed[row, column]:.6g} in {history.name} "
                f"but {spec_returns[row, column]:.6g} in {spec}; pass the spec the prices "
                "came from"
            )
        return drifts.to_numpy()[rows][:, columns]
