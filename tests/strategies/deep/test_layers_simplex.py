"""Softmax and capped-simplex layers: cvxpy's projection as an oracle, gradcheck, properties."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from riskalloc import ConfigError
from riskalloc.strategies.deep import CappedSimplex, SoftmaxAllocation, project_capped_simplex


def _cvxpy_projection(v: np.ndarray, cap: float) -> np.ndarray:
    w = cp.Variable(len(v))
    problem = cp.Problem(cp.Minimize(cp.sum_squares(w - v)), [cp.sum(w) == 1, w >= 0, w <= cap])
    problem.solve(
        solver=cp.CLARABEL, tol_gap_abs=1e-14, tol_gap_rel=1e-14, tol_feas=1e-14, tol_ktratio=1e-12
    )
    assert problem.status == cp.OPTIMAL
    return w.value


def _simplex_projection(v: np.ndarray) -> np.ndarray:
    """Sort-based projection onto the simplex (Held et al. 1974; Duchi et al. 2008)."""
    u = np.sort(v)[::-1]
    cumulative = np.cumsum(u) - 1.0
    rank = np.nonzero(u - cumulative / np.arange(1, len(v) + 1) > 0)[0][-1]
    return np.maximum(v - cumulative[rank] / (rank + 1), 0.0)


@pytest.mark.parametrize("cap", [0.1, 0.15, 0.25, 0.5, 1.0])
def test_capped_simplex_equals_cvxpy_projection(cap):
    rng = np.random.default_rng(int(cap * 100))
    scores = rng.normal(scale=0.3, size=(6, 10))
    scores[0] = np.linspace(-1, 1, 10)  # sorted input
    scores[1] = 0.0  # all equal: equal weights
    ours = CappedSimplex(cap)(torch.tensor(scores)).numpy()
    for k in range(len(scores)):
        np.testing.assert_allclose(ours[k], _cvxpy_projection(scores[k], cap), rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours[1], 0.1, rtol=0, atol=1e-15)


def test_large_cap_is_the_simplex_projection():
    scores = np.random.default_rng(3).normal(size=(20, 7))
    ours = project_capped_simplex(torch.tensor(scores), cap=1.0).numpy()
    np.testing.assert_allclose(ours, np.stack([_simplex_projection(v) for v in scores]), atol=1e-15)


def test_feasible_scores_are_left_alone_and_the_cap_binds():
    weights = torch.tensor([[0.2, 0.3, 0.1, 0.4]], dtype=torch.float64)
    assert torch.equal(project_capped_simplex(weights, 0.4), weights)
    # 0.4 over the cap of 0.3: the excess 0.1 is shared equally by the free assets.
    expected = torch.tensor([[0.2 + 0.05, 0.3, 0.1 + 0.05, 0.3]], dtype=torch.float64)
    torch.testing.assert_close(project_capped_simplex(weights, 0.3), expected, rtol=0, atol=1e-15)


def test_cap_too_small_for_the_assets_names_the_parameter():
    with pytest.raises(ConfigError, match=r"'cap'.*1 / 5"):
        CappedSimplex(cap=0.19)(torch.zeros(2, 5))
    with pytest.raises(ConfigError, match="'cap'"):
        CappedSimplex(cap=0.0)
    # Exactly 1 / n: the only portfolio is equal weights.
    torch.testing.assert_close(
        CappedSimplex(cap=0.25)(torch.randn(3, 4)), torch.full((3, 4), 0.25, dtype=torch.float64)
    )
    torch.testing.assert_close(
        CappedSimplex(cap=1 / 49)(torch.randn(2, 49)),
        torch.full((2, 49), 1 / 49, dtype=torch.float64),
        rtol=0,
        atol=1e-15,
    )


def test_capped_simplex_gradcheck():
    rng = np.random.default_rng(0)
    scores = torch.tensor(rng.normal(scale=0.4, size=(4, 8)), requires_grad=True)
    weights = project_capped_simplex(scores.detach(), 0.2)
    # The test covers all three kinds of weight: at zero, at the cap, in between.
    assert (
        (weights == 0).any() and (weights == 0.2).any() and ((weights > 0) & (weights < 0.2)).any()
    )
    assert torch.autograd.gradcheck(
        lambda s: project_capped_simplex(s, 0.2), (scores,), atol=1e-9, rtol=1e-6
    )


def test_capped_simplex_jacobian_is_the_free_set_centring():
    scores = torch.tensor([0.9, 0.5, 0.2, -0.5, -1.0], dtype=torch.float64)
    jacobian = torch.autograd.functional.jacobian(lambda s: project_capped_simplex(s, 0.5), scores)
    weights = project_capped_simplex(scores, 0.5)
    # tau = 0.1: one weight at the cap, two free, two at zero.
    expected_weights = torch.tensor([0.5, 0.4, 0.1, 0.0, 0.0], dtype=torch.float64)
    torch.testing.assert_close(weights, expected_weights, rtol=0, atol=1e-15)
    free = ((weights > 0) & (weights < 0.5)).double()
    expected = torch.diag(free) - free[:, None] * free[None, :] / free.sum()
    torch.testing.assert_close(jacobian, expected, rtol=0, atol=1e-15)


def test_softmax_allocation():
    scores = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], dtype=torch.float64)
    weights = SoftmaxAllocation(temperature=0.5)(scores)
    torch.testing.assert_close(weights, torch.softmax(2.0 * scores, dim=-1))
    torch.testing.assert_close(weights[1], torch.full((3,), 1 / 3, dtype=torch.float64))
    # A cold softmax is close to all-in on the best score, a hot one to equal weights.
    assert SoftmaxAllocation(temperature=1e-3)(scores)[0, 2] > 1 - 1e-12
    torch.testing.assert_close(
        SoftmaxAllocation(temperature=1e6)(scores)[0],
        torch.full((3,), 1 / 3, dtype=torch.float64),
        rtol=0,
        atol=1e-6,
    )
    gradient_input = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        SoftmaxAllocation(temperature=0.7), (gradient_input,), atol=1e-9, rtol=1e-6
    )
    with pytest.raises(ConfigError, match="'temperature'"):
        SoftmaxAllocation(temperature=0.0)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 30),
    batch=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
    cap_factor=st.floats(1.0, 10.0),
    spread=st.sampled_from([1e-6, 0.1, 1.0, 100.0]),
)
def test_capped_simplex_properties(n, batch, seed, cap_factor, spread):
    rng = np.random.default_rng(seed)
    cap = min(cap_factor / n, 1.0)
    scores = torch.tensor(rng.normal(scale=spread, size=(batch, n)) + rng.normal(size=(batch, 1)))
    weights = project_capped_simplex(scores, cap)
    # Feasible.
    assert (weights >= 0).all() and (weights <= cap).all()
    torch.testing.assert_close(
        weights.sum(-1), torch.ones(batch, dtype=torch.float64), rtol=0, atol=1e-13
    )
    # Optimal (KKT): w = clip(v - tau, 0, cap) for one threshold tau per row.
    tolerance = 1e-12 * (1.0 + scores.abs().amax())
    for v, w in zip(scores, weights, strict=True):
        free = (w > 0) & (w < cap)
        if free.any():
            tau = (v - w)[free]
            assert tau.max() - tau.min() <= tolerance
            tau = tau.mean()
            assert (v[w == 0] - tau <= tolerance).all()
            assert (v[w == cap] - tau >= cap - tolerance).all()
    # A projection: idempotent, and a common shift of the scores changes nothing.
    torch.testing.assert_close(project_capped_simplex(weights, cap), weights, rtol=0, atol=1e-13)
    shifted = project_capped_simplex(scores + 3.0, cap)
    torch.testing.assert_close(shifted, weights, rtol=0, atol=1e-12 * (1.0 + spread))
