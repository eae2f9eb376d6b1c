"""`RLAllocator`: a stable-baselines3 agent trained in :class:`VecPortfolioEnv`, as an Allocator."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch

from riskalloc.core import ConfigError, DataError, RunContext, rebalance_step, seeded, threads_for
from riskalloc.data import MarketData
from riskalloc.features import FeatureBuilder
from riskalloc.strategies._protocol import (
    BaseAllocator,
    check_positive_int,
    decision_positions,
    finite_weights,
)
from riskalloc.strategies._training_progress import (
    TrainingUnit,
    is_training_reported,
    report_training,
)
from riskalloc.strategies.rl._actions import CandidateActions, SoftmaxActions
from riskalloc.strategies.rl._environment import observation_features
from riskalloc.strategies.rl._persistence import load_allocator, save_allocator
from riskalloc.strategies.rl._vector import VecPortfolioEnv

__all__ = ["RLAllocator", "timestep_progress"]


def timestep_progress(total_timesteps: int) -> Any:
    """A stable-baselines3 callback that reports the timesteps done, about a hundred times
    a training run, to the training listener (:func:`reporting_training`); None when nobody
    listens. It only reads the agent's step count, so the training is the same with it."""
    if not is_training_reported():
        return None
    from stable_baselines3.common.callbacks import BaseCallback

    every = max(1, total_timesteps // 100)

    class TimestepProgress(BaseCallback):
        reported = -1

        def _on_step(self) -> bool:
            if self.num_timesteps // every != self.reported:
                self.reported = self.num_timesteps // every
                report_training(TrainingUnit.TIMESTEP, self.num_timesteps, total_timesteps)
            return True

    return TimestepProgress()


def episode_rewards() -> Any:
    """A stable-baselines3 callback that records each finished training episode's total
    reward (the sum of its daily ``log(1 + net return)``) and the timestep it ended at. It
    only reads the rewards, so the training is the same with it."""
    from stable_baselines3.common.callbacks import BaseCallback

    class EpisodeRewards(BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.running: np.ndarray | None = None
            self.rows: list[tuple[int, float]] = []

        def _on_step(self) -> bool:
            rewards = np.asarray(self.locals.get("rewards", ()), dtype=float).reshape(-1)
            dones = np.asarray(self.locals.get("dones", ()), dtype=bool).reshape(-1)
            if rewards.size == 0:
                return True
            if self.running is None or self.running.shape != rewards.shape:
                self.running = np.zeros_like(rewards)
            self.running += rewards
            for env in np.flatnonzero(dones):
                self.rows.append((int(self.num_timesteps), float(self.running[env])))
                self.running[env] = 0.0
            return True

        def log(self) -> pd.DataFrame:
            return pd.DataFrame(self.rows, columns=["timestep", "episode_reward"])

    return EpisodeRewards()


class RLAllocator(BaseAllocator):
    """A policy trained by a stable-baselines3 agent to trade a long-only portfolio daily.

    ``fit`` builds, from the training span only, the observation features (log return,
    trailing volatilities and moving-average ratios of each asset over the last
    ``lookback`` days, standardised by a :class:`~riskalloc.features.FeatureBuilder`
    whose statistics are fitted on the training span and then frozen), and trains the
    agent for ``total_timesteps`` steps in :class:`VecPortfolioEnv` (``n_envs`` episodes
    of ``episode_length`` days from random start days, starting in cash). The reward is
    ``log(1 + net return)`` after ``costs_bps`` on turnover, by the backtest's own
    :func:`~riskalloc.core.rebalance_step`; cash (with ``cash=True``, or a DQN
    candidate that leaves some) earns ``risk_free`` (annual, compounded daily, as in the
    backtest), in training and in the drift the policy observes at allocation.
    ``costs_bps`` and ``risk_free`` default to None: the run's, from the context that
    ``fit`` gets, so the agent trains at the costs and cash rate it is judged by.

    ``allocate`` replays the policy over the decision dates: starting in cash at the
    first date, it observes the features at each date and the weights the portfolio has
    drifted to (from realised returns up to that date only), and decides
    deterministically (``predict(deterministic=True)``). Same ``seed`` on CPU, same
    weights. The drifted weights it saw are kept in ``drifted_weights_``.

    Subclasses choose the agent (:meth:`build_agent`) and the action mapping.
    """

    name: ClassVar[str] = "rl"
    family: ClassVar[str] = "rl"
    stochastic: ClassVar[bool] = True
    saveable: ClassVar[bool] = True
    #: The stable-baselines3 algorithm class (set by each subclass).
    algorithm: ClassVar[Any] = None

    def __init__(
        self,
        total_timesteps: int = 50_000,
        learning_rate: float = 3e-4,
        gamma: float = 0.99,
        hidden_size: int = 64,
        n_layers: int = 2,
        n_envs: int = 4,
        episode_length: int | None = 252,
        lookback: int = 1,
        volatility_windows: tuple[int, ...] = (21,),
        ma_windows: tuple[int, ...] = (21,),
        costs_bps: float | None = None,
        cash: bool = False,
        risk_free: float | None = None,
        seed: int = 0,
        device: str = "cpu",
    ) -> None:
        self.total_timesteps = total_timesteps
        self.learning_rate = learning_rate
        self.gamma = gamma
        self.hidden_size = hidden_size
        self.n_layers = n_layers
        self.n_envs = n_envs
        self.episode_length = episode_length
        self.lookback = lookback
        self.volatility_windows = volatility_windows
        self.ma_windows = ma_windows
        self.costs_bps = costs_bps
        self.cash = cash
        self.risk_free = risk_free
        self.seed = seed
        self.device = device

    # --- what each agent says ---------------------------------------------------------
    def action_mapping(self, train: MarketData) -> SoftmaxActions | CandidateActions:
        raise NotImplementedError

    def build_agent(self, env: VecPortfolioEnv) -> Any:
        """The stable-baselines3 model, seeded with ``seed``, ready to learn in ``env``."""
        raise NotImplementedError

    def policy_kwargs(self) -> dict[str, Any]:
        return {"net_arch": [int(self.hidden_size)] * int(self.n_layers)}

    # --- parameters -------------------------------------------------------------------
    def _check_parameters(self) -> None:
        for parameter, minimum in (
            ("total_timesteps", 1), ("hidden_size", 1), ("n_layers", 1), ("n_envs", 1),
            ("lookback", 1), ("seed", 0),
        ):  # fmt: skip
            check_positive_int(getattr(self, parameter), parameter, self.name, minimum)
        if self.episode_length is not None:
            check_positive_int(self.episode_length, "episode_length", self.name, 1)
        for parameter in ("learning_rate", "costs_bps", "risk_free"):
            value = getattr(self, parameter)
            if value is None and parameter != "learning_rate":
                continue  # the run's (context_)
            ok = not isinstance(value, bool) and isinstance(value, int | float)
            if (
                not ok
                or not math.isfinite(value)
                or value < 0
                or (parameter == "learning_rate" and value == 0)
            ):
                bound = "> 0" if parameter == "learning_rate" else ">= 0"
                raise ConfigError(
                    f"{self.name}: parameter '{parameter}' must be a finite number {bound}, "
                    f"got {value!r}"
                )
        gamma = self.gamma
        if isinstance(gamma, bool) or not isinstance(gamma, int | float) or not 0 <= gamma <= 1:
            raise ConfigError(
                f"{self.name}: parameter 'gamma' must be a discount factor in [0, 1], got {gamma!r}"
            )
        if not isinstance(self.cash, bool):
            raise ConfigError(
                f"{self.name}: parameter 'cash' must be True or False, got {self.cash!r}"
            )
        for parameter in ("volatility_windows", "ma_windows"):
            windows = getattr(self, parameter)
            if not isinstance(windows, tuple | list):
                raise ConfigError(
                    f"{self.name}: parameter '{parameter}' must be a tuple of integers, got {windows!r}"
                )
            for window in windows:
                check_positive_int(window, parameter, self.name, 2)
        try:
            torch.device(self.device)
        except (RuntimeError, TypeError):
            raise ConfigError(
                f"{self.name}: parameter 'device' must name a torch device such as 'cpu' or "
                f"'cuda', got {self.device!r}"
            ) from None

    def feature_builder(self) -> FeatureBuilder:
        """The (unfitted) builder of the observation features."""
        return FeatureBuilder(
            lookback=self.lookback,
            volatility_windows=tuple(self.volatility_windows),
            ma_windows=tuple(self.ma_windows),
            rsi_window=None,
            drawdown_window=None,
            market=False,
        )

    @property
    def min_history(self) -> int:
        """Prices up to the first decision date: the feature window plus its warm-up."""
        self._check_parameters()
        return self.feature_builder().min_history

    @property
    def cost_rate(self) -> float:
        """Cost per unit of turnover: ``costs_bps``, or the run's when it is None."""
        return self.training_cost_rate(self.costs_bps)

    @property
    def cash_return(self) -> float:
        """Daily return of cash: ``risk_free`` (annual) compounded daily, or the run's cash rate
        when it is None, as the backtest's."""
        return self.training_cash_return(self.risk_free)

    # --- fit ------------------------------------------------------------------------------
    def fit(self, train: MarketData, context: RunContext | None = None) -> RLAllocator:
        self._check_parameters()
        super().fit(train, context)
        builder = self.feature_builder()
        first = builder.min_history - 1
        if len(train) - first < 2:
            raise DataError(
                f"{self.name}: {len(train)} training dates of {train.name} leave no step to "
                f"train on; need at least {builder.min_history + 1} (the feature window and "
                "warm-up, plus a day to hold)"
            )
        self.features_ = builder.fit(train)
        dates = train.dates[first:]
        self.actions_ = self.action_mapping(train)
        env = VecPortfolioEnv(
            observation_features(self.features_, train, dates),
            train.returns.to_numpy()[first:],
            self.actions_,
            num_envs=self.n_envs,
            cost_rate=self.cost_rate,
            episode_length=self.episode_length,
            cash_return=self.cash_return,
        )
        with seeded(self.seed, deterministic=False), threads_for(self.hidden_size * self.n_envs):
            self.model_ = self.build_agent(env)
            episodes = episode_rewards()
            progress = timestep_progress(int(self.total_timesteps))
            self.model_.learn(
                total_timesteps=int(self.total_timesteps),
                progress_bar=False,
                callback=[episodes] if progress is None else [episodes, progress],
            )
        self.training_log_ = episodes.log()
        return self

    # --- allocate -------------------------------------------------------------------------
    def allocate(self, history: MarketData, dates: pd.DatetimeIndex) -> pd.DataFrame:
        """Replay the policy from cash over ``dates``, one decision after the other.

        Between decisions the portfolio drifts with the realised returns (the same
        :func:`~riskalloc.backtest.rebalance_step`, with no trade), so the weights seen at
        a decision date use returns up to that date and nothing after it.
        """
        if not hasattr(self, "model_"):
            raise ConfigError(f"{self.name}: call fit(train) before allocate()")
        dates = pd.DatetimeIndex(dates)
        if list(history.assets) != self.assets_:
            raise DataError(
                f"{self.name}: history assets {list(history.assets)} differ from those fitted "
                f"{self.assets_}"
            )
        positions = decision_positions(history, dates, self.name)
        features = observation_features(self.features_, history, dates)
        returns = history.returns.to_numpy()
        n_assets = len(self.assets_)
        n_features = features.shape[1]
        observation = np.zeros(n_features + n_assets + int(self.actions_.cash), dtype=np.float32)
        weights = np.empty((len(dates), n_assets))
        observed = np.empty((len(dates), n_assets))
        drifted = np.zeros(n_assets)  # the portfolio starts in cash
        cash_return = self.cash_return
        with threads_for(self.hidden_size):
            for k, position in enumerate(positions):
                if k > 0:
                    held = weights[k - 1]
                    for day in range(positions[k - 1] + 1, position + 1):
                        _, drifted, _ = rebalance_step(
                            drifted, held, returns[day], self.cost_rate, cash_return
                        )
                        held = drifted  # no trade between decisions
                observed[k] = drifted
                observation[:n_features] = features[k]
                observation[n_features : n_features + n_assets] = drifted
                if self.actions_.cash:
                    observation[-1] = 1.0 - drifted.sum()
                action, _ = self.model_.predict(observation, deterministic=True)
                weights[k] = self.actions_.weights(action)
        #: The drifted weights the policy saw before each decision's trade.
        self.drifted_weights_ = pd.DataFrame(observed, index=dates, columns=history.assets)
        return finite_weights(pd.DataFrame(weights, index=dates, columns=history.assets), self.name)

    # --- persistence ------------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Write ``policy.zip`` (stable-baselines3's file) and ``manifest.json`` to ``directory``;
        :func:`riskalloc.load_model` (with ``trust_model=True``) reads it back."""
        return save_allocator(self, directory)

    @classmethod
    def load(cls, directory: str | Path, *, trust_model: bool = False) -> RLAllocator:
        """A fitted allocator of this class (or a subclass) from :meth:`save`'s folder.

        ``trust_model=True`` is required: loading the policy zip runs code from the folder.
        """

        def agent_class(name: str) -> type:
            for candidate in _with_subclasses(cls):
                if candidate.name == name:
                    return candidate
            raise ConfigError(f"{directory}: holds a '{name}' model, not '{cls.name}'")

        return load_allocator(directory, agent_class, trust_model=trust_model)


def _with_subclasses(cls: type) -> list[type]:
    """``cls`` and every class below it."""
    found = [cls]
    for subclass in cls.__subclasses__():
        found.extend(_with_subclasses(subclass))
    return found
