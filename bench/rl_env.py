"""Speed of the RL portfolio environment against a pandas-per-step reference, and PPO throughput.

Run: ``.venv/bin/python bench/rl_env.py``

The environment steps with random actions over 30 synthetic assets (10 years of
days): one episode at a time (:class:`PortfolioEnv`) and 256 at once
(:class:`VecPortfolioEnv`). The reference is the same environment written the
way a pandas user would, looking rows up in DataFrames at every step; it is
measured in the same run, and its rewards must match the fast environment's to
rounding. The last rows time PPO training (``rl_ppo``) end to end.
"""

from __future__ import annotations

import math
import platform
import time

import numpy as np
import pandas as pd
import torch

import riskalloc as ra
from riskalloc.core import rebalance_step
from riskalloc.features import FeatureBuilder
from riskalloc.strategies.rl import (
    PortfolioEnv,
    SoftmaxActions,
    VecPortfolioEnv,
    observation_features,
)

N_ASSETS = 30
N_DAYS = 2520
EPISODE = 252


class PandasReferenceEnv:
    """The same environment, looking up features and returns in DataFrames at each step."""

    def __init__(self, features: pd.DataFrame, returns: pd.DataFrame, scale, cost_rate):
        self.features, self.returns = features, returns
        self.scale, self.cost_rate = scale, cost_rate

    def reset(self, start):
        self.day, self.end = start, start + EPISODE
        self.drifted = pd.Series(0.0, index=self.returns.columns)
        return np.concatenate([self.features.iloc[self.day].to_numpy(), self.drifted.to_numpy()])

    def step(self, action):
        scores = np.exp(
            self.scale * pd.Series(np.clip(action.astype(float), -1, 1), index=self.returns.columns)
        )
        target = scores / scores.sum()
        turnover = (target - self.drifted).abs().sum()
        next_returns = self.returns.iloc[self.day + 1]
        growth = target * (1 + next_returns)
        value = growth.sum() + (1 - target.sum())
        net = (1 - self.cost_rate * turnover) * value - 1
        self.drifted = growth / value
        self.day += 1
        observation = np.concatenate(
            [self.features.iloc[self.day].to_numpy(), self.drifted.to_numpy()]
        )
        return observation, math.log1p(net), False, self.day == self.end, {}


def synthetic_market(rng):
    returns = rng.normal(3e-4, 0.015, size=(N_DAYS, N_ASSETS))
    dates = pd.bdate_range("2010-01-01", periods=N_DAYS)
    prices = 100 * np.cumprod(1 + returns, axis=0)
    return ra.MarketData(
        pd.DataFrame(prices, index=dates, columns=[f"S{i:02d}" for i in range(N_ASSETS)])
    )


def span_arrays(market):
    builder = FeatureBuilder(
        lookback=1, volatility_windows=(21,), ma_windows=(21,), rsi_window=None,
        drawdown_window=None, market=False,
    ).fit(market)  # fmt: skip
    first = builder.min_history - 1
    dates = market.dates[first:]
    return observation_features(builder, market, dates), market.returns.to_numpy()[first:]


def time_single(env, actions):
    env.reset(seed=0)
    start = time.perf_counter()
    for action in actions:
        if env.step(action)[3]:
            env.reset()
    return time.perf_counter() - start


def time_vectorised(env, actions):
    env.seed(0)
    env.reset()
    start = time.perf_counter()
    for batch in actions:
        env.step(batch)
    return time.perf_counter() - start


def time_reference(env, actions, starts):
    start = time.perf_counter()
    rewards = []
    for episode, first in enumerate(starts):
        env.reset(first)
        for action in actions[episode * EPISODE : (episode + 1) * EPISODE]:
            rewards.append(env.step(action)[1])
    return time.perf_counter() - start, np.array(rewards)


