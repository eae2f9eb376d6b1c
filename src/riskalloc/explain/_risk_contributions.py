"""Euler risk contributions of each asset, to volatility and to CVaR, at every decision date."""

from __future__ import annotations

import enum

import numpy as np
import pandas as pd

from riskalloc.core import PERIODS_PER_YEAR, ConfigError, DataError
from riskalloc.data import MarketData
from riskalloc.risk._estimators import estimate_covariance
from riskalloc.risk._measures import (
    conditional_value_at_risk,
    portfolio_volatility,
    risk_contributions,
    value_at_risk,
)

__all__ = ["ContributionMeasure", "cvar_contributions", "risk_contributions_over_time"]

#: Columns of :func:`risk_contributions_over_time`, in order.
CONTRIBUTION_COLUMNS = ["date", "asset", "weight", "contribution", "share", "risk"]


class ContributionMeasure(enum.StrEnum):
    """The risk an asset's Euler contribution is a part of."""

    VOLATILITY = "volatility"  # annualised, sample covariance (ddof=1)
    CVAR = "cvar"  # historical daily CVaR, as a loss (Rockafellar-Uryasev)


def cvar_contributions(
    weights: np.ndarray, scenarios: np.ndarray, confidence: float = 0.95
) -> np.ndarray:
    """Euler contributions ``w_i dCVaR/dw_i`` to the historical CVaR; they sum to the CVaR.

    ``weights`` are ``(..., assets)`` and ``scenarios`` ``(..., observations, assets)``
    daily returns. With losses ``L_t = -r_t' w``, ``q = n (1 - confidence)`` and ``z``
    the VaR (:func:`~riskalloc.risk.value_at_risk`, scenario ``t*``), the CVaR of
    :func:`~riskalloc.risk.conditional_value_at_risk` is
    ``z + sum_t (L_t - z)+ / q``, homogeneous of degree one in ``w``, and

    ``c_i = w_i [ sum_{t: L_t > z} (-r_ti) / q + (1 - k / q) (-r_{t* i}) ]``

    with ``k`` the number of scenarios beyond the VaR: the asset's expected loss in
    the tail scenarios, the boundary scenario counted fractionally. Summing over
    ``i`` gives back the CVaR exactly.

    Examples
    --------
    >>> r = np.array([[-0.04, 0.01], [0.02, -0.02], [0.01, 0.01], [-0.01, -0.03]])
    >>> c = cvar_contributions(np.array([0.5, 0.5]), r, confidence=0.5)
    >>> bool(np.isclose(c.sum(), conditional_value_at_risk(np.array([0.5, 0.5]), r, 0.5)))
    True
    """
    weights = np.asarray(weights, dtype=float)
    scenarios = np.asarray(scenarios, dtype=float)
    losses = -np.einsum("...ti,...i->...t", scenarios, weights)
    n_obs = losses.shape[-1]
    tail_mass = n_obs * (1.0 - confidence)
    threshold = value_at_risk(weights, scenarios, confidence)
    rank = max(int(np.ceil(confidence * n_obs)) - 1, 0)
    boundary = np.argsort(losses, axis=-1, kind="stable")[..., rank]
    beyond = losses > threshold[..., None]
    tail_loss = -np.einsum("...t,...ti->...i", beyond.astype(float), scenarios)
    boundary_loss = -np.take_along_axis(scenarios, boundary[..., None, None], axis=-2)[..., 0, :]
    remainder = 1.0 - beyond.sum(axis=-1) / tail_mass
    return weights * (tail_loss / tail_mass + remainder[..., None] * boundary_loss)


