r"""Is one strategy really better? Bootstrap tests robust to autocorrelation.

- :func:`sharpe_difference_test`: two strategies, H0 equal Sharpe ratios
  (Ledoit and Wolf 2008, studentised circular block bootstrap).
- :func:`spa_test`: many strategies against one benchmark, H0 none beats it
  (Hansen 2005, superior predictive ability, via ``arch.bootstrap.SPA``).

Both take daily simple returns of the same days (paired); series with an
index are aligned on their common dates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskalloc.evaluation._metrics import periods_of, sharpe_ratio

__all__ = ["SPATest", "SharpeDifferenceTest", "sharpe_difference_test", "spa_test"]


@dataclass(frozen=True)
class SharpeDifferenceTest:
    """Result of :func:`sharpe_difference_test`; Sharpe figures annualised."""

    difference: float
    standard_error: float
    p_value: float
    block_size: int
    n_bootstrap: int


@dataclass(frozen=True)
class SPATest:
    """Hansen's SPA p-values: ``consistent`` is the test; ``lower`` and ``upper`` bound it."""

    consistent: float
    lower: float
    upper: float
    block_size: int
    n_bootstrap: int


def sharpe_difference_test(
    returns_a: pd.Series | np.ndarray,
    returns_b: pd.Series | np.ndarray,
    n_bootstrap: int = 1000,
    seed: int = 0,
    block_size: int | None = None,
    periods_per_year: int | None = None,
) -> SharpeDifferenceTest:
    r"""Test H0 ``Sharpe_a = Sharpe_b`` on paired daily returns (Ledoit and Wolf 2008).

    With ``v = (E a, E b, E a^2, E b^2)`` and ``SR = mu / sqrt(E r^2 - mu^2)``
    (per day), the difference ``D = f(v) = SR_a - SR_b`` has the delta-method
    standard error ``se = sqrt(grad f' Psi grad f / T)``, where ``Psi`` is the
    long-run covariance of ``y_t = (a_t, b_t, a_t^2, b_t^2)``:

    .. math::

        \nabla f = \left(\frac{E a^2}{\sigma_a^3}, -\frac{E b^2}{\sigma_b^3},
        -\frac{\mu_a}{2\sigma_a^3}, \frac{\mu_b}{2\sigma_b^3}\right).

    ``Psi`` is the block-sums estimator with block length ``l``,
    ``Psi = mean_j zeta_j zeta_j'``, ``zeta_j = l^{-1/2} sum_{t in block j} (y_t - ybar)``:
    over all overlapping blocks on the sample, and over the resample's own
    blocks on each circular block bootstrap resample (Götze and Künsch 1996, as
    in Ledoit and Wolf). The p-value compares the studentised statistic with its
    bootstrap distribution centred on the sample estimate,
    ``p = (1 + #{|D* - D| / se* >= |D| / se}) / (1 + n_bootstrap)``.

    Parameters
    ----------
    returns_a, returns_b : daily simple returns of the two strategies on the same days
    n_bootstrap : number of bootstrap resamples
    seed : seed of the bootstrap's random generator
    block_size : block length in days; default the largest Politis-White
        circular-bootstrap length of the four columns of ``y``, rounded up
    periods_per_year : periods a year for the annualised figures (default: read from
        the dates of ``returns_a``, else 252)

    Returns
    -------
    :class:`SharpeDifferenceTest` with the difference of annualised Sharpe
    ratios by :func:`~riskalloc.evaluation.sharpe_ratio` (``ddof=1``; the test
    itself uses the plug-in moments above, which differ by a factor
    ``sqrt((T-1)/T)``), its annualised standard error, and the p-value.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(0.0015, 0.01, (2, 1500))
    >>> b -= 0.0015
    >>> sharpe_difference_test(a, b, n_bootstrap=500).p_value < 0.01
    True
    """
    periods = periods_of(returns_a, periods_per_year)
    pair = _paired(returns_a, returns_b)
    if len(pair) < 10:
        raise ValueError(f"only {len(pair)} paired days of returns; need at least 10")
    if n_bootstrap < 1:
        raise ValueError(f"n_bootstrap must be at least 1; got {n_bootstrap}")
    moments = np.column_stack([pair, pair**2])  # y_t = (a, b, a², b²)
    # arch is imported on use (~0.5 s, paid by every worker process and CLI start).
    from arch.bootstrap import CircularBlockBootstrap, optimal_block_length

    if block_size is None:
        lengths = optimal_block_length(moments)["circular"].to_numpy()
        block_size = max(1, int(np.ceil(np.nanmax(lengths))))
    if not 1 <= block_size <= len(pair) // 2:
        raise ValueError(f"block_size must lie in [1, {len(pair) // 2}]; got {block_size}")
    difference, standard_error = _studentised_parts(moments, _overlapping_blocks(block_size))
    annual = np.sqrt(periods)
    reported = sharpe_ratio(pair[:, 0], 0.0, periods) - sharpe_ratio(pair[:, 1], 0.0, periods)
    if standard_error == 0:
        # Identical series (or both constant): nothing to tell apart.
        return SharpeDifferenceTest(reported, 0.0, 1.0, block_size, n_bootstrap)
    statistic = abs(difference) / standard_error

    def centred_statistic(sample: np.ndarray) -> float:
        draw, error = _studentised_parts(sample, _consecutive_blocks(block_size))
        return abs(draw - difference) / error if error > 0 else np.inf

    bootstrap = CircularBlockBootstrap(block_size, moments, seed=seed)
    draws = bootstrap.apply(centred_statistic, n_bootstrap)[:, 0]
    p_value = (1.0 + np.sum(draws >= statistic)) / (1.0 + n_bootstrap)
    return SharpeDifferenceTest(
        difference=float(reported),
        standard_error=float(standard_error * annual),
        p_value=float(p_value),
        block_size=int(block_size),
        n_bootstrap=int(n_bootstrap),
    )


