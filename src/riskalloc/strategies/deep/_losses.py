"""Training losses of deep allocators: lower is better for every one.

A loss is a :class:`Loss`, a weighted sum of terms; each term maps a
:class:`LossInputs` to a scalar tensor, and terms compose by ``+`` and by
scaling with a number::

    loss = negative_sharpe() + 0.1 * turnover_penalty(10)
    value = loss(LossInputs(weights, asset_returns, previous_weights))

Returns-based terms score the portfolio's daily *net* returns, computed by
:func:`riskalloc.core.torch_rebalance_step`, the torch twin of
:func:`riskalloc.core.rebalance_step` (the backtest's one net-return
formula), so training and backtest cannot disagree on what a portfolio earned.
Weights come in one of two forms:

- ``(batch, assets)``: one decision, traded at the start and then *held* over
  the ``T`` days of ``asset_returns``, drifting with prices (the backtest
  between two rebalances);
- ``(batch, T, assets)``: target weights rebalanced to every day, each trade
  starting from the drifted weights of the day before.

The first trade starts from ``previous_weights`` (the drifted weights before
the decision), or from cash when none are given, as the backtest does. Each
term is computed per path (over ``T``) and averaged over the batch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from riskalloc.core import (
    PERIODS_PER_YEAR,
    ConfigError,
    daily_rate,
    torch_conditional_value_at_risk,
)
from riskalloc.strategies.deep._paths import segment_paths

__all__ = [
    "Loss",
    "LossInputs",
    "mean_cvar",
    "mean_variance",
    "mse",
    "negative_log_wealth",
    "negative_sharpe",
    "negative_sortino",
    "portfolio_net_returns",
    "qlike",
    "turnover_penalty",
]


@dataclass(frozen=True)
class LossInputs:
    """What a loss term may look at; each term checks that the fields it needs are set.

    Attributes
    ----------
    weights : (batch, assets) held over the horizon, or (batch, T, assets) decided at the
        close of each of ``T`` days (a block of consecutive dates)
    asset_returns : (batch, T, assets) simple returns of the days the weights are held (row
        ``d`` is the day after the close at which ``weights[:, d]`` is decided)
    previous_weights : (batch, assets) drifted weights before the first trade; None: cash
    predictions, targets : any matching shape, for forecasting terms (:func:`mse`)
    cost_rate : cost per unit of turnover charged in the net returns (10 bps = 0.001)
    cash_return : daily return of the cash left over when weights sum below one
    decision_mask : (T,) or (batch, T) booleans, with ``(batch, T, assets)`` weights: the
        days that are rebalance dates; on the others no trade is made and the portfolio
        drifts, as the backtest holds it between rebalances. None: every day trades.
    """

    weights: torch.Tensor | None = None
    asset_returns: torch.Tensor | None = None
    previous_weights: torch.Tensor | None = None
    predictions: torch.Tensor | None = None
    targets: torch.Tensor | None = None
    cost_rate: float = 0.0
    cash_return: float = 0.0
    decision_mask: torch.Tensor | None = None


def _check_portfolio(inputs: LossInputs, term: str) -> tuple[torch.Tensor, torch.Tensor]:
    weights, asset_returns = inputs.weights, inputs.asset_returns
    if weights is None or asset_returns is None:
        raise ValueError(f"{term}: LossInputs needs 'weights' and 'asset_returns'")
    if asset_returns.ndim != 3:
        raise ValueError(
            f"{term}: asset_returns must be (batch, T, assets), got shape {tuple(asset_returns.shape)}"
        )
    batch, _, n_assets = asset_returns.shape
    if weights.shape not in ((batch, n_assets), asset_returns.shape):
        raise ValueError(
            f"{term}: weights must be (batch, assets) = {(batch, n_assets)} or (batch, T, assets) "
            f"= {tuple(asset_returns.shape)}, got shape {tuple(weights.shape)}"
        )
    previous = inputs.previous_weights
    if previous is not None and previous.shape != (batch, n_assets):
        raise ValueError(
            f"{term}: previous_weights must be (batch, assets) = {(batch, n_assets)}, "
            f"got shape {tuple(previous.shape)}"
        )
    return weights, asset_returns


def _simulate_paths(inputs: LossInputs, term: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Net returns and turnover of every day, both ``(batch, T)``: the backtest's accounting
    (:func:`riskalloc.core.torch_rebalance_step`) in closed form over each holding segment
    (:func:`~riskalloc.strategies.deep._paths.segment_paths`)."""
    weights, asset_returns = _check_portfolio(inputs, term)
    batch, days, _ = asset_returns.shape
    mask = inputs.decision_mask
    if weights.ndim == 2:
        if mask is not None:
            raise ValueError(f"{term}: decision_mask needs weights of shape (batch, T, assets)")
        # Held weights trade once, on the first day, and then drift.
        weights = weights.unsqueeze(1).expand(asset_returns.shape)
        decisions = torch.zeros(batch, days, dtype=torch.bool, device=asset_returns.device)
        decisions[:, 0] = True
    elif mask is None:
        decisions = torch.ones(batch, days, dtype=torch.bool, device=asset_returns.device)
    else:
        decisions = mask.to(device=asset_returns.device, dtype=torch.bool).expand(batch, days)
    return segment_paths(
        weights,
        asset_returns,
        decisions,
        inputs.previous_weights,
        inputs.cost_rate,
        inputs.cash_return,
    )


