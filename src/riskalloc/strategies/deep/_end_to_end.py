"""End-to-end deep allocators: features -> network -> allocation layer, trained on a portfolio loss."""

from __future__ import annotations

import inspect
import math
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from torch import nn

from riskalloc._errors import ConfigError, DataError
from riskalloc.data import MarketData
from riskalloc.features import FeatureBuilder
from riskalloc.strategies._protocol import BaseAllocator, check_positive_int, decision_positions
from riskalloc.strategies.deep._layers_simplex import CappedSimplex, SoftmaxAllocation
from riskalloc.strategies.deep._losses import Loss, mean_cvar, negative_sharpe
from riskalloc.strategies.deep._nets import Network, build_network
from riskalloc.strategies.deep._training import (
    Optimizer,
    build_optimizer,
    seeded,
    train_allocator,
)

__all__ = ["DeepCVaR", "DeepSharpe", "EndToEndAllocator"]


def _check_fraction(value: Any, parameter: str, strategy: str, low: float, high: float) -> None:
    """``low <= value < high`` for a real number, else a ConfigError naming ``parameter``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value < high:
        raise ConfigError(
            f"{strategy}: parameter '{parameter}' must be a number in [{low}, {high}), got {value!r}"
        )


def _check_positive(value: Any, parameter: str, strategy: str, allow_zero: bool = False) -> None:
    ok = not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ConfigError(
            f"{strategy}: parameter '{parameter}' must be a finite number {bound}, got {value!r}"
        )


class _ToFloat64(nn.Module):
    """Scores to float64, so that the weights sum to one to within float64 rounding."""

    def forward(self, scores: torch.Tensor) -> torch.Tensor:
        return scores.to(torch.float64)


class EndToEndAllocator(BaseAllocator):
    """Features of the past ``lookback`` days -> a network -> long-only weights, trained end to end.

    Each asset's window of standardised features (:class:`~riskalloc.features.FeatureBuilder`,
    fitted on the training span only) is scored by a network with parameters shared across
    assets; :class:`SoftmaxAllocation` (or :class:`CappedSimplex` when ``max_weight < 1``)
    turns scores into weights. The weights decided at ``t`` are held over ``t+1 .. t+horizon``,
    drifting with prices, and the loss scores the daily net returns of that holding after
    ``costs_bps`` of costs on the first trade (from cash), computed by
    :func:`~riskalloc.strategies.deep.portfolio_net_returns`, the backtest's own formula.
    Training uses only decision dates whose whole horizon lies in the training span.

    Subclasses choose the loss (:meth:`training_loss`).
    """

    name: ClassVar[str] = "end_to_end"
    stochastic: ClassVar[bool] = True

    def __init__(
        self,
        network: str = "lstm",
        lookback: int = 50,
        hidden_size: int = 32,
        n_layers: int = 1,
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
        max_weight: float = 1.0,
        costs_bps: float = 10.0,
        volatility_windows: tuple[int, ...] = (5, 21, 63),
        ma_windows: tuple[int, ...] = (10, 50),
        rsi_window: int | None = 14,
        drawdown_window: int | None = 252,
        market: bool = True,
    ) -> None:
        self.network = network
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
        self.max_weight = max_weight
        self.costs_bps = costs_bps
        self.volatility_windows = volatility_windows
        self.ma_windows = ma_windows
        self.rsi_window = rsi_window
        self.drawdown_window = drawdown_window
        self.market = market

    # --- parameters -------------------------------------------------------------------
    def training_loss(self) -> Loss:
        raise NotImplementedError

    def _check_parameters(self) -> None:
        for parameter, minimum in (
            ("lookback", 1), ("hidden_size", 1), ("n_layers", 1), ("epochs", 1),
            ("batch_size", 1), ("patience", 1), ("horizon", 2),
        ):  # fmt: skip
            check_positive_int(getattr(self, parameter), parameter, self.name, minimum)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(
                f"{self.name}: parameter 'seed' must be an integer >= 0, got {self.seed!r}"
            )
        for parameter, enumeration in (("network", Network), ("optimizer", Optimizer)):
            value = getattr(self, parameter)
            if not isinstance(value, str) or value.lower() not in set(enumeration):
                choices = ", ".join(member.value for member in enumeration)
                raise ConfigError(
                    f"{self.name}: parameter '{parameter}' must be one of {choices}, got {value!r}"
                )
        _check_fraction(self.dropout, "dropout", self.name, 0.0, 1.0)
        _check_fraction(self.validation_fraction, "validation_fraction", self.name, 0.0, 1.0)
        _check_positive(self.learning_rate, "learning_rate", self.name)
        _check_positive(self.weight_decay, "weight_decay", self.name, allow_zero=True)
        _check_positive(self.costs_bps, "costs_bps", self.name, allow_zero=True)
        _check_positive(self.max_weight, "max_weight", self.name)
        try:
            torch.device(self.device)
        except (RuntimeError, TypeError):
            raise ConfigError(
                f"{self.name}: parameter 'device' must name a torch device such as 'cpu' or "
                f"'cuda', got {self.device!r}"
            ) from None

    def _feature_builder(self) -> FeatureBuilder:
        return FeatureBuilder(
            lookback=self.lookback,
            volatility_windows=self.volatility_windows,
            ma_windows=self.ma_windows,
            rsi_window=self.rsi_window,
            drawdown_window=self.drawdown_window,
            market=self.market,
        )

    @property
    def min_history(self) -> int:
        """The feature builder's: ``lookback`` plus the longest feature's warm-up."""
        self._check_parameters()
        return self._feature_builder().min_history

    # --- fit ----------------------------------------------------------------------------
    def training_samples(self, train: MarketData) -> pd.DatetimeIndex:
        """Decision dates of ``train`` with a full feature window and ``horizon`` days after them."""
        first = self.min_history - 1
        last = len(train) - 1 - self.horizon
        return train.dates[first : last + 1]

    def fit(self, train: MarketData) -> EndToEndAllocator:
        self._check_parameters()
        super().fit(train)
        if self.max_weight < 1 and self.max_weight * len(self.assets_) < 1:
            raise ConfigError(
                f"{self.name}: parameter 'max_weight' = {self.max_weight} leaves "
                f"{len(self.assets_)} assets unable to sum to one; raise it to at least "
                f"{1 / len(self.assets_):.4f}"
            )
        dates = self.training_samples(train)
        if len(dates) < 2:
            raise DataError(
                f"{self.name}: {len(train)} training dates of {train.name} give no training "
                f"sample; need at least {self.min_history + self.horizon + 1} (min_history "
                f"{self.min_history} plus a horizon of {self.horizon} and one more)"
            )
        self.features_ = self._feature_builder().fit(train)
        inputs = self.features_.transform(train, dates)
        positions = decision_positions(train, dates, self.name)
        held = positions[:, None] + np.arange(1, self.horizon + 1)[None, :]
        returns = train.returns.to_numpy()[held]  # (samples, horizon, assets)
        if not np.isfinite(returns).all():
            bad = dates[np.flatnonzero(~np.isfinite(returns).all(axis=(1, 2)))[0]]
            raise DataError(
                f"{self.name}: a return is missing in the {self.horizon} days after {bad.date()} "
                f"of {train.name}; fill the prices or train on a span where every asset trades"
            )
        self.training_dates_ = dates
        device = torch.device(self.device)
        with seeded(self.seed) as generator:
            self.model_ = self._build_model(self.features_.n_features).to(device)
            optimizer = build_optimizer(
                Optimizer(self.optimizer.lower()),
                self.model_.parameters(),
                float(self.learning_rate),
                float(self.weight_decay),
            )
            self.history_ = train_allocator(
                self.model_,
                self.training_loss(),
                torch.as_tensor(inputs, device=device),
                torch.as_tensor(returns, dtype=torch.float64, device=device),
                epochs=self.epochs,
                batch_size=self.batch_size,
                optimizer=optimizer,
                generator=generator,
                validation_fraction=float(self.validation_fraction),
                patience=self.patience,
                horizon=self.horizon,
                cost_rate=float(self.costs_bps) / 1e4,
            )
        return self

    def _build_model(self, n_features: int) -> nn.Module:
        network = build_network(
            self.network,
            n_features,
            self.lookback,
            hidden_size=self.hidden_size,
            n_layers=self.n_layers,
            dropout=float(self.dropout),
        )
        capped = self.max_weight < 1
        allocation = CappedSimplex(float(self.max_weight)) if capped else SoftmaxAllocation()
        return nn.Sequential(network, _ToFloat64(), allocation)

    # --- allocate -------------------------------------------------------------------------
    def allocate(self, history: MarketData, dates: pd.DatetimeIndex) -> pd.DataFrame:
        """Weights for every date in one forward pass (evaluation mode, no gradients)."""
        if not hasattr(self, "model_"):
            raise ConfigError(f"{self.name}: call fit(train) before allocate()")
        dates = pd.DatetimeIndex(dates)
        if list(history.assets) != self.assets_:
            raise DataError(
                f"{self.name}: history assets {list(history.assets)} differ from those fitted "
                f"{self.assets_}"
            )
        inputs = torch.as_tensor(
            self.features_.transform(history, dates), device=torch.device(self.device)
        )
        self.model_.eval()
        with torch.no_grad():
            weights = self.model_(inputs).to(torch.float64).cpu().numpy()
        return pd.DataFrame(weights, index=dates, columns=history.assets)


class DeepSharpe(EndToEndAllocator):
    """End-to-end allocator trained to maximise the Sharpe ratio of each holding's net returns.

    Loss: :func:`~riskalloc.strategies.deep.negative_sharpe` of the ``horizon`` daily
    net returns of each decision, ``-mean(r) / std(r, ddof=1) * sqrt(252)``, averaged over
    the minibatch. Parameters: see :class:`EndToEndAllocator`.

    Examples
    --------
    >>> import riskalloc as ra
    >>> ra.get_strategy("deep_sharpe", epochs=1).stochastic
    True
    """

    name: ClassVar[str] = "deep_sharpe"

    def training_loss(self) -> Loss:
        return negative_sharpe()


class DeepCVaR(EndToEndAllocator):
    """End-to-end allocator trained on ``-mean(r) + risk_aversion * CVaR_confidence(r)``.

    ``r`` are the ``horizon`` daily net returns of each decision and CVaR is the
    historical expected shortfall (:func:`~riskalloc.strategies.deep.mean_cvar`).
    Extra parameters: ``risk_aversion`` (λ, default 1.0) and ``confidence`` (0.95).
    """

    name: ClassVar[str] = "deep_cvar"

    def __init__(self, *, risk_aversion: float = 1.0, confidence: float = 0.95, **common: Any):
        super().__init__(**common)
        self.risk_aversion = risk_aversion
        self.confidence = confidence

    def _check_parameters(self) -> None:
        super()._check_parameters()
        _check_positive(self.risk_aversion, "risk_aversion", self.name, allow_zero=True)
        _check_fraction(self.confidence, "confidence", self.name, 0.0, 1.0)
        if self.confidence == 0:
            raise ConfigError(f"{self.name}: parameter 'confidence' must be in (0, 1), got 0")

    def training_loss(self) -> Loss:
        return mean_cvar(float(self.risk_aversion), float(self.confidence))


def _full_signature(cls: type, base: type) -> None:
    """Show ``cls.__init__`` with ``base``'s parameters spelled out instead of ``**common``.

    ``param_names``, ``get_params``, the CLI's ``--param`` typing and ``riskalloc
    strategies`` all read the signature and annotations of ``__init__``.
    """
    init = cls.__init__
    own = inspect.signature(init).parameters.values()
    common = list(inspect.signature(base.__init__).parameters.values())
    keyword_only = [p for p in own if p.kind is inspect.Parameter.KEYWORD_ONLY]
    init.__signature__ = inspect.Signature([*common, *keyword_only])  # type: ignore[attr-defined]
    init.__annotations__ = {**base.__init__.__annotations__, **init.__annotations__}
    init.__annotations__.pop("common", None)


_full_signature(DeepCVaR, EndToEndAllocator)
