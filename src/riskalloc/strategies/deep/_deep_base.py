"""`DeepAllocator`: what every deep strategy shares — parameters, features, walk-forward refits.

A deep strategy is a :class:`~riskalloc.features.FeatureBuilder` fitted on the
training span, a torch model built by :meth:`DeepAllocator.build_model` and
trained by :meth:`DeepAllocator.fit_model`, and :meth:`DeepAllocator.predict`,
which turns the model's output on the windows ending at each decision date into
weights. This class adds the rest: validation of the common parameters,
``retrain_every`` walk-forward refits, and the state that :meth:`DeepAllocator.save`
writes (and :func:`riskalloc.load_model` reads back).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
import torch
from torch import nn

from riskalloc.core import ConfigError, DataError, RunContext, threads_for
from riskalloc.data import MarketData
from riskalloc.features import FeatureBuilder, load_extra_features
from riskalloc.strategies._protocol import BaseAllocator, check_positive_int, finite_weights
from riskalloc.strategies.deep._nets import Network
from riskalloc.strategies.deep._nets_attention import Attention
from riskalloc.strategies.deep._parameters import (
    Precision,
    check_choice,
    check_fraction,
    check_nonnegative,
)
from riskalloc.strategies.deep._persistence import save_model
from riskalloc.strategies.deep._training import Optimizer, build_optimizer
from riskalloc.strategies.deep._training_log import training_log

__all__ = ["DeepAllocator"]


class DeepAllocator(BaseAllocator):
    """Base of the deep strategies: a network on feature windows, fitted on the training span.

    Parameters (common to every deep strategy)
    ----------------------------------------------
    network : {"mlp", "lstm", "tcn", "transformer"}, default "mlp"
        Shared across assets (see :func:`~riskalloc.strategies.deep.build_network`).
        The default is chosen by evidence (``bench/deep_networks.py``, bench/RESULTS.md):
        on the three scenarios the MLP's best validation objective is within the
        spread of the others' while its fit is 10-40x faster than the LSTM's.
    attention : {"full", "linear"}, default "full"
        The transformer's attention across assets: softmax (cost grows with the square
        of the number of assets) or linear (grows linearly). Other networks ignore it.
    lookback : int, default 50
        Trading days in each input window.
    hidden_size, n_layers : int, default 64 and 2
        Width and depth of the network (an MLP of 2 hidden layers x 64 units by default).
    dropout, weight_decay : float
        Regularisation.
    learning_rate : float, default 1e-3
    optimizer : {"adam", "rmsprop", "sgd"}, default "adam"
    epochs, batch_size : int, default 20 and 64
        Passes over the training samples; decision dates per minibatch.
    validation_fraction : float, default 0.2
        The last part of the training samples (in time) held out for early stopping
        after ``patience`` epochs without improvement; 0 trains for ``epochs`` epochs.
    horizon : int, default 5
        Trading days after a decision that its target covers (held days for
        end-to-end strategies, the forecast horizon for forecasting ones).
    seed : int, default 0
        Seeds every random draw of training; same seed and data, same weights.
    device : str, default "cpu"
        Torch device of training and inference (``cuda`` when present).
    dtype : {"float32", "float64"}, default "float32"
        Of the network; allocation layers and losses run in float64.
    retrain_every : int or None, default 252
        Walk-forward refits: every ``retrain_every`` trading days after the end of the
        training span, at the close of the decision date, the network is trained again
        on the data up to that date only (an expanding window), so a long test span is
        not traded by a model frozen at its start. A refit warm-starts from the model in
        use and trains ``refit_epochs`` epochs with the same validation rule (the end of
        the new span); the features' scaler stays the one fitted on the training span.
        ``None`` fits once, on the training span. A saved model serves as saved.
    refit_epochs : int, default 5
        Most epochs of each walk-forward refit (never more than ``epochs``; early
        stopping as in the first fit).
    training_window : int or None, default None
        With ``retrain_every``: refit on the last ``training_window`` trading days
        (rolling) instead of all data up to the date (expanding, ``None``).
    volatility_windows, ma_windows, rsi_window, drawdown_window, market
        The features (see :class:`~riskalloc.features.FeatureBuilder`).
    extra_features : str or None
        A CSV or Parquet file of user columns by date (macro series, sentiment) added as
        features (see :func:`~riskalloc.features.load_extra_features`).
    """

    name: ClassVar[str] = "deep"
    family: ClassVar[str] = "deep"
    stochastic: ClassVar[bool] = True
    saveable: ClassVar[bool] = True

    def __init__(
        self,
        network: str = "mlp",
        attention: str = "full",
        lookback: int = 50,
        hidden_size: int = 64,
        n_layers: int = 2,
        dropout: float = 0.0,
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        optimizer: str = "adam",
        epochs: int = 20,
        batch_size: int = 64,
        validation_fraction: float = 0.2,
        patience: int = 5,
        horizon: int = 5,
        seed: int = 0,
        device: str = "cpu",
        dtype: str = "float32",
        retrain_every: int | None = 252,
        refit_epochs: int = 5,
        training_window: int | None = None,
        volatility_windows: tuple[int, ...] = (5, 21, 63),
        ma_windows: tuple[int, ...] = (10, 50),
        rsi_window: int | None = 14,
        drawdown_window: int | None = 252,
        market: bool = True,
        extra_features: str | None = None,
    ) -> None:
        self.network = network
        self.attention = attention
        self.lookback = lookback
        self.hidden_size = hidden_size
        self.n_layers = n_layers
        self.dropout = dropout
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.optimizer = optimizer
        self.epochs = epochs
        self.batch_size = batch_size
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.horizon = horizon
        self.seed = seed
        self.device = device
        self.dtype = dtype
        self.retrain_every = retrain_every
        self.refit_epochs = refit_epochs
        self.training_window = training_window
        self.volatility_windows = volatility_windows
        self.ma_windows = ma_windows
        self.rsi_window = rsi_window
        self.drawdown_window = drawdown_window
        self.market = market
        self.extra_features = extra_features

    # --- what a deep strategy provides -----------------------------------------------
    #: Frames ``predict`` sets with one block of rows per decision date; ``allocate`` joins
    #: those of walk-forward refits in date order.
    per_date_records: ClassVar[tuple[str, ...]] = ("forecasts_",)
    #: Smallest ``horizon`` the strategy's target can use.
    min_horizon: ClassVar[int] = 1

    def build_model(self, n_features: int, n_assets: int) -> nn.Module:
        """The untrained model for inputs of ``n_features`` features (same on reload)."""
        raise NotImplementedError

    def fit_model(self, train: MarketData) -> None:
        """Train ``self.model_`` on ``train`` (``self.features_`` is fitted already)."""
        raise NotImplementedError

    def predict(self, history: MarketData, dates: pd.DatetimeIndex) -> pd.DataFrame:
        """Weights at ``dates`` from the fitted model (may set ``self.forecasts_``)."""
        raise NotImplementedError

    # --- parameters -------------------------------------------------------------------
    def _check_parameters(self) -> None:
        for parameter, minimum in (
            ("lookback", 1), ("hidden_size", 1), ("n_layers", 1), ("epochs", 1),
            ("batch_size", 1), ("patience", 1), ("horizon", self.min_horizon),
            ("refit_epochs", 1),
        ):  # fmt: skip
            check_positive_int(getattr(self, parameter), parameter, self.name, minimum)
        check_positive_int(self.seed, "seed", self.name, 0)
        for parameter in ("retrain_every", "training_window"):
            if getattr(self, parameter) is not None:
                check_positive_int(getattr(self, parameter), parameter, self.name)
        if self.training_window is not None and self.retrain_every is None:
            raise ConfigError(
                f"{self.name}: parameter 'training_window' applies to refits; set "
                "'retrain_every' too (or leave training_window unset)"
            )
        for parameter, choices in (
            ("network", Network), ("attention", Attention), ("optimizer", Optimizer),
            ("dtype", Precision),
        ):  # fmt: skip
            check_choice(getattr(self, parameter), parameter, self.name, choices)
        check_fraction(self.dropout, "dropout", self.name, 0.0, 1.0)
        check_fraction(self.validation_fraction, "validation_fraction", self.name, 0.0, 1.0)
        check_nonnegative(self.learning_rate, "learning_rate", self.name)
        check_nonnegative(self.weight_decay, "weight_decay", self.name, allow_zero=True)
        try:
            torch.device(self.device)
        except (RuntimeError, TypeError):
            raise ConfigError(
                f"{self.name}: parameter 'device' must name a torch device such as 'cpu' or "
                f"'cuda', got {self.device!r}"
            ) from None
        if torch.device(self.device).type == "cuda" and not torch.cuda.is_available():
            raise ConfigError(f"{self.name}: parameter 'device' is 'cuda' but no GPU is available")

    def network_hyper(self) -> dict[str, Any]:
        """The keyword arguments of :func:`build_network` this strategy's parameters set."""
        hyper = {
            "hidden_size": self.hidden_size,
            "n_layers": self.n_layers,
            "dropout": float(self.dropout),
        }
        if Network(self.network.lower()) is Network.TRANSFORMER:
            hyper["attention"] = Attention(self.attention.lower())
        return hyper

    @property
    def torch_device(self) -> torch.device:
        return torch.device(self.device)

    @property
    def torch_dtype(self) -> torch.dtype:
        return Precision(self.dtype.lower()).torch_dtype

    def feature_builder(self, with_extra: bool = True) -> FeatureBuilder:
        """The (unfitted) builder of this strategy's inputs; ``with_extra=False`` leaves the
        user feature file unread (the history a builder needs does not depend on it)."""
        extra = None
        if with_extra and self.extra_features is not None:
            extra = load_extra_features(self.extra_features)
        return FeatureBuilder(
            lookback=self.lookback,
            volatility_windows=tuple(self.volatility_windows),
            ma_windows=tuple(self.ma_windows),
            rsi_window=self.rsi_window,
            drawdown_window=self.drawdown_window,
            market=self.market,
            extra=extra,
        )

    @property
    def min_history(self) -> int:
        """The feature builder's: ``lookback`` plus the longest feature's warm-up."""
        self._check_parameters()
        return self.feature_builder(with_extra=False).min_history

    def sample_dates(self, train: MarketData) -> pd.DatetimeIndex:
        """Decision dates of ``train`` with a full input window and ``horizon`` days after them."""
        first = self.min_history - 1
        last = len(train) - 1 - self.horizon
        dates = train.dates[first : last + 1]
        if len(dates) < 2:
            raise DataError(
                f"{self.name}: {len(train)} training dates of {train.name} give no training "
                f"sample; need at least {self.min_history + self.horizon + 1} (min_history "
                f"{self.min_history} plus a horizon of {self.horizon} and one more)"
            )
        return dates

    def inputs(self, history: MarketData, dates: pd.DatetimeIndex) -> torch.Tensor:
        """The standardised windows ``(dates, features, lookback, assets)`` on the model's device."""
        windows = self.features_.transform(history, dates)
        return torch.as_tensor(windows, device=self.torch_device).to(self.torch_dtype)

    # --- fit ------------------------------------------------------------------------
    def new_optimizer(self) -> torch.optim.Optimizer:
        """The optimiser the parameters choose (``optimizer``, ``learning_rate``,
        ``weight_decay``) over the parameters of ``model_``."""
        return build_optimizer(
            Optimizer(self.optimizer.lower()),
            self.model_.parameters(),
            float(self.learning_rate),
            float(self.weight_decay),
        )

    def fit(self, train: MarketData, context: RunContext | None = None) -> DeepAllocator:
        """Fit the features' scaler and the model on ``train`` (and nothing after it), at the
        run's ``context`` (costs and cash rate of the training loss)."""
        self._check_parameters()
        super().fit(train, context)
        self.warm_start_ = False
        self.features_ = self.feature_builder().fit(train)
        self.fit_end_ = train.dates[-1]
        self.fit_model(train)
        self.training_log_ = training_log([(self.fit_end_, getattr(self, "history_", None))])
        return self

    # --- allocate ---------------------------------------------------------------------
    def allocate(self, history: MarketData, dates: pd.DatetimeIndex) -> pd.DataFrame:
        """Weights at ``dates``; with ``retrain_every``, refit on the past along the way.

        Refits run on copies (each warm-started from the one before), so the fitted
        strategy itself never changes:
        calling ``allocate`` twice gives the same weights. The dates of the refits
        are kept in ``refit_dates_``.
        """
        if not hasattr(self, "model_"):
            raise ConfigError(f"{self.name}: call fit(train) before allocate()")
        if list(history.assets) != self.assets_:
            raise DataError(
                f"{self.name}: history assets {list(history.assets)} differ from those fitted "
                f"{self.assets_}"
            )
        dates = pd.DatetimeIndex(dates)
        blocks = self._refit_blocks(history, dates)
        self.refit_dates_ = [refit for refit, _ in blocks if refit is not None]
        # Inference on a few dates is many small operations: one thread is fastest.
        size = len(dates) * len(self.assets_) * self.lookback * self.features_.n_features
        with threads_for(size):
            if len(blocks) == 1 and blocks[0][0] is None:
                return finite_weights(self.predict(history, dates), self.name)
        weights: list[pd.DataFrame] = []
        records: dict[str, list[pd.DataFrame]] = {name: [] for name in self.per_date_records}
        model: DeepAllocator = self
        fits = [(self.fit_end_, getattr(self, "history_", None))]
        for refit, block in blocks:
            if refit is not None:
                model = model.refitted(self._refit_span(history, refit))
                fits.append((model.fit_end_, getattr(model, "history_", None)))
            weights.append(model.predict(history, block))
            for name, frames in records.items():
                if getattr(model, name, None) is not None:
                    frames.append(getattr(model, name))
        for name, frames in records.items():
            if frames:
                dated = isinstance(frames[0].index, pd.DatetimeIndex)
                setattr(self, name, pd.concat(frames, ignore_index=not dated))
        self.training_log_ = training_log(fits)
        return finite_weights(pd.concat(weights), self.name)

    def starting_model(self, n_features: int, n_assets: int) -> nn.Module:
        """The model training starts from: a new one, or for a walk-forward refit the
        model in use (a warm start)."""
        if getattr(self, "warm_start_", False):
            return self.model_
        return self.build_model(n_features, n_assets)

    def refitted(self, span: MarketData) -> DeepAllocator:
        """A copy trained up to ``refit_epochs`` more epochs on ``span``, from this model.

        The copy keeps this strategy's feature scaler (fitted on the training span) and
        its parameters; this strategy is unchanged.
        """
        refit = copy.deepcopy(self)
        refit.warm_start_ = True
        refit.epochs = min(int(self.refit_epochs), int(self.epochs))
        refit.fit_end_ = span.dates[-1]
        refit.fit_model(span)
        refit.epochs = self.epochs
        return refit

    def _refit_blocks(
        self, history: MarketData, dates: pd.DatetimeIndex
    ) -> list[tuple[pd.Timestamp | None, pd.DatetimeIndex]]:
        """Decision dates grouped by the model that decides them; a refit date opens a block."""
        if self.retrain_every is None or len(dates) == 0:
            return [(None, dates)]
        positions = history.dates.get_indexer(dates)
        last_fit = history.dates.searchsorted(self.fit_end_, side="right") - 1
        blocks: list[tuple[pd.Timestamp | None, list[pd.Timestamp]]] = [(None, [])]
        for date, position in zip(dates, positions, strict=True):
            if position >= 0 and position - last_fit >= self.retrain_every:
                blocks.append((date, []))
                last_fit = position
            blocks[-1][1].append(date)
        return [(refit, pd.DatetimeIndex(block)) for refit, block in blocks if block]

    def _refit_span(self, history: MarketData, date: pd.Timestamp) -> MarketData:
        span = history.until(date)
        if self.training_window is not None:
            span = span.between(span.dates[max(len(span) - self.training_window, 0)], None)
        return span

    # --- saving -----------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Write ``model.safetensors`` and ``model.json`` to ``directory``; returns it.

        :func:`riskalloc.load_model` reads the folder back into a fitted strategy.
        """
        return save_model(self, directory)

    def extra_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """Fitted state beyond the model's parameters: JSON values and tensors."""
        return {}, {}

    def load_extra_state(self, values: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        """Restore what :meth:`extra_state` returned."""