def portfolio_net_returns(inputs: LossInputs) -> torch.Tensor:
    """Daily net returns ``(batch, T)`` of the portfolios in ``inputs`` (see the module notes)."""
    return _simulate_paths(inputs, "portfolio_net_returns")[0]


class _Term:
    """A named loss term: ``function(inputs) -> scalar``; the name is its repr."""

    def __init__(self, name: str, function: Callable[[LossInputs], torch.Tensor]) -> None:
        self.name = name
        self.function = function

    def __call__(self, inputs: LossInputs) -> torch.Tensor:
        return self.function(inputs)

    def __repr__(self) -> str:
        return self.name


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class Loss:
    """Weighted sum of loss terms, ``sum_k c_k term_k(inputs)``.

    Supports ``loss + loss``, ``number * loss``, ``loss * number``,
    ``loss / number``, ``-loss``, ``loss - loss`` and ``sum([...])``. A plain
    callable ``LossInputs -> scalar`` can be added as a term.

    Examples
    --------
    >>> negative_sharpe() + 0.1 * turnover_penalty(10)
    negative_sharpe(risk_free=0.0) + 0.1 * turnover_penalty(costs_bps=10)
    """

    def __init__(self, terms: tuple[tuple[float, Callable[[LossInputs], torch.Tensor]], ...]):
        self.terms = tuple(terms)

    def __call__(self, inputs: LossInputs) -> torch.Tensor:
        if not isinstance(inputs, LossInputs):
            raise TypeError(f"a Loss takes one LossInputs, got {type(inputs).__name__}")
        total = None
        for coefficient, term in self.terms:
            value = term(inputs) if coefficient == 1.0 else coefficient * term(inputs)
            total = value if total is None else total + value
        if total is None:
            raise ValueError("an empty Loss has no value")
        return total

    def __add__(self, other: object) -> Loss:
        if isinstance(other, Loss):
            return Loss(self.terms + other.terms)
        if callable(other):
            return Loss((*self.terms, (1.0, other)))
        return NotImplemented

    def __radd__(self, other: object) -> Loss:
        if _is_number(other) and other == 0:  # sum([...]) starts from 0
            return self
        if callable(other):
            return Loss(((1.0, other), *self.terms))
        return NotImplemented

    def __mul__(self, factor: object) -> Loss:
        if not _is_number(factor):
            return NotImplemented
        return Loss(tuple((float(factor) * c, term) for c, term in self.terms))

    __rmul__ = __mul__

    def __truediv__(self, divisor: object) -> Loss:
        if not _is_number(divisor):
            return NotImplemented
        return self * (1.0 / divisor)

    def __neg__(self) -> Loss:
        return self * -1.0

    def __sub__(self, other: object) -> Loss:
        if isinstance(other, Loss):
            return self + (-other)
        return NotImplemented

    def __repr__(self) -> str:
        parts = [repr(term) if c == 1.0 else f"{c!r} * {term!r}" for c, term in self.terms]
        return " + ".join(parts) if parts else "Loss(())"


