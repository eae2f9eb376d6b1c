"""The portfolio environment: Gymnasium/SB3 API checks, the reward is the backtest's net
return, seeded episodes, and the vectorised environment agrees with the single one."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from gymnasium.utils.env_checker import check_env as gymnasium_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import riskalloc as ra
from riskalloc.backtest import simulate
from riskalloc.features import FeatureBuilder
from riskalloc.strategies.rl import (
    CandidateActions,
    PortfolioEnv,
    SoftmaxActions,
    VecPortfolioEnv,
    observation_features,
)


def random_span(n_days=300, n_assets=5, n_features=7, seed=0):
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(n_days, n_features)).astype(np.float32)
    returns = rng.normal(3e-4, 0.02, size=(n_days, n_assets))
    return features, returns


def make_env(cash=False, discrete=False, episode_length=50, **kw):
    features, returns = random_span(**kw)
    n_assets = returns.shape[1]
    if discrete:
        table = np.vstack([np.full(n_assets, 1 / n_assets), np.eye(n_assets)])
        actions = CandidateActions(table, ["equal", *map(str, range(n_assets))])
    else:
        actions = SoftmaxActions(n_assets, cash=cash)
    return PortfolioEnv(features, returns, actions, cost_rate=1e-3, episode_length=episode_length)


@pytest.mark.parametrize(
    "options", [{}, {"cash": True}, {"discrete": True}, {"episode_length": None}]
)
def test_passes_the_gymnasium_and_sb3_checkers(options):
    env = make_env(**options)
    with warnings.catch_warnings():
        # Unbounded (standardised) observations are deliberate; the checkers only advise.
        warnings.simplefilter("ignore", UserWarning)
        gymnasium_check_env(env, skip_render_check=True)
        sb3_check_env(make_env(**options), warn=False)


@pytest.mark.parametrize("cash", [False, True])
def test_rewards_replay_through_simulate_to_1e_12(cash):
    env = make_env(cash=cash, episode_length=120)
    rng = np.random.default_rng(3)
    observation, info = env.reset(seed=11)
    start = info["start"]
    targets, rewards, turnovers = [], [], []
    n_assets = env.actions.n_assets
    for _ in range(120):
        action = rng.uniform(-1, 1, size=env.action_space.shape).astype(np.float32)
        targets.append(env.actions.weights(action).copy())
        # The observation holds the drifted weights the trade starts from.
        np.testing.assert_allclose(observation[7 : 7 + n_assets], env.drifted_weights, atol=1e-7)
        observation, reward, terminated, truncated, info = env.step(action)
        rewards.append(reward)
        turnovers.append(info["turnover"])
        assert not terminated
    assert truncated
    returns = env._returns[start : start + 121]
    simulation = simulate(np.array(targets), np.arange(120), returns, cost_rate=1e-3)
    np.testing.assert_allclose(np.expm1(rewards), simulation.net_returns, rtol=0, atol=1e-12)
    np.testing.assert_allclose(turnovers, simulation.turnover, rtol=0, atol=1e-12)
    if cash:
        assert np.array(targets).sum(axis=1).min() < 1.0


def test_an_episode_replays_through_the_backtest_to_1e_12():
    """An episode of actions, as target weights of a strategy, gives the backtest's net returns."""
    rng = np.random.default_rng(0)
    n_days, n_assets = 260, 4
    dates = pd.bdate_range("2015-01-01", periods=n_days)
    prices = pd.DataFrame(
        100 * np.cumprod(1 + rng.normal(3e-4, 0.015, size=(n_days, n_assets)), axis=0),
        index=dates,
        columns=list("ABCD"),
    )
    market = ra.MarketData(prices)
    builder = FeatureBuilder(
        lookback=3, volatility_windows=(5,), ma_windows=(), rsi_window=None,
        drawdown_window=None, market=False,
    ).fit(market)  # fmt: skip
    first = builder.min_history - 1
    span = market.dates[first:]
    env = PortfolioEnv(
        observation_features(builder, market, span),
        market.returns.to_numpy()[first:],
        SoftmaxActions(n_assets, scale=3.0),
        cost_rate=2.5e-3,
        episode_length=100,
    )
    env.reset(options={"start": 40})
    targets, rewards = [], []
    for _ in range(100):
        action = rng.uniform(-1, 1, size=n_assets)
        targets.append(env.actions.weights(action).copy())
        rewards.append(env.step(action)[1])
    decision_dates = span[40:140]

    class Replay:
        name = "replay"

        def fit(self, train):
            return self

        def allocate(self, history, dates):
            return pd.DataFrame(targets, index=dates, columns=history.assets)

    result = ra.backtest(
        prices.loc[: span[140]], Replay(), costs_bps=25, test_start=span[41], rebalance="daily"
    )
    assert result.weights.index.equals(decision_dates)
    np.testing.assert_allclose(result.returns.to_numpy(), np.expm1(rewards), rtol=0, atol=1e-12)


