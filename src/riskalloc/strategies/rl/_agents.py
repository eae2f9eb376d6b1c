"""The six agents: A2C, PPO, DDPG, SAC, TD3 on continuous weights, DQN on a menu of allocations.

Each is stable-baselines3's algorithm with its defaults, except that buffers and
rollouts are sized to ``total_timesteps`` (a replay buffer never holds more steps
than training takes, a PPO rollout is never longer than the training budget).
"""

from __future__ import annotations

import inspect
import math
from typing import Any, ClassVar

import numpy as np
from stable_baselines3 import A2C, DDPG, DQN, PPO, SAC, TD3
from stable_baselines3.common.noise import NormalActionNoise

from riskalloc.core import ConfigError
from riskalloc.data import MarketData
from riskalloc.strategies.rl._actions import CandidateActions, SoftmaxActions
from riskalloc.strategies.rl._allocator import RLAllocator
from riskalloc.strategies.rl._candidates import candidate_allocations
from riskalloc.strategies.rl._vector import VecPortfolioEnv

__all__ = [
    "RLA2C",
    "RLDDPG",
    "RLDQN",
    "RLPPO",
    "RLSAC",
    "RLTD3",
    "ContinuousRLAllocator",
]

# Off-policy agents learn from a replay buffer once it holds this many steps (SB3's default).
_LEARNING_STARTS = 100
# Exploration noise of the deterministic-policy agents (DDPG, TD3), in action units.
_ACTION_NOISE = 0.1


def _common(allocator: RLAllocator, env: VecPortfolioEnv) -> dict[str, Any]:
    return {
        "policy": "MlpPolicy",
        "env": env,
        "learning_rate": float(allocator.learning_rate),
        "gamma": float(allocator.gamma),
        "policy_kwargs": allocator.policy_kwargs(),
        "seed": int(allocator.seed),
        "device": allocator.device,
        "verbose": 0,
    }