def _loss(name: str, function: Callable[[LossInputs], torch.Tensor]) -> Loss:
    return Loss(((1.0, _Term(name, function)),))


def _net_returns(inputs: LossInputs, term: str, min_days: int = 1) -> torch.Tensor:
    returns = _simulate_paths(inputs, term)[0]
    if returns.shape[1] < min_days:
        raise ValueError(
            f"{term}: needs at least {min_days} days of returns, got {returns.shape[1]}"
        )
    return returns


def negative_sharpe(risk_free: float = 0.0, periods_per_year: int = PERIODS_PER_YEAR) -> Loss:
    """Minus the annualised Sharpe ratio of each path's net returns, averaged over the batch.

    ``-mean(r - rf_d) / std(r - rf_d, ddof=1) * sqrt(252)`` with ``rf_d`` the
    daily rate of the annual ``risk_free`` — the convention of
    :func:`riskalloc.evaluation.sharpe_ratio`. A path with no dispersion has no
    Sharpe ratio (the value is not finite).
    """
    daily_risk_free = daily_rate(risk_free, periods_per_year)

    def term(inputs: LossInputs) -> torch.Tensor:
        excess = _net_returns(inputs, "negative_sharpe", min_days=2) - daily_risk_free
        ratio = excess.mean(dim=1) / excess.std(dim=1, correction=1)
        return -(ratio * math.sqrt(periods_per_year)).mean()

    return _loss(f"negative_sharpe(risk_free={risk_free!r})", term)


def negative_sortino(
    required_return: float = 0.0, periods_per_year: int = PERIODS_PER_YEAR
) -> Loss:
    """Minus the annualised Sortino ratio of each path's net returns, averaged over the batch.

    ``-252 mean(r - m) / (sqrt(mean(min(r - m, 0)²)) sqrt(252))``: the downside
    is below the daily ``required_return`` ``m`` (not below the mean) and
    averaged over all days, as :func:`riskalloc.evaluation.sortino_ratio`.
    """

    def term(inputs: LossInputs) -> torch.Tensor:
        excess = _net_returns(inputs, "negative_sortino") - required_return
        downside = excess.clamp(max=0.0).square().mean(dim=1).sqrt() * math.sqrt(periods_per_year)
        return -(excess.mean(dim=1) * periods_per_year / downside).mean()

    return _loss(f"negative_sortino(required_return={required_return!r})", term)


def mean_cvar(lam: float = 1.0, confidence: float = 0.95) -> Loss:
    """``-mean(r) + lam * CVaR_confidence(r)`` of each path's daily net returns, batch-averaged.

    CVaR is the historical expected shortfall as a loss, Rockafellar-Uryasev:
    ``min_z z + E[(-r - z)+] / (1 - confidence)``, the mean of the worst
    ``1 - confidence`` share of days with the boundary day counted
    fractionally — :func:`riskalloc.risk.conditional_value_at_risk` exactly.
    Both terms are daily.
    """
    if not 0.0 < confidence < 1.0:
        raise ConfigError(f"mean_cvar: parameter 'confidence' must be in (0, 1), got {confidence}")

    def term(inputs: LossInputs) -> torch.Tensor:
        returns = _net_returns(inputs, "mean_cvar")
        return (
            -returns.mean(dim=1) + lam * torch_conditional_value_at_risk(returns, confidence)
        ).mean()

    return _loss(f"mean_cvar(lam={lam!r}, confidence={confidence!r})", term)


