"""A Gaussian hidden Markov model of one return series: Baum-Welch fit and a causal filter.

The market switches between regimes (calm, stressed, ...) that are not observed; each
regime ``k`` draws the day's return from ``N(mean_k, variance_k)`` and the regime
follows a Markov chain with transition matrix ``A`` (``A[j, k]`` = P(regime k tomorrow
| regime j today)). :func:`fit_gaussian_hmm` estimates the parameters by
expectation-maximisation (Baum-Welch, Rabiner 1989, with scaled forward-backward
passes) on a training series; :func:`filter_regimes` gives, for each decision date,
the probability of each regime **given the returns up to that date only** (the forward
filter; never the smoothed probabilities, which read the future).

The filter of a date runs over the trailing window of returns ending at it, starting
from the chain's stationary distribution, so a date's probabilities depend on that
window alone: the same for a batch of dates and for one date, and whatever the history
before the window. With persistent regimes the start is forgotten within days.

States are sorted by variance, lowest first, so that state 0 is the calmest regime
whatever the fit's starting point, and a refit keeps the meaning of each state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from riskalloc.core import ConfigError, DataError

__all__ = ["GaussianHMM", "filter_regimes", "fit_gaussian_hmm"]

#: Smallest regime variance, relative to the variance of the whole series.
_VARIANCE_FLOOR = 1e-3
#: Smallest transition probability: no regime is ever impossible to enter.
_TRANSITION_FLOOR = 1e-6


@dataclass(frozen=True)
class GaussianHMM:
    """Parameters of a Gaussian HMM with ``K`` states, sorted by variance (lowest first).

    Attributes
    ----------
    means, variances : numpy.ndarray
        ``(K,)`` per-period mean and variance of the return in each state.
    transition : numpy.ndarray
        ``(K, K)`` row-stochastic: ``transition[j, k]`` = P(state k next | state j now).
    log_likelihood : float
        Of the training series under these parameters (nan when not fitted).
    iterations : int
        EM iterations run.
    """

    means: np.ndarray
    variances: np.ndarray
    transition: np.ndarray
    log_likelihood: float = math.nan
    iterations: int = 0

    @property
    def n_states(self) -> int:
        return len(self.means)

    def stationary(self) -> np.ndarray:
        """The chain's stationary distribution ``pi = pi A`` (the long-run share of each state)."""
        k = self.n_states
        system = np.vstack([self.transition.T - np.eye(k), np.ones((1, k))])
        target = np.zeros(k + 1)
        target[-1] = 1.0
        pi = np.linalg.lstsq(system, target, rcond=None)[0]
        pi = np.clip(pi, 0.0, None)
        return pi / pi.sum()


def _densities(returns: np.ndarray, means: np.ndarray, variances: np.ndarray) -> np.ndarray:
    """``(..., K)`` normal densities of each return under each state."""
    z = (returns[..., None] - means) ** 2 / variances
    return np.exp(-0.5 * z) / np.sqrt(2.0 * np.pi * variances)


@numba.njit(cache=True, nogil=True)
def _forward_backward(densities, transition, start):  # pragma: no cover - compiled
    """Scaled forward-backward: posteriors ``gamma`` (T, K), summed ``xi`` (K, K), log-likelihood."""
    n, k = densities.shape
    alpha = np.empty((n, k))
    scale = np.empty(n)
    previous = start
    for t in range(n):
        total = 0.0
        for j in range(k):
            predicted = 0.0
            if t == 0:
                predicted = start[j]
            else:
                for i in range(k):
                    predicted += previous[i] * transition[i, j]
            alpha[t, j] = predicted * densities[t, j]
            total += alpha[t, j]
        if total <= 0.0:
            total = 1e-300
        scale[t] = total
        for j in range(k):
            alpha[t, j] /= total
        previous = alpha[t]
    beta = np.ones((n, k))
    xi = np.zeros((k, k))
    for t in range(n - 2, -1, -1):
        for i in range(k):
            value = 0.0
            for j in range(k):
                value += transition[i, j] * densities[t + 1, j] * beta[t + 1, j]
            beta[t, i] = value / scale[t + 1]
        for i in range(k):
            for j in range(k):
                xi[i, j] += (
                    alpha[t, i]
                    * transition[i, j]
                    * densities[t + 1, j]
                    * beta[t + 1, j]
                    / scale[t + 1]
                )
    gamma = alpha * beta
    for t in range(n):
        total = 0.0
        for j in range(k):
            total += gamma[t, j]
        for j in range(k):
            gamma[t, j] /= total
    return gamma, xi, np.log(scale).sum()


