"""The trainable vol target and vol_risk_budget annualise with the data's periods a year.

A per-period covariance of monthly data is annualised with 12, not 252: the limit layer
scales weights so that ``sqrt(12 w'Sw)`` meets the target, and the training context of a
monthly backtest reaches vol_risk_budget's model.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import riskalloc as ra
from riskalloc.strategies.deep._limit_layers import LimitLayers
from riskalloc.strategies.limits import Limits


def test_the_vol_target_layer_uses_the_datas_periods():
    rng = np.random.default_rng(0)
    returns = rng.normal(0.0, 0.05, (120, 4))  # monthly returns, about 17 % a year
    covariance = torch.as_tensor(np.cov(returns, rowvar=False)[None])
    weights = torch.full((1, 4), 0.25, dtype=torch.float64)
    for periods in (12, 252):
        limited = LimitLayers(Limits(vol_target=0.05), periods)(weights, covariance=covariance)
        variance = torch.einsum("bi,bij,bj->b", limited, covariance, limited)
        assert float(torch.sqrt(periods * variance)) == pytest.approx(0.05, rel=1e-9)


def test_a_monthly_backtest_trains_vol_risk_budget_at_twelve_periods():
    daily = ra.load_dataset("sp500").loc["2000-01-01":"2019-12-31"].iloc[:, :6]
    monthly = daily.groupby(daily.index.to_period("M")).tail(1)
    torch.set_num_threads(1)
    strategy = ra.get_strategy(
        "vol_risk_budget", network="mlp", hidden_size=8, epochs=1, lookback=12,
        volatility_windows=(3,), ma_windows=(3,), rsi_window=None, drawdown_window=12,
        market=False, retrain_every=None, horizon=3, correlation_window=24,
    )  # fmt: skip
    result = ra.backtest(monthly, strategy, rebalance="monthly", test_start="2015-01-01")
    assert result.periods_per_year == 12 and strategy.context_.periods_per_year == 12
    assert strategy.model_.periods_per_year == 12
    frame = strategy.regimes_
    assert (frame["forecast_volatility"] <= frame["target_volatility"] + 1e-9).all()
