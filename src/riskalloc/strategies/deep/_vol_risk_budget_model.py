"""The model of :class:`~riskalloc.strategies.deep.VolRiskBudget`: forecasts, regimes, one head.

Three parts, stacked:

- a per-asset network (shared across assets) gives each asset an annualised
  volatility forecast ``sigma_i > 0`` and a risk-budget score; the budgets are
  the softmax of the scores over the assets;
- :class:`RegimeGate` reads the market state of the decision date and gives
  soft regime probabilities ``p_k`` and the volatility target ``sum_k p_k tau_k``;
- :class:`VolatilityRiskBudgetHead` builds the forecast covariance
  ``S = D R D`` with ``D = diag(sigma / sqrt(252))``, solves the risk-budgeting
  portfolio for ``(budgets, S)`` and scales it down to the target (rest in cash).

The correlation ``R`` is not learned: :func:`trailing_correlations` computes it
from the returns up to each decision date, outside the network, and the model
takes it as a second input.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd
import torch
from torch import nn

from riskalloc.core import PERIODS_PER_YEAR, DataError
from riskalloc.data import MarketData
from riskalloc.strategies.deep._layers_risk import RiskBudgetingLayer, VolatilityTarget

__all__ = [
    "RegimeGate",
    "VolRiskBudgetNet",
    "VolRiskBudgetOutput",
    "VolatilityRiskBudgetHead",
    "forecast_covariance",
    "initial_targets",
    "trailing_correlations",
]

#: An untrained network (raw output near 0) forecasts about 20 % a year for every asset.
_VOLATILITY_OFFSET = math.log(math.expm1(0.20))
#: Smallest forecast (0.1 % a year): keeps the covariance positive definite.
_MIN_VOLATILITY = 1e-3


def forecast_covariance(
    volatility: torch.Tensor, correlation: torch.Tensor, periods_per_year: int = PERIODS_PER_YEAR
) -> torch.Tensor:
    """Per-period covariance ``D R D``, ``D = diag(volatility / sqrt(P))``: ``(batch, assets,
    assets)``, ``P`` the data's periods a year (252 for daily data).

    ``volatility`` ``(batch, assets)`` is annualised; ``correlation`` ``(batch,
    assets, assets)`` is a correlation matrix.
    """
    daily = volatility / math.sqrt(periods_per_year)
    return daily[:, :, None] * correlation * daily[:, None, :]


def trailing_correlations(
    history: MarketData, dates: pd.DatetimeIndex, window: int, shrinkage: float, strategy: str
) -> np.ndarray:
    """Correlation of the ``window`` daily returns up to each date, shrunk towards the identity.

    ``R = (1 - shrinkage) C + shrinkage I`` with ``C`` the sample correlation
    (``ddof=1``) of the returns of the ``window`` trading days ending at the date,
    inclusive; nothing after it is read. Returns ``(dates, assets, assets)``.
    """
    windows = history.return_windows(dates, window, strategy=strategy)  # (dates, window, assets)
    centred = windows - windows.mean(axis=1, keepdims=True)
    covariance = np.einsum("dwi,dwj->dij", centred, centred) / (window - 1)
    volatility = np.sqrt(np.diagonal(covariance, axis1=1, axis2=2))
    flat = np.argwhere(~(volatility > 0))
    if len(flat):
        row, column = flat[0]
        raise DataError(
            f"{strategy}: asset '{history.assets[column]}' has constant prices over the "
            f"{window} days up to {pd.DatetimeIndex(dates)[row].date()}, so it has no correlation"
        )
    correlation = covariance / (volatility[:, :, None] * volatility[:, None, :])
    return (1.0 - shrinkage) * correlation + shrinkage * np.eye(len(history.assets))


class VolatilityRiskBudgetHead(nn.Module):
    """Budgets, volatility forecasts, correlation and a target -> long-only weights, sum <= 1.

    ``w_rb`` is the fully invested portfolio whose risk contributions under
    ``S = D R D`` equal the budgets (:class:`RiskBudgetingLayer`);
    ``w = w_rb * min(1, target / sqrt(252 w_rb' S w_rb))`` scales it down to the
    row's annualised ``target`` and never levers it (:class:`VolatilityTarget`).
    The risky part keeps the budgets' risk shares; ``1 - sum(w)`` is cash.

    Forward arguments: ``budgets`` ``(batch, assets)`` positive, ``volatility``
    ``(batch, assets)`` annualised, ``correlation`` ``(batch, assets, assets)``,
    ``target`` ``(batch,)`` annualised. Everything runs in float64.
    """

    def __init__(self, tolerance: float = 1e-10, periods_per_year: int = PERIODS_PER_YEAR) -> None:
        super().__init__()
        self.periods_per_year = int(periods_per_year)
        self.risk_budgeting = RiskBudgetingLayer(tolerance=tolerance)
        # A per-row target: volatility measured in units of the row's target makes
        # the target 1 (sigma / target under S is sigma under S / target²).
        self.unit_target = VolatilityTarget(target=1.0, periods_per_year=self.periods_per_year)

    def forward(
        self,
        budgets: torch.Tensor,
        volatility: torch.Tensor,
        correlation: torch.Tensor,
        target: torch.Tensor,
    ) -> torch.Tensor:
        covariance = forecast_covariance(
            volatility.double(), correlation.double(), self.periods_per_year
        )
        fully_invested = self.risk_budgeting(budgets.double(), covariance)
        in_target_units = covariance / target.double().square()[:, None, None]
        return self.unit_target(fully_invested, in_target_units)


def initial_targets(n_regimes: int, low: float, high: float) -> list[float]:
    """Starting targets: 15 % a year down to 8 % across regimes (10 % for one), inside the bounds."""
    if n_regimes == 1:
        start = [0.10]
    else:
        start = [0.15 + (0.08 - 0.15) * k / (n_regimes - 1) for k in range(n_regimes)]
    margin = 0.05 * (high - low)
    return [min(max(target, low + margin), high - margin) for target in start]


class RegimeGate(nn.Module):
    """Soft market regimes and each regime's annualised volatility target.

    A learned gate stands in for a Gaussian HMM (no extra dependency, trained
    with the rest): a small MLP on the market-state features of the decision
    date gives ``p = softmax(MLP(state))`` over ``n_regimes``; regime ``k``
    targets ``tau_k = low + (high - low) * sigmoid(theta_k)``, so every target
    stays inside ``(low, high)``; the target of the date is ``sum_k p_k tau_k``.
    With no state features there is one regime and one learnable target.

    Parameters
    ----------
    n_inputs : market-state features read (0: no gate, one regime)
    n_regimes, hidden_size : regimes and the gate's width
    low, high : bounds of every target (annualised)
    """

    def __init__(
        self, n_inputs: int, n_regimes: int, hidden_size: int, low: float, high: float
    ) -> None:
        super().__init__()
        if n_inputs == 0:
            n_regimes = 1
        self.n_regimes = n_regimes
        self.low, self.high = low, high
        self.layers = (
            nn.Sequential(
                nn.Linear(n_inputs, hidden_size), nn.Tanh(), nn.Linear(hidden_size, n_regimes)
            )
            if n_inputs > 0
            else None
        )
        fractions = torch.tensor(
            [(t - low) / (high - low) for t in initial_targets(n_regimes, low, high)],
            dtype=torch.float64,
        )
        self.target_logits = nn.Parameter(torch.logit(fractions))

    def regime_targets(self) -> torch.Tensor:
        """``(n_regimes,)`` annualised targets, float64."""
        return self.low + (self.high - self.low) * torch.sigmoid(self.target_logits)

    def forward(self, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``state`` ``(batch, n_inputs)`` -> probabilities ``(batch, n_regimes)``, target ``(batch,)``."""
        if self.layers is None:
            probabilities = torch.ones(state.shape[0], 1, dtype=torch.float64, device=state.device)
        else:
            probabilities = torch.softmax(self.layers(state).double(), dim=-1)
        return probabilities, probabilities @ self.regime_targets()

    def extra_repr(self) -> str:
        return f"n_regimes={self.n_regimes}, low={self.low}, high={self.high}"


class VolRiskBudgetOutput(NamedTuple):
    """What :class:`VolRiskBudgetNet` decides for each row of the batch (all float64)."""

    weights: torch.Tensor  # (batch, assets), >= 0, sum <= 1
    volatility: torch.Tensor  # (batch, assets) annualised forecasts
    budgets: torch.Tensor  # (batch, assets), > 0, sum 1
    regime_probabilities: torch.Tensor  # (batch, n_regimes)
    target_volatility: torch.Tensor  # (batch,) annualised
    covariance: torch.Tensor  # (batch, assets, assets) daily forecast

    def regime_frame(
        self, dates: pd.DatetimeIndex, periods_per_year: int = PERIODS_PER_YEAR
    ) -> pd.DataFrame:
        """By date: ``regime_k`` probabilities, ``target_volatility``, ``forecast_volatility``
        (``sqrt(P w'Sw)`` of the weights) and ``risky_weight`` (``sum(w)``)."""
        probabilities = self.regime_probabilities.cpu().numpy()
        frame = pd.DataFrame(
            probabilities,
            index=dates,
            columns=[f"regime_{k}" for k in range(probabilities.shape[1])],
        )
        variance = torch.einsum("bi,bij,bj->b", self.weights, self.covariance, self.weights)
        frame["target_volatility"] = self.target_volatility.cpu().numpy()
        frame["forecast_volatility"] = torch.sqrt(periods_per_year * variance).cpu().numpy()
        frame["risky_weight"] = self.weights.sum(-1).cpu().numpy()
        return frame


class VolRiskBudgetNet(nn.Module):
    """Windows ``(batch, features, lookback, assets)`` and correlations -> :class:`VolRiskBudgetOutput`.

    ``network`` must give two outputs per asset ``(batch, assets, 2)``: the raw
    volatility ``v`` (``sigma = 0.001 + softplus(v + c)``, ``c`` so that
    ``v = 0`` forecasts 20 % a year) and the budget score. The gate reads rows
    ``state_rows`` of the window's last day; those features are the same for
    every asset, so the first asset's column is taken.
    """

    def __init__(
        self,
        network: nn.Module,
        gate: RegimeGate,
        state_rows: tuple[int, ...] | list[int],
        periods_per_year: int = PERIODS_PER_YEAR,
    ) -> None:
        super().__init__()
        self.network = network
        self.gate = gate
        self.state_rows = tuple(int(row) for row in state_rows)
        self.periods_per_year = int(periods_per_year)
        self.head = VolatilityRiskBudgetHead(periods_per_year=self.periods_per_year)

    def forward(self, windows: torch.Tensor, correlation: torch.Tensor) -> VolRiskBudgetOutput:
        scores = self.network(windows).double()
        volatility = _MIN_VOLATILITY + nn.functional.softplus(scores[..., 0] + _VOLATILITY_OFFSET)
        budgets = torch.softmax(scores[..., 1], dim=-1)
        state = windows[:, list(self.state_rows), -1, 0]
        probabilities, target = self.gate(state)
        weights = self.head(budgets, volatility, correlation, target)
        covariance = forecast_covariance(volatility, correlation.double(), self.periods_per_year)
        return VolRiskBudgetOutput(weights, volatility, budgets, probabilities, target, covariance)
