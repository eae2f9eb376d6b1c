"""Mean-variance layer: closed form and cvxpy as oracles, gradcheck, properties."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from riskalloc import ConfigError
from riskalloc.risk import portfolio_mean, portfolio_variance
from riskalloc.strategies.deep import MeanVarianceLayer


def _random_problem(rng: np.random.Generator, batch: int, n: int, scale: float = 1e-4):
    factor = rng.normal(size=(batch, n, 1))
    noise = rng.normal(size=(batch, n, 2 * n)) / np.sqrt(2 * n)
    covariance = scale * (
        0.5 * factor @ np.swapaxes(factor, 1, 2) + noise @ np.swapaxes(noise, 1, 2)
    )
    mean = np.sqrt(scale) * 0.1 * rng.normal(size=(batch, n))
    return torch.tensor(mean), torch.tensor(covariance)


def _cvxpy_long_only(mean: np.ndarray, covariance: np.ndarray, risk_aversion: float) -> np.ndarray:
    w = cp.Variable(len(mean))
    objective = -mean @ w + risk_aversion * cp.quad_form(w, cp.psd_wrap(covariance))
    problem = cp.Problem(cp.Minimize(objective), [cp.sum(w) == 1, w >= 0])
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-14, tol_gap_rel=1e-14, tol_feas=1e-14)
    assert problem.status == cp.OPTIMAL
    return w.value


def _objective(weights, mean, covariance, risk_aversion):
    weights, mean, covariance = (np.asarray(x) for x in (weights, mean, covariance))
    return -portfolio_mean(weights, mean) + risk_aversion * portfolio_variance(weights, covariance)


def test_budget_only_is_the_kkt_solution():
    mean, covariance = _random_problem(np.random.default_rng(0), 5, 7)
    weights = MeanVarianceLayer(risk_aversion=3.0, long_only=False)(mean, covariance).numpy()
    for k in range(5):
        kkt = np.zeros((8, 8))
        kkt[:7, :7] = 2 * 3.0 * covariance[k].numpy()
        kkt[:7, 7] = 1.0
        kkt[7, :7] = 1.0
        expected = np.linalg.solve(kkt, np.append(mean[k].numpy(), 1.0))[:7]
        np.testing.assert_allclose(weights[k], expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=0, atol=1e-12)
    assert (weights < 0).any()  # short positions are allowed here


@pytest.mark.parametrize("risk_aversion", [0.5, 5.0, 100.0])
def test_long_only_equals_cvxpy(risk_aversion):
    mean, covariance = _random_problem(np.random.default_rng(1), 6, 10)
    weights = MeanVarianceLayer(risk_aversion=risk_aversion)(mean, covariance).numpy()
    assert (weights >= 0).all()
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=0, atol=1e-13)
    for k in range(6):
        theirs = _cvxpy_long_only(mean[k].numpy(), covariance[k].numpy(), risk_aversion)
        np.testing.assert_allclose(weights[k], theirs, rtol=0, atol=1e-7)
        ours_value = _objective(weights[k], mean[k], covariance[k], risk_aversion)
        theirs_value = _objective(np.clip(theirs, 0, None), mean[k], covariance[k], risk_aversion)
        assert ours_value <= theirs_value + 1e-12
    if risk_aversion < 1.0:
        assert (weights == 0).any()  # the case the active set is for


def test_long_only_without_binding_bounds_is_the_closed_form():
    # Strong diversification (high risk aversion, flat means): no weight at zero.
    mean, covariance = _random_problem(np.random.default_rng(2), 4, 5)
    covariance = covariance + 1e-4 * torch.eye(5, dtype=torch.float64)
    layer = MeanVarianceLayer(risk_aversion=1e3)
    long_only = layer(0.0 * mean, covariance)
    assert (long_only > 0).all()
    budget_only = MeanVarianceLayer(risk_aversion=1e3, long_only=False)(0.0 * mean, covariance)
    torch.testing.assert_close(long_only, budget_only, rtol=0, atol=1e-13)


@pytest.mark.parametrize("long_only", [False, True])
def test_mean_variance_gradcheck(long_only):
    mean, covariance = _random_problem(np.random.default_rng(3), 3, 6, scale=1.0)
    layer = MeanVarianceLayer(risk_aversion=0.4, long_only=long_only)
    weights = layer(mean, covariance)
    if long_only:  # some assets excluded, some held: both parts of the active set
        assert (weights == 0).any() and ((weights > 0).sum(-1) > 1).all()
    mean.requires_grad_(True)
    covariance.requires_grad_(True)
    assert torch.autograd.gradcheck(layer, (mean, covariance), atol=1e-9, rtol=1e-6)


def test_mean_variance_rejects_bad_inputs():
    with pytest.raises(ConfigError, match="'risk_aversion'"):
        MeanVarianceLayer(risk_aversion=0.0)
    with pytest.raises(ValueError, match="mean must be"):
        MeanVarianceLayer()(torch.zeros(2, 3), torch.eye(3, dtype=torch.float64)[None])


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 20),
    batch=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
    log_scale=st.floats(-10.0, 0.0),
    risk_aversion=st.floats(0.01, 100.0),
)
def test_long_only_properties(n, batch, seed, log_scale, risk_aversion):
    rng = np.random.default_rng(seed)
    mean, covariance = _random_problem(rng, batch, n, scale=np.exp(log_scale))
    covariance = covariance + np.exp(log_scale) * 1e-3 * torch.eye(n, dtype=torch.float64)
    weights = MeanVarianceLayer(risk_aversion=risk_aversion)(mean, covariance)
    assert (weights >= 0).all()
    np.testing.assert_allclose(weights.sum(-1).numpy(), 1.0, rtol=0, atol=1e-12)
    # No feasible portfolio nearby does better (a vertex and a random mix).
    value = _objective(weights, mean, covariance, risk_aversion)
    for other in (torch.eye(n, dtype=torch.float64)[0], torch.tensor(rng.dirichlet(np.ones(n)))):
        for step in (1e-3, 0.1, 1.0):
            candidate = (1 - step) * weights + step * other
            worse = _objective(candidate, mean, covariance, risk_aversion)
            assert (value <= worse + 1e-12 * (1.0 + np.abs(worse))).all()