def _off_policy(allocator: RLAllocator, batch_size: int) -> dict[str, Any]:
    steps = int(allocator.total_timesteps)
    return {
        "buffer_size": max(steps, 1),
        "learning_starts": min(_LEARNING_STARTS, steps // 2),
        "batch_size": batch_size,
    }


class ContinuousRLAllocator(RLAllocator):
    """An agent whose action in ``[-1, 1]^n`` is mapped to weights by a scaled softmax.

    Extra parameter ``action_scale`` (5.0): the inverse temperature of
    :class:`~riskalloc.strategies.rl.SoftmaxActions`; at 5 one asset can take 99.9 %
    of 30 assets and the others ~0.
    """

    def __init__(self, *, action_scale: float = 5.0, **common: Any) -> None:
        super().__init__(**common)
        self.action_scale = action_scale

    def _check_parameters(self) -> None:
        super()._check_parameters()
        scale = self.action_scale
        if (
            isinstance(scale, bool)
            or not isinstance(scale, int | float)
            or not (math.isfinite(scale) and scale > 0)
        ):
            raise ConfigError(
                f"{self.name}: parameter 'action_scale' must be a finite number > 0, got {scale!r}"
            )

    def action_mapping(self, train: MarketData) -> SoftmaxActions:
        return SoftmaxActions(len(train.assets), float(self.action_scale), cash=self.cash)


class RLA2C(ContinuousRLAllocator):
    """Advantage actor-critic (A2C, stable-baselines3) on continuous weights."""

    name: ClassVar[str] = "rl_a2c"
    algorithm: ClassVar[Any] = A2C

    def build_agent(self, env: VecPortfolioEnv) -> A2C:
        return A2C(**_common(self, env))


class RLPPO(ContinuousRLAllocator):
    """Proximal policy optimisation (PPO, stable-baselines3) on continuous weights.

    A rollout is ``n_steps`` steps per environment, the power of two at most
    ``min(256, total_timesteps // (32 * n_envs))`` (at least 8), so that even a short
    training makes some 32 policy updates; each learns from minibatches of
    ``gcd(n_steps * n_envs, 64)``.
    """

    name: ClassVar[str] = "rl_ppo"
    algorithm: ClassVar[Any] = PPO

    def build_agent(self, env: VecPortfolioEnv) -> PPO:
        # At least ~32 rollouts (policy updates) in the budget, at most 256 steps per rollout.
        budget = max(8, min(256, int(self.total_timesteps) // (32 * env.num_envs)))
        n_steps = 1 << (budget.bit_length() - 1)  # a power of two, so minibatches divide it
        batch_size = math.gcd(n_steps * env.num_envs, 64)
        return PPO(**_common(self, env), n_steps=n_steps, batch_size=batch_size)


class RLDDPG(ContinuousRLAllocator):
    """Deep deterministic policy gradient (DDPG, stable-baselines3), Gaussian exploration noise."""

    name: ClassVar[str] = "rl_ddpg"
    algorithm: ClassVar[Any] = DDPG

    def build_agent(self, env: VecPortfolioEnv) -> DDPG:
        n_actions = env.action_space.shape[0]
        noise = NormalActionNoise(np.zeros(n_actions), np.full(n_actions, _ACTION_NOISE))
        return DDPG(**_common(self, env), **_off_policy(self, 256), action_noise=noise)


class RLTD3(ContinuousRLAllocator):
    """Twin delayed DDPG (TD3, stable-baselines3), Gaussian exploration noise."""

    name: ClassVar[str] = "rl_td3"
    algorithm: ClassVar[Any] = TD3

    def build_agent(self, env: VecPortfolioEnv) -> TD3:
        n_actions = env.action_space.shape[0]
        noise = NormalActionNoise(np.zeros(n_actions), np.full(n_actions, _ACTION_NOISE))
        return TD3(**_common(self, env), **_off_policy(self, 256), action_noise=noise)


class RLSAC(ContinuousRLAllocator):
    """Soft actor-critic (SAC, stable-baselines3) on continuous weights."""

    name: ClassVar[str] = "rl_sac"
    algorithm: ClassVar[Any] = SAC

    def build_agent(self, env: VecPortfolioEnv) -> SAC:
        return SAC(**_common(self, env), **_off_policy(self, 256))


class RLDQN(RLAllocator):
    """Deep Q-network (DQN, stable-baselines3) choosing among candidate allocations.

    The menu (:func:`~riskalloc.strategies.rl.candidate_allocations`, from the training
    span only): equal weight, each single asset, minimum variance, risk parity, their
    50/50 mixes, and all cash when ``cash``. It is kept in ``candidates_``.
    """

    name: ClassVar[str] = "rl_dqn"
    algorithm: ClassVar[Any] = DQN

    def action_mapping(self, train: MarketData) -> CandidateActions:
        weights, names = candidate_allocations(train, cash=self.cash)
        self.candidates_ = weights
        return CandidateActions(weights, names)

    def build_agent(self, env: VecPortfolioEnv) -> DQN:
        steps = int(self.total_timesteps)
        return DQN(
            **_common(self, env),
            **_off_policy(self, 32),
            target_update_interval=max(env.num_envs, min(10_000, steps // 20)),
            exploration_fraction=0.2,
        )


def _full_signature(cls: type, base: type) -> None:
    """Show ``cls.__init__`` with ``base``'s parameters spelled out instead of ``**common``.

    ``param_names``, ``get_params`` and the CLI read the signature of ``__init__``.
    """
    init = cls.__init__
    own = inspect.signature(init).parameters.values()
    common = list(inspect.signature(base.__init__).parameters.values())
    keyword_only = [p for p in own if p.kind is inspect.Parameter.KEYWORD_ONLY]
    init.__signature__ = inspect.Signature([*common, *keyword_only])  # type: ignore[attr-defined]
    init.__annotations__ = {**base.__init__.__annotations__, **init.__annotations__}
    init.__annotations__.pop("common", None)


_full_signature(ContinuousRLAllocator, RLAllocator)
