"""A batched solver for the quadratic programmes of the Markowitz family.

Solves, for every portfolio ``k`` of a batch at once::

    minimise    0.5 w' Q_k w - c_k' w
    subject to  a_k' w = b_k,   lower <= w <= upper

which covers minimum variance, mean-variance, and (after the usual change of
variables) maximum Sharpe and maximum diversification. ``upper`` may be
``inf``.

Method: a primal active-set method run on the whole batch at once (see
:func:`solve_box_qp`). Each step solves a KKT system exactly, so the answer is
exact to rounding, not to an iteration tolerance, and every portfolio carries
a flag saying whether its KKT conditions were verified. The same code runs on
a GPU when the tensors live there.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from riskalloc.core import threads_for

_LARGE = 1 << 62

__all__ = ["QPSolution", "project_box_hyperplane", "solve_box_qp"]


@dataclass(frozen=True)
class QPSolution:
    """Solutions of a batch: weights ``(B, N)``, objective ``(B,)``, KKT verified ``(B,)``,
    feasible ``(B,)`` (False when no ``w`` satisfies the constraints)."""

    weights: torch.Tensor
    objective: torch.Tensor
    converged: torch.Tensor
    feasible: torch.Tensor


def project_box_hyperplane(
    v: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    lower: torch.Tensor,
    upper: torch.Tensor,
    iterations: int = 100,
) -> torch.Tensor:
    """Euclidean projection of each row of ``v`` onto ``{w : a'w = b, lower <= w <= upper}``.

    The projection is ``clip(v - tau a, lower, upper)`` for the ``tau`` solving
    ``a' clip(v - tau a) = b``; the left side is non-increasing in ``tau``, so
    ``tau`` is found by bisection on a bracket that is widened until it holds.
    """

    def excess(tau: torch.Tensor) -> torch.Tensor:
        return (a * torch.clamp(v - tau[:, None] * a, lower, upper)).sum(-1) - b

    scale = 1.0 + v.abs().amax(-1) / a.abs().amax(-1).clamp_min(1e-300)
    low, high = -scale.clone(), scale.clone()
    for _ in range(200):  # widen until excess(low) >= 0 >= excess(high)
        bad_low, bad_high = excess(low) < 0, excess(high) > 0
        if not (bad_low.any() or bad_high.any()):
            break
        low = torch.where(bad_low, low * 2.0, low)
        high = torch.where(bad_high, high * 2.0, high)
    for _ in range(iterations):
        middle = 0.5 * (low + high)
        above = excess(middle) > 0
        low = torch.where(above, middle, low)
        high = torch.where(above, high, middle)
    return torch.clamp(v - (0.5 * (low + high))[:, None] * a, lower, upper)


def _feasible(
    a: torch.Tensor, b: torch.Tensor, lower: torch.Tensor, upper: torch.Tensor
) -> torch.Tensor:
    """Whether ``a'w = b`` is reachable inside the box (to a relative 1e-12)."""
    smallest = torch.where(a > 0, a * lower, a * upper)
    largest = torch.where(a > 0, a * upper, a * lower)
    smallest = torch.where(a == 0, torch.zeros_like(a), smallest).sum(-1)
    largest = torch.where(a == 0, torch.zeros_like(a), largest).sum(-1)
    slack = 1e-12 * (1.0 + b.abs())
    return (smallest <= b + slack) & (b - slack <= largest)


def _objective(Q: torch.Tensor, c: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    return 0.5 * torch.einsum("bi,bij,bj->b", w, Q, w) - (c * w).sum(-1)


def _active_set_step(
    Q: torch.Tensor,
    c: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    lower: torch.Tensor,
    upper: torch.Tensor,
    at_lower: torch.Tensor,
    at_upper: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Solve the KKT system with the given weights fixed at their bounds.

    Returns weights, the multiplier of ``a'w = b`` and whether the system was solvable.
    """
    batch, n = c.shape
    fixed = at_lower | at_upper
    free = (~fixed).to(Q.dtype)
    eye = torch.eye(n, dtype=Q.dtype, device=Q.device).expand(batch, n, n)
    system = torch.zeros(batch, n + 1, n + 1, dtype=Q.dtype, device=Q.device)
    # Free rows: stationarity Q w - nu a = c; fixed rows: w_i = bound_i.
    system[:, :n, :n] = free[:, :, None] * Q + (1.0 - free)[:, :, None] * eye
    system[:, :n, n] = -free * a
    system[:, n, :n] = a
    bound = torch.where(at_lower, lower, torch.where(at_upper, upper, torch.zeros_like(c)))
    bound = torch.where(torch.isfinite(bound), bound, torch.zeros_like(bound))
    rhs = torch.cat([free * c + (1.0 - free) * bound, b[:, None]], dim=-1)
    solution, info = torch.linalg.solve_ex(system, rhs)
    solved = (info == 0) & torch.isfinite(solution).all(-1)
    solution = torch.where(solved[:, None], solution, torch.zeros_like(solution))
    return solution[:, :n], solution[:, n], solved


def _guess_working_set(
    Q: torch.Tensor,
    c: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    lower: torch.Tensor,
    upper: torch.Tensor,
    at_lower: torch.Tensor,
    at_upper: torch.Tensor,
    w: torch.Tensor,
    rounds: int = 30,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A cheap first guess of which weights end at a bound.

    Solve with the current set, then hold *every* weight that left its box at
    that bound, and repeat until nothing leaves it (usually a few rounds, where
    the exact method below adds bounds one at a time: hundreds of rounds for
    hundreds of assets). Rows that settle start the exact method from that
    feasible point; the others keep their start. The exact method then fixes
    any wrong guess, so the answer does not depend on this step.
    """
    fixed_lower, fixed_upper = at_lower.clone(), at_upper.clone()
    settled = torch.zeros(w.shape[0], dtype=torch.bool, device=w.device)
    point = w.clone()
    for _ in range(rounds):
        target, _, solved = _active_set_step(Q, c, a, b, lower, upper, fixed_lower, fixed_upper)
        free = ~(fixed_lower | fixed_upper)
        below = free & (target < lower)
        above = free & (target > upper)
        clean = solved & ~(below | above).any(-1) & ~settled
        point = torch.where(clean[:, None], torch.clamp(target, lower, upper), point)
        settled = settled | clean
        # Keep at least one weight free (the budget pins it).
        room = (free & ~(below | above)).any(-1)
        fixed_lower = fixed_lower | (below & (room & solved & ~settled)[:, None])
        fixed_upper = fixed_upper | (above & (room & solved & ~settled)[:, None])
        if bool((settled | ~solved | ~room).all()):
            break
    keep = settled[:, None]
    return (
        torch.where(keep, fixed_lower, at_lower),
        torch.where(keep, fixed_upper, at_upper),
        torch.where(keep, point, w),
    )


def solve_box_qp(
    Q: torch.Tensor,
    c: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    lower: torch.Tensor,
    upper: torch.Tensor,
    *,
    max_iterations: int | None = None,
    tolerance: float = 1e-10,
) -> QPSolution:
    """Solve the batch of QPs described in the module docstring (see :func:`_solve_box_qp`)."""
    with threads_for(Q.numel() if Q.device.type == "cpu" else _LARGE):
        return _solve_box_qp(
            Q, c, a, b, lower, upper, max_iterations=max_iterations, tolerance=tolerance
        )


def _solve_box_qp(
    Q: torch.Tensor,
    c: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    lower: torch.Tensor,
    upper: torch.Tensor,
    *,
    max_iterations: int | None = None,
    tolerance: float = 1e-10,
) -> QPSolution:
    """Solve the batch of QPs described in the module docstring.

    Primal active-set method, batched: from a feasible start (the projection of
    equal weights), each iteration solves the KKT system with the working set of
    weights held at their bounds; it then either moves to that solution, stops
    at the first bound in the way and adds it to the set, or, at a stationary
    point, releases the bound whose multiplier has the wrong sign. It ends in
    finitely many steps at a point whose KKT conditions hold to rounding.

    Parameters
    ----------
    Q : (B, N, N) symmetric positive definite on the free weights
    c, a : (B, N)
    b : (B,)
    lower, upper : (B, N) bounds (``upper`` may be ``inf``, ``lower`` finite)
    max_iterations : default ``4 N + 20``
    tolerance : relative tolerance of the KKT check
    """
    batch, n = c.shape
    max_iterations = max_iterations or 4 * n + 20
    feasible = _feasible(a, b, lower, upper)
    # Infeasible rows are solved against a harmless stand-in so the batch stays whole.
    b_used = torch.where(feasible, b, (a * torch.clamp(torch.zeros_like(a), lower, upper)).sum(-1))
    start = torch.clamp(torch.full_like(c, 1.0 / n), lower, upper)
    w = project_box_hyperplane(start, a, b_used, lower, upper)
    scale = 1.0 + Q.abs().amax((-2, -1)) + c.abs().amax(-1)
    slack = (tolerance * scale)[:, None]
    at_lower = w <= lower + 1e-14
    at_upper = (w >= upper - 1e-14) & ~at_lower
    w = torch.where(at_lower, lower, torch.where(at_upper, upper, w))
    # The budget pins the last free weight, so the working set never holds every
    # weight (that would leave the budget's multiplier undetermined).
    all_fixed = (at_lower | at_upper).all(-1)
    first = (
        torch.nn.functional.one_hot((a != 0).to(torch.int64).argmax(-1), n).bool()
        & all_fixed[:, None]
    )
    at_lower, at_upper = at_lower & ~first, at_upper & ~first
    at_lower, at_upper, w = _guess_working_set(Q, c, a, b_used, lower, upper, at_lower, at_upper, w)
    done = torch.zeros(batch, dtype=torch.bool, device=Q.device)
    infinity = torch.tensor(float("inf"), dtype=Q.dtype, device=Q.device)

    for _ in range(max_iterations):
        target, nu, solved = _active_set_step(Q, c, a, b_used, lower, upper, at_lower, at_upper)
        direction = torch.where(solved[:, None], target - w, torch.zeros_like(w))
        free = ~(at_lower | at_upper)
        # The longest step towards the target that keeps every free weight in its box.
        to_lower = torch.where(
            free & (direction < 0), (lower - w) / direction.clamp(max=-1e-300), infinity
        )
        to_upper = torch.where(
            free & (direction > 0), (upper - w) / direction.clamp(min=1e-300), infinity
        )
        limits = torch.minimum(to_lower, to_upper)
        step, blocking = limits.min(dim=-1)
        # With one free weight left, the budget fixes it: the subproblem's solution is
        # the current point, and any direction is rounding. That counts as arrived.
        keeps_one_free = free.sum(-1) > 1
        moving = solved & ~done & (step < 1.0) & keeps_one_free
        step = torch.where(moving, step.clamp(min=0.0), torch.ones_like(step))
        w = torch.where((solved & ~done)[:, None], w + step[:, None] * direction, w)
        hit = torch.nn.functional.one_hot(blocking, n).bool() & moving[:, None]
        hits_lower = hit & (to_lower <= to_upper)
        at_lower = at_lower | hits_lower
        at_upper = at_upper | (hit & ~hits_lower)
        w = torch.where(hits_lower, lower, torch.where(hit & ~hits_lower, upper, w))

        # At the subproblem's solution: check the multipliers of the bounds held.
        arrived = solved & ~done & ~moving
        multiplier = torch.einsum("bij,bj->bi", Q, w) - c - nu[:, None] * a
        wrong = torch.where(
            at_lower, -multiplier, torch.where(at_upper, multiplier, torch.zeros_like(w))
        )
        worst_value, worst = wrong.max(dim=-1)
        optimal = arrived & (worst_value <= slack[:, 0])
        release = arrived & ~optimal
        drop = torch.nn.functional.one_hot(worst, n).bool() & release[:, None]
        at_lower, at_upper = at_lower & ~drop, at_upper & ~drop
        done = done | optimal | ~solved
        if bool(done.all()):
            break
    # Verify: feasibility, bounds, multipliers (a singular KKT system is not verified).
    _, nu, solved = _active_set_step(Q, c, a, b_used, lower, upper, at_lower, at_upper)
    multiplier = torch.einsum("bij,bj->bi", Q, w) - c - nu[:, None] * a
    residual = ((a * w).sum(-1) - b_used).abs() <= 1e-9 * (1.0 + b_used.abs())
    in_box = ((w >= lower - 1e-12) & (w <= upper + 1e-12)).all(-1)
    free = ~(at_lower | at_upper)
    stationary = torch.where(free, multiplier.abs() <= 1e3 * slack, torch.ones_like(free)).all(-1)
    signs = torch.where(
        at_lower, multiplier >= -slack, torch.where(at_upper, multiplier <= slack, free)
    ).all(-1)
    converged = done & solved & residual & in_box & stationary & signs & feasible
    w = torch.clamp(w, lower, upper)
    return QPSolution(w, _objective(Q, c, w), converged, feasible)
