"""`PortfolioEnv`: a Gymnasium portfolio environment over precomputed NumPy arrays.

The reward is ``log(1 + net return)`` where the net return comes from
:func:`riskalloc.backtest.rebalance_step`, the arithmetic the backtest itself
uses, so the environment and the backtest cannot disagree about a portfolio.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numba
import numpy as np
import pandas as pd
from gymnasium import spaces

from riskalloc.core import DataError, rebalance_step
from riskalloc.data import MarketData
from riskalloc.features import FeatureBuilder
from riskalloc.strategies.rl._actions import CandidateActions, SoftmaxActions

__all__ = ["PortfolioEnv", "SpanArrays", "check_span_arrays", "observation_features"]


def observation_features(
    builder: FeatureBuilder, history: MarketData, dates: pd.DatetimeIndex
) -> np.ndarray:
    """The fitted builder's standardised features at each of ``dates``, one flat row per date.

    Returns ``(len(dates), n_features * lookback * n_assets)`` float32, C-contiguous:
    row ``k`` is ``builder.transform(history, dates)[k]`` flattened (feature, day, asset).
    """
    cube = builder.transform(history, dates)
    return np.ascontiguousarray(cube.reshape(len(cube), -1), dtype=np.float32)


def check_span_arrays(features: np.ndarray, returns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate and freeze the arrays an environment steps over (see :class:`PortfolioEnv`)."""
    features = np.ascontiguousarray(features, dtype=np.float32)
    returns = np.ascontiguousarray(returns, dtype=np.float64)
    if features.ndim != 2 or returns.ndim != 2 or len(features) != len(returns):
        raise DataError(
            f"PortfolioEnv: features {features.shape} and returns {returns.shape} must be "
            "(days, features) and (days, assets) over the same days"
        )
    if len(returns) < 2:
        raise DataError(f"PortfolioEnv: {len(returns)} day(s) leave no step; need at least 2")
    if not np.isfinite(features).all():
        raise DataError("PortfolioEnv: a feature is missing (NaN) on a day of the span")
    if not np.isfinite(returns[1:]).all():
        day = int(np.flatnonzero(~np.isfinite(returns[1:]).all(axis=1))[0]) + 1
        raise DataError(f"PortfolioEnv: a return is missing on day {day} of the span")
    features.flags.writeable = False
    returns.flags.writeable = False
    return features, returns


class SpanArrays:
    """The arrays and sizes a portfolio environment steps over, set up one way for the
    single and the vectorised environment."""

    def _set_span(
        self,
        features: np.ndarray,
        returns: np.ndarray,
        actions: SoftmaxActions | CandidateActions,
        cost_rate: float,
        cash_return: float,
        episode_length: int | None,
    ) -> spaces.Box:
        """Check and store the span; returns the observation space."""
        self._features, self._returns = check_span_arrays(features, returns)
        if self._returns.shape[1] != actions.n_assets:
            raise DataError(
                f"{type(self).__name__}: returns have {self._returns.shape[1]} assets, the "
                f"action mapping {actions.n_assets}"
            )
        self.actions = actions
        self.cost_rate = float(cost_rate)
        self.cash_return = float(cash_return)
        n_days = len(self._returns)
        self.episode_length = None if episode_length is None else min(episode_length, n_days - 1)
        self._n_features = self._features.shape[1]
        self._n_assets = actions.n_assets
        self._cash = bool(actions.cash)
        size = self._n_features + self._n_assets + int(self._cash)
        return spaces.Box(-np.inf, np.inf, shape=(size,), dtype=np.float32)


