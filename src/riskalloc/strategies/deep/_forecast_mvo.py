"""Forecast, then optimise: a network predicts each asset's return, a classical rule allocates.

Two stages, trained and used separately:

1. a network shared across assets predicts each asset's compounded return over
   the next ``horizon`` days, trained on mean squared error (:func:`mse`);
2. the forecasts and a trailing covariance go into a long-only allocation rule:
   mean-variance (the classical solver of ``mean_variance``) or weights
   proportional to the positive forecasts under a volatility limit.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from torch import nn

from riskalloc.core import PERIODS_PER_YEAR, ConfigError, seeded
from riskalloc.data import MarketData
from riskalloc.risk import CovarianceEstimator, estimate_covariance, regularise_covariance
from riskalloc.strategies._protocol import check_positive_int
from riskalloc.strategies.classical._budget_qp import solve_budget_qp
from riskalloc.strategies.deep._deep_base import DeepAllocator
from riskalloc.strategies.deep._losses import LossInputs, mse, negative_sharpe
from riskalloc.strategies.deep._nets import build_network
from riskalloc.strategies.deep._parameters import check_choice, check_nonnegative, full_signature
from riskalloc.strategies.deep._training import (
    decision_returns,
    split_samples,
    train_forecaster,
)

__all__ = ["AllocationRule", "ForecastMVO", "mean_variance_weights", "proportional_weights"]

#: Lowest compounded return a forecast may state (a network output below -100 % means nothing).
_FORECAST_FLOOR = -0.99


class AllocationRule(enum.StrEnum):
    """How :class:`ForecastMVO` turns forecasts into weights."""

    MEAN_VARIANCE = "mean_variance"
    PROPORTIONAL = "proportional"


def mean_variance_weights(
    expected_returns: np.ndarray,
    covariance: np.ndarray,
    risk_aversion: float,
    max_weight: float = 1.0,
    *,
    dates: pd.DatetimeIndex,
    name: str = "forecast_mvo",
    device: str = "cpu",
) -> np.ndarray:
    """``argmin -mu'w + risk_aversion * w'Sw`` s.t. ``sum w = 1``, ``0 <= w <= max_weight``.

    ``expected_returns`` ``(D, N)`` and ``covariance`` ``(D, N, N)`` (positive
    definite) per date, in daily units: the problem and solver of the classical
    ``mean_variance`` strategy (:func:`solve_budget_qp`, cvxpy as fallback).
    """
    weights, _ = solve_budget_qp(
        2.0 * risk_aversion * covariance,
        expected_returns,
        0.0,
        max_weight,
        device=device,
        name=name,
        dates=dates,
    )
    return weights


def proportional_weights(
    expected_returns: np.ndarray,
    covariance: np.ndarray,
    volatility_limit: float,
    max_weight: float = 1.0,
    periods_per_year: int = PERIODS_PER_YEAR,
) -> np.ndarray:
    """Weights proportional to the positive forecasts, capped, scaled to a volatility limit.

    Per date, with daily ``mu`` and ``S``::

        v = max(mu, 0) / sum(max(mu, 0))        (v = 0 when no forecast is positive)
        v = min(v, max_weight)
        w = v * min(1, limit / sqrt(periods_per_year * v'Sv))

    The rest, ``1 - sum w``, is cash: all cash when every forecast is ``<= 0``.
    """
    positive = np.clip(expected_returns, 0.0, None)
    total = positive.sum(axis=-1, keepdims=True)
    weights = np.divide(positive, total, out=np.zeros_like(positive), where=total > 0)
    weights = np.minimum(weights, max_weight)
    variance = np.einsum("di,dij,dj->d", weights, covariance, weights)
    volatility = np.sqrt(np.clip(periods_per_year * variance, 0.0, None))
    scale = np.where(
        volatility > volatility_limit,
        volatility_limit / np.where(volatility > 0, volatility, 1.0),
        1.0,
    )
    return weights * scale[:, None]


class ForecastMVO(DeepAllocator):
    """Two-stage allocator: a network forecasts returns (MSE), then mean-variance allocates.

    **Forecast.** At the close of ``t`` the network reads each asset's window of
    standardised features (:class:`~riskalloc.features.FeatureBuilder`, fitted on
    the training span) and predicts its compounded simple return over the next
    ``horizon`` days, the quantity ``forecasts_`` reports (target ``"return"``)::

        R_i(t) = prod_{k=1..horizon} (1 + r_i(t+k)) - 1

    Training minimises ``mean((z_hat - z)^2)`` over the training samples (every date
    with a full window and its whole horizon inside the training span), where
    ``z = (R - m) / s`` and ``m``, ``s`` are the mean and standard deviation of all
    training targets (pooled over assets and dates, so one network serves any
    asset). A forecast is ``R_hat = max(m + s * z_hat, -0.99)``.

    **Allocate.** The forecast becomes a daily expected return
    ``mu_i = (1 + R_hat_i) ** (1 / horizon) - 1`` (the daily mean that compounds to
    ``R_hat``: exact when daily returns are independent) and ``S`` is the
    ``covariance`` estimate of the ``covariance_window`` daily returns up to and
    including ``t`` (made positive definite as the classical strategies do). Then

    - ``rule="mean_variance"``: ``min -mu'w + risk_aversion * w'Sw`` over
      ``sum w = 1``, ``0 <= w <= max_weight`` — the classical ``mean_variance``
      objective and solver, ``risk_aversion`` in the same daily units;
    - ``rule="proportional"``: ``w ∝ max(mu, 0)``, each capped at ``max_weight``,
      scaled down so that the forecast annual volatility ``sqrt(252 w'Sw)`` is at
      most ``volatility_limit``; the rest is cash, all of it when no forecast is
      positive (:func:`proportional_weights`).

    Parameters
    ----------
    rule : {"mean_variance", "proportional"}, default "mean_variance"
    risk_aversion : float, default 1.0
        ``lambda`` of the mean-variance rule (daily units, > 0).
    max_weight : float, default 1.0
        Largest weight of one asset (both rules).
    covariance : {"sample", "ledoit_wolf", "ewma"}, default "ledoit_wolf"
        Estimator of ``S`` (``ewma`` with a 20-day half-life).
    covariance_window : int, default 252
        Daily returns behind each covariance estimate; ``min_history`` is at least
        ``covariance_window + 1`` prices.
    volatility_limit : float, default 0.10
        Largest annualised forecast volatility of the proportional rule.
    Others: those of :class:`DeepAllocator` (``horizon``, default 5, is the forecast
    horizon).

    Examples
    --------
    >>> strategy = ForecastMVO(rule="proportional", volatility_limit=0.08, epochs=1)
    >>> strategy.forecast_horizon
    5
    """

    name: ClassVar[str] = "forecast_mvo"

    def __init__(
        self,
        *,
        rule: str = "mean_variance",
        risk_aversion: float = 1.0,
        max_weight: float = 1.0,
        covariance: str = "ledoit_wolf",
        covariance_window: int = 252,
        volatility_limit: float = 0.10,
        **common: Any,
    ):
        super().__init__(**common)
        self.rule = rule
        self.risk_aversion = risk_aversion
        self.max_weight = max_weight
        self.covariance = covariance
        self.covariance_window = covariance_window
        self.volatility_limit = volatility_limit

    @property
    def forecast_horizon(self) -> int:
        """Trading days each forecast covers (read by the backtest with ``forecasts_``)."""
        return int(self.horizon)

    # --- parameters -------------------------------------------------------------------
    def _check_parameters(self) -> None:
        super()._check_parameters()
        for parameter, choices in (("rule", AllocationRule), ("covariance", CovarianceEstimator)):
            check_choice(getattr(self, parameter), parameter, self.name, choices)
        check_positive_int(self.covariance_window, "covariance_window", self.name, 2)
        check_nonnegative(self.risk_aversion, "risk_aversion", self.name)
        check_nonnegative(self.volatility_limit, "volatility_limit", self.name)
        check_nonnegative(self.max_weight, "max_weight", self.name)

    @property
    def min_history(self) -> int:
        """The features' warm-up and window, and ``covariance_window + 1`` prices."""
        return max(super().min_history, int(self.covariance_window) + 1)

    # --- fit ----------------------------------------------------------------------------
    def fit_model(self, train: MarketData) -> None:
        n_assets = len(self.assets_)
        if self._rule is AllocationRule.MEAN_VARIANCE and self.max_weight * n_assets < 1:
            raise ConfigError(
                f"{self.name}: parameter 'max_weight' = {self.max_weight} leaves {n_assets} "
                f"assets unable to sum to one; raise it to at least {1 / n_assets:.4f}"
            )
        dates = self.sample_dates(train)
        held = decision_returns(train, dates, self.horizon, self.name)
        targets = np.prod(1.0 + held, axis=1) - 1.0
        # Pooled over assets and the dates trained on: not the validation span, whose
        # backtest then judges forecasts scaled without its own returns.
        fitted, _ = split_samples(len(dates), float(self.validation_fraction), self.horizon)
        self.target_mean_ = float(targets[fitted].mean())
        spread = float(targets[fitted].std())
        self.target_scale_ = spread if spread > 0 else 1.0
        standardised = (targets - self.target_mean_) / self.target_scale_
        inputs = self.inputs(train, dates)
        self.training_dates_ = dates
        with seeded(self.seed) as generator:
            self.model_ = self.starting_model(self.features_.n_features, n_assets)
            optimizer = self.new_optimizer()
            self.history_ = train_forecaster(
                self.model_,
                mse(),
                inputs,
                torch.as_tensor(standardised, dtype=torch.float64, device=self.torch_device),
                epochs=self.epochs,
                batch_size=self.batch_size,
                optimizer=optimizer,
                generator=generator,
                validation_fraction=float(self.validation_fraction),
                patience=self.patience,
                horizon=self.horizon,
                validation_score=self.validation_backtest(train, dates, inputs),
            )

    def validation_backtest(
        self, train: MarketData, dates: pd.DatetimeIndex, inputs: torch.Tensor
    ) -> Callable[[np.ndarray], float]:
        """The epoch score: ``score(index)`` is minus the Sharpe ratio of a backtest of
        ``dates[index]`` (the validation span, at the end of the training span; ``inputs``
        are the feature windows of ``dates``): the rule's weights from the current
        forecasts, traded on the run's schedule with drift, costs and cash, as the engine
        holds them. Epochs are selected on what the strategy is judged by, not on the
        forecasts' error. What does not change from epoch to epoch (covariances, returns,
        the schedule) is computed at the first call."""
        fixed: dict[str, object] = {}
        objective = negative_sharpe(self.context_.risk_free, self.context_.periods_per_year)

        def score(index: np.ndarray) -> float:
            span = dates[index]
            if not fixed:
                positions = train.dates.get_indexer(span)
                fixed["covariance"] = self.covariances(train, span)
                fixed["returns"] = torch.as_tensor(
                    np.array(train.returns.to_numpy()[positions + 1], dtype=float)[None],
                    dtype=torch.float64,
                )
                fixed["mask"] = torch.as_tensor(self.context_.rebalance.decision_mask(span))
            forecasts = self.forecasts_of(inputs[torch.as_tensor(index)])
            weights = self.rule_weights(forecasts, fixed["covariance"], span)
            return float(
                objective(
                    LossInputs(
                        weights=torch.as_tensor(weights[None], dtype=torch.float64),
                        asset_returns=fixed["returns"],
                        cost_rate=self.context_.cost_rate,
                        cash_return=self.context_.cash_return,
                        decision_mask=fixed["mask"],
                    )
                )
            )

        return score

    def build_model(self, n_features: int, n_assets: int) -> nn.Module:
        network = build_network(
            self.network,
            n_features,
            self.lookback,
            outputs=1,
            **self.network_hyper(),
        )
        return network.to(self.torch_dtype).to(self.torch_device)

    # --- allocate -------------------------------------------------------------------------
    def forecast(self, history: MarketData, dates: pd.DatetimeIndex) -> np.ndarray:
        """Compounded returns ``(dates, assets)`` over the ``horizon`` days after each date."""
        return self.forecasts_of(self.inputs(history, dates))

    def forecasts_of(self, inputs: torch.Tensor) -> np.ndarray:
        """:meth:`forecast` from the feature windows ``inputs``."""
        self.model_.eval()
        with torch.no_grad():
            scores = self.model_(inputs).to(torch.float64).cpu().numpy()
        return np.maximum(self.target_mean_ + self.target_scale_ * scores, _FORECAST_FLOOR)

    def covariances(self, history: MarketData, dates: pd.DatetimeIndex) -> np.ndarray:
        """Daily covariance ``(dates, assets, assets)`` of the trailing window at each date."""
        windows = history.return_windows(dates, int(self.covariance_window), strategy=self.name)
        estimator = CovarianceEstimator(self.covariance.lower())
        return regularise_covariance(estimate_covariance(windows, estimator))[0]

    def predict(self, history: MarketData, dates: pd.DatetimeIndex) -> pd.DataFrame:
        """Forecasts in one forward pass, then the rule's weights; sets ``forecasts_``."""
        dates = pd.DatetimeIndex(dates)
        forecasts = self.forecast(history, dates)
        weights = self.rule_weights(forecasts, self.covariances(history, dates), dates)
        n_assets = len(history.assets)
        self.forecasts_ = pd.DataFrame(
            {
                "date": np.repeat(dates, n_assets),
                "asset": np.tile(np.asarray(history.assets, dtype=object), len(dates)),
                "target": "return",
                "predicted": forecasts.ravel(),
            }
        )
        return pd.DataFrame(weights, index=dates, columns=history.assets)

    def rule_weights(
        self, forecasts: np.ndarray, covariance: np.ndarray, dates: pd.DatetimeIndex
    ) -> np.ndarray:
        """The allocation rule's weights ``(dates, assets)`` from the forecasts and covariances."""
        expected = (1.0 + forecasts) ** (1.0 / self.horizon) - 1.0
        if self._rule is AllocationRule.MEAN_VARIANCE:
            return mean_variance_weights(
                expected,
                covariance,
                float(self.risk_aversion),
                float(self.max_weight),
                dates=dates,
                name=self.name,
                device=self.device,
            )
        else:
            return proportional_weights(
                expected, covariance, float(self.volatility_limit), float(self.max_weight)
            )

    @property
    def _rule(self) -> AllocationRule:
        return AllocationRule(self.rule.lower())

    # --- saving -----------------------------------------------------------------------
    def extra_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        return {"target_mean": self.target_mean_, "target_scale": self.target_scale_}, {}

    def load_extra_state(self, values: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        try:
            self.target_mean_ = float(values["target_mean"])
            self.target_scale_ = float(values["target_scale"])
        except (KeyError, TypeError, ValueError):
            raise ConfigError(
                f"{self.name}: the saved model lacks the target scaler ('target_mean' and "
                "'target_scale' under 'extra' in model.json); train and save it again"
            ) from None


full_signature(ForecastMVO, DeepAllocator)
