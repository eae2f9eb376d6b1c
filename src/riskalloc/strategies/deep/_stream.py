"""`DecisionStream`: a trained deep strategy's decision for each new day, one day at a time.

Serving a model means one decision a day, as soon as the day's prices are in.
:meth:`DeepAllocator.allocate` rebuilds every feature of the input window each
time; the stream pushes the day's prices into a
:class:`~riskalloc.features.FeatureStream` (only the new feature row is computed)
and runs the network once, without autograd (on one thread unless the window is large).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from riskalloc.core import ConfigError, DataError, threads_for
from riskalloc.data import MarketData
from riskalloc.features import FeatureStream

__all__ = ["DecisionStream"]


class DecisionStream:
    """Weights of a fitted end-to-end deep strategy, decided one new trading day at a time.

    ``step(date, prices)`` gives the same weights as
    ``strategy.allocate(history_up_to_date, [date])`` (bit for bit on the same
    machine): the input window comes from a :class:`~riskalloc.features.FeatureStream`
    and the model runs in :func:`torch.inference_mode` with ``allocate``'s thread choice. The stream
    never holds a price after the last date pushed.

    Made by :meth:`EndToEndAllocator.decision_stream
    <riskalloc.strategies.deep.EndToEndAllocator.decision_stream>`: only end-to-end
    strategies (``deep_sharpe``, ``deep_cvar``, any network) have weights that are the
    network's output on the window alone. The strategy must be fitted once (no
    ``retrain_every``).

    Parameters
    ----------
    strategy : EndToEndAllocator
        Fitted (or loaded with :func:`riskalloc.load_model`).
    history : MarketData
        Prices of the strategy's assets up to the first decision's eve, at least
        ``strategy.min_history`` dates.

    Examples
    --------
    >>> import riskalloc as ra
    >>> s = ra.scenario("bull-2010")
    >>> data = ra.MarketData(s.prices)
    >>> strategy = ra.get_strategy("deep_sharpe", network="mlp", epochs=1)
    >>> stream = strategy.fit(data.until(s.train_end)).decision_stream(data.until("2015-06-30"))
    >>> day = data.dates[data.dates > "2015-06-30"][0]
    >>> round(float(stream.step(day, data.prices.loc[day]).sum()), 12)
    1.0
    """

    def __init__(self, strategy: Any, history: MarketData) -> None:
        if not hasattr(strategy, "model_"):
            raise ConfigError(f"{strategy.name}: call fit(train) before decision_stream()")
        if strategy.retrain_every is not None:
            raise ConfigError(
                f"{strategy.name}: decision_stream is not supported with parameter "
                f"'retrain_every' = {strategy.retrain_every}: the stream serves one fitted "
                "model; use allocate() for walk-forward refits"
            )
        if list(history.assets) != strategy.assets_:
            raise DataError(
                f"{strategy.name}: history assets {list(history.assets)} differ from those "
                f"fitted {strategy.assets_}"
            )
        self.strategy = strategy
        self.features = FeatureStream(strategy.features_, history)
        self._model = strategy.model_.eval()

    @property
    def last_date(self) -> pd.Timestamp:
        """The last date pushed (the history's last date before the first step)."""
        return self.features.last_date

    def step(self, date: Any, prices: pd.Series | np.ndarray | list[float]) -> pd.Series:
        """Push the prices of ``date`` (the next trading date) and decide its weights.

        Parameters
        ----------
        date : date-like
            After :attr:`last_date`.
        prices : pandas.Series or array-like
            Positive prices of the strategy's assets on ``date`` (a Series by asset
            name, or one value per asset in the fitted order).

        Returns
        -------
        pandas.Series
            Target weights by asset, named ``date``.

        Raises
        ------
        DataError
            See :meth:`FeatureStream.push`; the stream is unchanged after an error.
        """
        window = self.features.push(date, prices)
        weights = self._decide(window)
        return pd.Series(weights, index=self.features.assets, name=self.last_date, copy=False)

    def _decide(self, window: np.ndarray) -> np.ndarray:
        strategy = self.strategy
        inputs = torch.from_numpy(window).to(strategy.torch_device, strategy.torch_dtype)
        # allocate()'s thread choice for one date: one thread for a small window (many
        # small operations), all of them for a large one (thousands of assets).
        with torch.inference_mode(), threads_for(window.size):
            weights = self._model(inputs)
        return weights.to(torch.float64).cpu().numpy()[0]