class PortfolioEnv(SpanArrays, gym.Env):
    """Daily rebalancing of a long-only portfolio over a precomputed span of ``T`` days.

    At the close of day ``t`` the agent sees ``features[t]`` and the current drifted
    weights (plus the cash weight when the action mapping has cash), chooses an action
    that :attr:`actions` maps to target weights, trades to them paying
    ``cost_rate * turnover`` (turnover from the drifted weights), and holds through day
    ``t + 1``. The reward is

    ``log(1 + net)``, ``net = (1 - cost_rate * turnover) * (1 + target . r_{t+1} + cash * r_cash) - 1``

    computed by :func:`~riskalloc.backtest.rebalance_step`. An episode starts in cash on
    a random day (drawn from the generator seeded by ``reset(seed=...)``, or
    ``options={"start": day}``) and is truncated after ``episode_length`` steps, or at the
    last day of the span. There is no terminal state: the end is a time limit.

    Parameters
    ----------
    features : (T, D) array
        Observation features known at the close of each day, already normalised (e.g.
        :func:`observation_features` of a builder fitted on the training span).
    returns : (T, N) array
        Simple returns; row ``t`` is the return of day ``t`` (row 0 is not used).
    actions : SoftmaxActions or CandidateActions
        The mapping from actions to target weights; it sets ``action_space``.
    cost_rate : float
        Cost per unit of turnover (10 bps = 0.001).
    episode_length : int, optional
        Steps per episode (at most ``T - 1``); ``None`` runs to the end of the span.
    cash_return : float
        Daily return of cash.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> env = PortfolioEnv(rng.normal(size=(100, 6)), rng.normal(0, 0.01, (100, 3)),
    ...                    SoftmaxActions(3), episode_length=20)
    >>> observation, info = env.reset(seed=1)
    >>> observation.shape
    (9,)
    """

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012 (gymnasium's convention)

    def __init__(
        self,
        features: np.ndarray,
        returns: np.ndarray,
        actions: SoftmaxActions | CandidateActions,
        *,
        cost_rate: float = 0.001,
        episode_length: int | None = None,
        cash_return: float = 0.0,
    ) -> None:
        self.observation_space = self._set_span(
            features, returns, actions, cost_rate, cash_return, episode_length
        )
        self.action_space = actions.space
        n_days = len(self._returns)
        self._scores = np.zeros(actions.space.shape or (), dtype=np.float64)
        self._drifted = np.zeros(self._n_assets)
        self._day = 0
        self._end = n_days - 1

    @property
    def n_days(self) -> int:
        return len(self._returns)

    @property
    def day(self) -> int:
        """The current decision day (row of ``features``)."""
        return self._day

    @property
    def drifted_weights(self) -> np.ndarray:
        return self._drifted.copy()

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        start = None if options is None else options.get("start")
        last = self.n_days - 1
        if start is None:
            span = last if self.episode_length is None else last - self.episode_length + 1
            start = int(self.np_random.integers(0, span))
        elif not 0 <= int(start) < last:
            raise DataError(f"PortfolioEnv: start day {start} is not in [0, {last - 1}]")
        self._day = int(start)
        length = self.episode_length
        self._end = last if length is None else min(self._day + length, last)
        self._drifted = np.zeros(self._n_assets)  # the portfolio starts in cash
        return self._observation(), {"start": self._day}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        # The scores buffer is reused: rebalance_step only reads the target.
        target = self.actions.weights(action, out=self._scores)
        day = self._day + 1
        net, self._drifted, turnover = rebalance_step(
            self._drifted, target, self._returns[day], self.cost_rate, self.cash_return
        )
        self._day = day
        info = {"net_return": net, "turnover": turnover}
        return self._observation(), math.log1p(net), False, day == self._end, info

    def _observation(self) -> np.ndarray:
        """A new float32 array: the day's features, the drifted weights (and cash)."""
        observation = np.empty(self.observation_space.shape, dtype=np.float32)
        write_observation(self._features[self._day], self._drifted, self._cash, observation)
        return observation


@numba.njit(cache=True, nogil=True)
def write_observation(features_row, drifted, cash, out):  # pragma: no cover (compiled)
    """``out = [features_row, drifted, 1 - sum(drifted) if cash]`` as float32.

    The one layout of an observation, for the single and the vectorised environment.
    """
    n_features = features_row.shape[0]
    out[:n_features] = features_row
    invested = 0.0
    for i in range(drifted.shape[0]):
        out[n_features + i] = drifted[i]
        invested += drifted[i]
    if cash:
        out[n_features + drifted.shape[0]] = 1.0 - invested


@numba.njit(cache=True, nogil=True)
def write_observations(features, days, drifted, cash, out):  # pragma: no cover (compiled)
    """Row ``k`` of ``out`` is the observation of day ``days[k]`` with ``drifted[k]``."""
    for row in range(days.shape[0]):
        write_observation(features[days[row]], drifted[row], cash, out[row])
