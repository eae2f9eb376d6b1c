r"""A deep quantile model of one-day-ahead VaR and CVaR, refitted walk-forward.

A small network reads features of a portfolio's own return history up to the
close of day ``t`` and forecasts the ``alpha``-quantile (VaR) and the tail mean
(CVaR) of the return of ``t + 1``. Sign convention as in
:mod:`riskalloc.risk._var_models` (riskalloc's one): both are reported as
*positive losses*, and a day is a violation when its loss exceeds the VaR
forecast. Inside, the network works with return quantiles (negative = loss).

Why this loss. The pinball loss elicits a quantile but says nothing about the
tail mean, and no loss elicits the tail mean alone (expected shortfall is not
elicitable). The pair (VaR, CVaR) is jointly elicitable (Fissler & Ziegel,
2016); the FZ0 member of that family (Patton, Ziegel & Chen, 2019)

.. math::

    FZ0(y, v, e) = -\frac{1}{\alpha e} 1\{y \le v\} (v - y) + \frac{v}{e} + \ln(-e) - 1,
    \qquad e \le v < 0,

is strictly consistent for them and homogeneous of degree zero, so calm and
turbulent days weigh alike. To it we add the pinball loss of the return
scaled by the day's EWMA volatility ``sigma_t``, ``rho_alpha((y - v) / sigma_t)``,
which gives the quantile a direct gradient of the same scale on every day: a
positive weight known at ``t`` keeps the pinball loss consistent for the
quantile, and a sum of consistent losses stays consistent for the pair.

Why this output layer. The network outputs two multipliers ``m_v, m_e >= 0``
(softplus) and ``VaR = -sigma_t m_v``, ``CVaR = VaR - sigma_t m_e``. Scaling by
``sigma_t`` lets the model follow volatility from the first day it sees a new
regime, and ``CVaR <= VaR`` (CVaR at least the VaR as a loss) holds by
construction, as the FZ0 loss needs.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy import stats
from torch import nn

from riskalloc.core import ConfigError, threads_for
from riskalloc.risk._var_backtest import coverage_row
from riskalloc.risk._var_models import _validated_values

__all__ = [
    "DEEP_QUANTILE",
    "forecast_quantile_var",
    "fz0_loss",
    "pinball_loss",
    "quantile_var_backtest",
    "quantile_var_features",
]

#: The name of the deep quantile model next to the :class:`VaRMethod` names.
DEEP_QUANTILE = "deep_quantile"

#: Decay of the EWMA variance (RiskMetrics' daily lambda).
_EWMA_DECAY = 0.94
#: Returns needed before the first feature row (the shortest rolling window).
_FIRST_FEATURE = 5
#: Volatility floor, so that a run of zero returns does not divide by zero.
_MIN_VOLATILITY = 1e-8
#: Share of each fit's training rows (the latest) held out to pick the epoch.
_VALIDATION_FRACTION = 0.25
#: Standardised inputs are clipped here: one crash day must not dominate a small network.
_INPUT_CLIP = 5.0
_FEATURE_NAMES = (
    "return_0",
    "return_1",
    "return_2",
    "log_ewma_volatility",
    "log_volatility_5",
    "log_volatility_21",
    "log_volatility_63",
    "mean_21",
    "drawdown_63",
)


def pinball_loss(
    returns: np.ndarray | torch.Tensor, quantile: np.ndarray | torch.Tensor, alpha: float
) -> float | torch.Tensor:
    r"""Mean pinball (quantile) loss ``rho_alpha(y - q) = (y - q) (alpha - 1{y < q})``.

    Minimised in expectation by the ``alpha``-quantile of ``y``: a return below
    the forecast costs ``(1 - alpha)`` per unit, one above costs ``alpha``.

    Parameters
    ----------
    returns : realised values ``y``
    quantile : forecasts ``q``, broadcast against ``returns``
    alpha : the quantile level in (0, 1), e.g. 0.05 for a 95 % VaR

    Returns
    -------
    A float for NumPy input, a scalar tensor (differentiable) for tensors.

    Examples
    --------
    >>> round(pinball_loss(np.array([-0.03, 0.01]), -0.02, 0.05), 10)  # (0.01*0.95 + 0.03*0.05)/2
    0.0055
    """
    if isinstance(returns, torch.Tensor):
        return torch.mean(pinball_terms(returns, quantile, alpha))
    error = np.asarray(returns, dtype=float) - np.asarray(quantile, dtype=float)
    return float(np.mean(error * (alpha - (error < 0))))


def fz0_loss(
    returns: torch.Tensor, var: torch.Tensor, cvar: torch.Tensor, alpha: float
) -> torch.Tensor:
    r"""Mean FZ0 loss of joint (VaR, CVaR) forecasts, as returns (``cvar <= var < 0``).

    .. math::

        FZ0(y, v, e) = -\frac{1}{\alpha e} 1\{y \le v\} (v - y) + \frac{v}{e} + \ln(-e) - 1

    (Patton, Ziegel & Chen, 2019), strictly consistent for the ``alpha``-quantile
    ``v`` and the tail mean ``e = E[y | y <= v]``.

    Examples
    --------
    >>> y, v, e = torch.tensor([-0.03]), torch.tensor([-0.02]), torch.tensor([-0.025])
    >>> round(float(fz0_loss(y, v, e, 0.05)), 5)  # 8 + 0.8 + ln 0.025 - 1
    4.11112
    """
    return torch.mean(fz0_terms(returns, var, cvar, alpha))


def pinball_terms(returns: torch.Tensor, quantile: torch.Tensor, alpha: float) -> torch.Tensor:
    """The pinball loss of each observation (:func:`pinball_loss` is their mean)."""
    error = returns - quantile
    return error * (alpha - (error < 0).to(error.dtype))


def fz0_terms(
    returns: torch.Tensor, var: torch.Tensor, cvar: torch.Tensor, alpha: float
) -> torch.Tensor:
    """The FZ0 loss of each observation (:func:`fz0_loss` is their mean)."""
    hit = (returns <= var).to(returns.dtype)
    return -hit * (var - returns) / (alpha * cvar) + var / cvar + torch.log(-cvar) - 1.0


def quantile_var_features(returns: pd.Series) -> pd.DataFrame:
    """Features of the deep quantile model, each from the returns up to and including its date.

    Columns: the last three returns and the 21-day mean return, in units of the
    EWMA volatility ``sigma_t`` (``lambda = 0.94``); the log of ``sigma_t``; the
    log ratios of the 5-, 21- and 63-day volatilities to ``sigma_t``; and the
    drawdown of wealth from its 63-day high. Rows before the fifth return are NaN.

    Returns
    -------
    DataFrame on the index of ``returns``, plus a column ``ewma_volatility``
    (the scale of the forecasts, not an input).
    """
    values = pd.Series(np.asarray(returns, dtype=float), index=returns.index)
    # adjust=True weighs the observations seen so far: causal from the first day.
    ewma = np.sqrt(values.pow(2).ewm(alpha=1.0 - _EWMA_DECAY, adjust=True).mean())
    ewma = ewma.clip(lower=_MIN_VOLATILITY)
    columns = {
        "return_0": values / ewma,
        "return_1": values.shift(1) / ewma,
        "return_2": values.shift(2) / ewma,
        "log_ewma_volatility": np.log(ewma),
    }
    for days in (5, 21, 63):
        rolling = values.rolling(days, min_periods=_FIRST_FEATURE).std().clip(lower=_MIN_VOLATILITY)
        columns[f"log_volatility_{days}"] = np.log(rolling / ewma)
    columns["mean_21"] = values.rolling(21, min_periods=_FIRST_FEATURE).mean() / ewma
    wealth = (1.0 + values).cumprod()
    columns["drawdown_63"] = wealth / wealth.rolling(63, min_periods=1).max() - 1.0
    features = pd.DataFrame(columns, index=returns.index)
    features.iloc[: _FIRST_FEATURE - 1] = np.nan
    features["ewma_volatility"] = ewma
    return features


def forecast_quantile_var(
    returns: pd.Series,
    confidence: float = 0.95,
    window: int = 250,
    *,
    refit_every: int = 63,
    epochs: int = 80,
    hidden_size: int = 8,
    learning_rate: float = 0.003,
    weight_decay: float = 0.01,
    seed: int = 0,
) -> pd.DataFrame:
    """Walk-forward one-day-ahead VaR and CVaR from a network trained on the pinball + FZ0 loss.

    The row dated ``t`` is the forecast for ``t + 1`` made at the close of
    ``t``, with the same index, columns and NaN warm-up (the first ``window - 1``
    rows) as :func:`~riskalloc.risk.forecast_var`, so the two compare day by day.
    The network is first fitted at row ``window - 1`` and refitted every
    ``refit_every`` rows after; the fit at row ``k`` trains on the pairs
    (features of ``s``, return of ``s + 1``) with ``s + 1 <= k``: every day up to
    ``k`` (an expanding window), none after. The feature scaler is fitted on
    those same rows (standardised inputs are clipped to +-5). Each fit runs
    full-batch Adam on the earlier 75 % of its rows and keeps the epoch whose
    loss is lowest on the latest 25 % (early stopping: with ~50 tail days a
    year a quantile network overfits fast). Each fit starts from the same
    seeded initialisation, so one seed gives identical forecasts, and the
    caller's random state is left as it was.

    Parameters
    ----------
    returns : daily simple returns indexed by date, without missing values
    confidence : VaR confidence level in (0, 1); the quantile is ``alpha = 1 - confidence``
    window : warm-up: returns seen before the first forecast (at least 30)
    refit_every : rows between refits
    epochs : most full-batch Adam steps per fit (early stopping keeps the best)
    hidden_size : width of the one hidden layer
    learning_rate, weight_decay : Adam's settings
    seed : seed of the network's initialisation

    Returns
    -------
    DataFrame with columns ``var`` and ``cvar``, positive losses (``cvar >= var``), on the index of ``returns``.

    Examples
    --------
    >>> dates = pd.bdate_range("2020-01-01", periods=400)
    >>> returns = pd.Series(np.random.default_rng(0).normal(0, 0.01, 400), index=dates)
    >>> forecast = forecast_quantile_var(returns, 0.95, window=250, refit_every=100, epochs=20)
    >>> bool((forecast["cvar"] >= forecast["var"]).iloc[249:].all())
    True
    """
    values = _validated_values(returns, confidence, window)
    for name, value, least in (
        ("window", window, 30),
        ("refit_every", refit_every, 1),
        ("epochs", epochs, 1),
        ("hidden_size", hidden_size, 1),
    ):
        if isinstance(value, bool) or int(value) != value or value < least:
            raise ConfigError(f"{name} must be an integer of at least {least}; got {value!r}")
    alpha = 1.0 - confidence
    frame = quantile_var_features(pd.Series(values, index=returns.index))
    inputs = frame[list(_FEATURE_NAMES)].to_numpy()
    scale = frame["ewma_volatility"].to_numpy()
    forecast = np.full((len(values), 2), np.nan)
    refits = range(window - 1, len(values), refit_every)
    with threads_for(len(values) * hidden_size):
        for start in refits:
            stop = min(start + refit_every, len(values))
            # Training rows s with target s + 1 <= start; feature rows before the fifth are NaN.
            train = np.arange(_FIRST_FEATURE - 1, start)
            mean, std = inputs[train].mean(axis=0), inputs[train].std(axis=0)
            std[std == 0] = 1.0

            def standardised(rows: np.ndarray, mean=mean, std=std) -> np.ndarray:
                return np.clip((inputs[rows] - mean) / std, -_INPUT_CLIP, _INPUT_CLIP)

            network = _fit(
                standardised(train),
                scale[train],
                values[train + 1],
                alpha,
                epochs=epochs,
                hidden_size=hidden_size,
                learning_rate=learning_rate,
                weight_decay=weight_decay,
                seed=seed,
            )
            rows = np.arange(start, stop)
            with torch.no_grad():
                var, cvar = network(
                    torch.as_tensor(standardised(rows)), torch.as_tensor(scale[rows])
                )
            # The network's quantiles are returns; report the losses they imply.
            forecast[rows, 0], forecast[rows, 1] = -var.numpy(), -cvar.numpy()
    return pd.DataFrame(forecast, index=returns.index, columns=["var", "cvar"])


def quantile_var_backtest(
    returns: pd.Series, confidence: float = 0.95, window: int = 250, **model: Any
) -> pd.DataFrame:
    """:func:`~riskalloc.risk.var_backtest`'s table for the deep quantile model.

    The forecast dated ``t`` (:func:`forecast_quantile_var`, with ``model``'s
    keyword arguments) is compared with the return of ``t + 1``, over the same
    ``len(returns) - window`` days as the other methods.

    Returns
    -------
    One row indexed ``deep_quantile`` with :func:`~riskalloc.risk.var_backtest`'s columns.
    """
    forecast = forecast_quantile_var(returns, confidence, window, **model)["var"]
    row = coverage_row(returns, forecast, confidence, window)
    return pd.DataFrame([row], index=pd.Index([DEEP_QUANTILE], name="method"))


class _QuantileNetwork(nn.Module):
    """Features -> (VaR, CVaR) as returns, ``VaR = -sigma m_v``, ``CVaR = VaR - sigma m_e``."""

    def __init__(self, n_features: int, hidden_size: int, alpha: float) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(n_features, hidden_size, dtype=torch.float64),
            nn.Tanh(),
            nn.Linear(hidden_size, 2, dtype=torch.float64),
        )
        # Start at the Gaussian multipliers: -z and phi(z) / alpha + z.
        z = float(stats.norm.ppf(alpha))
        start = torch.tensor([-z, stats.norm.pdf(z) / alpha + z], dtype=torch.float64)
        with torch.no_grad():
            self.body[-1].weight.mul_(0.1)
            self.body[-1].bias.copy_(start + torch.log(-torch.expm1(-start)))  # softplus^-1

    def forward(
        self, features: torch.Tensor, volatility: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        multipliers = nn.functional.softplus(self.body(features))
        var = -volatility * multipliers[:, 0]
        return var, var - volatility * multipliers[:, 1]


def _fit(
    features: np.ndarray,
    volatility: np.ndarray,
    targets: np.ndarray,
    alpha: float,
    *,
    epochs: int,
    hidden_size: int,
    learning_rate: float,
    weight_decay: float,
    seed: int,
) -> _QuantileNetwork:
    """Full-batch Adam on the first 75 % of the rows; keep the epoch best on the last 25 %."""
    inputs, sigma, realised = (torch.as_tensor(a) for a in (features, volatility, targets))
    cut = int(len(realised) * (1.0 - _VALIDATION_FRACTION))
    # fork_rng restores the caller's torch random state after the seeded initialisation.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        network = _QuantileNetwork(features.shape[1], hidden_size, alpha)
    optimiser = torch.optim.Adam(network.parameters(), lr=learning_rate, weight_decay=weight_decay)

    def losses() -> tuple[torch.Tensor, float]:
        # One forward pass over all rows: the training loss and the held-out loss.
        var, cvar = network(inputs, sigma)
        scaled = pinball_terms(realised / sigma, var / sigma, alpha)
        total = fz0_terms(realised, var, cvar, alpha) + scaled
        return total[:cut].mean(), float(total[cut:].detach().mean())

    best_loss, best_state = np.inf, copy.deepcopy(network.state_dict())
    for epoch in range(epochs + 1):
        train_loss, validation_loss = losses()
        if validation_loss < best_loss:  # the parameters before this epoch's step
            best_loss, best_state = validation_loss, copy.deepcopy(network.state_dict())
        if epoch == epochs:
            break
        optimiser.zero_grad()
        train_loss.backward()
        optimiser.step()
    network.load_state_dict(best_state)
    return network.eval()
