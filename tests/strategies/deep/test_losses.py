"""Losses: the torch net-return formula is the backtest's, known answers against the
evaluator and the risk measures, gradients flow, and terms compose arithmetically."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from riskalloc.backtest import simulate
from riskalloc.core import ConfigError, rebalance_step, torch_rebalance_step
from riskalloc.evaluation import cumulative_return, sharpe_ratio, sortino_ratio
from riskalloc.risk import conditional_value_at_risk
from riskalloc.strategies.deep import (
    Loss,
    LossInputs,
    mean_cvar,
    mean_variance,
    mse,
    negative_log_wealth,
    negative_sharpe,
    negative_sortino,
    portfolio_net_returns,
    turnover_penalty,
)

BATCH, DAYS, ASSETS = 3, 40, 5
COST_RATE = 0.0025
CASH_RETURN = 1.03 ** (1 / 252) - 1


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _market(seed=0, days=DAYS):
    """Daily returns, held weights with 10 % cash, daily targets, and previous drifted weights."""
    rng = np.random.default_rng(seed)
    returns = rng.normal(0.0004, 0.012, size=(BATCH, days, ASSETS))
    held = 0.9 * rng.dirichlet(np.ones(ASSETS), size=BATCH)
    daily = 0.9 * rng.dirichlet(np.ones(ASSETS), size=(BATCH, days))
    previous = rng.dirichlet(np.ones(ASSETS), size=BATCH)
    return returns, held, daily, previous


def _inputs(weights, returns, previous=None, **fields):
    as_tensor = lambda a: None if a is None else torch.tensor(a, dtype=torch.float64)  # noqa: E731
    return LossInputs(as_tensor(weights), as_tensor(returns), as_tensor(previous), **fields)


def _numpy_path(weights, returns, previous, cost_rate, cash_return):
    """Replay one path with the backtest's own rebalance_step: (net returns, turnovers)."""
    drifted = np.zeros(returns.shape[1]) if previous is None else previous
    nets, turnovers = [], []
    for day in range(returns.shape[0]):
        if weights.ndim == 2:  # a target per day
            target = weights[day]
        else:  # held: one trade, then the target is the drifted weights
            target = weights if day == 0 else drifted
        net, drifted, turnover = rebalance_step(
            drifted, target, returns[day], cost_rate, cash_return
        )
        nets.append(net)
        turnovers.append(turnover)
    return np.array(nets), np.array(turnovers)


# -- The net-return formula is the backtest's -----------------------------------------

finite = st.floats(-0.5, 0.5, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    drifted=hnp.arrays(np.float64, (4, 6), elements=st.floats(-0.3, 0.6)),
    target=hnp.arrays(np.float64, (4, 6), elements=st.floats(-0.3, 0.6)),
    next_returns=hnp.arrays(np.float64, (4, 6), elements=finite),
    cost_rate=st.floats(0.0, 0.01),
    cash_return=st.floats(-0.001, 0.001),
)
def test_torch_rebalance_step_is_rebalance_step(
    drifted, target, next_returns, cost_rate, cash_return
):
    expected = rebalance_step(drifted, target, next_returns, cost_rate, cash_return)
    got = torch_rebalance_step(
        *map(torch.from_numpy, (drifted, target, next_returns)), cost_rate, cash_return
    )
    for value, reference in zip(got, expected, strict=True):
        np.testing.assert_allclose(value.numpy(), reference, rtol=0, atol=1e-12)


