"""End-to-end deep allocators: features -> network -> allocation layer, trained on a portfolio loss."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from torch import nn

from riskalloc.core import ConfigError, DataError, seeded
from riskalloc.data import MarketData
from riskalloc.strategies._protocol import check_positive_int
from riskalloc.strategies.deep._blocks import BlockData, BlockWeightsHook, train_on_blocks
from riskalloc.strategies.deep._deep_base import DeepAllocator
from riskalloc.strategies.deep._layers_simplex import CappedSimplex, SoftmaxAllocation
from riskalloc.strategies.deep._limit_layers import LimitLayers
from riskalloc.strategies.deep._losses import (
    Loss,
    mean_cvar,
    negative_log_wealth,
    negative_sharpe,
    negative_sortino,
)
from riskalloc.strategies.deep._nets import Network, build_network
from riskalloc.strategies.deep._parameters import check_fraction, check_nonnegative, full_signature
from riskalloc.strategies.deep._sequence import (
    SEQUENCE_NETWORKS,
    RowBlockData,
    feature_rows,
    sequence_forward,
)
from riskalloc.strategies.deep._stream import DecisionStream
from riskalloc.strategies.limits import differentiable_limits
from riskalloc.strategies.limits._risk import RiskInputs
from riskalloc.strategies.limits._spec import Limits

__all__ = ["DeepCVaR", "DeepLogWealth", "DeepSharpe", "DeepSortino", "EndToEndAllocator"]


class _ToFloat64(nn.Module):
    """Scores to float64, so that the weights sum to one to within float64 rounding."""

    def forward(self, scores: torch.Tensor) -> torch.Tensor:
        return scores.to(torch.float64)


class EndToEndAllocator(DeepAllocator):
    """Features of the past ``lookback`` days -> a network -> long-only weights, trained end to end.

    Each asset's window of standardised features (:class:`~riskalloc.features.FeatureBuilder`,
    fitted on the training span only) is scored by a network with parameters shared across
    assets; :class:`SoftmaxAllocation` (or :class:`CappedSimplex` when ``max_weight < 1``)
    turns scores into weights. Training is on **block objectives**
    (:func:`~riskalloc.strategies.deep.train_on_blocks`): a sample is a block of
    ``block_length`` consecutive decision dates, simulated as the backtest simulates a test
    span (the run's rebalance schedule, drift, costs on turnover, cash at the run's rate),
    and the loss is the strategy's objective on the block's pooled daily net returns.
    Early stopping reads the same objective on a backtest of the end of the training span.
    (``horizon`` is not used: it is the target of the forecasting strategies.)

    Parameters: those of :class:`DeepAllocator`, and ``block_length`` (decision dates per
    training block, default 63: a quarter), ``max_weight`` (per-asset cap, 1.0 = none),
    ``costs_bps`` (charged in the training loss; None, the default: the run's costs from
    the context ``fit`` gets) and ``training_limits``. Subclasses choose the objective
    (:meth:`training_loss`).

    ``training_limits`` (a :meth:`Limits.to_dict <riskalloc.strategies.limits.Limits.to_dict>`
    mapping) puts the differentiable part of risk limits
    (:func:`~riskalloc.strategies.limits.differentiable_limits`: per-asset cap, VaR/CVaR
    limit, volatility target) into the training graph: the loss scores the limited
    weights, with each sample's risk measured on the windows up to its own date, exactly
    as at allocation, so the network learns for the portfolio it will actually hold.
    :class:`~riskalloc.strategies.limits.LimitedAllocator` (``--limit``) sets it; the
    wrapper then applies every limit exactly at allocation and records when each bound.
    The strategy's own weights stay those of the network (unlimited).
    """

    name: ClassVar[str] = "end_to_end"
    min_horizon: ClassVar[int] = 2
    #: A TCN trains through its one-pass sequence path (the same weights to float32
    #: rounding, far less memory and time); False forces windows (a benchmark's switch).
    sequence_training: ClassVar[bool] = True
    #: LimitedAllocator hands its limits to strategies that can train under them.
    accepts_training_limits: ClassVar[bool] = True

    def __init__(
        self,
        *,
        max_weight: float = 1.0,
        costs_bps: float | None = None,
        training_limits: Mapping[str, float] | None = None,
        block_length: int = 63,
        **common: Any,
    ):
        super().__init__(**common)
        self.block_length = block_length
        self.max_weight = max_weight
        self.costs_bps = costs_bps
        self.training_limits = training_limits

    def training_loss(self) -> Loss:
        raise NotImplementedError

    def _check_parameters(self) -> None:
        super()._check_parameters()
        if self.costs_bps is not None:
            check_nonnegative(self.costs_bps, "costs_bps", self.name, allow_zero=True)
        check_nonnegative(self.max_weight, "max_weight", self.name)
        check_positive_int(self.block_length, "block_length", self.name, minimum=2)
        self.limits_in_training()

    def limits_in_training(self) -> Limits | None:
        """The limits the training graph applies (``training_limits``' differentiable part)."""
        if self.training_limits is None:
            return None
        if not isinstance(self.training_limits, Mapping):
            raise ConfigError(
                f"{self.name}: parameter 'training_limits' must be a mapping of limits "
                f"(Limits.to_dict()), got {self.training_limits!r}"
            )
        return differentiable_limits(Limits.from_dict(self.training_limits))

    @property
    def min_history(self) -> int:
        """The features' warm-up, or the training limits' risk windows when longer."""
        own = super().min_history
        limits = self.limits_in_training()
        return own if limits is None else max(own, limits.min_history)

    # --- fit ----------------------------------------------------------------------------
    def fit_model(self, train: MarketData) -> None:
        if self.max_weight < 1 and self.max_weight * len(self.assets_) < 1:
            raise ConfigError(
                f"{self.name}: parameter 'max_weight' = {self.max_weight} leaves "
                f"{len(self.assets_)} assets unable to sum to one; raise it to at least "
                f"{1 / len(self.assets_):.4f}"
            )
        data = self.block_data(train)
        self.training_dates_ = data.dates[:-1]
        with seeded(self.seed) as generator:
            self.model_ = self.starting_model(self.features_.n_features, len(self.assets_))
            self.history_ = train_on_blocks(
                self.model_,
                self.training_loss(),
                data,
                schedule=self.context_.rebalance,
                block_length=int(self.block_length),
                dates_per_batch=int(self.batch_size),
                epochs=self.epochs,
                optimizer=self.new_optimizer(),
                generator=generator,
                validation_fraction=float(self.validation_fraction),
                patience=self.patience,
                cost_rate=self.training_cost_rate(self.costs_bps),
                cash_return=self.context_.cash_return,
                weights_hook=self._limits_hook(train, self.training_dates_),
                forward=(
                    sequence_forward(self.model_, data.rows, self.lookback)
                    if isinstance(data, RowBlockData)
                    else None
                ),
            )

    def block_data(self, train: MarketData) -> BlockData:
        """Inputs of every decision date of ``train`` with a full window and a next day,
        and the returns of those next days: computed once per fit.

        The inputs are the dates' windows, or, for a network of the sequence path
        (:meth:`trains_on_sequences`), their feature rows with the ``lookback - 1``
        rows before the first (:class:`RowBlockData`).
        """
        first = self.min_history - 1
        if len(train) - first < 4:
            raise DataError(
                f"{self.name}: {len(train)} training dates of {train.name} give no training "
                f"block; need at least {self.min_history + 3} (min_history {self.min_history} "
                "plus a few days to hold)"
            )
        dates = train.dates[first:]
        next_returns = np.array(train.returns.to_numpy()[first + 1 :], dtype=np.float64)
        if not np.isfinite(next_returns).all():
            bad = dates[1:][np.flatnonzero(~np.isfinite(next_returns).all(axis=1))[0]]
            raise DataError(
                f"{self.name}: a return is missing on {bad.date()} of {train.name}; fill the "
                "prices or train on a span where every asset trades"
            )
        returns = torch.as_tensor(next_returns, dtype=torch.float64, device=self.torch_device)
        if not self.trains_on_sequences():
            return BlockData(
                inputs=self.inputs(train, dates[:-1]), next_returns=returns, dates=dates
            )
        rows = torch.as_tensor(
            feature_rows(self.features_, train, dates[:-1]), device=self.torch_device
        ).to(self.torch_dtype)
        return RowBlockData(
            inputs=rows[self.lookback - 1 :], next_returns=returns, dates=dates, rows=rows
        )

    def trains_on_sequences(self) -> bool:
        """Whether training scores each block in one pass over its feature rows: for a
        network whose receptive field is exactly ``lookback`` (the TCN), unless
        :attr:`sequence_training` is off."""
        return self.sequence_training and Network(self.network.lower()) in SEQUENCE_NETWORKS

    def _limits_hook(self, train: MarketData, dates: pd.DatetimeIndex) -> BlockWeightsHook | None:
        """The training limits as layers on a minibatch's weights, or None without any.

        Each sample's VaR/CVaR scenarios and covariance are built by
        :meth:`RiskInputs.build <riskalloc.strategies.limits.RiskInputs.build>`, the
        allocation path's own function, from the windows ending at its decision date.
        """
        limits = self.limits_in_training()
        if limits is None:
            return None
        layers = LimitLayers(limits, self.context_.periods_per_year)

        def limited(weights: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
            inputs = RiskInputs.build(
                limits,
                train,
                dates[index.cpu().numpy()],
                self.name,
                self.context_.periods_per_year,
            )

            def tensor(values: np.ndarray | None) -> torch.Tensor | None:
                if values is None:
                    return None
                return torch.from_numpy(np.array(values)).to(weights.device, weights.dtype)

            return layers(
                weights, covariance=tensor(inputs.covariance), scenarios=tensor(inputs.scenarios)
            )

        return limited

    def build_model(self, n_features: int, n_assets: int) -> nn.Module:
        network = build_network(self.network, n_features, self.lookback, **self.network_hyper())
        capped = self.max_weight < 1
        allocation = CappedSimplex(float(self.max_weight)) if capped else SoftmaxAllocation()
        model = nn.Sequential(network.to(self.torch_dtype), _ToFloat64(), allocation)
        return model.to(self.torch_device)

    # --- allocate -------------------------------------------------------------------------
    def predict(self, history: MarketData, dates: pd.DatetimeIndex) -> pd.DataFrame:
        """Weights for every date in one forward pass (evaluation mode, no gradients)."""
        inputs = self.inputs(history, dates)
        self.model_.eval()
        with torch.no_grad():
            weights = self.model_(inputs).to(torch.float64).cpu().numpy()
        return pd.DataFrame(weights, index=dates, columns=history.assets)

    def decision_stream(self, history: MarketData) -> DecisionStream:
        """A :class:`DecisionStream` from ``history``'s last date: ``step(date, prices)``
        decides each next day from the new row of features alone, with the weights
        ``allocate`` gives on that day (fitted once: no ``retrain_every``).

        Only end-to-end strategies have it: the weights of the others need more than the
        network's output on the window (a covariance or correlation estimated from the
        price history).
        """
        return DecisionStream(self, history)


full_signature(EndToEndAllocator, DeepAllocator)


class DeepSharpe(EndToEndAllocator):
    """End-to-end allocator trained to maximise the Sharpe ratio of its net return series.

    Loss: :func:`~riskalloc.strategies.deep.negative_sharpe` of each training block's
    daily net returns, ``-mean(r - rf) / std(r - rf, ddof=1) * sqrt(252)`` with the run's
    cash rate ``rf`` (the evaluator's Sharpe), averaged over the minibatch of blocks.
    Parameters: see :class:`EndToEndAllocator`.

    Examples
    --------
    >>> import riskalloc as ra
    >>> ra.get_strategy("deep_sharpe", epochs=1).stochastic
    True
    """

    name: ClassVar[str] = "deep_sharpe"

    def training_loss(self) -> Loss:
        context = self.context_
        return negative_sharpe(context.risk_free, context.periods_per_year)


class DeepCVaR(EndToEndAllocator):
    """End-to-end allocator trained on ``-mean(r) + risk_aversion * CVaR_confidence(r)``.

    ``r`` are the daily net returns of a training block and CVaR is the historical
    expected shortfall as a positive loss (:func:`~riskalloc.strategies.deep.mean_cvar`,
    the evaluator's ``cvar_95`` at 95 %).
    Extra parameters: ``risk_aversion`` (λ, default 1.0) and ``confidence`` (0.95).
    """

    name: ClassVar[str] = "deep_cvar"

    def __init__(self, *, risk_aversion: float = 1.0, confidence: float = 0.95, **common: Any):
        super().__init__(**common)
        self.risk_aversion = risk_aversion
        self.confidence = confidence

    def _check_parameters(self) -> None:
        super()._check_parameters()
        check_nonnegative(self.risk_aversion, "risk_aversion", self.name, allow_zero=True)
        check_fraction(self.confidence, "confidence", self.name, 0.0, 1.0)
        if self.confidence == 0:
            raise ConfigError(f"{self.name}: parameter 'confidence' must be in (0, 1), got 0")

    def training_loss(self) -> Loss:
        return mean_cvar(float(self.risk_aversion), float(self.confidence))


full_signature(DeepCVaR, EndToEndAllocator)


class DeepSortino(EndToEndAllocator):
    """End-to-end allocator trained to maximise the Sortino ratio of its net return series.

    Loss: :func:`~riskalloc.strategies.deep.negative_sortino` of each training block's daily
    net returns (downside below the return of cash at the run's rate, over all days: the
    evaluator's Sortino).
    """

    name: ClassVar[str] = "deep_sortino"

    def training_loss(self) -> Loss:
        # Below the per-period return of cash, as the evaluator's Sortino ratio.
        return negative_sortino(self.context_.cash_return, self.context_.periods_per_year)


class DeepLogWealth(EndToEndAllocator):
    """End-to-end allocator trained to maximise the log of final wealth (growth-optimal).

    Loss: :func:`~riskalloc.strategies.deep.negative_log_wealth`, ``-sum_t log(1 + r_t)`` of
    each training block's daily net returns.
    """

    name: ClassVar[str] = "deep_log_wealth"

    def training_loss(self) -> Loss:
        return negative_log_wealth()