def spa_test(
    strategy_returns: pd.DataFrame,
    benchmark_returns: pd.Series,
    seed: int = 0,
    reps: int = 1000,
    block_size: int | None = None,
) -> SPATest:
    """Hansen's test of superior predictive ability: does *any* strategy beat the benchmark?

    H0: no strategy has a higher expected daily return than the benchmark,
    ``max_k E[r_k - r_bench] <= 0``. ``arch.bootstrap.SPA`` is given losses
    ``-returns`` (it looks for models with lower loss than the benchmark) and
    uses the stationary bootstrap with studentised statistics. A small
    ``consistent`` p-value says at least one strategy beats the benchmark after
    accounting for having tried them all; ``lower`` (liberal) and ``upper``
    (conservative, Hansen's version of White's reality check) bound it.

    Parameters
    ----------
    strategy_returns : dates x strategies, daily simple returns
    benchmark_returns : daily simple returns of the benchmark on the same dates
    seed : seed of the bootstrap's random generator
    reps : number of bootstrap resamples
    block_size : mean block length in days; default arch's ``int(sqrt(T))``

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> strategies = pd.DataFrame(rng.normal(0, 0.01, (1000, 5)))
    >>> strategies[0] += 0.002
    >>> spa_test(strategies, pd.Series(rng.normal(0, 0.01, 1000))).consistent < 0.05
    True
    """
    frame = pd.DataFrame(strategy_returns)
    if frame.shape[1] == 0:
        raise ValueError("strategy_returns has no columns; pass one return series per strategy")
    if isinstance(benchmark_returns, pd.Series) and isinstance(frame.index, pd.DatetimeIndex):
        frame, benchmark = frame.align(benchmark_returns, join="inner", axis=0)
    else:
        benchmark = pd.Series(np.asarray(benchmark_returns, dtype=float), index=frame.index)
    if len(benchmark) != len(frame):
        raise ValueError("benchmark_returns and strategy_returns cover different numbers of days")
    complete = frame.notna().all(axis=1) & benchmark.notna()
    losses = -frame.loc[complete].to_numpy(dtype=float)
    benchmark_losses = -benchmark.loc[complete].to_numpy(dtype=float)
    if len(benchmark_losses) < 10:
        raise ValueError(f"only {len(benchmark_losses)} complete days; need at least 10")
    from arch.bootstrap import SPA  # imported on use, as above

    spa = SPA(benchmark_losses, losses, block_size=block_size, reps=reps, seed=seed)
    spa.compute()
    pvalues = spa.pvalues
    return SPATest(
        consistent=float(pvalues["consistent"]),
        lower=float(pvalues["lower"]),
        upper=float(pvalues["upper"]),
        block_size=int(spa.block_size),
        n_bootstrap=int(reps),
    )


def _paired(returns_a: pd.Series | np.ndarray, returns_b: pd.Series | np.ndarray) -> np.ndarray:
    if isinstance(returns_a, pd.Series) and isinstance(returns_b, pd.Series):
        returns_a, returns_b = returns_a.align(returns_b, join="inner")
    a, b = np.asarray(returns_a, dtype=float), np.asarray(returns_b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(
            f"returns_a and returns_b must be paired series of equal length; got {a.shape} and {b.shape}"
        )
    pair = np.column_stack([a, b])
    return pair[~np.isnan(pair).any(axis=1)]


def _overlapping_blocks(block_size: int):
    def long_run_covariance(centred: np.ndarray) -> np.ndarray:
        cumulative = np.vstack([np.zeros(centred.shape[1]), np.cumsum(centred, axis=0)])
        zeta = (cumulative[block_size:] - cumulative[:-block_size]) / np.sqrt(block_size)
        return zeta.T @ zeta / len(zeta)

    return long_run_covariance


def _consecutive_blocks(block_size: int):
    def long_run_covariance(centred: np.ndarray) -> np.ndarray:
        # The resample is made of consecutive blocks of block_size days (the last
        # one cut short, and left out here).
        n_blocks = len(centred) // block_size
        blocks = centred[: n_blocks * block_size].reshape(n_blocks, block_size, -1)
        zeta = blocks.sum(axis=1) / np.sqrt(block_size)
        return zeta.T @ zeta / n_blocks

    return long_run_covariance


def _studentised_parts(moments: np.ndarray, long_run_covariance) -> tuple[float, float]:
    """Per-day Sharpe difference and its delta-method standard error."""
    mean_a, mean_b, square_a, square_b = moments.mean(axis=0)
    variance_a, variance_b = square_a - mean_a**2, square_b - mean_b**2
    if variance_a <= 0 or variance_b <= 0:
        return np.nan, 0.0
    difference = mean_a / np.sqrt(variance_a) - mean_b / np.sqrt(variance_b)
    gradient = np.array(
        [
            square_a / variance_a**1.5,
            -square_b / variance_b**1.5,
            -mean_a / (2.0 * variance_a**1.5),
            mean_b / (2.0 * variance_b**1.5),
        ]
    )
    psi = long_run_covariance(moments - moments.mean(axis=0))
    variance = max(float(gradient @ psi @ gradient), 0.0) / len(moments)
    return float(difference), float(np.sqrt(variance))
