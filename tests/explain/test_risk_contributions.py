"""Euler risk contributions over time: they sum to the risk, agree with `allocation_risk`,
are the assets' tail losses for CVaR, and never read a return after the decision date."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from riskalloc.core import ConfigError, DataError
from riskalloc.explain import cvar_contributions, risk_contributions_over_time
from riskalloc.risk import allocation_risk, conditional_value_at_risk


@pytest.fixture(scope="module")
def decisions(market) -> pd.DataFrame:
    """Random long-only weights on 12 test dates of bull-2010; some leave cash."""
    rng = np.random.default_rng(4)
    dates = market.dates[-300::25]
    weights = rng.dirichlet(np.ones(len(market.assets)), len(dates))
    weights[::3] *= 0.7  # 30 % cash on every third date
    return pd.DataFrame(weights, index=dates, columns=market.assets)


@pytest.mark.parametrize("measure", ["volatility", "cvar"])
def test_contributions_sum_to_the_risk_and_match_allocation_risk(market, decisions, measure):
    table = risk_contributions_over_time(decisions, market, window=252, measure=measure)
    assert list(table.columns) == ["date", "asset", "weight", "contribution", "share", "risk"]
    assert len(table) == decisions.size
    for date, rows in table.groupby("date"):
        oracle = allocation_risk(decisions.loc[date], market.returns.loc[:date], window=252)
        expected = oracle.volatility if measure == "volatility" else oracle.cvar
        assert rows["risk"].iloc[0] == pytest.approx(expected, rel=1e-12)
        assert rows["contribution"].sum() == pytest.approx(expected, rel=1e-10)
        assert rows["share"].sum() == pytest.approx(1.0, abs=1e-10)
        if measure == "volatility":  # allocation_risk's Euler shares, times the volatility
            shares = oracle.risk_contributions[rows["asset"]].to_numpy()
            np.testing.assert_allclose(rows["share"], shares, rtol=0, atol=1e-12)


def test_cvar_contributions_known_answer_with_a_fractional_boundary_scenario():
    # Losses of the 50/50 portfolio: 1.5 %, 0, -1 %, 2 %. At 60 %, q = 4 * 0.4 = 1.6 days:
    # VaR = 1.5 % (scenario 0), the 2 % day counts fully and the VaR day for 0.6 of a day.
    returns = np.array([[-0.04, 0.01], [0.02, -0.02], [0.01, 0.01], [-0.01, -0.03]])
    weights = np.array([0.5, 0.5])
    contributions = cvar_contributions(weights, returns, confidence=0.6)
    # c_i = w_i * [(-r_3i) / 1.6 + (1 - 1 / 1.6) * (-r_0i)]
    np.testing.assert_allclose(contributions, [0.010625, 0.0075], rtol=0, atol=1e-15)
    assert contributions.sum() == pytest.approx(0.015 + 0.005 / 1.6, abs=1e-15)
    assert conditional_value_at_risk(weights, returns, 0.6) == pytest.approx(0.018125, abs=1e-15)


def test_cvar_contributions_are_weights_times_the_gradient_of_cvar(market):
    # Independent oracle: central finite differences of the evaluator's own CVaR.
    scenarios = market.returns.to_numpy()[-252:]
    weights = np.random.default_rng(1).dirichlet(np.ones(scenarios.shape[1]))
    step = 1e-7
    gradient = np.empty_like(weights)
    for i in range(len(weights)):
        up, down = weights.copy(), weights.copy()
        up[i] += step
        down[i] -= step
        gradient[i] = (
            conditional_value_at_risk(up, scenarios, 0.95)
            - conditional_value_at_risk(down, scenarios, 0.95)
        ) / (2 * step)
    np.testing.assert_allclose(
        cvar_contributions(weights, scenarios, 0.95), weights * gradient, rtol=0, atol=1e-9
    )


@settings(max_examples=60, deadline=None)
@given(
    returns=arrays(float, (40, 4), elements=st.floats(-0.2, 0.2)),
    raw=arrays(float, 4, elements=st.floats(0.0, 1.0)),
    confidence=st.floats(0.5, 0.99),
)
def test_cvar_contributions_always_sum_to_cvar(returns, raw, confidence):
    weights = raw / max(raw.sum(), 1.0)  # long-only, fully invested or partly in cash
    total = conditional_value_at_risk(weights, returns, confidence)
    assert cvar_contributions(weights, returns, confidence).sum() == pytest.approx(total, abs=1e-12)


@pytest.mark.parametrize("measure", ["volatility", "cvar"])
def test_no_look_ahead_future_returns_are_never_read(market, decisions, measure):
    cut = decisions.index[5]
    honest = risk_contributions_over_time(decisions, market.returns, measure=measure)
    poisoned = market.returns.copy()
    later = poisoned.index > cut
    poisoned.loc[later] = np.where(np.arange(later.sum())[:, None] % 2, np.nan, 50.0)
    early = decisions.loc[:cut]
    seen = risk_contributions_over_time(early, poisoned, measure=measure)
    pd.testing.assert_frame_equal(seen, honest[honest["date"] <= cut].reset_index(drop=True))


def test_bad_input_names_the_culprit(market, decisions):
    with pytest.raises(ConfigError, match="'measure'"):
        risk_contributions_over_time(decisions, market, measure="variance")
    with pytest.raises(ConfigError, match="'window'"):
        risk_contributions_over_time(decisions, market, window=1)
    early = decisions.copy()
    early.index = market.dates[100 : 100 + len(early)]
    with pytest.raises(DataError, match=f"up to {market.dates[100].date()}, but window=252"):
        risk_contributions_over_time(early, market)
    with pytest.raises(DataError, match="not a date of the returns"):
        risk_contributions_over_time(
            decisions.set_axis(decisions.index + pd.Timedelta(hours=1)), market
        )
    with pytest.raises(DataError, match="no returns of asset"):
        risk_contributions_over_time(decisions.assign(XYZ=0.0), market)
