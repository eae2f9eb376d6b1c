"""Covariance and expected-return estimators over stacks of return windows.

Every function takes ``windows`` of shape ``(dates, window, assets)``: for each
decision date, the ``window`` most recent daily returns up to and including it
(see :meth:`riskalloc.MarketData.return_windows`). All dates are estimated in
one array operation.
"""

from __future__ import annotations

import enum

import numpy as np

from riskalloc.core import ConfigError

__all__ = [
    "CovarianceEstimator",
    "MeanEstimator",
    "estimate_covariance",
    "estimate_mean",
    "ewma_weights",
    "regularise_covariance",
]


class CovarianceEstimator(enum.StrEnum):
    SAMPLE = "sample"
    LEDOIT_WOLF = "ledoit_wolf"
    EWMA = "ewma"


class MeanEstimator(enum.StrEnum):
    SAMPLE = "sample"
    EWMA = "ewma"


def ewma_weights(window: int, half_life: float) -> np.ndarray:
    """Observation weights ``0.5 ** (age / half_life)`` (age 0 = the decision date), summing to one."""
    if not half_life > 0:
        raise ConfigError(f"half_life must be > 0, got {half_life}")
    age = np.arange(window - 1, -1, -1, dtype=float)
    weights = 0.5 ** (age / half_life)
    return weights / weights.sum()


def estimate_mean(
    windows: np.ndarray, method: MeanEstimator | str = MeanEstimator.SAMPLE, half_life: float = 20.0
) -> np.ndarray:
    """Expected daily returns ``(dates, assets)``: the window mean, or an EWMA mean."""
    method = MeanEstimator(method)
    if method is MeanEstimator.SAMPLE:
        return windows.mean(axis=1)
    weights = ewma_weights(windows.shape[1], half_life)
    return np.einsum("t,dtn->dn", weights, windows)


def estimate_covariance(
    windows: np.ndarray,
    method: CovarianceEstimator | str = CovarianceEstimator.SAMPLE,
    half_life: float = 20.0,
) -> np.ndarray:
    """Daily covariance matrices ``(dates, assets, assets)``.

    - ``sample``: ``X'X / (T - 1)`` of the demeaned window (``ddof=1``), so that
      ``w' S w`` is exactly the sample variance of the portfolio's window returns;
    - ``ledoit_wolf``: shrinkage towards ``mu * I`` with the Ledoit-Wolf (2004)
      intensity, as ``sklearn.covariance.ledoit_wolf`` computes it (biased
      ``X'X / T`` empirical covariance);
    - ``ewma``: weights ``0.5 ** (age / half_life)`` normalised to one, around the
      weighted mean, divided by ``1 - sum(w²)`` so that it is unbiased.
    """
    method = CovarianceEstimator(method)
    n_obs = windows.shape[1]
    if method is CovarianceEstimator.EWMA:
        weights = ewma_weights(n_obs, half_life)
        centred = windows - np.einsum("t,dtn->dn", weights, windows)[:, None, :]
        # sqrt(weight) on both factors: one product per entry, so the matrix is exactly
        # symmetric (w * x_i * x_j rounds differently from w * x_j * x_i).
        scaled = centred * np.sqrt(weights)[None, :, None]
        covariance = np.einsum("dti,dtj->dij", scaled, scaled)
        return covariance / (1.0 - np.square(weights).sum())
    centred = windows - windows.mean(axis=1, keepdims=True)
    cross = np.einsum("dti,dtj->dij", centred, centred)
    if method is CovarianceEstimator.SAMPLE:
        return cross / (n_obs - 1)
    return _ledoit_wolf(centred, cross)


def _ledoit_wolf(centred: np.ndarray, cross: np.ndarray) -> np.ndarray:
    n_obs, n_assets = centred.shape[1], centred.shape[2]
    empirical = cross / n_obs
    trace = np.trace(empirical, axis1=1, axis2=2)
    mu = trace / n_assets
    squared = centred**2
    beta_sum = np.einsum("dti,dtj->dij", squared, squared).sum(axis=(1, 2))
    delta_sum = np.square(cross).sum(axis=(1, 2)) / n_obs**2
    beta = (beta_sum / n_obs - delta_sum) / (n_assets * n_obs)
    delta = (delta_sum - 2.0 * mu * trace + n_assets * mu**2) / n_assets
    beta = np.minimum(beta, delta)
    shrinkage = np.where(delta > 0, beta / np.where(delta > 0, delta, 1.0), 0.0)
    target = mu[:, None, None] * np.eye(n_assets)
    return (1.0 - shrinkage)[:, None, None] * empirical + shrinkage[:, None, None] * target


def regularise_covariance(
    covariance: np.ndarray, relative_floor: float = 1e-10
) -> tuple[np.ndarray, np.ndarray]:
    """Make every matrix positive definite, and say which ones needed it.

    A window with more assets than days, or an asset whose price did not move,
    gives a singular matrix. Those matrices get a ridge ``delta * I`` with
    ``delta = relative_floor * mean(diag) - min(eigenvalue)`` (at least the floor),
    which moves well-conditioned parts by a negligible amount; a zero-variance
    asset gets the floor as its variance.

    Returns the matrices and a boolean mask of the regularised ones.
    """
    covariance = 0.5 * (covariance + np.swapaxes(covariance, -1, -2))
    scale = np.trace(covariance, axis1=-2, axis2=-1) / covariance.shape[-1]
    scale = np.where(scale > 0, scale, 1.0)
    smallest = np.linalg.eigvalsh(covariance)[:, 0]
    floor = relative_floor * scale
    needs = smallest < floor
    if needs.any():
        ridge = np.where(needs, floor - np.minimum(smallest, 0.0) + floor, 0.0)
        covariance = covariance + ridge[:, None, None] * np.eye(covariance.shape[-1])
    return covariance, needs
