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
