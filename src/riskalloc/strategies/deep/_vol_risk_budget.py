"""`VolRiskBudget`: volatility forecasts, regime targets and risk budgeting, trained end to end."""

from __future__ import annotations

import enum
import math
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from torch import nn

from riskalloc.core import ConfigError, seeded
from riskalloc.data import MarketData
from riskalloc.features._undefined import EXTRA_PREFIX
from riskalloc.strategies._protocol import check_positive_int
from riskalloc.strategies.deep._blocks import BlockData, train_on_blocks
from riskalloc.strategies.deep._deep_base import DeepAllocator
from riskalloc.strategies.deep._losses import Loss, mean_cvar, mse, negative_sharpe
from riskalloc.strategies.deep._nets import build_network
from riskalloc.strategies.deep._parameters import (
    check_choice,
    check_fraction,
    check_nonnegative,
    full_signature,
)
from riskalloc.strategies.deep._training import decision_returns
from riskalloc.strategies.deep._vol_risk_budget_model import (
    RegimeGate,
    VolRiskBudgetNet,
    VolRiskBudgetOutput,
    trailing_correlations,
)

__all__ = ["TrainingObjective", "VolRiskBudget"]

#: Features the regime gate reads: those that are one value per date, shared by every asset.
_STATE_PREFIXES = ("market_", EXTRA_PREFIX)


class TrainingObjective(enum.StrEnum):
    """The portfolio part of :class:`VolRiskBudget`'s training loss."""

    MEAN_CVAR = "mean_cvar"  # -mean(r) + risk_aversion * CVaR_confidence(r)
    SHARPE = "sharpe"  # -annualised Sharpe ratio of r


