"""Synthetic markets for stress, scale and learnability: regime-switching Gaussian paths,
block bootstraps, and markets whose drifts follow a slow AR(1).

Every generator returns business-day adjusted close prices that start at 100,
exactly like a bundled dataset, so every command takes them through
``--dataset synthetic:GENERATOR:key=value,key=value`` (see ``_synthetic_spec.py``).
The same generator, parameters and seed give the same prices, bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskalloc.core import PERIODS_PER_YEAR, ConfigError

__all__ = [
    "DEFAULT_REGIMES",
    "Regime",
    "block_bootstrap_prices",
    "regime_path",
    "regime_switching_prices",
    "stationary_bootstrap_rows",
]

DEFAULT_START = "2000-01-03"
INITIAL_PRICE = 100.0


@dataclass(frozen=True)
class Regime:
    """One state of the hidden Markov chain: a Gaussian market of daily log returns.

    On a day in this regime every asset's log return is
    ``mean/252 + volatility/sqrt(252) * (sqrt(correlation) * f + sqrt(1 - correlation) * e_i)``
    with ``f`` (the common factor) and ``e_i`` independent standard normals, so
    each pair of assets has the constant ``correlation``.

    Parameters
    ----------
    name : str
        Label of the regime in :func:`regime_path`.
    mean : float
        Annualised mean of the daily log returns (252 trading days).
    volatility : float
        Annualised standard deviation of the daily log returns (``sqrt(252)`` scaling).
    correlation : float
        Pairwise correlation of the assets' daily log returns, in ``[0, 1]``.
    persistence : float
        Probability of staying in this regime the next day, in ``[0, 1)``; the mean
        spell lasts ``1 / (1 - persistence)`` days. Leaving, the chain moves to each
        other regime with equal probability.
    """

    name: str
    mean: float
    volatility: float
    correlation: float
    persistence: float


#: Calm (mean spell 100 days) and stressed (mean spell 20 days, ~17 % of the time).
DEFAULT_REGIMES: tuple[Regime, ...] = (
    Regime("calm", mean=0.08, volatility=0.15, correlation=0.3, persistence=0.99),
    Regime("stressed", mean=-0.20, volatility=0.40, correlation=0.7, persistence=0.95),
)


def _check_length(name: str, value: int, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _transition_matrix(regimes: Sequence[Regime]) -> np.ndarray:
    if not regimes:
        raise ConfigError("regimes: give at least one regime")
    names = [regime.name for regime in regimes]
    if len(set(names)) != len(names):
        raise ConfigError(f"regimes: names must be unique, got {', '.join(names)}")
    for regime in regimes:
        if not np.isfinite(regime.mean):
            raise ConfigError(f"regime '{regime.name}': mean must be finite, got {regime.mean}")
        if not regime.volatility >= 0 or not np.isfinite(regime.volatility):
            raise ConfigError(
                f"regime '{regime.name}': volatility must be >= 0, got {regime.volatility}"
            )
        if not 0 <= regime.correlation <= 1:
            raise ConfigError(
                f"regime '{regime.name}': correlation must be in [0, 1], got {regime.correlation}"
            )
        if len(regimes) > 1 and not 0 <= regime.persistence < 1:
            raise ConfigError(
                f"regime '{regime.name}': persistence must be in [0, 1), got {regime.persistence}"
            )
    count = len(regimes)
    if count == 1:
        return np.ones((1, 1))
    stay = np.array([regime.persistence for regime in regimes], dtype=float)
    matrix = np.repeat(((1 - stay) / (count - 1))[:, None], count, axis=1)
    np.fill_diagonal(matrix, stay)
    return matrix


def _stationary_distribution(matrix: np.ndarray) -> np.ndarray:
    # pi P = pi with sum(pi) = 1: a least-squares solve of the stacked system.
    count = len(matrix)
    system = np.vstack([matrix.T - np.eye(count), np.ones(count)])
    target = np.append(np.zeros(count), 1.0)
    return np.linalg.lstsq(system, target, rcond=None)[0].clip(0.0)


def _streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    # Two independent streams: the regime path does not depend on the number of assets.
    regime_seed, returns_seed = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(regime_seed), np.random.default_rng(returns_seed)


def _dates(start: str | pd.Timestamp, days: int) -> pd.DatetimeIndex:
    try:
        first = pd.Timestamp(start)
    except (ValueError, TypeError) as error:
        raise ConfigError(f"start: cannot read date {start!r}") from error
    return pd.bdate_range(first, periods=days, name="date")


def _regime_states(days: int, regimes: Sequence[Regime], seed: int) -> np.ndarray:
    matrix = _transition_matrix(regimes)
    rng, _ = _streams(seed)
    cumulative = np.cumsum(matrix, axis=1)
    cumulative[:, -1] = 1.0  # rounding must never leave a draw past the last regime
    initial = np.cumsum(_stationary_distribution(matrix))
    initial[-1] = 1.0
    draws = rng.random(days)
    states = np.empty(days, dtype=np.intp)
    # The chain starts in its stationary distribution, so every day is alike in law.
    states[0] = np.searchsorted(initial, draws[0], side="right")
    for day in range(1, days):  # sequential by nature; ~1 µs a day
        states[day] = np.searchsorted(cumulative[states[day - 1]], draws[day], side="right")
    return states


def regime_path(
    days: int = 2520,
    regimes: Sequence[Regime] = DEFAULT_REGIMES,
    seed: int = 0,
    start: str | pd.Timestamp = DEFAULT_START,
) -> pd.Series:
    """The hidden regime of each date behind :func:`regime_switching_prices`.

    With the same ``days``, ``regimes``, ``seed`` and ``start`` this is exactly the
    path the prices were drawn from (it does not depend on the number of assets).
    The return of date ``t`` (from ``t-1`` to ``t``) is drawn in the regime of ``t``.

    Returns
    -------
    pandas.Series
        Regime names by business date.

    Examples
    --------
    >>> regime_path(days=5, seed=0).index[0]
    Timestamp('2000-01-03 00:00:00')
    """
    days = _check_length("days", days, 2)
    seed = _check_length("seed", seed, 0)
    states = _regime_states(days, regimes, seed)
    names = np.array([regime.name for regime in regimes], dtype=object)
    return pd.Series(names[states], index=_dates(start, days), name="regime")


def _asset_names(count: int) -> list[str]:
    width = max(2, len(str(count)))
    return [f"SYN{number:0{width}d}" for number in range(1, count + 1)]


def regime_switching_prices(
    assets: int = 10,
    days: int = 2520,
    regimes: Sequence[Regime] = DEFAULT_REGIMES,
    seed: int = 0,
    start: str | pd.Timestamp = DEFAULT_START,
) -> pd.DataFrame:
    """Prices from a hidden Markov chain of Gaussian market regimes.

    Each day the chain stays in its regime with that regime's ``persistence``
    (see :class:`Regime`); the day's log returns are one draw of the regime's
    one-factor Gaussian. Prices start at 100:
    ``P[t] = 100 * exp(r[1] + ... + r[t])``. :func:`regime_path` gives the regimes.

    Parameters
    ----------
    assets : int
        Number of assets, named ``SYN01``, ``SYN02`` ... (zero-padded to the width of ``assets``).
    days : int
        Number of business dates (prices), from ``start``.
    regimes : sequence of Regime
        The states of the chain; default calm and stressed (:data:`DEFAULT_REGIMES`).
    seed : int
        Seed of the draws; the same arguments give the same prices, bit for bit.
    start : str or Timestamp
        First date.

    Returns
    -------
    pandas.DataFrame
        Business dates by assets. 2,000 assets x 2,520 days take about a second (40 MB).

    Examples
    --------
    >>> prices = regime_switching_prices(assets=3, days=4, seed=1)
    >>> list(prices.columns), float(prices.iloc[0, 0])
    (['SYN01', 'SYN02', 'SYN03'], 100.0)
    """
    assets = _check_length("assets", assets, 1)
    days = _check_length("days", days, 2)
    seed = _check_length("seed", seed, 0)
    states = _regime_states(days, regimes, seed)[1:]
    _, rng = _streams(seed)
    # One row of draws per day (the common factor first), so a longer market extends a
    # shorter one with the same seed: its first `days` prices are the shorter one's.
    draws = rng.standard_normal((days - 1, assets + 1))
    factor, log_returns = draws[:, 0], draws[:, 1:]
    daily_mean = np.array([regime.mean for regime in regimes]) / PERIODS_PER_YEAR
    daily_volatility = np.array([regime.volatility for regime in regimes]) / np.sqrt(
        PERIODS_PER_YEAR
    )
    correlation = np.array([regime.correlation for regime in regimes], dtype=float)
    loading = (daily_volatility * np.sqrt(correlation))[states]
    idiosyncratic = (daily_volatility * np.sqrt(1.0 - correlation))[states]
    # In place, to keep one (days x assets) array alive at 2,000 assets.
    log_returns *= idiosyncratic[:, None]
    log_returns += (daily_mean[states] + loading * factor)[:, None]
    prices = np.empty((days, assets))
    prices[0] = 0.0
    np.cumsum(log_returns, axis=0, out=prices[1:])
    np.exp(prices, out=prices)
    prices *= INITIAL_PRICE
    return pd.DataFrame(prices, index=_dates(start, days), columns=_asset_names(assets), copy=False)


def stationary_bootstrap_rows(
    n_rows: int, length: int, block: float, rng: np.random.Generator
) -> np.ndarray:
    """Row numbers of a stationary (Politis–Romano) bootstrap of ``n_rows`` rows.

    A new block starts each day with probability ``1 / block`` (so block lengths
    are geometric with mean ``block``) at a uniformly drawn row; otherwise the
    next row follows the previous one, wrapping from the last row to the first.
    """
    if not block >= 1:
        raise ConfigError(f"block must be >= 1 (the mean block length in days), got {block}")
    # One (coin, row) draw per day from two streams, so a longer bootstrap extends a
    # shorter one with the same generator state.
    coin_stream, row_stream = rng.spawn(2)
    starts = coin_stream.random(length) < 1.0 / block
    starts[0] = True
    candidate_rows = row_stream.integers(0, n_rows, size=length)
    first_day = np.maximum.accumulate(np.where(starts, np.arange(length), 0))
    return (candidate_rows[first_day] + np.arange(length) - first_day) % n_rows


def block_bootstrap_prices(
    source_prices: pd.DataFrame,
    days: int = 2520,
    block: float = 20.0,
    seed: int = 0,
    start: str | pd.Timestamp = DEFAULT_START,
    source_start: str | None = None,
    source_end: str | None = None,
) -> pd.DataFrame:
    """Prices whose daily return vectors are a stationary block bootstrap of ``source_prices``.

    Whole rows of the source's simple returns (every asset on one day) are
    resampled in blocks of random length with mean ``block`` days
    (:func:`stationary_bootstrap_rows`), which keeps the cross-asset correlation
    and the volatility clustering within blocks. Prices start at 100:
    ``P[t] = 100 * (1 + R[1]) * ... * (1 + R[t])``.

    This is the generator; :func:`riskalloc.data.bootstrap_prices` also takes a
    bundled dataset's name and an asset subset.

    Parameters
    ----------
    source_prices : pandas.DataFrame
        Dates by assets, adjusted close prices (e.g. a bundled dataset).
    days : int
        Number of business dates (prices), from ``start``; may exceed the source's length.
    block : float
        Mean block length in days (>= 1; 1 is the i.i.d. bootstrap of days).
    seed : int
        Seed of the draws; the same arguments give the same prices, bit for bit.
    start : str or Timestamp
        First date of the synthetic prices.
    source_start, source_end : str, optional
        Resample only the source's returns dated within these bounds (e.g. 2007..2009).

    Returns
    -------
    pandas.DataFrame
        Business dates by the source's asset names.

    Examples
    --------
    >>> source = pd.DataFrame({"A": [1.0, 1.1, 1.0], "B": [2.0, 2.0, 2.2]})
    >>> block_bootstrap_prices(source, days=3, seed=0).shape
    (3, 2)
    """
    days = _check_length("days", days, 2)
    seed = _check_length("seed", seed, 0)
    returns = (source_prices / source_prices.shift(1) - 1.0).iloc[1:]
    # A return needs both prices: bounding the dates after computing keeps the first row.
    returns = returns.loc[source_start:source_end].dropna(how="any")
    if len(returns) < 2:
        raise ConfigError(
            f"source: the prices have {len(returns)} complete daily returns between "
            f"{source_start or 'their start'} and {source_end or 'their end'}; need at least 2"
        )
    rng = np.random.default_rng(seed)
    rows = stationary_bootstrap_rows(len(returns), days - 1, float(block), rng)
    growth = np.vstack([np.ones((1, returns.shape[1])), 1.0 + returns.to_numpy()[rows]])
    prices = INITIAL_PRICE * np.cumprod(growth, axis=0)
    return pd.DataFrame(prices, index=_dates(start, days), columns=returns.columns.copy())
