"""Rolling one-day-ahead VaR and CVaR forecasts of a return series.

Sign convention (riskalloc's one, :mod:`riskalloc.core`): VaR and CVaR are
*positive losses*. A 95 % VaR of 0.021 says "on 5 % of days we expect to lose
2.1 % or more"; the day is a violation when its loss exceeds the forecast
(its return falls strictly below ``-VaR``). The optimisers, the limits and the
evaluator state them the same way.
"""

from __future__ import annotations

import enum
from functools import cache

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from scipy import integrate, stats

from riskalloc.core import ConfigError, DataError, conditional_value_at_risk, value_at_risk

__all__ = ["VaRMethod", "forecast_var"]


class VaRMethod(enum.StrEnum):
    """How the return distribution of the next day is modelled from a window of the past."""

    HISTORICAL = "historical"
    GAUSSIAN = "gaussian"
    CORNISH_FISHER = "cornish_fisher"


def forecast_var(
    returns: pd.Series,
    confidence: float = 0.95,
    method: VaRMethod = VaRMethod.HISTORICAL,
    window: int = 250,
) -> pd.DataFrame:
    r"""Rolling, causal one-day-ahead VaR and CVaR forecasts, as positive losses.

    The row dated ``t`` is computed from the ``window`` returns up to and
    including ``t`` and is the forecast for the *next* day ``t + 1``. The first
    ``window - 1`` rows have too little history and are NaN. With
    ``alpha = 1 - confidence``, per window of returns ``r`` (losses ``-r``):

    ``historical``
        ``VaR`` the ``ceil(confidence * window)``-th smallest loss, with no
        interpolation, and ``CVaR`` Rockafellar-Uryasev's (the mean loss of the
        worst ``alpha`` share of days, the boundary day counted fractionally):
        exactly the evaluator's :func:`~riskalloc.evaluation.value_at_risk` and
        :func:`~riskalloc.evaluation.conditional_value_at_risk` on that window.
    ``gaussian``
        ``VaR = -(mu + sigma z)``, ``CVaR = -(mu - sigma phi(z) / alpha)`` with
        ``z = Phi^{-1}(alpha)``, ``mu`` the mean and ``sigma`` the standard
        deviation (``ddof=1``) of the window.
    ``cornish_fisher``
        ``VaR = -(mu + sigma q(alpha))`` with the Cornish-Fisher quantile

        .. math::

            q(p) = z + (z^2 - 1) S / 6 + (z^3 - 3 z) K / 24 - (2 z^3 - 5 z) S^2 / 36,
            \quad z = \Phi^{-1}(p),

        ``S`` the sample skewness ``m3 / m2^{3/2}`` and ``K`` the sample excess
        kurtosis ``m4 / m2^2 - 3`` (moment estimators, as ``scipy.stats.skew``
        and ``scipy.stats.kurtosis`` by default). CVaR averages the CF quantile
        over the tail, ``CVaR = -(mu + sigma / alpha * int_0^alpha q(p) dp)``; with
        ``p = Phi(u)`` this is ``int_{-inf}^{z_alpha} q(Phi(u)) phi(u) du``,
        integrated numerically (``scipy.integrate.quad``) once per basis term of
        ``q`` and then combined with each window's ``S`` and ``K``. The
        expansion is only a distribution where ``q`` is increasing (moderate
        ``S`` and ``K``); outside it the numbers are what the formula gives.

    Parameters
    ----------
    returns : daily simple returns indexed by date, without missing values
    confidence : VaR confidence level in (0, 1), e.g. 0.95 or 0.99
    method : the distribution model, a :class:`VaRMethod`
    window : number of past returns (including the current day) in each estimate

    Returns
    -------
    DataFrame with columns ``var`` and ``cvar``, positive losses (``cvar >= var``), on the
    index of ``returns``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> dates = pd.bdate_range("2020-01-01", periods=500)
    >>> returns = pd.Series(np.random.default_rng(0).normal(0, 0.01, 500), index=dates)
    >>> forecast = forecast_var(returns, 0.99, VaRMethod.GAUSSIAN, window=250)
    >>> bool(forecast["var"].iloc[249:].gt(0.02).all())
    True
    """
    method = VaRMethod(method)
    values = _validated_values(returns, confidence, window)
    windows = sliding_window_view(values, window)  # (dates - window + 1, window), a view
    alpha = 1.0 - confidence
    if method is VaRMethod.HISTORICAL:
        var, cvar = _historical(windows, alpha)
    else:
        mean = windows.mean(axis=1)
        centred = windows - mean[:, None]
        squared = centred * centred  # products, not powers: several times faster
        m2 = squared.mean(axis=1)
        sigma = np.sqrt(m2 * window / (window - 1))
        z = float(stats.norm.ppf(alpha))
        if method is VaRMethod.GAUSSIAN:
            var_z = np.full_like(mean, z)
            cvar_z = np.full_like(mean, -stats.norm.pdf(z) / alpha)
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                skew = np.mean(squared * centred, axis=1) / m2**1.5
                excess_kurtosis = np.mean(squared * squared, axis=1) / m2**2 - 3.0
            # A constant window has no shape; its forecast is its value, as for the Gaussian.
            flat = m2 == 0
            skew[flat] = 0.0
            excess_kurtosis[flat] = 0.0
            var_z = _cornish_fisher_quantile(z, skew, excess_kurtosis)
            cvar_z = _cornish_fisher_tail_mean(alpha, skew, excess_kurtosis)
        var, cvar = mean + sigma * var_z, mean + sigma * cvar_z
    forecast = np.full((len(values), 2), np.nan)
    # Quantiles of returns above; the forecasts are the losses they imply.
    forecast[window - 1 :, 0] = -var
    forecast[window - 1 :, 1] = -cvar
    return pd.DataFrame(forecast, index=returns.index, columns=["var", "cvar"])


