"""`VecPortfolioEnv`: many portfolio episodes stepped at once, as a stable-baselines3 VecEnv."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env import VecEnv

from riskalloc.core import ConfigError, rebalance_step
from riskalloc.strategies.rl._actions import CandidateActions, SoftmaxActions
from riskalloc.strategies.rl._environment import SpanArrays, write_observations

__all__ = ["VecPortfolioEnv"]


class VecPortfolioEnv(SpanArrays, VecEnv):
    """``num_envs`` episodes of :class:`PortfolioEnv` stepped together with a batch dimension.

    The arithmetic is :class:`PortfolioEnv`'s, on ``(num_envs, n_assets)`` arrays: one
    call of :func:`~riskalloc.backtest.rebalance_step` steps every episode. An episode
    that reaches its time limit is reset at once (stable-baselines3's convention): its
    ``done`` is True, ``infos[i]["terminal_observation"]`` holds its last observation
    and ``infos[i]["TimeLimit.truncated"]`` is True, and the returned observation is the
    first of the next episode. Episode ``i`` draws its start days from a generator seeded
    with ``seed + i`` (:meth:`seed`), so a run is reproducible.

    Parameters are those of :class:`PortfolioEnv`, plus ``num_envs``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> env = VecPortfolioEnv(rng.normal(size=(100, 6)), rng.normal(0, 0.01, (100, 3)),
    ...                       SoftmaxActions(3), num_envs=8, episode_length=20)
    >>> _ = env.seed(0)
    >>> env.reset().shape
    (8, 9)
    """

    render_mode = None

    def __init__(
        self,
        features: np.ndarray,
        returns: np.ndarray,
        actions: SoftmaxActions | CandidateActions,
        *,
        num_envs: int = 1,
        cost_rate: float = 0.001,
        episode_length: int | None = None,
        cash_return: float = 0.0,
    ) -> None:
        if isinstance(num_envs, bool) or not isinstance(num_envs, int) or num_envs < 1:
            raise ConfigError(
                f"VecPortfolioEnv: num_envs must be an integer >= 1, got {num_envs!r}"
            )
        observation_space = self._set_span(
            features, returns, actions, cost_rate, cash_return, episode_length
        )
        super().__init__(num_envs, observation_space, actions.space)
        self._rngs = [np.random.default_rng() for _ in range(num_envs)]
        self._days = np.zeros(num_envs, dtype=np.int64)
        self._ends = np.zeros(num_envs, dtype=np.int64)
        self._drifted = np.zeros((num_envs, self._n_assets))
        self._actions: np.ndarray | None = None

    # --- episodes -------------------------------------------------------------------------
    def _start(self, episodes: Iterable[int]) -> None:
        last = len(self._returns) - 1
        length = self.episode_length
        span = last if length is None else last - length + 1
        for i in episodes:
            start = int(self._rngs[i].integers(0, span))
            self._days[i] = start
            self._ends[i] = last if length is None else start + length
            self._drifted[i] = 0.0  # each episode starts in cash

    def _observations(self, episodes: np.ndarray | slice = slice(None)) -> np.ndarray:
        drifted = np.ascontiguousarray(self._drifted[episodes])
        out = np.empty((len(drifted), *self.observation_space.shape), dtype=np.float32)
        write_observations(self._features, self._days[episodes], drifted, self._cash, out)
        return out

    def reset(self) -> np.ndarray:
        for i, seed in enumerate(self._seeds):
            if seed is not None:
                self._rngs[i] = np.random.default_rng(seed)
        self._reset_seeds()
        self._reset_options()
        self._start(range(self.num_envs))
        return self._observations()

    def seed(self, seed: int | None = None) -> Sequence[int | None]:
        """Seed episode ``i``'s start days with ``seed + i`` from the next :meth:`reset`."""
        return super().seed(seed)

    # --- stepping -------------------------------------------------------------------------
    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
        if self._actions is None:
            raise RuntimeError("VecPortfolioEnv: step_wait() called before step_async()")
        target = self.actions.weights(self._actions)
        self._actions = None
        days = self._days + 1
        net, self._drifted, _ = rebalance_step(
            self._drifted, target, self._returns[days], self.cost_rate, self.cash_return
        )
        self._days = days
        rewards = np.log1p(net).astype(np.float32)
        observations = self._observations()
        dones = days == self._ends
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if dones.any():
            finished = np.flatnonzero(dones)
            for i in finished:
                infos[i]["terminal_observation"] = observations[i].copy()
                infos[i]["TimeLimit.truncated"] = True
            self._start(finished)
            observations[finished] = self._observations(finished)
        return observations, rewards, dones, infos

    # --- the VecEnv plumbing (one process, no wrapped sub-environments) ------------------
    def close(self) -> None:
        pass

    def _indices(self, indices: int | Iterable[int] | None) -> list[int]:
        if indices is None:
            return list(range(self.num_envs))
        if isinstance(indices, int):
            return [indices]
        return list(indices)

    def get_attr(self, attr_name: str, indices: int | Iterable[int] | None = None) -> list[Any]:
        return [getattr(self, attr_name) for _ in self._indices(indices)]

    def set_attr(
        self, attr_name: str, value: Any, indices: int | Iterable[int] | None = None
    ) -> None:
        setattr(self, attr_name, value)

    def env_method(
        self,
        method_name: str,
        *method_args: Any,
        indices: int | Iterable[int] | None = None,
        **method_kwargs: Any,
    ) -> list[Any]:
        method = getattr(self, method_name)
        return [method(*method_args, **method_kwargs) for _ in self._indices(indices)]

    def env_is_wrapped(
        self, wrapper_class: type[gym.Wrapper], indices: int | Iterable[int] | None = None
    ) -> list[bool]:
        return [False for _ in self._indices(indices)]