def fast_rewards(env, actions, starts):
    rewards = []
    for episode, first in enumerate(starts):
        env.reset(options={"start": first})
        for action in actions[episode * EPISODE : (episode + 1) * EPISODE]:
            rewards.append(env.step(action)[1])
    return np.array(rewards)


def row(label, episodes, steps, seconds, reference_rate, note=""):
    rate = steps / seconds
    ratio = f"{rate / reference_rate:.0f}x" if reference_rate else "-"
    print(
        f"| {label} | {N_ASSETS} | {episodes} | {steps:,} | {seconds:.3f} | {rate:,.0f} | {ratio} | {note} |"
    )


def main():
    rng = np.random.default_rng(0)
    market = synthetic_market(rng)
    features, returns = span_arrays(market)
    mapping = SoftmaxActions(N_ASSETS)
    print(
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, numpy {np.__version__}, "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads)"
    )
    print(f"observation: {features.shape[1]} features + {N_ASSETS} drifted weights")
    print(
        "| environment | assets | episodes at once | steps | seconds | steps/s | vs pandas | note |"
    )
    print("|---|---|---|---|---|---|---|---|")

    # Reference first: 8 episodes of 252 steps; the fast env replays them for the check.
    reference = PandasReferenceEnv(
        pd.DataFrame(features, index=market.dates[-len(features) :]),
        pd.DataFrame(returns, columns=market.assets),
        mapping.scale,
        1e-3,
    )
    starts = rng.integers(0, len(returns) - EPISODE, size=8)
    actions = rng.uniform(-1, 1, size=(8 * EPISODE, N_ASSETS)).astype(np.float32)
    slow, slow_rewards = time_reference(reference, actions, starts)
    single = PortfolioEnv(features, returns, mapping, cost_rate=1e-3, episode_length=EPISODE)
    gap = np.max(np.abs(fast_rewards(single, actions, starts) - slow_rewards))
    reference_rate = len(actions) / slow
    row("pandas per step (reference)", 1, len(actions), slow, reference_rate, "")

    actions = rng.uniform(-1, 1, size=(200_000, N_ASSETS)).astype(np.float32)
    seconds = min(time_single(single, actions) for _ in range(3))
    row("PortfolioEnv", 1, len(actions), seconds, reference_rate, f"max |reward diff| {gap:.1e}")

    # The floor: the shared reward arithmetic alone, one call per step.
    drifted, target = np.full(N_ASSETS, 1 / N_ASSETS), mapping.weights(actions[0])
    start = time.perf_counter()
    for day in range(1, 100_001):
        rebalance_step(drifted, target, returns[day % len(returns)], 1e-3)
    row("rebalance_step alone (floor)", 1, 100_000, time.perf_counter() - start, reference_rate)

    for n_envs in (16, 256):
        vec = VecPortfolioEnv(
            features, returns, mapping, num_envs=n_envs, cost_rate=1e-3, episode_length=EPISODE
        )
        batches = rng.uniform(-1, 1, size=(2_000, n_envs, N_ASSETS)).astype(np.float32)
        seconds = min(time_vectorised(vec, batches) for _ in range(3))
        row("VecPortfolioEnv", n_envs, batches.shape[0] * n_envs, seconds, reference_rate)

    print()
    print("| training | assets | envs | timesteps | seconds | timesteps/s |")
    print("|---|---|---|---|---|---|")
    train = market.until(market.dates[2015])
    for n_envs in (1, 8):
        strategy = ra.get_strategy(
            "rl_ppo", total_timesteps=20_000, n_envs=n_envs, hidden_size=64, n_layers=2
        )
        start = time.perf_counter()
        strategy.fit(train)
        seconds = time.perf_counter() - start
        print(
            f"| rl_ppo fit (64x2 MLP, CPU) | {N_ASSETS} | {n_envs} | 20,000 | {seconds:.2f} "
            f"| {20_000 / seconds:,.0f} |"
        )


if __name__ == "__main__":
    main()
