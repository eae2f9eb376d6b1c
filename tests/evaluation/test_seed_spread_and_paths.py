"""Seed summaries and the wealth/drawdown paths behind the metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from riskalloc.evaluation import drawdown_path, max_drawdown, seed_spread, wealth_path


def test_seed_spread_gives_mean_std_and_the_best_and_worst_seed_by_sharpe():
    metrics = pd.DataFrame(
        {
            "scenario": "s",
            "strategy": ["deep"] * 3 + ["ew"],
            "seed": [0, 1, 2, 0],
            "sharpe": [0.5, 1.5, 1.0, 0.8],
            "annual_return": [0.05, 0.20, 0.10, 0.07],
        }
    )
    spread = seed_spread(metrics).set_index(["strategy", "statistic"])
    assert spread.loc[("deep", "mean"), "annual_return"] == pytest.approx(0.35 / 3)
    assert spread.loc[("deep", "std"), "sharpe"] == pytest.approx(0.5)
    assert spread.loc[("deep", "best"), "seed"] == 1
    assert spread.loc[("deep", "best"), "annual_return"] == pytest.approx(0.20)
    assert spread.loc[("deep", "worst"), "seed"] == 0
    assert spread.loc[("deep", "mean"), "seeds"] == 3
    assert np.isnan(spread.loc[("ew", "std"), "sharpe"])  # one seed has no spread
    assert spread.loc[("ew", "best"), "seed"] == spread.loc[("ew", "worst"), "seed"] == 0


def test_seed_spread_breaks_ties_towards_the_lowest_seed():
    metrics = pd.DataFrame(
        {"scenario": "s", "strategy": "x", "seed": [2, 0, 1], "sharpe": [1.0, 1.0, 1.0]}
    )
    spread = seed_spread(metrics).set_index("statistic")
    assert spread.loc["best", "seed"] == 0
    assert spread.loc["worst", "seed"] == 0


def test_seed_spread_ranks_an_undefined_sharpe_lowest():
    metrics = pd.DataFrame(
        {"scenario": "s", "strategy": "x", "seed": [0, 1], "sharpe": [np.nan, -2.0]}
    )
    spread = seed_spread(metrics).set_index("statistic")
    assert spread.loc["best", "seed"] == 1 and spread.loc["worst", "seed"] == 0


@given(st.lists(st.floats(min_value=-0.5, max_value=0.5, allow_nan=False), min_size=1, max_size=60))
def test_the_drawdown_path_bottoms_at_the_max_drawdown(values):
    returns = pd.Series(values)
    path = drawdown_path(returns)
    assert path.max() <= 0.0
    assert path.min() == pytest.approx(min(max_drawdown(returns), 0.0), abs=1e-12)
    assert wealth_path(returns).iloc[-1] == pytest.approx(np.prod(1 + np.asarray(values)))