def _starting_point(returns: np.ndarray, n_states: int) -> GaussianHMM:
    """Deterministic start: state variances at quantiles of the 21-period rolling variance."""
    window = min(21, len(returns))
    squares = np.convolve(returns**2, np.ones(window) / window, mode="valid")
    quantiles = (np.arange(n_states) + 0.5) / n_states
    variances = np.maximum(np.quantile(squares, quantiles), returns.var() * _VARIANCE_FLOOR)
    stay = 0.98 if n_states > 1 else 1.0
    transition = np.full((n_states, n_states), (1 - stay) / max(n_states - 1, 1))
    np.fill_diagonal(transition, stay)
    return GaussianHMM(np.full(n_states, returns.mean()), variances, transition)


def fit_gaussian_hmm(
    returns: np.ndarray,
    n_states: int,
    *,
    max_iter: int = 200,
    tol: float = 1e-7,
    start: GaussianHMM | None = None,
) -> GaussianHMM:
    """Maximum-likelihood Gaussian HMM of ``returns`` by EM (Baum-Welch).

    Parameters
    ----------
    returns : array of shape (T,)
        One return per period, finite.
    n_states : int
        States ``K >= 1``; one state is a single normal distribution.
    max_iter, tol : int, float
        Stop after ``max_iter`` iterations or when the log-likelihood improves by less
        than ``tol`` per period.
    start : GaussianHMM, optional
        Parameters to start from (a refit on a longer history warm-starts from the
        last fit); by default a deterministic start from the rolling variance.

    Returns the fit with states sorted by variance. The first state's probability is
    the stationary distribution of the current transition matrix, so the fitted
    chain describes a market observed in its long-run state.
    """
    values = np.asarray(returns, dtype=np.float64)
    if values.ndim != 1 or len(values) < 2 * max(n_states, 2):
        raise DataError(
            f"fit_gaussian_hmm: needs a 1-D series of at least {2 * max(n_states, 2)} returns, "
            f"got shape {values.shape}"
        )
    if not np.isfinite(values).all():
        raise DataError("fit_gaussian_hmm: returns must be finite")
    if not (isinstance(n_states, int | np.integer) and n_states >= 1):
        raise ConfigError(
            f"fit_gaussian_hmm: n_states must be a positive integer, got {n_states!r}"
        )
    floor = max(values.var(), 1e-300) * _VARIANCE_FLOOR
    model = start if start is not None and start.n_states == n_states else None
    model = model or _starting_point(values, n_states)
    means, variances, transition = (
        model.means.copy(),
        model.variances.copy(),
        model.transition.copy(),
    )
    previous = -np.inf
    iterations = 0
    likelihood = -np.inf
    for iteration in range(1, max_iter + 1):
        iterations = iteration
        stationary = GaussianHMM(means, variances, transition).stationary()
        gamma, xi, likelihood = _forward_backward(
            _densities(values, means, variances), transition, stationary
        )
        weight = gamma.sum(axis=0) + 1e-300
        means = gamma.T @ values / weight
        variances = np.maximum((gamma * (values[:, None] - means) ** 2).sum(axis=0) / weight, floor)
        if n_states > 1:
            transition = np.maximum(xi / xi.sum(axis=1, keepdims=True), _TRANSITION_FLOOR)
            transition /= transition.sum(axis=1, keepdims=True)
        if likelihood - previous < tol * len(values):
            break
        previous = likelihood
    order = np.argsort(variances, kind="stable")
    return GaussianHMM(
        means[order],
        variances[order],
        transition[np.ix_(order, order)],
        float(likelihood),
        iterations,
    )


def filter_regimes(model: GaussianHMM, windows: np.ndarray) -> np.ndarray:
    """P(state at the last period of each window | the window's returns): ``(D, K)``.

    ``windows`` ``(D, W)``: for each decision date the ``W`` returns up to and including
    it. The forward filter starts from the stationary distribution at the window's
    first period and reads nothing after its last.
    """
    values = np.asarray(windows, dtype=np.float64)
    if values.ndim != 2:
        raise DataError(f"filter_regimes: windows must be (dates, window), got {values.shape}")
    densities = _densities(values, model.means, model.variances)  # (D, W, K)
    probabilities = np.broadcast_to(model.stationary(), (len(values), model.n_states))
    for t in range(values.shape[1]):
        if t > 0:
            probabilities = probabilities @ model.transition
        joint = probabilities * densities[:, t]
        total = joint.sum(axis=1, keepdims=True)
        # A return impossible under every state (beyond float range): keep the prediction.
        probabilities = np.where(total > 0, joint / np.where(total > 0, total, 1.0), probabilities)
    return np.ascontiguousarray(probabilities)
