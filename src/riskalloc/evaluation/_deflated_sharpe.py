r"""Probabilistic and deflated Sharpe ratios (Bailey and López de Prado 2012, 2014).

Units: every Sharpe ratio a caller passes in or reads out is *annualised*, as
:func:`~riskalloc.evaluation.sharpe_ratio` and ``metrics.csv`` report it
(``mean / std * sqrt(P)``, ``P`` periods a year). Inside the formulas the Sharpe
ratio is *per period*, ``SR = SR_annual / sqrt(P)``, because the standard error
``sqrt((1 - g3 SR + (g4 - 1) / 4 SR^2) / (T - 1))`` counts ``T`` periods.

Skewness ``g3 = m3 / m2^{3/2}`` and kurtosis ``g4 = m4 / m2^2`` (not excess: 3
for a normal) are the moment estimators of the excess returns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from riskalloc.core import RiskFree
from riskalloc.evaluation._metrics import _excess, periods_of, sharpe_ratio

__all__ = [
    "EULER_MASCHERONI",
    "deflated_sharpe_ratio",
    "deflated_sharpe_ratios",
    "expected_maximum_sharpe",
    "probabilistic_sharpe_ratio",
]

EULER_MASCHERONI = float(np.euler_gamma)


def probabilistic_sharpe_ratio(
    returns: pd.Series | np.ndarray,
    benchmark_sharpe: float = 0.0,
    risk_free: RiskFree = 0.0,
    periods_per_year: int | None = None,
) -> float:
    r"""Probability that the true Sharpe ratio exceeds ``benchmark_sharpe`` (PSR).

    Bailey and López de Prado (2012), with per-period (daily) Sharpe ratios
    ``SR`` (estimated) and ``SR*`` (benchmark) over ``T`` returns:

    .. math::

        PSR(SR^*) = \Phi\left(\frac{(SR - SR^*)\sqrt{T - 1}}
        {\sqrt{1 - \gamma_3 SR + \frac{\gamma_4 - 1}{4} SR^2}}\right)

    Parameters
    ----------
    returns : simple returns; missing values are dropped
    benchmark_sharpe : *annualised* Sharpe ratio to beat (divided by sqrt(P) inside)
    risk_free : annual risk-free rate or Series of them, as for
        :func:`~riskalloc.evaluation.sharpe_ratio`; the moments are those of the excess returns
    periods_per_year : ``P``, periods a year (default: read from the dates, else 252)

    Examples
    --------
    >>> import numpy as np
    >>> returns = np.random.default_rng(0).normal(0.001, 0.01, 1000)  # true annual Sharpe 1.6
    >>> round(probabilistic_sharpe_ratio(returns, benchmark_sharpe=0.0), 3)
    0.953
    """
    periods = periods_of(returns, periods_per_year)
    values = _excess(returns, risk_free, periods)
    sharpe = sharpe_ratio(values, 0.0, periods) / np.sqrt(periods)
    return _probabilistic_sharpe(
        sharpe,
        len(values),
        float(stats.skew(values)),
        float(stats.kurtosis(values, fisher=False)),
        benchmark_sharpe / np.sqrt(periods),
    )


def expected_maximum_sharpe(n_trials: int, trials_sharpe_variance: float) -> float:
    r"""Expected maximum Sharpe ratio of ``n_trials`` unskilled trials (the DSR's benchmark).

    Bailey and López de Prado (2014), from the extreme-value limit of the
    maximum of ``N`` independent normal Sharpe ratios with mean 0 and variance
    ``V`` across trials, with :math:`\gamma` the Euler-Mascheroni constant:

    .. math::

        SR_0 = \sqrt{V}\left((1 - \gamma)\,\Phi^{-1}\!\left(1 - \frac{1}{N}\right)
        + \gamma\,\Phi^{-1}\!\left(1 - \frac{1}{N e}\right)\right)

    in the units of ``V`` (annualised variance gives an annualised ``SR_0``).
    The formula diverges at ``N = 1`` (``Phi^{-1}(0) = -inf``); a single trial
    is not a maximum of anything, and its expected value, 0, is returned.

    Examples
    --------
    >>> round(expected_maximum_sharpe(100, 0.5 / 250) , 4)  # the 2014 paper's example
    0.1132
    """
    if int(n_trials) != n_trials or n_trials < 1:
        raise ValueError(f"n_trials must be a whole number of at least 1; got {n_trials}")
    if not trials_sharpe_variance >= 0:
        raise ValueError(f"trials_sharpe_variance must be >= 0; got {trials_sharpe_variance}")
    if n_trials == 1:
        return 0.0
    gamma = EULER_MASCHERONI
    expected_maximum = (1.0 - gamma) * stats.norm.ppf(
        1.0 - 1.0 / n_trials
    ) + gamma * stats.norm.ppf(1.0 - 1.0 / (n_trials * np.e))
    return float(np.sqrt(trials_sharpe_variance) * expected_maximum)


def deflated_sharpe_ratio(
    returns: pd.Series | np.ndarray,
    n_trials: int,
    trials_sharpe_variance: float,
    risk_free: RiskFree = 0.0,
    periods_per_year: int | None = None,
) -> float:
    r"""PSR against the Sharpe ratio the best of ``n_trials`` unskilled trials would show (DSR).

    Bailey and López de Prado (2014): ``DSR = PSR(SR_0)`` with ``SR_0`` from
    :func:`expected_maximum_sharpe`. It is the probability that the strategy's
    true Sharpe ratio is positive after allowing for having picked it as the
    best of ``n_trials``. With one trial ``SR_0 = 0`` and DSR is PSR against 0.

    Parameters
    ----------
    returns : daily simple returns of the selected strategy
    n_trials : number of trials the strategy was selected from (every strategy
        x parameter x seed tried counts)
    trials_sharpe_variance : variance across the trials of their *annualised*
        Sharpe ratios
    risk_free : annual risk-free rate, or Series of them by date
    periods_per_year : periods a year (default: read from the dates, else 252)

    Examples
    --------
    >>> import numpy as np
    >>> returns = np.random.default_rng(0).normal(0.001, 0.01, 1000)
    >>> dsr = deflated_sharpe_ratio(returns, n_trials=50, trials_sharpe_variance=1.0)
    >>> bool(dsr < probabilistic_sharpe_ratio(returns))
    True
    """
    benchmark = expected_maximum_sharpe(n_trials, trials_sharpe_variance)
    return probabilistic_sharpe_ratio(returns, benchmark, risk_free, periods_per_year)


def deflated_sharpe_ratios(
    trial_returns: pd.DataFrame,
    n_trials: int | None = None,
    risk_free: RiskFree = 0.0,
    periods_per_year: int | None = None,
) -> pd.DataFrame:
    """Sharpe, PSR and DSR of every trial, each deflated by all of them.

    Each column of ``trial_returns`` is the daily return series of one trial:
    one strategy with one parameter setting and one seed (label the columns
    with a tuple or MultiIndex ``(strategy, parameter, seed)``). Every column
    counts as a trial, and the variance of the trials' annualised Sharpe
    ratios (``ddof=1``) sets the benchmark :func:`expected_maximum_sharpe`.
    Seeds of one strategy are strongly correlated trials, so counting each is
    conservative: the effective number of independent trials is smaller.

    Parameters
    ----------
    trial_returns : dates x trials; missing values are dropped column by column
    n_trials : override the count when more trials were run than are passed
        (at least the number of columns)
    risk_free : annual risk-free rate, or Series of them by date
    periods_per_year : periods a year (default: read from the dates, else 252)

    Returns
    -------
    DataFrame indexed by the columns of ``trial_returns`` with columns
    ``sharpe`` (annualised), ``psr`` (against 0), ``dsr``, ``n_trials``,
    ``expected_max_sharpe`` (annualised).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> trials = pd.DataFrame(rng.normal(0.0003, 0.01, (750, 20)))
    >>> table = deflated_sharpe_ratios(trials)
    >>> bool((table["dsr"] <= table["psr"]).all())
    True
    """
    if trial_returns.shape[1] == 0:
        raise ValueError("trial_returns has no columns; pass one return series per trial")
    count = trial_returns.shape[1] if n_trials is None else n_trials
    if count < trial_returns.shape[1]:
        raise ValueError(
            f"n_trials={n_trials} is fewer than the {trial_returns.shape[1]} trials passed"
        )
    periods = periods_of(trial_returns, periods_per_year)
    columns = [trial_returns[column].dropna() for column in trial_returns.columns]
    sharpes = np.array([sharpe_ratio(values, risk_free, periods) for values in columns])
    variance = float(np.nanvar(sharpes, ddof=1)) if len(sharpes) > 1 else 0.0
    benchmark = expected_maximum_sharpe(count, variance)
    return pd.DataFrame(
        {
            "sharpe": sharpes,
            "psr": [
                probabilistic_sharpe_ratio(values, 0.0, risk_free, periods) for values in columns
            ],
            "dsr": [
                probabilistic_sharpe_ratio(values, benchmark, risk_free, periods)
                for values in columns
            ],
            "n_trials": count,
            "expected_max_sharpe": benchmark,
        },
        index=trial_returns.columns,
    )


def _probabilistic_sharpe(
    sharpe: float, n_observations: int, skew: float, kurtosis: float, benchmark: float
) -> float:
    """PSR from per-period moments: the formula of :func:`probabilistic_sharpe_ratio`."""
    if not np.isfinite(sharpe) or n_observations < 2:
        return np.nan
    # >= 0 for every distribution: Pearson's inequality kurtosis >= 1 + skew².
    variance = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    statistic = (sharpe - benchmark) * np.sqrt(n_observations - 1) / np.sqrt(variance)
    return float(stats.norm.cdf(statistic))


def _values(returns: pd.Series | np.ndarray) -> np.ndarray:
    values = np.asarray(returns, dtype=float)
    return values[~np.isnan(values)]