def risk_contributions_over_time(
    weights: pd.DataFrame,
    returns: pd.DataFrame | MarketData,
    *,
    window: int = 252,
    measure: ContributionMeasure | str = ContributionMeasure.VOLATILITY,
    alpha: float = 0.95,
) -> pd.DataFrame:
    """Each asset's Euler contribution to the risk of the weights decided at each date.

    The risk at decision date ``t`` is that of ``weights.loc[t]`` estimated from the
    ``window`` daily returns up to and including ``t`` (nothing after it), exactly as
    :func:`~riskalloc.risk.allocation_risk` estimates it:

    - ``volatility``: annualised ``sqrt(252 w' S w)``; contributions
      ``sqrt(252) w_i (S w)_i / sqrt(w' S w)``, ``S`` the sample covariance;
    - ``cvar``: the historical daily CVaR at ``alpha`` as a loss; contributions from
      :func:`cvar_contributions`.

    Contributions sum to the risk at each date; cash (weights summing to less than
    one) is riskless and contributes nothing.

    Parameters
    ----------
    weights : pandas.DataFrame
        Decision dates by assets (e.g. a backtest's ``weights``).
    returns : pandas.DataFrame or MarketData
        Daily simple returns by date, covering every asset of ``weights`` and
        ``window`` days before the first decision date.
    window : int, default 252
    measure : {"volatility", "cvar"}
    alpha : float, default 0.95
        CVaR confidence.

    Returns
    -------
    pandas.DataFrame
        One row per date and asset: ``date, asset, weight, contribution, share, risk``;
        ``share = contribution / risk`` (0 where the risk is 0).

    Examples
    --------
    >>> import riskalloc as ra
    >>> data = ra.MarketData(ra.scenario("bull-2010").prices)
    >>> w = pd.DataFrame(1 / 8, index=data.dates[-3:], columns=data.assets)
    >>> table = risk_contributions_over_time(w, data.returns)
    >>> sums = table.groupby("date")["contribution"].sum()
    >>> bool(np.allclose(sums, table.groupby("date")["risk"].first()))
    True
    """
    measure = _measure(measure)
    if not isinstance(window, int) or window < 2:
        raise ConfigError(
            f"risk contributions: parameter 'window' must be an integer >= 2, got {window!r}"
        )
    if not 0.0 < alpha < 1.0:
        raise ConfigError(f"risk contributions: parameter 'alpha' must be in (0, 1), got {alpha!r}")
    market_returns = returns.returns if isinstance(returns, MarketData) else returns
    missing = [asset for asset in weights.columns if asset not in market_returns.columns]
    if missing:
        raise DataError(
            f"risk contributions: no returns of asset(s) {', '.join(map(str, missing))}"
        )
    if weights.isna().to_numpy().any():
        date = weights.index[weights.isna().any(axis=1).to_numpy()][0]
        raise DataError(f"risk contributions: a weight is missing on {pd.Timestamp(date).date()}")
    scenarios = _return_windows(market_returns[list(weights.columns)], weights.index, window)
    w = weights.to_numpy(dtype=float)
    if measure is ContributionMeasure.VOLATILITY:
        covariance = estimate_covariance(scenarios)
        volatility = portfolio_volatility(w, covariance)
        with np.errstate(invalid="ignore", divide="ignore"):  # all-cash dates: no risk
            daily = risk_contributions(w, covariance)
        contributions = np.where(volatility[:, None] > 0, daily, 0.0) * np.sqrt(PERIODS_PER_YEAR)
        risk = volatility * np.sqrt(PERIODS_PER_YEAR)
    else:
        contributions = cvar_contributions(w, scenarios, alpha)
        risk = conditional_value_at_risk(w, scenarios, alpha)
    shares = np.divide(
        contributions, risk[:, None], out=np.zeros_like(contributions), where=risk[:, None] != 0
    )
    n_dates, n_assets = w.shape
    return pd.DataFrame(
        {
            "date": np.repeat(pd.DatetimeIndex(weights.index), n_assets),
            "asset": np.tile(np.asarray(weights.columns, dtype=object), n_dates),
            "weight": w.ravel(),
            "contribution": contributions.ravel(),
            "share": shares.ravel(),
            "risk": np.repeat(risk, n_assets),
        },
        columns=CONTRIBUTION_COLUMNS,
    )


def _measure(measure: ContributionMeasure | str) -> ContributionMeasure:
    try:
        return ContributionMeasure(str(measure).lower())
    except ValueError:
        choices = ", ".join(m.value for m in ContributionMeasure)
        raise ConfigError(
            f"risk contributions: parameter 'measure' must be one of {choices}, got {measure!r}"
        ) from None


def _return_windows(returns: pd.DataFrame, dates: pd.Index, window: int) -> np.ndarray:
    """``(dates, window, assets)``: the ``window`` returns up to and including each date."""
    dates = pd.DatetimeIndex(dates)
    positions = returns.index.get_indexer(dates)
    if (positions < 0).any():
        raise DataError(
            f"risk contributions: decision date {dates[positions < 0][0].date()} is not a date "
            "of the returns"
        )
    values = returns.to_numpy(dtype=float)
    offsets = np.arange(-window + 1, 1)
    rows = positions[:, None] + offsets[None, :]
    short = rows[:, 0] < 0
    if short.any():
        first = int(np.flatnonzero(short)[0])
        raise DataError(
            f"risk contributions: {positions[first] + 1} returns up to {dates[first].date()}, "
            f"but window={window} needs {window}"
        )
    scenarios = values[rows]
    incomplete = ~np.isfinite(scenarios).all(axis=(1, 2))
    if incomplete.any():
        first = int(np.flatnonzero(incomplete)[0])
        raise DataError(
            f"risk contributions: a return is missing in the {window} days up to "
            f"{dates[first].date()}"
        )
    return scenarios
