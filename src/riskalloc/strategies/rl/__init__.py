"""Reinforcement learning: one Gymnasium portfolio environment and stable-baselines3's agents.

The environment's reward and the backtest's net return come from the same function
(:func:`riskalloc.backtest.rebalance_step`). Agents are registered as ``rl_a2c``,
``rl_ppo``, ``rl_ddpg``, ``rl_sac``, ``rl_td3`` (continuous weights through a scaled
softmax) and ``rl_dqn`` (a menu of candidate allocations).

Examples
--------
>>> import riskalloc as ra
>>> ra.get_strategy("rl_ppo", total_timesteps=2_000).stochastic
True
"""

from riskalloc.strategies.rl._actions import CandidateActions, SoftmaxActions
from riskalloc.strategies.rl._agents import (
    RLA2C,
    RLDDPG,
    RLDQN,
    RLPPO,
    RLSAC,
    RLTD3,
    ContinuousRLAllocator,
)
from riskalloc.strategies.rl._allocator import RLAllocator
from riskalloc.strategies.rl._candidates import candidate_allocations
from riskalloc.strategies.rl._environment import PortfolioEnv, observation_features
from riskalloc.strategies.rl._vector import VecPortfolioEnv

__all__ = [
    "RLA2C",
    "RLDDPG",
    "RLDQN",
    "RLPPO",
    "RLSAC",
    "RLTD3",
    "CandidateActions",
    "ContinuousRLAllocator",
    "PortfolioEnv",
    "RLAllocator",
    "SoftmaxActions",
    "VecPortfolioEnv",
    "candidate_allocations",
    "observation_features",
]
