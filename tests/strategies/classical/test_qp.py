"""The batched active-set QP solver against cvxpy/Clarabel, on random and degenerate problems."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import riskalloc as ra
from riskalloc.risk import estimate_covariance
from riskalloc.strategies.classical._qp import project_box_hyperplane, solve_box_qp

# Clarabel at tight tolerances: the reference the active-set method has to match.
CLARABEL = dict(tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12, max_iter=500)


def _tensor(values) -> torch.Tensor:
    return torch.as_tensor(np.ascontiguousarray(values, dtype=float), dtype=torch.float64)


def _solve(Q, c, a, b, lower, upper):
    solution = solve_box_qp(
        _tensor(Q), _tensor(c), _tensor(a), _tensor(b), _tensor(lower), _tensor(upper)
    )
    return (
        solution.weights.numpy(),
        solution.objective.numpy(),
        solution.converged.numpy(),
        solution.feasible.numpy(),
    )


def _objective(Q, c, w) -> float:
    return float(0.5 * w @ Q @ w - c @ w)


def _cvxpy(Q, c, a, b, lower, upper) -> tuple[np.ndarray, float]:
    """The same problem for Clarabel; returns its weights and the true objective at them."""
    n = len(c)
    w = cp.Variable(n)
    constraints = [a @ w == b, w >= lower]
    finite = np.isfinite(upper)
    if finite.any():
        constraints.append(w[np.flatnonzero(finite)] <= upper[finite])
    # Scaled to unit size (the minimiser does not change): Clarabel's tolerances are
    # absolute, and daily covariances are ~1e-4.
    scale = max(np.abs(Q).max(), np.abs(c).max())
    objective = 0.5 * cp.quad_form(w, cp.psd_wrap(0.5 * (Q + Q.T) / scale)) - (c / scale) @ w
    problem = cp.Problem(cp.Minimize(objective), constraints)
    try:
        problem.solve(solver=cp.CLARABEL, **CLARABEL)
    except cp.error.SolverError:
        # Clarabel sometimes gives up at the tight tolerances; its defaults then do.
        problem.solve(solver=cp.CLARABEL)
    assert problem.status == cp.OPTIMAL, problem.status
    return w.value, _objective(Q, c, w.value)


def _check_against_cvxpy(Q, c, a, b, lower, upper, *, weight_tolerance=1e-6):
    weights, objective, converged, feasible = _solve(Q, c, a, b, lower, upper)
    assert feasible.all()
    assert converged.all(), "KKT conditions not verified"
    for k in range(len(c)):
        w = weights[k]
        assert a[k] @ w == pytest.approx(b[k], abs=1e-9 * (1 + abs(b[k])))
        assert (w >= lower[k] - 1e-12).all() and (w <= upper[k] + 1e-12).all()
        assert objective[k] == pytest.approx(_objective(Q[k], c[k], w), rel=1e-12, abs=1e-15)
        reference, reference_objective = _cvxpy(Q[k], c[k], a[k], b[k], lower[k], upper[k])
        assert objective[k] <= reference_objective + 1e-9 * max(1.0, abs(reference_objective))
        # Q is positive definite: the minimiser is unique.
        np.testing.assert_allclose(w, reference, rtol=0, atol=weight_tolerance)
    return weights


@st.composite
def box_qps(draw):
    """Random strictly convex QPs with a general equality a'w = b and box bounds.

    ``a`` has entries of both signs, or zeros (or is the budget vector), bounds may be
    one-sided, and ``b`` is reached by a random point of the box, so every
    problem is feasible.
    """
    n = draw(st.integers(2, 12))
    batch = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    a_kind = draw(st.sampled_from(["budget", "positive", "mixed", "sparse"]))
    upper_kind = draw(st.sampled_from(["finite", "infinite", "some infinite"]))
    linear_scale = draw(st.sampled_from([0.0, 0.1, 1.0, 10.0]))
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=(batch, n, n + 2))
    Q = factor @ np.swapaxes(factor, 1, 2) / (n + 2) + 0.05 * np.eye(n)
    Q = 0.5 * (Q + np.swapaxes(Q, 1, 2))
    c = linear_scale * rng.normal(size=(batch, n))
    if a_kind == "budget":
        a = np.ones((batch, n))
    elif a_kind == "positive":
        a = rng.uniform(0.1, 2.0, size=(batch, n))
    else:
        a = rng.normal(size=(batch, n))
    if a_kind == "sparse":  # some weights absent from the constraint (never all)
        a[:, 1:] *= rng.random(size=(batch, n - 1)) < 0.5
    lower = rng.uniform(-1.0, 0.2, size=(batch, n))
    upper = lower + rng.uniform(0.05, 1.5, size=(batch, n))
    if upper_kind == "infinite":
        upper[:] = np.inf
    elif upper_kind == "some infinite":
        upper[rng.random(size=(batch, n)) < 0.5] = np.inf
    inside = lower + rng.random(size=(batch, n)) * (np.minimum(upper, lower + 2.0) - lower)
    b = (a * inside).sum(axis=1)
    return Q, c, a, b, lower, upper


@settings(max_examples=40, deadline=None, derandomize=True)
@given(box_qps())
def test_random_problems_match_clarabel(problem):
    _check_against_cvxpy(*problem)


def _real_covariances(window=50, count=12, assets=None):
    data = ra.MarketData(ra.load_dataset("sp500"))
    if assets is not None:
        data = data.select(assets)
    positions = np.linspace(400, len(data.dates) - 1, count).astype(int)
    return estimate_covariance(data.return_windows(data.dates[positions], window))


def _budget_problem(covariance, lower, upper, mean=None):
    batch, n = covariance.shape[:2]
    c = np.zeros((batch, n)) if mean is None else mean
    return (
        2.0 * covariance,
        c,
        np.ones((batch, n)),
        np.ones(batch),
        np.full((batch, n), float(lower)),
        np.full((batch, n), float(upper)),
    )


@pytest.mark.parametrize("upper", [0.2, 0.25, 0.5, 1.0])
def test_minimum_variance_with_caps_on_real_covariances(upper):
    covariance = _real_covariances(assets=["AAPL", "GE", "JPM", "MSFT", "HD", "UNH", "LLY", "PFE"])
    # Weights can be ~1e-7 apart where Clarabel stops, the problem being flat in some directions.
    weights = _check_against_cvxpy(*_budget_problem(covariance, 0.0, upper), weight_tolerance=1e-5)
    if upper == 0.2:
        assert (np.isclose(weights, 0.2, rtol=0, atol=1e-12).sum(axis=1) >= 1).all()


def test_degenerate_vertex_five_capped_assets_exactly_fill_the_budget():
    # 8 assets, caps 0.2: five low-variance uncorrelated assets at their caps sum to
    # exactly one, and three volatile ones correlated with them sit at zero: 8 active
    # bounds plus the budget in 8 dimensions, so the budget's multiplier is not unique.
    volatility = np.sqrt(np.array([1.0, 1.1, 1.2, 1.3, 1.4, 9.0, 10.0, 11.0]) * 1e-4)
    correlation = np.eye(8)
    correlation[:5, 5:] = correlation[5:, :5] = 0.3
    correlation[5:, 5:] = np.where(np.eye(3) == 1, 1.0, 0.5)
    covariance = volatility[:, None] * correlation * volatility[None, :]
    order = np.arange(8)[::-1]
    batch = np.stack([covariance, covariance[np.ix_(order, order)]])
    weights = _check_against_cvxpy(*_budget_problem(batch, 0.0, 0.2), weight_tolerance=1e-7)
    expected = np.array([0.2] * 5 + [0.0] * 3)
    np.testing.assert_allclose(weights, np.stack([expected, expected[::-1]]), rtol=0, atol=1e-14)


def test_caps_of_one_over_n_leave_a_single_feasible_point():
    covariance = _real_covariances(
        count=3, assets=["AAPL", "GE", "JPM", "MSFT", "HD", "UNH", "LLY", "PFE"]
    )
    weights, _, converged, feasible = _solve(*_budget_problem(covariance, 0.0, 0.125))
    assert converged.all() and feasible.all()
    np.testing.assert_allclose(weights, 0.125, rtol=0, atol=1e-14)
    # The same through the floor: min_weight = 1/N.
    weights, _, converged, _ = _solve(*_budget_problem(covariance, 0.125, 1.0))
    assert converged.all()
    np.testing.assert_allclose(weights, 0.125, rtol=0, atol=1e-14)


def test_equal_weights_at_the_caps_from_the_start():
    # The start (equal weights, 0.2 each on 5 assets) is already at every cap.
    covariance = _real_covariances(count=4, assets=["AAPL", "GE", "JPM", "MSFT", "HD"])
    weights, _, converged, _ = _solve(*_budget_problem(covariance, 0.0, 0.2))
    assert converged.all()
    np.testing.assert_allclose(weights, 0.2, rtol=0, atol=1e-14)


def test_identical_assets_tie_and_still_converge():
    # Two identical assets make the covariance singular along w1 - w2 on the budget
    # hyperplane; a ridge keeps it definite while the problem stays nearly degenerate.
    base = _real_covariances(count=2, assets=["AAPL", "GE", "JPM", "MSFT"])
    covariance = np.zeros((2, 5, 5))
    covariance[:, :4, :4] = base
    covariance[:, 4, :4] = covariance[:, :4, 4] = base[:, 3]
    covariance[:, 4, 4] = base[:, 3, 3]
    covariance += 1e-9 * np.eye(5)
    weights = _check_against_cvxpy(*_budget_problem(covariance, 0.0, 0.3), weight_tolerance=1e-4)
    np.testing.assert_allclose(weights[:, 3], weights[:, 4], rtol=0, atol=1e-8)


@pytest.mark.parametrize("window", [50, 252])
def test_every_real_minimum_variance_problem_is_verified(window):
    covariance = _real_covariances(window=window, count=40)
    for lower, upper in [(0.0, 1.0), (0.0, 0.1), (0.02, 0.3), (-0.1, 0.5)]:
        _, _, converged, feasible = _solve(*_budget_problem(covariance, lower, upper))
        assert converged.all() and feasible.all()


# --- infeasible constraint sets ----------------------------------------------------------------


def test_infeasible_constraints_are_reported_not_solved():
    n = 5
    covariance = np.stack([np.eye(n) * 1e-4] * 4)
    Q, c, a, b, lower, upper = _budget_problem(covariance, 0.0, 1.0)
    upper[0] = 0.1  # at most 0.5 can be invested
    lower[1] = 0.3  # at least 1.5 must be invested
    a[2] = np.array([1.0, -1.0, 0.0, 0.0, 0.0])  # w1 - w2 in [-1, 1] cannot be 3
    b[2] = 3.0
    weights, _, converged, feasible = _solve(Q, c, a, b, lower, upper)
    assert feasible.tolist() == [False, False, False, True]
    assert converged.tolist() == [False, False, False, True]
    assert np.isfinite(weights).all()
    # The feasible row is solved as if alone.
    alone, _, _, _ = _solve(Q[3:], c[3:], a[3:], b[3:], lower[3:], upper[3:])
    np.testing.assert_allclose(weights[3], alone[0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(weights[3], 0.2, rtol=0, atol=1e-14)


def test_a_zero_constraint_vector_is_feasible_only_for_b_zero():
    Q = np.stack([np.eye(3)] * 2)
    a = np.zeros((2, 3))
    b = np.array([0.0, 1.0])
    c = np.array([[1.0, -2.0, 0.5]] * 2)
    lower, upper = np.full((2, 3), -1.0), np.full((2, 3), 1.0)
    _, _, converged, feasible = _solve(Q, c, a, b, lower, upper)
    assert feasible.tolist() == [True, False]
    assert not converged[1]


def test_the_budget_exactly_at_the_edge_of_the_box_is_feasible():
    # caps 0.25 on 4 assets: the budget of one is reachable only at the corner.
    covariance = np.stack([np.diag([1.0, 2.0, 3.0, 4.0])])
    weights, _, converged, feasible = _solve(*_budget_problem(covariance, 0.0, 0.25))
    assert feasible.all() and converged.all()
    np.testing.assert_allclose(weights, 0.25, rtol=0, atol=1e-15)


# --- the projection that gives the starting point ----------------------------------------------


@settings(max_examples=30, deadline=None, derandomize=True)
@given(box_qps())
def test_projection_is_the_euclidean_projection(problem):
    _, c, a, b, lower, upper = problem
    projected = project_box_hyperplane(
        _tensor(c), _tensor(a), _tensor(b), _tensor(lower), _tensor(upper)
    ).numpy()
    batch, n = c.shape
    for k in range(batch):
        # The projection is the QP with Q = I and linear term c.
        reference, _ = _cvxpy(np.eye(n), c[k], a[k], b[k], lower[k], upper[k])
        np.testing.assert_allclose(projected[k], reference, rtol=0, atol=1e-6)