@pytest.mark.parametrize("form", ["held", "daily"])
def test_net_returns_match_simulate_from_cash(form):
    returns, held, daily, _ = _market()
    weights = held if form == "held" else daily
    inputs = _inputs(weights, returns, cost_rate=COST_RATE, cash_return=CASH_RETURN)
    got = portfolio_net_returns(inputs).numpy()
    for path in range(BATCH):
        targets = held[path][None] if form == "held" else daily[path]
        decision_days = np.arange(len(targets))
        padded = np.vstack([np.full(ASSETS, np.nan), returns[path]])  # row 0 is ignored
        expected = simulate(targets, decision_days, padded, COST_RATE, CASH_RETURN).net_returns
        np.testing.assert_allclose(got[path], expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("form", ["held", "daily"])
def test_net_returns_and_turnover_from_previous_weights(form):
    returns, held, daily, previous = _market(seed=1)
    weights = held if form == "held" else daily
    inputs = _inputs(weights, returns, previous, cost_rate=COST_RATE, cash_return=CASH_RETURN)
    got = portfolio_net_returns(inputs).numpy()
    penalty = turnover_penalty(25)(inputs).item()
    total_turnover = 0.0
    for path in range(BATCH):
        nets, turnovers = _numpy_path(
            weights[path], returns[path], previous[path], COST_RATE, CASH_RETURN
        )
        np.testing.assert_allclose(got[path], nets, rtol=0, atol=1e-12)
        total_turnover += turnovers.sum()
        if form == "held":  # one trade, then the weights drift
            np.testing.assert_array_equal(turnovers[1:], 0.0)
    assert penalty == pytest.approx(0.0025 * total_turnover / BATCH, rel=1e-12)


# -- Known answers: the evaluator's metrics and the risk measure -----------------------


def _paths(form="daily", seed=2):
    returns, held, daily, previous = _market(seed=seed)
    inputs = _inputs(held if form == "held" else daily, returns, previous, cost_rate=COST_RATE)
    return inputs, portfolio_net_returns(inputs).numpy()


@pytest.mark.parametrize("form", ["held", "daily"])
@pytest.mark.parametrize("risk_free", [0.0, 0.04])
def test_negative_sharpe_is_the_evaluators_sharpe(form, risk_free):
    inputs, paths = _paths(form)
    expected = -np.mean([sharpe_ratio(path, risk_free) for path in paths])
    assert negative_sharpe(risk_free)(inputs).item() == pytest.approx(expected, abs=1e-10)


@pytest.mark.parametrize("required_return", [0.0, 0.0005])
def test_negative_sortino_is_the_evaluators_sortino(required_return):
    inputs, paths = _paths()
    expected = -np.mean([sortino_ratio(path, required_return) for path in paths])
    assert negative_sortino(required_return)(inputs).item() == pytest.approx(expected, abs=1e-10)


@pytest.mark.parametrize(("days", "confidence"), [(40, 0.95), (40, 0.9), (37, 0.95), (20, 0.95)])
def test_mean_cvar_uses_the_risk_measure(days, confidence):
    # 40 x 0.95 = 38 and 20 x 0.95 = 19 put the VaR on a boundary; 37 days counts it fractionally.
    returns, _, daily, previous = _market(seed=3, days=days)
    inputs = _inputs(daily, returns, previous, cost_rate=COST_RATE)
    paths = portfolio_net_returns(inputs).numpy()
    cvars = [conditional_value_at_risk(np.ones(1), path[:, None], confidence) for path in paths]
    expected = np.mean([-path.mean() + 2.5 * cvar for path, cvar in zip(paths, cvars, strict=True)])
    assert mean_cvar(2.5, confidence)(inputs).item() == pytest.approx(expected, abs=1e-10)


def test_mean_variance_and_log_wealth_known_answers():
    inputs, paths = _paths(form="held")
    expected = np.mean(-paths.mean(axis=1) + 3.0 * paths.var(axis=1, ddof=1))
    assert mean_variance(3.0)(inputs).item() == pytest.approx(expected, abs=1e-12)
    wealth = [1.0 + cumulative_return(path) for path in paths]
    assert negative_log_wealth()(inputs).item() == pytest.approx(
        -np.mean(np.log(wealth)), abs=1e-12
    )


def test_mse_known_answer_and_missing_fields():
    predictions = torch.tensor([[1.0, 2.0], [3.0, 5.0]], dtype=torch.float64)
    targets = torch.tensor([[1.0, 0.0], [0.0, 5.0]], dtype=torch.float64)
    assert mse()(LossInputs(predictions=predictions, targets=targets)).item() == 13.0 / 4.0
    with pytest.raises(ValueError, match="mse: LossInputs needs 'predictions' and 'targets'"):
        mse()(LossInputs(predictions=predictions))
    with pytest.raises(ValueError, match="negative_sharpe: LossInputs needs 'weights'"):
        negative_sharpe()(LossInputs(predictions=predictions, targets=targets))


def test_shapes_are_checked():
    returns, held, _, previous = _market()
    with pytest.raises(ValueError, match=r"weights must be \(batch, assets\) = \(3, 5\)"):
        negative_sharpe()(_inputs(held[:, :4], returns))
    with pytest.raises(ValueError, match=r"previous_weights must be \(batch, assets\)"):
        negative_sharpe()(_inputs(held, returns, previous[:2]))
    with pytest.raises(ValueError, match=r"asset_returns must be \(batch, T, assets\)"):
        negative_sharpe()(_inputs(held, returns[0]))
    with pytest.raises(ConfigError, match="'confidence' must be in"):
        mean_cvar(1.0, confidence=95)
    with pytest.raises(ConfigError, match="'costs_bps'"):
        turnover_penalty(-1)


# -- Gradients flow into the network's scores ------------------------------------------

LOSSES = {
    "negative_sharpe": negative_sharpe(),
    "negative_sortino": negative_sortino(),
    "mean_cvar": mean_cvar(1.0, 0.9),
    "mean_variance": mean_variance(2.0),
    "negative_log_wealth": negative_log_wealth(),
    "turnover_penalty": turnover_penalty(10),
}


@pytest.mark.parametrize("form", ["held", "daily"])
@pytest.mark.parametrize("name", list(LOSSES))
def test_gradients_reach_the_scores(name, form):
    returns, held, daily, previous = _market(seed=4)
    shape = held.shape if form == "held" else daily.shape
    scores = torch.randn(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    scores.requires_grad_()
    inputs = LossInputs(
        torch.softmax(scores, dim=-1),
        torch.from_numpy(returns),
        torch.from_numpy(previous),
        cost_rate=COST_RATE,
    )
    (gradient,) = torch.autograd.grad(LOSSES[name](inputs), scores)
    assert torch.isfinite(gradient).all()
    assert gradient.abs().max() > 1e-8


def test_mse_gradient():
    predictions = torch.zeros(4, 3, dtype=torch.float64, requires_grad=True)
    (gradient,) = torch.autograd.grad(
        mse()(LossInputs(predictions=predictions, targets=torch.ones(4, 3, dtype=torch.float64))),
        predictions,
    )
    torch.testing.assert_close(gradient, torch.full((4, 3), -2.0 / 12, dtype=torch.float64))


# -- Composition -----------------------------------------------------------------------


def test_terms_compose_by_addition_and_scaling():
    inputs, _ = _paths()
    sharpe, penalty, variance = negative_sharpe(), turnover_penalty(10), mean_variance(1.0)
    a, b, c = (term(inputs).item() for term in (sharpe, penalty, variance))

    loss = sharpe + 0.1 * penalty
    assert isinstance(loss, Loss)
    assert loss(inputs).item() == pytest.approx(a + 0.1 * b, abs=1e-14)
    assert (2 * loss)(inputs).item() == pytest.approx(2 * a + 0.2 * b, abs=1e-14)
    assert (loss * 2)(inputs).item() == pytest.approx(2 * a + 0.2 * b, abs=1e-14)
    assert (loss / 4)(inputs).item() == pytest.approx(a / 4 + 0.025 * b, abs=1e-14)
    assert (-loss)(inputs).item() == pytest.approx(-a - 0.1 * b, abs=1e-14)
    assert (loss - variance)(inputs).item() == pytest.approx(a + 0.1 * b - c, abs=1e-14)
    assert sum([sharpe, penalty, variance])(inputs).item() == pytest.approx(a + b + c, abs=1e-14)
    # A plain callable joins as a term; terms keep their order and their names.
    constant = lambda _: torch.tensor(1.5, dtype=torch.float64)  # noqa: E731
    assert (loss + constant)(inputs).item() == pytest.approx(a + 0.1 * b + 1.5, abs=1e-14)
    assert (constant + loss)(inputs).item() == pytest.approx(a + 0.1 * b + 1.5, abs=1e-14)
    assert repr(loss) == "negative_sharpe(risk_free=0.0) + 0.1 * turnover_penalty(costs_bps=10)"
    # The operands are not changed by composing them.
    assert sharpe(inputs).item() == a and len(sharpe.terms) == 1


def test_composition_rejects_what_is_not_a_number_or_a_loss():
    loss = negative_sharpe()
    for bad in ("0.1", True, torch.tensor(2.0)):
        with pytest.raises(TypeError):
            loss * bad
    with pytest.raises(TypeError):
        loss + 1.0
    with pytest.raises(TypeError, match="a Loss takes one LossInputs"):
        loss(torch.zeros(3))


def test_qlike_is_zero_for_a_perfect_forecast_and_smallest_at_the_root_mean_square():
    from riskalloc.strategies.deep._losses import qlike

    loss = qlike()
    realised = torch.tensor([0.1, 0.2, 0.4, 0.3], dtype=torch.float64)
    assert float(loss(LossInputs(predictions=realised, targets=realised))) == 0.0
    # For one forecast v of all four, the minimum is at v² = mean(s²) (not at mean(s)).
    grid = torch.linspace(0.15, 0.35, 2001, dtype=torch.float64)
    values = [float(loss(LossInputs(predictions=v.expand(4), targets=realised))) for v in grid]
    best = float(grid[int(np.argmin(values))])
    assert best == pytest.approx(float(realised.square().mean().sqrt()), abs=2e-4)
    assert best > float(realised.mean()) + 0.01
    # Under-forecasting by a factor costs more than over-forecasting by it.
    under = float(loss(LossInputs(predictions=realised / 1.5, targets=realised)))
    over = float(loss(LossInputs(predictions=realised * 1.5, targets=realised)))
    assert under > over > 0
    with pytest.raises(ValueError, match="qlike"):
        loss(LossInputs(predictions=realised, targets=realised[:2]))
