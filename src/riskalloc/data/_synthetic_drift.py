"""A market with a persistent, learnable signal: each asset's daily drift a slow AR(1).

See :func:`drift_prices` for the model; ``synthetic:drift:...`` builds it from a spec, and
the ``drift_oracle`` strategy holds what its drifts say.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskalloc.core import ConfigError
from riskalloc.data._synthetic import (
    DEFAULT_START,
    INITIAL_PRICE,
    _asset_names,
    _check_length,
    _dates,
)

__all__ = ["drift_prices"]


def _check_parameter(name: str, value: float, low: float, high: float = np.inf) -> float:
    value = float(value)
    if not low <= value < high:
        if np.isfinite(high):
            bounds = f"in [{low:g}, {high:g})"
        else:
            bounds = f">= {low:g} and finite" if np.isfinite(low) else "finite"
        raise ConfigError(f"{name} must be {bounds}, got {value!r}")
    return value


def drift_prices(
    assets: int = 10,
    days: int = 2520,
    seed: int = 0,
    start: str | pd.Timestamp = DEFAULT_START,
    noise: float = 0.01,
    persistence: float = 0.99,
    signal: float = 0.001,
    mean: float = 0.0001,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Prices whose assets' daily drifts follow a slow AR(1): a persistent, learnable signal.

    Each asset ``i`` has a drift ``m[t, i]``, the expected simple return of the day
    after date ``t`` (from the close of ``t`` to the close of ``t+1``), known at the
    close of ``t``. The drifts are independent stationary AR(1) paths around ``mean``::

        m[0]   = mean + signal * e[0]
        m[t]   = mean + persistence * (m[t-1] - mean) + sqrt(1 - persistence**2) * signal * e[t]
        R[t+1] = P[t+1] / P[t] - 1 = m[t] + noise * z[t+1]
        P[0]   = 100,  P[t] = 100 * (1 + R[1]) * ... * (1 + R[t])

    with ``e`` and ``z`` independent standard normals (across assets and days), so
    each drift has stationary mean ``mean``, standard deviation ``signal`` and lag-k
    autocorrelation ``persistence**k``, and the return noise is i.i.d. ``N(0, noise**2)``
    (covariance ``noise**2 I``). The drift that governs ``R[t+1]`` is a function of
    the draws up to date ``t`` only.

    With the defaults (1 % daily noise, 10 bp drift dispersion, half-life
    ``log 0.5 / log 0.99 = 69`` days, mean 1 bp) an investor who knows the drifts
    earns an annualised Sharpe of about 3 long-only over 10 assets, while 1/N's
    expected Sharpe is ``mean / (noise / sqrt(assets)) * sqrt(252)``, 0.5 at 10 assets.
    A trailing mean of the last months of returns carries part of the signal.

    Parameters
    ----------
    assets : int
        Number of assets, named ``SYN01``, ``SYN02`` ... (zero-padded to the width of ``assets``).
    days : int
        Number of business dates (prices), from ``start``.
    seed : int
        Seed of the draws; the same arguments give the same prices and drifts, bit for bit.
    start : str or Timestamp
        First date.
    noise : float
        Daily standard deviation of the returns around their drifts (``>= 0``).
    persistence : float
        Daily AR(1) coefficient of the drifts, in ``[0, 1)``.
    signal : float
        Stationary standard deviation of each daily drift (``>= 0``).
    mean : float
        Stationary mean of the daily drifts.

    Returns
    -------
    prices, drifts : pandas.DataFrame
        Both business dates by assets; ``drifts.loc[t]`` is the expected return of the
        day after ``t``, known at the close of ``t`` (its last row governs a day past
        the prices).

    Examples
    --------
    >>> prices, drifts = drift_prices(assets=3, days=4, seed=1)
    >>> prices.shape == drifts.shape == (4, 3), float(prices.iloc[0, 0])
    (True, 100.0)
    """
    assets = _check_length("assets", assets, 1)
    days = _check_length("days", days, 2)
    seed = _check_length("seed", seed, 0)
    noise = _check_parameter("noise", noise, 0.0)
    persistence = _check_parameter("persistence", persistence, 0.0, 1.0)
    signal = _check_parameter("signal", signal, 0.0)
    mean = _check_parameter("mean", mean, -np.inf)
    drift_stream, noise_stream = (
        np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(2)
    )
    # One row of draws per day from each stream, so a longer market extends a shorter
    # one with the same seed and assets: its first `days` prices and drifts are the same.
    shocks = drift_stream.standard_normal((days, assets)) * signal
    shocks[1:] *= np.sqrt(1.0 - persistence**2)
    # The recursion d[t] = persistence * d[t-1] + shock[t], d[0] = shock[0] (the
    # stationary draw), run by scipy along the dates (scipy.signal imported here: it
    # takes ~0.7 s, paid by every worker process and CLI start otherwise).
    from scipy.signal import lfilter

    drifts = mean + lfilter([1.0], [1.0, -persistence], shocks, axis=0)
    returns = drifts[:-1] + noise * noise_stream.standard_normal((days - 1, assets))
    if (returns <= -1.0).any():
        row, column = np.argwhere(returns <= -1.0)[0]
        raise ConfigError(
            f"noise={noise:g}, mean={mean:g}, signal={signal:g} draw a return of "
            f"{returns[row, column]:.0%} (at most -100 %) on day {row + 1}; lower them"
        )
    growth = np.vstack([np.ones((1, assets)), 1.0 + returns])
    prices = INITIAL_PRICE * np.cumprod(growth, axis=0)
    dates, names = _dates(start, days), _asset_names(assets)
    return (
        pd.DataFrame(prices, index=dates, columns=names),
        pd.DataFrame(drifts, index=dates.copy(), columns=list(names)),
    )
