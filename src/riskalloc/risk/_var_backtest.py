"""Backtests of VaR forecasts: Kupiec's coverage, Christoffersen's independence.

A *violation* is a day whose loss (minus its return) strictly exceeds the VaR
forecast made the evening before (VaR as a positive loss, riskalloc's
convention: ``-return > VaR``). A good
``confidence`` VaR has violations on a share ``alpha = 1 - confidence`` of days
(coverage) that do not cluster (independence).

Likelihoods follow the convention ``0 log 0 = 0`` (``scipy.special.xlogy``), so
every edge case has a finite statistic: no violations, only violations, or no
day after a violation (the transition probability that cannot be estimated then
multiplies no observation and drops out of the likelihood).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import xlogy

from riskalloc.core import ConfigError
from riskalloc.risk._var_models import VaRMethod, forecast_var

__all__ = [
    "ChristoffersenTest",
    "ConditionalCoverageTest",
    "KupiecTest",
    "christoffersen_test",
    "conditional_coverage_test",
    "kupiec_test",
    "var_backtest",
]


@dataclass(frozen=True)
class KupiecTest:
    """Proportion-of-failures test: ``statistic ~ chi2(1)`` under correct coverage."""

    statistic: float
    p_value: float
    n_observations: int
    n_violations: int
    expected_rate: float

    @property
    def violation_rate(self) -> float:
        return self.n_violations / self.n_observations


@dataclass(frozen=True)
class ChristoffersenTest:
    """Independence test from transition counts ``n_ij`` (day ``i`` followed by day ``j``).

    ``statistic ~ chi2(1)`` when violations do not cluster; ``pi_01`` and
    ``pi_11`` are the estimated probabilities of a violation after a calm day and
    after a violation (0 where no such day exists).
    """

    statistic: float
    p_value: float
    n00: int
    n01: int
    n10: int
    n11: int

    @property
    def pi_01(self) -> float:
        return _share(self.n01, self.n00 + self.n01)

    @property
    def pi_11(self) -> float:
        return _share(self.n11, self.n10 + self.n11)


@dataclass(frozen=True)
class ConditionalCoverageTest:
    """``LR_cc = LR_pof + LR_ind ~ chi2(2)`` under correct coverage *and* independence."""

    statistic: float
    p_value: float
    kupiec: KupiecTest
    christoffersen: ChristoffersenTest


def kupiec_test(
    violations: Iterable[bool] | np.ndarray | pd.Series, confidence: float
) -> KupiecTest:
    r"""Kupiec (1995) proportion-of-failures likelihood-ratio test.

    With ``T`` days, ``x`` violations and expected rate ``p = 1 - confidence``:

    .. math::

        LR_{pof} = -2 \ln\frac{(1 - p)^{T - x} p^x}{(1 - x/T)^{T - x} (x/T)^x}
        \sim \chi^2_1,

    with ``0 ln 0 = 0``: no violations gives ``-2 T ln(1 - p)``, violations on
    every day ``-2 T ln p``.

    Parameters
    ----------
    violations : one boolean per day, True where the return fell below the VaR
    confidence : the VaR's confidence level, e.g. 0.99

    Examples
    --------
    >>> result = kupiec_test([True] * 6 + [False] * 244, confidence=0.99)
    >>> round(result.statistic, 3), result.p_value > 0.05
    (3.555, True)
    """
    hits = _violations(violations)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), e.g. 0.99; got {confidence}")
    rate = 1.0 - confidence
    n, x = len(hits), int(hits.sum())
    statistic = _lr_pof(n, x, rate)
    return KupiecTest(
        statistic=statistic,
        p_value=float(stats.chi2.sf(statistic, 1)),
        n_observations=n,
        n_violations=x,
        expected_rate=rate,
    )


def christoffersen_test(violations: Iterable[bool] | np.ndarray | pd.Series) -> ChristoffersenTest:
    r"""Christoffersen (1998) independence likelihood-ratio test.

    From the counts ``n_ij`` of day pairs (yesterday ``i``, today ``j``; 1 is a
    violation), ``pi_01 = n01 / (n00 + n01)``, ``pi_11 = n11 / (n10 + n11)`` and
    ``pi = (n01 + n11) / (T - 1)``:

    .. math::

        LR_{ind} = -2 \ln\frac{(1 - \pi)^{n_{00} + n_{10}} \pi^{n_{01} + n_{11}}}
        {(1 - \pi_{01})^{n_{00}} \pi_{01}^{n_{01}} (1 - \pi_{11})^{n_{10}} \pi_{11}^{n_{11}}}
        \sim \chi^2_1,

    with ``0 ln 0 = 0``. Without any violation before the last day there is no
    ``1 -> j`` transition, and the statistic is 0: nothing can be said about
    clustering.

    Examples
    --------
    >>> christoffersen_test([False, True, True, False, False, True, False, False]).n11
    1
    """
    hits = _violations(violations)
    if len(hits) < 2:
        raise ValueError("the independence test needs at least two days of violations")
    previous, current = hits[:-1], hits[1:]
    n00 = int(np.sum(~previous & ~current))
    n01 = int(np.sum(~previous & current))
    n10 = int(np.sum(previous & ~current))
    n11 = int(np.sum(previous & current))
    pi = _share(n01 + n11, n00 + n01 + n10 + n11)
    pi_01, pi_11 = _share(n01, n00 + n01), _share(n11, n10 + n11)
    restricted = xlogy(n00 + n10, 1.0 - pi) + xlogy(n01 + n11, pi)
    unrestricted = (
        xlogy(n00, 1.0 - pi_01) + xlogy(n01, pi_01) + xlogy(n10, 1.0 - pi_11) + xlogy(n11, pi_11)
    )
    statistic = max(float(-2.0 * (restricted - unrestricted)), 0.0)  # >= 0 up to rounding
    return ChristoffersenTest(
        statistic=statistic,
        p_value=float(stats.chi2.sf(statistic, 1)),
        n00=n00,
        n01=n01,
        n10=n10,
        n11=n11,
    )


def conditional_coverage_test(
    violations: Iterable[bool] | np.ndarray | pd.Series, confidence: float
) -> ConditionalCoverageTest:
    r"""Christoffersen's conditional coverage, ``LR_cc = LR_pof + LR_ind ~ chi2(2)``.

    ``LR_pof`` is Kupiec's on all ``T`` days and ``LR_ind`` uses the ``T - 1``
    transitions, the sum reported by most textbooks and software (Christoffersen's
    exact likelihood ratio drops the first day from ``LR_pof`` as well; the two
    differ by the contribution of one day).

    Examples
    --------
    >>> result = conditional_coverage_test([True] * 6 + [False] * 244, confidence=0.99)
    >>> bool(result.statistic > result.kupiec.statistic)
    True
    """
    kupiec = kupiec_test(violations, confidence)
    christoffersen = christoffersen_test(violations)
    statistic = kupiec.statistic + christoffersen.statistic
    return ConditionalCoverageTest(
        statistic=statistic,
        p_value=float(stats.chi2.sf(statistic, 2)),
        kupiec=kupiec,
        christoffersen=christoffersen,
    )


def var_backtest(
    returns: pd.Series,
    confidence: float = 0.95,
    methods: Iterable[VaRMethod] = tuple(VaRMethod),
    window: int = 250,
) -> pd.DataFrame:
    """Backtest rolling one-day-ahead VaR forecasts of several methods on one return series.

    For each method the forecast dated ``t`` (from :func:`forecast_var`) is
    compared with the loss of ``t + 1`` (a violation when ``-return > VaR``); the first
    ``window`` days, which have no forecast, are not counted. So ``n_observations = len(returns) - window``.

    Returns
    -------
    DataFrame indexed by ``method`` with columns ``n_observations``,
    ``violations``, ``expected`` (``alpha * n_observations``),
    ``violation_rate``, ``expected_rate``, ``kupiec_lr``, ``kupiec_p``,
    ``christoffersen_lr``, ``christoffersen_p``, ``conditional_coverage_lr``,
    ``conditional_coverage_p``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> returns = pd.Series(np.random.default_rng(1).normal(0, 0.01, 1500))
    >>> table = var_backtest(returns, 0.95, [VaRMethod.GAUSSIAN], window=250)
    >>> int(table.loc["gaussian", "n_observations"])
    1250
    """
    rows = []
    for method in methods:
        method = VaRMethod(method)
        forecast = forecast_var(returns, confidence, method, window)["var"]
        rows.append({"method": str(method)} | coverage_row(returns, forecast, confidence, window))
    if not rows:
        raise ValueError("methods is empty; pass at least one VaRMethod")
    return pd.DataFrame(rows).set_index("method")


def coverage_row(
    returns: pd.Series | np.ndarray, forecast: pd.Series, confidence: float, window: int
) -> dict[str, float]:
    """Score one method's VaR forecasts: the forecast dated ``t`` (a positive loss)
    against the loss of ``t + 1``, over the ``len(returns) - window`` days after the
    first window; one row of :func:`var_backtest`'s table (without ``method``)."""
    predicted = np.asarray(forecast, dtype=float)[window - 1 : -1]
    realised = np.asarray(returns, dtype=float)[window:]
    if not len(realised):
        raise ConfigError(
            f"returns has {len(returns)} observations, no day after the first window "
            f"of {window} to backtest; pass a longer series or a shorter window"
        )
    coverage = conditional_coverage_test(-realised > predicted, confidence)
    kupiec, christoffersen = coverage.kupiec, coverage.christoffersen
    return {
        "n_observations": kupiec.n_observations,
        "violations": kupiec.n_violations,
        "expected": kupiec.expected_rate * kupiec.n_observations,
        "violation_rate": kupiec.violation_rate,
        "expected_rate": kupiec.expected_rate,
        "kupiec_lr": kupiec.statistic,
        "kupiec_p": kupiec.p_value,
        "christoffersen_lr": christoffersen.statistic,
        "christoffersen_p": christoffersen.p_value,
        "conditional_coverage_lr": coverage.statistic,
        "conditional_coverage_p": coverage.p_value,
    }


def _violations(violations: Iterable[bool] | np.ndarray | pd.Series) -> np.ndarray:
    values = np.asarray(list(violations) if not hasattr(violations, "__array__") else violations)
    if values.ndim != 1 or not len(values):
        raise ValueError("violations must be a non-empty one-dimensional sequence of booleans")
    if values.dtype != bool:
        numeric = values.astype(float)
        if not np.isin(numeric, (0.0, 1.0)).all():
            raise ValueError(
                "violations must be booleans (or 0/1); found other values (NaN?): "
                "drop the days without a forecast first"
            )
        values = numeric.astype(bool)
    return values


def _share(count: int, total: int) -> float:
    # An empty denominator means no such day: its probability multiplies no
    # observation, and 0 keeps 0 log 0 = 0 in the likelihood.
    return count / total if total else 0.0


def _lr_pof(n: int, x: int, rate: float) -> float:
    observed = x / n
    restricted = xlogy(n - x, 1.0 - rate) + xlogy(x, rate)
    unrestricted = xlogy(n - x, 1.0 - observed) + xlogy(x, observed)
    return max(float(-2.0 * (restricted - unrestricted)), 0.0)