class VolRiskBudget(DeepAllocator):
    """Forecast volatilities, pick a risk target by regime, risk-budget, then volatility-target.

    At the close of each decision date:

    1. a network shared across assets (an LSTM by default) reads each asset's
       feature window and gives its annualised volatility forecast ``sigma_i``
       and a risk-budget score; budgets ``b = softmax(scores)``;
    2. a regime gate — a small learned MLP on the date's market-state features
       (``market_*`` and any ``extra:*`` columns), used instead of a Gaussian HMM
       so that it trains with the rest and needs no extra dependency — gives
       regime probabilities ``p`` and the target ``tau = sum_k p_k tau_k``, each
       regime's target ``tau_k`` learnable within ``[min_target_volatility,
       max_target_volatility]``; with ``market=False`` and no extra features
       there is one regime;
    3. the forecast covariance is ``S = D R D``, ``D = diag(sigma / sqrt(252))``,
       ``R`` the correlation of the past ``correlation_window`` daily returns
       shrunk by ``correlation_shrinkage`` towards the identity (up to the date);
    4. ``w_rb`` has risk contributions ``w_i (S w)_i / w'Sw = b_i``, and the
       weights are ``w = w_rb min(1, tau / sqrt(252 w_rb' S w_rb))``: long-only,
       never levered, the rest in cash.

    Training is on block objectives, as :class:`EndToEndAllocator`: blocks of
    ``block_length`` consecutive decision dates (those whose ``horizon`` next days lie in
    the training span), simulated with the run's schedule, drift, costs and cash rate,
    minimising::

        portfolio_loss(the block's daily net returns)
        + forecast_weight * mean_{t, i} (sigma_ti - realised_ti)²

    with ``realised_i = std(r_i over the horizon, ddof=1) * sqrt(252)``, the
    annualised volatility that :attr:`forecasts_` is scored against. The
    forecast term anchors ``sigma`` to real volatility: the portfolio loss alone
    sees ``sigma`` only relative to ``tau``, so ``sigma`` could drift to any
    scale, and the forecasts would mean nothing. ``objective="mean_cvar"``:
    ``-mean(r) + risk_aversion * CVaR_confidence(r)`` (daily); ``"sharpe"``:
    ``-Sharpe(r)``, which does not change with the exposure, so the regime targets
    then learn only from costs.

    Parameters
    ----------
    objective : {"mean_cvar", "sharpe"}, default "mean_cvar"
        The portfolio part of the loss (:class:`TrainingObjective`).
    risk_aversion, confidence : float, default 1.0 and 0.95
        ``lambda`` and the level of CVaR in ``mean_cvar``.
    forecast_weight : float, default 1.0
        Weight of the forecasts' MSE (annualised volatility units); 0 drops it.
    n_regimes : int, default 2
        Regimes of the gate (one when there are no market-state features).
    gate_hidden_size : int, default 16
        Width of the gate's hidden layer.
    min_target_volatility, max_target_volatility : float, default 0.02 and 0.40
        Bounds of every regime's annualised target (0.02 = 2 %); the targets
        start between 15 % and 8 %.
    correlation_window : int, default 126
        Trading days of returns behind each correlation estimate.
    correlation_shrinkage : float, default 0.05
        Weight of the identity in ``R``; keeps ``R`` positive definite.
    costs_bps : float or None, default None
        Cost per unit of turnover charged in the training loss (the first
        trade starts from cash); None: the run's costs (the context ``fit`` gets).
    **common
        Those of :class:`DeepAllocator` (network, lookback, epochs, horizon, ...).

    Fitted state: ``model_``, ``history_``, ``training_dates_``; after
    ``allocate``: ``forecasts_`` (``date, asset, target="volatility",
    predicted``) with ``forecast_horizon = horizon``, and ``regimes_`` by
    decision date (``regime_k`` probabilities, ``target_volatility``,
    ``forecast_volatility`` of the risky part, ``risky_weight``).

    Examples
    --------
    >>> strategy = VolRiskBudget(epochs=1, n_regimes=3)
    >>> strategy.get_params()["objective"], strategy.min_history >= 127
    ('mean_cvar', True)
    """

    name: ClassVar[str] = "vol_risk_budget"
    per_date_records: ClassVar[tuple[str, ...]] = ("forecasts_", "regimes_")
    min_horizon: ClassVar[int] = 2

    def __init__(
        self,
        *,
        objective: str = "mean_cvar",
        risk_aversion: float = 1.0,
        confidence: float = 0.95,
        forecast_weight: float = 1.0,
        n_regimes: int = 2,
        gate_hidden_size: int = 16,
        min_target_volatility: float = 0.02,
        max_target_volatility: float = 0.40,
        correlation_window: int = 126,
        correlation_shrinkage: float = 0.05,
        costs_bps: float | None = None,
        block_length: int = 63,
        **common: Any,
    ):
        super().__init__(**common)
        self.block_length = block_length
        self.objective = objective
        self.risk_aversion = risk_aversion
        self.confidence = confidence
        self.forecast_weight = forecast_weight
        self.n_regimes = n_regimes
        self.gate_hidden_size = gate_hidden_size
        self.min_target_volatility = min_target_volatility
        self.max_target_volatility = max_target_volatility
        self.correlation_window = correlation_window
        self.correlation_shrinkage = correlation_shrinkage
        self.costs_bps = costs_bps

    # --- parameters -------------------------------------------------------------------
    def _check_parameters(self) -> None:
        super()._check_parameters()
        check_choice(self.objective, "objective", self.name, TrainingObjective)
        check_nonnegative(self.risk_aversion, "risk_aversion", self.name, allow_zero=True)
        check_fraction(self.confidence, "confidence", self.name, 0.0, 1.0)
        if self.confidence == 0:
            raise ConfigError(f"{self.name}: parameter 'confidence' must be in (0, 1), got 0")
        check_nonnegative(self.forecast_weight, "forecast_weight", self.name, allow_zero=True)
        check_positive_int(self.n_regimes, "n_regimes", self.name)
        check_positive_int(self.gate_hidden_size, "gate_hidden_size", self.name)
        check_positive_int(self.correlation_window, "correlation_window", self.name, 2)
        check_fraction(self.correlation_shrinkage, "correlation_shrinkage", self.name, 0.0, 1.0)
        if self.costs_bps is not None:
            check_nonnegative(self.costs_bps, "costs_bps", self.name, allow_zero=True)
        check_positive_int(self.block_length, "block_length", self.name, minimum=2)
        for parameter in ("min_target_volatility", "max_target_volatility"):
            check_nonnegative(getattr(self, parameter), parameter, self.name)
        if not self.min_target_volatility < self.max_target_volatility:
            raise ConfigError(
                f"{self.name}: parameter 'max_target_volatility' = {self.max_target_volatility} "
                f"must exceed min_target_volatility = {self.min_target_volatility}"
            )

    @property
    def min_history(self) -> int:
        """The features' history, and ``correlation_window + 1`` prices for the correlation."""
        return max(super().min_history, self.correlation_window + 1)

    @property
    def forecast_horizon(self) -> int:
        """Trading days each volatility forecast covers: the ``horizon``."""
        return self.horizon

    def training_loss(self) -> Loss:
        """The portfolio objective plus ``forecast_weight`` times the forecasts' MSE."""
        if TrainingObjective(self.objective.lower()) is TrainingObjective.SHARPE:
            loss = negative_sharpe(self.context_.risk_free, self.context_.periods_per_year)
        else:
            loss = mean_cvar(float(self.risk_aversion), float(self.confidence))
        if self.forecast_weight > 0:
            loss = loss + float(self.forecast_weight) * mse()
        return loss

    # --- model ------------------------------------------------------------------------
    def state_rows(self) -> list[int]:
        """Rows of the fitted features that the regime gate reads (one value per date)."""
        names = self.features_.feature_names_
        return [row for row, name in enumerate(names) if name.startswith(_STATE_PREFIXES)]

    def build_model(self, n_features: int, n_assets: int) -> nn.Module:
        network = build_network(
            self.network,
            n_features,
            self.lookback,
            outputs=2,
            **self.network_hyper(),
        )
        rows = self.state_rows()
        gate = RegimeGate(
            len(rows),
            self.n_regimes,
            self.gate_hidden_size,
            float(self.min_target_volatility),
            float(self.max_target_volatility),
        )
        if gate.layers is not None:
            gate.layers.to(self.torch_dtype)
        model = VolRiskBudgetNet(
            network.to(self.torch_dtype), gate, rows, self.context_.periods_per_year
        )
        return model.to(self.torch_device)

    def correlations(self, history: MarketData, dates: pd.DatetimeIndex) -> torch.Tensor:
        """:func:`trailing_correlations` at ``dates``, float64 on the model's device."""
        correlation = trailing_correlations(
            history,
            dates,
            self.correlation_window,
            float(self.correlation_shrinkage),
            self.name,
        )
        return torch.as_tensor(correlation, dtype=torch.float64, device=self.torch_device)

    # --- fit --------------------------------------------------------------------------
    def fit_model(self, train: MarketData) -> None:
        # Block dates need the realised volatility of their next ``horizon`` days, all
        # inside the training span: the last horizon - 1 decision dates are left out.
        dates = self.sample_dates(train)
        device = self.torch_device
        held = torch.as_tensor(
            decision_returns(train, dates, self.horizon, self.name),
            dtype=torch.float64,
            device=device,
        )
        realised = held.std(dim=1, correction=1) * math.sqrt(self.context_.periods_per_year)
        data = BlockData(
            inputs=self.inputs(train, dates),
            next_returns=held[:, 0],
            dates=train.dates[train.dates.get_loc(dates[0]) : train.dates.get_loc(dates[-1]) + 2],
        )
        correlation = self.correlations(train, dates)
        self.training_dates_ = dates

        def forward(positions: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
            output: VolRiskBudgetOutput = self.model_(
                data.inputs[positions], correlation[positions]
            )
            return output.weights, {
                "predictions": output.volatility,
                "targets": realised[positions],
            }

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
                forward=forward,
            )

    # --- allocate ---------------------------------------------------------------------
    def predict(self, history: MarketData, dates: pd.DatetimeIndex) -> pd.DataFrame:
        """Weights for every date in one forward pass; sets ``forecasts_`` and ``regimes_``."""
        dates = pd.DatetimeIndex(dates)
        assets = list(history.assets)
        if len(dates) == 0:
            return pd.DataFrame(np.empty((0, len(assets))), index=dates, columns=history.assets)
        windows = self.inputs(history, dates)
        correlation = self.correlations(history, dates)
        self.model_.eval()
        with torch.no_grad():
            output: VolRiskBudgetOutput = self.model_(windows, correlation)
        weights = output.weights.cpu().numpy()
        self.forecasts_ = pd.DataFrame(
            {
                "date": np.repeat(dates, len(assets)),
                "asset": np.tile(np.asarray(assets, dtype=object), len(dates)),
                "target": "volatility",
                "predicted": output.volatility.cpu().numpy().ravel(),
            }
        )
        self.regimes_ = output.regime_frame(dates, self.context_.periods_per_year)
        return pd.DataFrame(weights, index=dates, columns=history.assets)


full_signature(VolRiskBudget, DeepAllocator)
