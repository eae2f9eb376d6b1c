"""The declared fallback of the batched QP: cvxpy with the Clarabel solver, one date at a time.

Used only for the dates whose KKT conditions the batched active-set method
could not verify (none on the bundled data), so it is built per call.
"""

from __future__ import annotations

import numpy as np

__all__ = ["solve_qp_cvxpy"]


def solve_qp_cvxpy(
    Q: np.ndarray,
    c: np.ndarray,
    a: np.ndarray,
    b: float,
    lower: np.ndarray,
    upper: np.ndarray,
    *,
    what: str,
) -> np.ndarray:
    """``argmin 0.5 w'Qw - c'w  s.t.  a'w = b, lower <= w <= upper``; raises if the solver fails."""
    import cvxpy as cp

    n = len(c)
    w = cp.Variable(n)
    # A factor keeps the problem a sum of squares (robust to rounding in Q).
    eigenvalues, vectors = np.linalg.eigh(0.5 * (Q + Q.T))
    factor = (vectors * np.sqrt(np.clip(eigenvalues, 0.0, None))).T
    constraints = [a @ w == b, w >= lower]
    finite = np.isfinite(upper)
    if finite.any():
        constraints.append(w[np.flatnonzero(finite)] <= upper[finite])
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(factor @ w) - c @ w), constraints)
    problem.solve(solver=cp.CLARABEL)
    if problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) or w.value is None:
        raise RuntimeError(f"{what}: the QP has no solution (cvxpy status {problem.status})")
    return np.clip(np.asarray(w.value, dtype=float), lower, upper)
