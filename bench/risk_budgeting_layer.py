"""Forward + backward time of the risk-budgeting layer vs a cvxpylayers formulation, same run.

Run: ``.venv/bin/python bench/risk_budgeting_layer.py`` (``--batch``, ``--assets``, ``--repeats``)

Problem: a batch of 32 portfolios of 50 assets, each with its own covariance
(a one-factor model plus noise, daily-sized) and random risk budgets; the loss
is a fixed random linear function of the weights, and the time covers the
forward pass and the gradients with respect to budgets and covariance.

- riskalloc: :class:`riskalloc.strategies.deep.RiskBudgetingLayer` (batched
  Newton, implicit differentiation).
- cvxpylayers: ``minimise 0.5 ||L'y||² - b' log(y)`` with the Cholesky factor
  ``L`` of the covariance and the budgets as parameters (the covariance itself
  cannot be a parameter of a DPP quadratic form), solved by diffcp's SCS
  (exponential cones) on one thread, then ``w = y / sum(y)`` in torch; the
  gradient reaches the covariance through ``torch.linalg.cholesky``.

Also reported: each method's accuracy, ``max |risk share - budget|``, and the
gap between the two gradients with respect to the budgets.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
import torch

from riskalloc.risk import risk_contributions
from riskalloc.strategies.deep import RiskBudgetingLayer


def problem(batch: int, n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=(batch, n, 1))
    noise = rng.normal(size=(batch, n, 2 * n)) / np.sqrt(2 * n)
    covariance = 1e-4 * (
        0.5 * factor @ np.swapaxes(factor, 1, 2) + noise @ np.swapaxes(noise, 1, 2)
    )
    budgets = rng.dirichlet(np.ones(n), size=batch)
    direction = rng.normal(size=(batch, n))
    return torch.tensor(budgets), torch.tensor(covariance), torch.tensor(direction)


def riskalloc_layer():
    layer = RiskBudgetingLayer()
    return lambda budgets, covariance: layer(budgets, covariance)


def cvxpylayers_layer(n: int):
    import cvxpy as cp
    from cvxpylayers.torch import CvxpyLayer

    y = cp.Variable(n)
    factor = cp.Parameter((n, n))
    budgets = cp.Parameter(n, nonneg=True)
    objective = 0.5 * cp.sum_squares(factor.T @ y) - budgets @ cp.log(y)
    problem = cp.Problem(cp.Minimize(objective))
    assert problem.is_dpp()
    layer = CvxpyLayer(problem, parameters=[factor, budgets], variables=[y])
    # One thread each way, like ours (diffcp's default is every core).
    arguments = {"n_jobs_forward": 1, "eps": 1e-9, "max_iters": 100_000}
    backward_arguments = {"n_jobs_backward": 1, "mode": "dense"}

    def solve(budget_tensor: torch.Tensor, covariance: torch.Tensor) -> torch.Tensor:
        backward = budget_tensor.requires_grad or covariance.requires_grad
        (unnormalised,) = layer(
            torch.linalg.cholesky(covariance),
            budget_tensor,
            solver_args=arguments | (backward_arguments if backward else {}),
        )
        return unnormalised / unnormalised.sum(-1, keepdim=True)

    return solve


def measure(solve, budgets, covariance, direction, repeats: int):
    times = []
    for _ in range(repeats):
        b = budgets.clone().requires_grad_(True)
        s = covariance.clone().requires_grad_(True)
        start = time.perf_counter()
        weights = solve(b, s)
        (weights * direction).sum().backward()
        times.append(time.perf_counter() - start)
    weights = weights.detach().numpy()
    contributions = risk_contributions(weights, covariance.numpy())
    shares = contributions / contributions.sum(-1, keepdims=True)
    error = float(np.abs(shares - budgets.numpy()).max())
    return statistics.median(times), min(times), error, b.grad.clone()


def finite_difference_gap(solve, budgets, covariance, direction, gradient) -> float:
    """Relative gap between the gradient along a random budget change and central differences."""
    change = torch.tensor(np.random.default_rng(1).normal(size=budgets.shape)) * budgets
    step = 1e-5
    with torch.no_grad():
        up = (solve(budgets + step * change, covariance) * direction).sum()
        down = (solve(budgets - step * change, covariance) * direction).sum()
    numeric = float((up - down) / (2 * step))
    return abs(float((gradient * change).sum()) - numeric) / abs(numeric)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--assets", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    budgets, covariance, direction = problem(args.batch, args.assets)
    rows = [("riskalloc (Newton, implicit)", riskalloc_layer())]
    try:
        rows.append(("cvxpylayers (diffcp/SCS)", cvxpylayers_layer(args.assets)))
    except ImportError as error:  # pragma: no cover - depends on the environment
        print(f"cvxpylayers not available ({error}); only riskalloc is timed")
    print(
        f"batch {args.batch} x {args.assets} assets, forward + backward, median of {args.repeats}; "
        f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, "
        f"torch {torch.__version__}, 1 thread"
    )
    results = []
    for name, solve in rows:
        measure(solve, budgets, covariance, direction, 1)  # warm up (cvxpylayers compiles here)
        results.append((name, *measure(solve, budgets, covariance, direction, args.repeats)))
    reference = results[0][1]
    print(
        f"{'method':30} {'median s':>9} {'best s':>9} {'ratio':>7} {'max|share-b|':>13} "
        f"{'grad vs ours':>13} {'grad vs FD':>11}"
    )
    for (name, median, best, error, gradient), (_, solve) in zip(results, rows, strict=True):
        gap = float((gradient - results[0][4]).abs().max() / results[0][4].abs().max())
        numeric = finite_difference_gap(solve, budgets, covariance, direction, gradient)
        print(
            f"{name:30} {median:9.4f} {best:9.4f} {median / reference:7.1f} {error:13.1e} "
            f"{gap:13.1e} {numeric:11.1e}"
        )
    print(
        "ratio: median time / riskalloc's; grad vs ours: largest gap of the budget gradient, "
        "relative to its largest entry;\ngrad vs FD: the method's own gradient along a random "
        "budget change vs central differences of its own forward pass"
    )


if __name__ == "__main__":
    main()