def mean_variance(lam: float = 1.0) -> Loss:
    """``-mean(r) + lam * var(r, ddof=1)`` of each path's daily net returns, batch-averaged.

    The daily analogue of the Markowitz objective ``-w' mu + lam w' S w``.
    """

    def term(inputs: LossInputs) -> torch.Tensor:
        returns = _net_returns(inputs, "mean_variance", min_days=2)
        return (-returns.mean(dim=1) + lam * returns.var(dim=1, correction=1)).mean()

    return _loss(f"mean_variance(lam={lam!r})", term)


def negative_log_wealth() -> Loss:
    """``-sum_t log(1 + r_t)``, minus the log of each path's final wealth, batch-averaged."""

    def term(inputs: LossInputs) -> torch.Tensor:
        return -torch.log1p(_net_returns(inputs, "negative_log_wealth")).sum(dim=1).mean()

    return _loss("negative_log_wealth()", term)


def mse() -> Loss:
    """``mean((predictions - targets)²)`` over all elements, for forecasting networks."""

    def term(inputs: LossInputs) -> torch.Tensor:
        if inputs.predictions is None or inputs.targets is None:
            raise ValueError("mse: LossInputs needs 'predictions' and 'targets'")
        if inputs.predictions.shape != inputs.targets.shape:
            raise ValueError(
                f"mse: predictions {tuple(inputs.predictions.shape)} and targets "
                f"{tuple(inputs.targets.shape)} differ in shape"
            )
        return (inputs.predictions - inputs.targets).square().mean()

    return _loss("mse()", term)


def qlike() -> Loss:
    """QLIKE of volatility forecasts: ``mean(s² / v² - log(s² / v²) - 1)``, ``v`` the
    ``predictions`` and ``s`` the realised volatilities in ``targets``.

    Patton's (2011) loss for volatility forecasts scored on a noisy proxy: its
    expectation is smallest at ``v² = E[s²]``, the true variance when ``s²`` is an
    unbiased sample variance, so forecasts fitted with it are not pulled below the true
    volatility as MSE on ``s`` pulls them (``E[s] < sigma``). It is zero for a perfect
    forecast and penalises under-forecasting risk more than over-forecasting it. A
    realised volatility of 0 counts as 1e-8 of the forecast.
    """

    def term(inputs: LossInputs) -> torch.Tensor:
        if inputs.predictions is None or inputs.targets is None:
            raise ValueError("qlike: LossInputs needs 'predictions' and 'targets'")
        if inputs.predictions.shape != inputs.targets.shape:
            raise ValueError(
                f"qlike: predictions {tuple(inputs.predictions.shape)} and targets "
                f"{tuple(inputs.targets.shape)} differ in shape"
            )
        ratio = (inputs.targets / inputs.predictions).square().clamp_min(1e-8)
        return (ratio - ratio.log() - 1.0).mean()

    return _loss("qlike()", term)


def turnover_penalty(costs_bps: float) -> Loss:
    """``costs_bps / 10_000 * sum_k turnover_k`` per path, batch-averaged.

    ``turnover_k = sum_i |target_i - drifted_i|`` of every trade on the path
    (one for held weights, one a day for daily targets), the first from
    ``previous_weights`` (cash if None). A penalty on top of whatever
    ``LossInputs.cost_rate`` already charges in the net returns.
    """
    if not (_is_number(costs_bps) and costs_bps >= 0):
        raise ConfigError(f"turnover_penalty: 'costs_bps' must be a number >= 0, got {costs_bps!r}")

    def term(inputs: LossInputs) -> torch.Tensor:
        turnover = _simulate_paths(inputs, "turnover_penalty")[1]
        return (costs_bps / 10_000.0) * turnover.sum(dim=1).mean()

    return _loss(f"turnover_penalty(costs_bps={costs_bps!r})", term)
