"""A deliberately slow, seeded strategy, registered through RISKALLOC_PLUGINS in tests."""

import time

import numpy as np
import pandas as pd

from riskalloc.strategies import BaseAllocator, register


class SlowRandom(BaseAllocator):
    """Random long-only weights from a seeded Dirichlet draw, after a pause."""

    name = "slow_random"
    stochastic = True

    def __init__(self, seed: int = 0, delay: float = 0.3) -> None:
        self.seed = seed
        self.delay = delay

    def allocate(self, history, dates):
        time.sleep(self.delay)
        rng = np.random.default_rng(self.seed)
        weights = rng.dirichlet(np.ones(len(history.assets)), size=len(dates))
        return pd.DataFrame(weights, index=dates, columns=history.assets)


class Broken(BaseAllocator):
    """Always fails: a bug inside a strategy must not stop the other cells."""

    name = "broken"

    def __init__(self) -> None:
        pass

    def allocate(self, history, dates):
        raise RuntimeError("this strategy is broken on purpose")


register("slow_random", SlowRandom)
register("broken", Broken)


class TrailingMeanForecast(BaseAllocator):
    """Forecasts each asset's next-day return as its trailing mean; holds the positive ones."""

    name = "trailing_mean_forecast"

    def __init__(self, window: int = 20) -> None:
        self.window = window

    @property
    def min_history(self) -> int:
        return self.window + 1

    def allocate(self, history, dates):
        windows = history.return_windows(dates, self.window, strategy=self.name)
        predicted = windows.mean(axis=1)
        self.forecasts_ = pd.DataFrame(
            {
                "date": np.repeat(dates, len(history.assets)),
                "asset": np.tile(np.asarray(history.assets), len(dates)),
                "target": "return",
                "predicted": predicted.ravel(),
            }
        )
        positive = np.maximum(predicted, 0.0)
        total = positive.sum(axis=1, keepdims=True)
        weights = np.where(
            total > 0, positive / np.where(total > 0, total, 1.0), 1.0 / len(history.assets)
        )
        return pd.DataFrame(weights, index=dates, columns=history.assets)


register("trailing_mean_forecast", TrailingMeanForecast)