def test_seeded_resets_repeat_and_fixed_length_episodes_stay_in_the_span():
    env = make_env(episode_length=50, n_days=120)
    starts = [env.reset(seed=5)[1]["start"] for _ in range(2)]
    assert starts[0] == starts[1]
    env.reset(seed=5)
    draws = [env.reset()[1]["start"] for _ in range(200)]
    assert min(draws) >= 0 and max(draws) <= 120 - 1 - 50
    assert len(set(draws)) > 20  # random start dates
    env.reset(options={"start": 69})
    steps = 0
    truncated = False
    while not truncated:
        *_, truncated, _ = env.step(env.action_space.sample())
        steps += 1
    assert steps == 50 and env.day == 119


def test_vectorised_env_matches_single_envs_step_for_step():
    features, returns = random_span(n_days=200, n_assets=6, seed=4)
    actions = SoftmaxActions(6, cash=True)
    vec = VecPortfolioEnv(features, returns, actions, num_envs=5, episode_length=30)
    vec.seed(7)
    observations = vec.reset()
    singles = []
    for i in range(5):
        env = PortfolioEnv(features, returns, actions, episode_length=30)
        obs, _ = env.reset(options={"start": int(vec._days[i])})
        np.testing.assert_array_equal(obs, observations[i])
        singles.append(env)
    rng = np.random.default_rng(1)
    for step in range(30):
        batch = rng.uniform(-1, 1, size=(5, 7)).astype(np.float32)
        observations, rewards, dones, infos = vec.step(batch)
        for i, env in enumerate(singles):
            obs, reward, _, truncated, _ = env.step(batch[i])
            assert rewards[i] == pytest.approx(reward, abs=1e-6)  # float32 rewards
            assert dones[i] == truncated == (step == 29)
            if dones[i]:
                np.testing.assert_array_equal(infos[i]["terminal_observation"], obs)
                assert infos[i]["TimeLimit.truncated"]
            else:
                np.testing.assert_array_equal(observations[i], obs)
    # After the time limit every episode restarted in cash on a new day.
    assert np.all(observations[:, -1] == 1.0)


def test_vectorised_env_is_reproducible_from_its_seed():
    features, returns = random_span()
    runs = []
    for _ in range(2):
        vec = VecPortfolioEnv(features, returns, SoftmaxActions(5), num_envs=4, episode_length=10)
        vec.seed(3)
        first = vec.reset()
        for _ in range(25):
            last = vec.step(np.zeros((4, 5), dtype=np.float32))[0]
        runs.append((first, last, vec._days.copy()))
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_missing_returns_are_refused_by_name():
    features, returns = random_span()
    returns[10, 2] = np.nan
    with pytest.raises(ra.DataError, match="return is missing on day 10"):
        PortfolioEnv(features, returns, SoftmaxActions(5))


@pytest.mark.parametrize("make", [PortfolioEnv, VecPortfolioEnv])
def test_returns_and_action_mapping_must_agree_on_the_assets(make):
    features, returns = random_span()  # five assets
    with pytest.raises(ra.DataError, match=f"{make.__name__}: returns have 5 assets"):
        make(features, returns, SoftmaxActions(4))
