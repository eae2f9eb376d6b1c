"""The model of :class:`~riskalloc.strategies.deep.VolRiskBudget`: forecasts, regimes, one head.

Three parts, stacked:

- a per-asset network (shared across assets) gives each asset an annualised
  volatility forecast ``sigma_i > 0`` and a risk-budget score; the budgets are
  the softmax of the scores over the assets;
- :class:`RegimeGate` takes the regime probabilities of a Gaussian HMM of the
  market (filtered up to the decision date), tilts them by the date's market state,
  and gives the volatility target ``sum_k p_k tau_k``;
- :class:`VolatilityRiskBudgetHead` builds the forecast covariance
  ``S = D R D`` with ``D = diag(sigma / sqrt(252))``, solves the risk-budgeting
  portfolio for ``(budgets, S)`` and scales it down to the target (rest in cash).

The correlation ``R`` and the HMM's filtered probabilities are not learned: the
strategy computes them from the returns up to each decision date
(:func:`trailing_correlations`, :func:`~riskalloc.risk.filter_regimes`), outside
the network, and the model takes them as its second and third inputs.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd
import torch
from torch import nn

from riskalloc.core import PERIODS_PER_YEAR, DataError
from riskalloc.risk import GaussianHMM
from riskalloc.strategies.deep._layers_risk import RiskBudgetingLayer, VolatilityTarget

__all__ = [
    "RegimeGate",
    "VolRiskBudgetNet",
    "VolRiskBudgetOutput",
    "VolatilityRiskBudgetHead",
    "forecast_covariance",
    "trailing_correlations",
]

#: The network's correction moves a forecast at most a factor e**3 from its baseline.
_MAX_LOG_CORRECTION = 3.0
#: The regime tilts move this many times faster than the network's weights: Adam's steps
#: are about ``learning_rate`` for every parameter, and a tilt must travel 1-2 (a factor
#: e to e**2 between two regimes' targets) in the hundred-odd steps of a fit.
_TILT_SCALE = 30.0
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
    windows: np.ndarray,
    shrinkage: float,
    dates: pd.DatetimeIndex,
    assets: list[str],
    strategy: str,
) -> np.ndarray:
    """Correlation of each window's daily returns, shrunk towards the identity.

    ``windows`` ``(dates, window, assets)`` hold the returns of the ``window`` trading
    days ending at each date, inclusive (:meth:`~riskalloc.MarketData.return_windows`);
    ``R = (1 - shrinkage) C + shrinkage I`` with ``C`` their sample correlation
    (``ddof=1``). Returns ``(dates, assets, assets)``.
    """
    window = windows.shape[1]
    centred = windows - windows.mean(axis=1, keepdims=True)
    covariance = np.einsum("dwi,dwj->dij", centred, centred) / (window - 1)
    volatility = np.sqrt(np.diagonal(covariance, axis1=1, axis2=2))
    flat = np.argwhere(~(volatility > 0))
    if len(flat):
        row, column = flat[0]
        raise DataError(
            f"{strategy}: asset '{assets[column]}' has constant prices over the "
            f"{window} days up to {pd.DatetimeIndex(dates)[row].date()}, so it has no correlation"
        )
    correlation = covariance / (volatility[:, :, None] * volatility[:, None, :])
    return (1.0 - shrinkage) * correlation + shrinkage * np.eye(len(assets))


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


class RegimeGate(nn.Module):
    """Market regimes from a Gaussian HMM; a volatility target per regime.

    The regimes are those of a Gaussian HMM of the equal-weight index's daily returns
    (:func:`~riskalloc.risk.fit_gaussian_hmm`, fitted on the training span, states
    sorted by volatility, kept in this module's buffers so that a saved model carries
    it); the strategy filters them causally and hands the probabilities ``p`` to
    :meth:`forward`.

    Regime ``k`` targets ``tau_k = clip(target * m_k, low, high)`` with multipliers
    ``m_k = softmax(c * theta + log pi)_k / pi_k``, ``pi`` the HMM's stationary
    distribution and ``c`` a fixed step scale: ``sum_k pi_k m_k = 1``, so the long-run
    average target is ``target`` whatever ``theta`` is, and ``theta`` (learned, starting
    at 0: every ``m_k = 1``) only moves risk from one regime to another. The level of
    risk is the user's; how to spread it across regimes is learned. The date's target
    is ``sum_k p_k tau_k``. (A learned gate on the market-state features would let a
    scale-free objective move the level back, by putting every date in the low-target
    regime: those features reach the per-asset network instead.)

    Parameters
    ----------
    n_regimes : HMM states
    low, high : bounds of every regime's target (annualised)
    target : the long-run average target (annualised)
    """

    def __init__(self, n_regimes: int, low: float, high: float, target: float) -> None:
        super().__init__()
        self.n_regimes = n_regimes
        self.low, self.high, self.target = low, high, target
        self.tilt = nn.Parameter(torch.zeros(n_regimes, dtype=torch.float64))
        # The HMM (set by load_hmm after its fit): one state of zero mean until then.
        self.register_buffer("hmm_means", torch.zeros(n_regimes, dtype=torch.float64))
        self.register_buffer("hmm_variances", torch.ones(n_regimes, dtype=torch.float64))
        self.register_buffer(
            "hmm_transition",
            torch.full((n_regimes, n_regimes), 1.0 / n_regimes, dtype=torch.float64),
        )
        # Its stationary distribution, kept beside it: every forward pass needs it.
        self.register_buffer(
            "hmm_stationary", torch.full((n_regimes,), 1.0 / n_regimes, dtype=torch.float64)
        )

    def hmm(self) -> GaussianHMM:
        """The HMM the regimes come from."""
        return GaussianHMM(
            self.hmm_means.detach().cpu().numpy().copy(),
            self.hmm_variances.detach().cpu().numpy().copy(),
            self.hmm_transition.detach().cpu().numpy().copy(),
        )

    def load_hmm(self, model: GaussianHMM) -> None:
        """Use ``model``'s states (their number must be ``n_regimes``)."""
        if model.n_states != self.n_regimes:
            raise ValueError(f"an HMM of {model.n_states} states for {self.n_regimes} regimes")
        with torch.no_grad():
            for name, values in (
                ("hmm_means", model.means),
                ("hmm_variances", model.variances),
                ("hmm_transition", model.transition),
                ("hmm_stationary", model.stationary()),
            ):
                buffer = getattr(self, name)
                buffer.copy_(torch.as_tensor(values, dtype=buffer.dtype, device=buffer.device))

    def regime_targets(self) -> torch.Tensor:
        """``(n_regimes,)`` annualised targets, float64."""
        stationary = self.hmm_stationary.clamp_min(1e-6)
        multipliers = torch.softmax(_TILT_SCALE * self.tilt + stationary.log(), dim=0) / stationary
        return (self.target * multipliers).clamp(self.low, self.high)

    def forward(self, regimes: torch.Tensor) -> torch.Tensor:
        """The HMM's probabilities ``(batch, n_regimes)`` -> the target ``(batch,)``."""
        return regimes.double() @ self.regime_targets()

    def extra_repr(self) -> str:
        return f"n_regimes={self.n_regimes}, target={self.target}, low={self.low}, high={self.high}"


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
    """Windows ``(batch, features, lookback, assets)``, correlations ``(batch, assets, assets)``
    and the HMM's regime probabilities ``(batch, n_regimes)`` -> :class:`VolRiskBudgetOutput`.

    ``network`` must give two outputs per asset ``(batch, assets, 2)``: the log
    correction ``v`` of the baseline volatility forecast ``b`` (an EWMA of the asset's
    past returns, the fourth input, ``(batch, assets)`` annualised),
    ``sigma = max(b, 0.001) * exp(3 tanh(v / 3))`` (the baseline for ``v = 0``, at most
    a factor e**3 from it), and the budget score.
    """

    def __init__(
        self,
        network: nn.Module,
        gate: RegimeGate,
        periods_per_year: int = PERIODS_PER_YEAR,
    ) -> None:
        super().__init__()
        self.network = network
        self.gate = gate
        self.periods_per_year = int(periods_per_year)
        # Zero at the start (ReZero): training starts from the baseline forecasts, not from
        # the random corrections of an untrained network on features it has not seen.
        self.correction_gain = nn.Parameter(torch.zeros((), dtype=torch.float64))
        self.head = VolatilityRiskBudgetHead(periods_per_year=self.periods_per_year)

    def forward(
        self,
        windows: torch.Tensor,
        correlation: torch.Tensor,
        regimes: torch.Tensor,
        baseline: torch.Tensor,
    ) -> VolRiskBudgetOutput:
        scores = self.network(windows).double()
        raw = self.correction_gain * scores[..., 0]
        correction = _MAX_LOG_CORRECTION * torch.tanh(raw / _MAX_LOG_CORRECTION)
        volatility = baseline.double().clamp_min(_MIN_VOLATILITY) * torch.exp(correction)
        budgets = torch.softmax(scores[..., 1], dim=-1)
        probabilities = regimes.double()
        target = self.gate(probabilities)
        # The forecasts are fitted to realised volatility only: through the weights the
        # portfolio loss would use them as a second exposure knob (and they would stop
        # being forecasts, and undo the gate's fixed average target).
        weights = self.head(budgets, volatility.detach(), correlation, target)
        covariance = forecast_covariance(volatility, correlation.double(), self.periods_per_year)
        return VolRiskBudgetOutput(weights, volatility, budgets, probabilities, target, covariance)
