"""Risk-budgeting and volatility-target layers: skfolio as an oracle, gradcheck, properties."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from skfolio import RiskMeasure
from skfolio.moments import EmpiricalCovariance, EmpiricalMu
from skfolio.optimization import RiskBudgeting
from skfolio.prior import EmpiricalPrior

from riskalloc import ConfigError
from riskalloc.risk import portfolio_volatility, risk_contributions
from riskalloc.strategies.deep import RiskBudgetingLayer, VolatilityTarget


def _random_covariance(rng: np.random.Generator, batch: int, n: int, scale: float = 1e-4):
    """SPD covariances with a common factor, daily-sized by default."""
    factor = rng.normal(size=(batch, n, 1))
    noise = rng.normal(size=(batch, n, 2 * n)) / np.sqrt(2 * n)
    volatility = np.exp(rng.uniform(-1.0, 1.0, size=(batch, n)))
    correlation = 0.5 * factor @ np.swapaxes(factor, 1, 2) + noise @ np.swapaxes(noise, 1, 2)
    return scale * volatility[:, :, None] * correlation * volatility[:, None, :]


def _shares(weights: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    contributions = risk_contributions(weights, covariance)
    return contributions / contributions.sum(axis=-1, keepdims=True)


def test_risk_contributions_equal_budgets():
    rng = np.random.default_rng(0)
    covariance = _random_covariance(rng, 16, 12)
    budgets = rng.dirichlet(np.full(12, 0.5), size=16)
    weights = RiskBudgetingLayer()(torch.tensor(budgets), torch.tensor(covariance)).numpy()
    assert (weights > 0).all()
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=0, atol=1e-14)
    np.testing.assert_allclose(_shares(weights, covariance), budgets, rtol=0, atol=1e-10)


def test_budgets_are_normalised_after_solving_not_inside():
    rng = np.random.default_rng(1)
    covariance = torch.tensor(_random_covariance(rng, 3, 5))
    budgets = torch.tensor(rng.dirichlet(np.ones(5)))
    layer = RiskBudgetingLayer()
    # Budgets that do not sum to one mean their shares.
    torch.testing.assert_close(layer(7.0 * budgets, covariance), layer(budgets, covariance))
    # One budget vector serves the batch; float32 inputs are solved in float64.
    weights = layer(budgets.float(), covariance.float())
    assert weights.dtype == torch.float64
    np.testing.assert_allclose(
        _shares(weights.numpy(), covariance.float().double().numpy()),
        np.broadcast_to(budgets.numpy(), (3, 5)),
        atol=1e-10,
    )


def test_known_answer_uncorrelated_with_its_gradient():
    # Uncorrelated assets: w_i proportional to sqrt(b_i) / sigma_i, gradient included.
    sigma = torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=torch.float64)
    budgets = torch.tensor([[0.1, 0.2, 0.3, 0.4]], dtype=torch.float64, requires_grad=True)
    weights = RiskBudgetingLayer()(budgets, torch.diag(sigma**2)[None])
    closed_form = torch.sqrt(budgets) / sigma
    closed_form = closed_form / closed_form.sum(-1, keepdim=True)
    torch.testing.assert_close(weights, closed_form, rtol=1e-13, atol=0)
    direction = torch.tensor([[1.0, -2.0, 0.5, 3.0]], dtype=torch.float64)
    (ours,) = torch.autograd.grad((weights * direction).sum(), budgets)
    (expected,) = torch.autograd.grad((closed_form * direction).sum(), budgets)
    torch.testing.assert_close(ours, expected, rtol=1e-10, atol=1e-12)


def _skfolio_weights(returns: np.ndarray, budgets: np.ndarray) -> np.ndarray:
    # The sample covariance (ddof=1, not altered) is the covariance both sides use;
    # Clarabel's tolerances are tightened: its defaults meet the budgets to ~5e-5 only,
    # 1e-13 to ~5e-7 at worst on these problems (measured; 1e-14 is worse again).
    prior = EmpiricalPrior(
        mu_estimator=EmpiricalMu(), covariance_estimator=EmpiricalCovariance(ddof=1, nearest=False)
    )
    model = RiskBudgeting(
        risk_measure=RiskMeasure.VARIANCE,
        risk_budget=budgets,
        prior_estimator=prior,
        solver="CLARABEL",
        solver_params={"tol_gap_abs": 1e-13, "tol_gap_rel": 1e-13, "tol_feas": 1e-13},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return model.fit(returns).weights_


@pytest.mark.parametrize("seed", range(6))
def test_weights_agree_with_skfolio(seed):
    rng = np.random.default_rng(seed)
    n = 4 + seed
    returns = 0.01 * rng.normal(size=(150, n)) @ (np.eye(n) + 0.3 * rng.normal(size=(n, n)))
    covariance = np.cov(returns, rowvar=False, ddof=1)
    budgets = rng.dirichlet(np.ones(n)) if seed % 2 else np.full(n, 1.0 / n)
    ours = RiskBudgetingLayer()(torch.tensor(budgets), torch.tensor(covariance)[None]).numpy()[0]
    theirs = _skfolio_weights(returns, budgets)
    np.testing.assert_allclose(_shares(ours, covariance), budgets, rtol=0, atol=1e-12)
    np.testing.assert_allclose(_shares(theirs, covariance), _shares(ours, covariance), atol=1e-6)
    np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-5)


def test_risk_budgeting_gradcheck():
    rng = np.random.default_rng(2)
    covariance = torch.tensor(_random_covariance(rng, 2, 5, scale=1.0), requires_grad=True)
    budgets = torch.tensor(rng.dirichlet(np.ones(5), size=2), requires_grad=True)
    layer = RiskBudgetingLayer()
    assert torch.autograd.gradcheck(layer, (budgets, covariance), atol=1e-9, rtol=1e-6)
    # A daily-sized covariance, gradients with respect to the budgets only.
    small = torch.tensor(_random_covariance(rng, 2, 5))
    assert torch.autograd.gradcheck(lambda b: layer(b, small), (budgets,), atol=1e-9, rtol=1e-6)


def test_risk_budgeting_rejects_bad_inputs():
    covariance = torch.eye(3, dtype=torch.float64)[None]
    with pytest.raises(ValueError, match="budgets must be positive"):
        RiskBudgetingLayer()(torch.tensor([0.5, 0.5, 0.0]), covariance)
    with pytest.raises(ValueError, match="budgets must be"):
        RiskBudgetingLayer()(torch.ones(2, 3), covariance)
    indefinite = torch.tensor([[[1.0, -2.0], [-2.0, 1.0]]], dtype=torch.float64)
    with pytest.raises(RuntimeError, match="did not meet the budgets"):
        RiskBudgetingLayer()(torch.tensor([0.5, 0.5]), indefinite)
    with pytest.raises(ConfigError, match="'tolerance'"):
        RiskBudgetingLayer(tolerance=0.0)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 20),
    batch=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
    log_scale=st.floats(-10.0, 2.0),
    concentration=st.sampled_from([0.2, 1.0, 10.0]),
)
def test_risk_budgeting_properties(n, batch, seed, log_scale, concentration):
    rng = np.random.default_rng(seed)
    covariance = _random_covariance(rng, batch, n, scale=np.exp(log_scale))
    budgets = rng.dirichlet(np.full(n, concentration), size=batch) + 1e-6
    budgets /= budgets.sum(-1, keepdims=True)
    weights = RiskBudgetingLayer()(torch.tensor(budgets), torch.tensor(covariance)).numpy()
    assert (weights > 0).all()
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=0, atol=1e-13)
    np.testing.assert_allclose(_shares(weights, covariance), budgets, rtol=0, atol=1e-10)


def _annual_volatility(weights, covariance):
    return np.sqrt(252) * portfolio_volatility(weights.detach().numpy(), covariance.numpy())


def test_volatility_target_hits_the_target_exactly_when_above_it():
    rng = np.random.default_rng(4)
    covariance = torch.tensor(
        _random_covariance(rng, 8, 6, scale=4e-3)
    )  # ~60 % a year for one asset
    weights = torch.tensor(rng.dirichlet(np.ones(6), size=8))
    assert (_annual_volatility(weights, covariance) > 0.10).all()
    targeted = VolatilityTarget()(weights, covariance)
    np.testing.assert_allclose(_annual_volatility(targeted, covariance), 0.10, rtol=1e-14)
    # Scaled, not reshaped: the same risky mix, the rest in cash.
    torch.testing.assert_close(
        targeted / targeted.sum(-1, keepdim=True), weights, rtol=1e-14, atol=0
    )
    assert ((1.0 - targeted.sum(-1)) > 0).all()
    # Below the target: left alone, never leveraged.
    quiet = covariance * 1e-3
    assert torch.equal(VolatilityTarget()(weights, quiet), weights)


def test_volatility_target_gradcheck_on_both_sides_of_the_target():
    rng = np.random.default_rng(5)
    weights = torch.tensor(rng.dirichlet(np.ones(4), size=3), requires_grad=True)
    for scale, above in ((4e-3, True), (1e-6, False)):
        covariance = torch.tensor(_random_covariance(rng, 3, 4, scale=scale), requires_grad=True)
        assert ((_annual_volatility(weights, covariance.detach()) > 0.12) == above).all()
        assert torch.autograd.gradcheck(
            VolatilityTarget(target=0.12), (weights, covariance), atol=1e-9, rtol=1e-6
        )
    with pytest.raises(ConfigError, match="'target'"):
        VolatilityTarget(target=-0.1)
    with pytest.raises(ConfigError, match="'periods_per_year'"):
        VolatilityTarget(periods_per_year=0)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 15),
    seed=st.integers(0, 2**32 - 1),
    log_scale=st.floats(-14.0, -4.0),
    target=st.floats(0.01, 0.5),
)
def test_volatility_target_properties(n, seed, log_scale, target):
    rng = np.random.default_rng(seed)
    covariance = torch.tensor(_random_covariance(rng, 3, n, scale=np.exp(log_scale)))
    weights = torch.tensor(rng.dirichlet(np.ones(n), size=3))
    before = _annual_volatility(weights, covariance)
    targeted = VolatilityTarget(target=target)(weights, covariance)
    after = _annual_volatility(targeted, covariance)
    np.testing.assert_allclose(after, np.minimum(before, target), rtol=1e-12)
    assert ((targeted >= 0) & (targeted <= weights)).all()