def _validated_values(returns: pd.Series, confidence: float, window: int) -> np.ndarray:
    if not 0.0 < confidence < 1.0:
        raise ConfigError(f"confidence must lie in (0, 1), e.g. 0.95; got {confidence}")
    if int(window) != window or window < 2:
        raise ConfigError(f"window must be an integer of at least 2 returns; got {window}")
    values = np.asarray(returns, dtype=float)
    if values.ndim != 1:
        raise ConfigError("returns must be one series (a pd.Series of one asset or portfolio)")
    missing = np.isnan(values)
    if missing.any():
        first = returns.index[int(np.argmax(missing))] if hasattr(returns, "index") else None
        raise DataError(
            f"returns has {int(missing.sum())} missing value(s), the first at {first}; "
            "drop or fill them before forecasting VaR"
        )
    if len(values) < window:
        raise ConfigError(
            f"returns has {len(values)} observations, fewer than one window of {window}; "
            "pass a longer series or a shorter window"
        )
    return values


def _historical(windows: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    # The evaluator's own VaR and CVaR of each window, returned as (negated) return quantiles.
    confidence = 1.0 - alpha
    return -value_at_risk(windows, confidence), -conditional_value_at_risk(windows, confidence)


def _cornish_fisher_quantile(
    z: float | np.ndarray, skew: np.ndarray, excess_kurtosis: np.ndarray
) -> np.ndarray:
    """Cornish-Fisher quantile of a standardised variable, ``q = sum_k basis_k(z) coef_k``."""
    return (
        z
        + (z**2 - 1.0) * skew / 6.0
        + (z**3 - 3.0 * z) * excess_kurtosis / 24.0
        - (2.0 * z**3 - 5.0 * z) * skew**2 / 36.0
    )


def _cornish_fisher_tail_mean(
    alpha: float, skew: np.ndarray, excess_kurtosis: np.ndarray
) -> np.ndarray:
    """``1/alpha * int_0^alpha q(p) dp`` for every window, from four integrals done once."""
    unit, quadratic, cubic, mixed = _tail_integrals(alpha)
    return (
        unit + quadratic * skew / 6.0 + cubic * excess_kurtosis / 24.0 - mixed * skew**2 / 36.0
    ) / alpha


@cache
def _tail_integrals(alpha: float) -> tuple[float, float, float, float]:
    # int_{-inf}^{z_alpha} b(u) phi(u) du for the basis polynomials b of q, i.e.
    # int_0^alpha b(Phi^{-1}(p)) dp after substituting p = Phi(u): quad handles the
    # infinite lower limit, where the integrand in p would be singular.
    z_alpha = float(stats.norm.ppf(alpha))
    basis = (
        lambda u: u,
        lambda u: u**2 - 1.0,
        lambda u: u**3 - 3.0 * u,
        lambda u: 2.0 * u**3 - 5.0 * u,
    )
    return tuple(  # type: ignore[return-value]
        integrate.quad(lambda u, b=b: b(u) * stats.norm.pdf(u), -np.inf, z_alpha, epsabs=1e-13)[0]
        for b in basis
    )
