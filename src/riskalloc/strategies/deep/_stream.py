"""`DecisionStream`: a trained deep strategy's decision for each new day, one day at a time.

Serving a model means one decision a day, as soon as the day's prices are in.
:meth:`DeepAllocator.allocate` rebuilds every feature of the input window each
time; the stream pushes the day's prices into a
:class:`~riskalloc.features.FeatureStream` (only the new feature row is computed)
and runs the network once, without autograd (on one thread unless the window is large).
A TCN does not even see the window again: :class:`~riskalloc.strategies.deep._nets_tcn.TCNStream`
keeps each convolution's last inputs, so a new day costs one column per convolution.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from riskalloc.core import ConfigError, DataError, threads_for
from riskalloc.data import MarketData
from riskalloc.features import FeatureStream
from riskalloc.strategies.deep._nets_tcn import TCNNet, TCNStream

__all__ = ["DecisionStream"]


class DecisionStream:
    """Weights of a fitted end-to-end deep strategy, decided one new trading day at a time.

    ``step(date, prices)`` gives the same weights as
    ``strategy.allocate(history_up_to_date, [date])`` (bit for bit on the same
    machine): the input window comes from a :class:`~riskalloc.features.FeatureStream`
    and the model runs in :func:`torch.inference_mode` with ``allocate``'s thread choice. The stream
    never holds a price after the last date pushed. A TCN's scores come from its
    cached activations and the new feature row (:class:`TCNStream`): the same
    products as on the window, summed in another order, so the same weights to
    float32 rounding (a test checks 1e-6), not bit for bit.

    Made by :meth:`EndToEndAllocator.decision_stream
    <riskalloc.strategies.deep.EndToEndAllocator.decision_stream>`: only end-to-end
    strategies (``deep_sharpe``, ``deep_cvar``, any network) have weights that are the
    network's output on the window alone. The stream serves the fitted model: with
    ``retrain_every`` it steps up to the date ``allocate`` would refit on, and refuses
    that date (a saved model trained by ``riskalloc train`` has no refits).

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
        # Trading dates after the fit up to the last one pushed: allocate() refits at
        # the date where this count reaches retrain_every.
        self._since_fit = int((history.dates > strategy.fit_end_).sum())
        self._check_no_refit(strategy, self._since_fit, history.dates[-1])
        if list(history.assets) != strategy.assets_:
            raise DataError(
                f"{strategy.name}: history assets {list(history.assets)} differ from those "
                f"fitted {strategy.assets_}"
            )
        self.strategy = strategy
        self.features = FeatureStream(strategy.features_, history)
        self._model = strategy.model_.eval()
        self._tcn = None
        if isinstance(self._model, nn.Sequential) and isinstance(self._model[0], TCNNet):
            window = self.features.window()
            with threads_for(window.size):
                self._tcn = TCNStream(self._model[0], self._tensor(window))

    @property
    def last_date(self) -> pd.Timestamp:
        """The last date pushed (the history's last date before the first step)."""
        return self.features.last_date

    def step(
        self,
        date: Any,
        prices: pd.Series | np.ndarray | list[float],
        features: pd.Series | np.ndarray | list[float] | None = None,
    ) -> pd.Series:
        """Push the prices of ``date`` (the next trading date) and decide its weights.

        Parameters
        ----------
        date : date-like
            After :attr:`last_date`.
        prices : pandas.Series or array-like
            Positive prices of the strategy's assets on ``date`` (a Series by asset
            name, or one value per asset in the fitted order).
        features : pandas.Series or array-like, optional
            The data's indicators on ``date``, for a model trained on them (see
            :meth:`FeatureStream.push`).

        Returns
        -------
        pandas.Series
            Target weights by asset, named ``date``.

        Raises
        ------
        DataError
            See :meth:`FeatureStream.push`; the stream is unchanged after an error.
        """
        self._check_no_refit(self.strategy, self._since_fit + 1, date)
        window = self.features.push(date, prices, features)
        self._since_fit += 1
        weights = self._decide(window)
        return pd.Series(weights, index=self.features.assets, name=self.last_date, copy=False)

    @staticmethod
    def _check_no_refit(strategy: Any, since_fit: int, date: Any) -> None:
        every = strategy.retrain_every
        if every is not None and since_fit >= every:
            raise ConfigError(
                f"{strategy.name}: {pd.Timestamp(date).date()} is {since_fit} trading days "
                f"after the fit, where allocate() refits (parameter 'retrain_every' = "
                f"{every}); the stream serves one fitted model: use allocate(), or a model "
                "with retrain_every=None"
            )

    def _tensor(self, values: np.ndarray) -> torch.Tensor:
        strategy = self.strategy
        return torch.from_numpy(values).to(strategy.torch_device, strategy.torch_dtype)

    def _decide(self, window: np.ndarray) -> np.ndarray:
        # allocate()'s thread choice for one date: one thread for a small window (many
        # small operations), all of them for a large one (thousands of assets).
        with torch.inference_mode(), threads_for(window.size):
            if self._tcn is None:
                weights = self._model(self._tensor(window))
            else:  # the network's cached activations and the new row, then allocation
                scores = self._tcn.step(self._tensor(window[0, :, -1]))
                weights = self._model[1:](scores)
        return weights.to(torch.float64).cpu().numpy()[0]
