"""The general path: optimisers under constraints that have no batched fast path.

Group (sector) caps, cash allowed, and a turnover limit per rebalance make the
problems general linearly constrained QPs / SOCPs. Each is written once in
cvxpy with ``Parameter``s (covariance factor, expected returns, previous
weights), compiled once, and re-solved date by date with Clarabel. The
turnover limit makes the method sequential by nature: each decision is
limited relative to the previous decision's weights drifted with the returns
realised since (all in the past of the decision date).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from riskalloc.core import ConfigError

__all__ = ["ConstraintSet", "Objective", "SequentialProblem", "check_feasible"]


class Objective(enum.StrEnum):
    VARIANCE = "variance"  # min w'Sw
    MEAN_VARIANCE = "mean_variance"  # min -w'mu + lambda w'Sw
    MAXIMUM_RETURN = "maximum_return"  # max w'mu  s.t. sqrt(w'Sw) <= target
    RATIO = "ratio"  # max w'v / sqrt(w'Sw)   (homogenised)


@dataclass(frozen=True)
class ConstraintSet:
    """Linear constraints beyond per-asset bounds.

    ``group_matrix`` is ``(groups, assets)`` with ones where an asset belongs to
    the group; ``group_caps`` the largest total weight of each group.
    """

    lower: float
    upper: float
    group_names: tuple[str, ...] = ()
    group_matrix: np.ndarray | None = None
    group_caps: np.ndarray | None = None
    allow_cash: bool = False
    max_turnover: float | None = None

    @classmethod
    def build(
        cls,
        assets: list[str],
        *,
        strategy: str,
        lower: float,
        upper: float,
        groups: Mapping[str, str] | None,
        group_caps: Mapping[str, float] | None,
        allow_cash: bool,
        max_turnover: float | None,
    ) -> ConstraintSet:
        names: tuple[str, ...] = ()
        matrix = caps = None
        if group_caps and not groups:
            raise ConfigError(
                f"{strategy}: parameter 'group_caps' needs 'groups' (asset -> group, e.g. --groups sectors.csv)"
            )
        if groups:
            unknown = [asset for asset in groups if asset not in assets]
            if unknown:
                raise ConfigError(
                    f"{strategy}: parameter 'groups' names unknown asset '{unknown[0]}'"
                )
            caps_given = dict(group_caps or {})
            names = tuple(sorted(set(groups.values())))
            missing = [name for name in caps_given if name not in names]
            if missing:
                raise ConfigError(
                    f"{strategy}: parameter 'group_caps' names unknown group '{missing[0]}'"
                )
            names = tuple(name for name in names if name in caps_given)
            matrix = np.array(
                [[1.0 if groups.get(asset) == name else 0.0 for asset in assets] for name in names]
            )
            caps = np.array([float(caps_given[name]) for name in names])
            bad = [
                name
                for name, cap in zip(names, caps, strict=True)
                if not np.isfinite(cap) or cap < 0
            ]
            if bad:
                raise ConfigError(
                    f"{strategy}: parameter 'group_caps' gives group '{bad[0]}' a negative or non-finite cap"
                )
        if max_turnover is not None and not (np.isfinite(max_turnover) and max_turnover > 0):
            raise ConfigError(
                f"{strategy}: parameter 'max_turnover' must be > 0, got {max_turnover!r}"
            )
        return cls(lower, upper, names, matrix, caps, bool(allow_cash), max_turnover)

    @property
    def needs_general_path(self) -> bool:
        return self.group_matrix is not None or self.allow_cash or self.max_turnover is not None


def check_feasible(constraints: ConstraintSet, n_assets: int, strategy: str) -> None:
    """Raise a ConfigError naming the constraint when bounds and group caps admit no portfolio."""
    import cvxpy as cp

    w = cp.Variable(n_assets)
    budget = cp.sum(w) <= 1 if constraints.allow_cash else cp.sum(w) == 1
    base = [budget, w >= constraints.lower, w <= constraints.upper]
    if cp.Problem(cp.Minimize(0), base).solve(solver=cp.CLARABEL) == np.inf:
        raise ConfigError(f"{strategy}: min_weight/max_weight admit no fully invested portfolio")
    if constraints.group_matrix is not None:
        grouped = [*base, constraints.group_matrix @ w <= constraints.group_caps]
        if cp.Problem(cp.Minimize(0), grouped).solve(solver=cp.CLARABEL) == np.inf:
            caps = ", ".join(
                f"{n}<={c:g}"
                for n, c in zip(constraints.group_names, constraints.group_caps, strict=True)
            )
            raise ConfigError(
                f"{strategy}: constraint group_caps ({caps}) cannot be met together with the weight "
                f"bounds{'' if constraints.allow_cash else ' and full investment'}"
            )


class SequentialProblem:
    """One cvxpy problem, compiled once, solved per decision date with new parameters."""

    def __init__(
        self,
        objective: Objective,
        n_assets: int,
        constraints: ConstraintSet,
        *,
        risk_aversion: float = 1.0,
        target_volatility: float | None = None,
    ) -> None:
        import cvxpy as cp

        self.objective = objective
        self.constraints = constraints
        self.factor = cp.Parameter((n_assets, n_assets))
        self.numerator = cp.Parameter(n_assets)  # mu, or v for the ratio
        self.previous = cp.Parameter(n_assets)
        self.turnover_on = cp.Parameter(nonneg=True)  # 1 applies the limit, 0 lifts it
        lower, upper = constraints.lower, constraints.upper
        if objective is Objective.RATIO:
            # y = kappa w with kappa = 1 / (v'w): min |F y|² s.t. v'y = 1.
            y, kappa = cp.Variable(n_assets), cp.Variable(nonneg=True)
            self.weights_of = lambda: y.value / kappa.value
            rules = [
                self.numerator @ y == 1,
                cp.sum(y) == kappa,
                y >= kappa * lower,
                y <= kappa * upper,
            ]
            if constraints.group_matrix is not None:
                rules.append(constraints.group_matrix @ y <= kappa * constraints.group_caps)
            if constraints.max_turnover is not None:
                limit = constraints.max_turnover + 2.0 * (1 - self.turnover_on)
                rules.append(cp.norm1(y - kappa * self.previous) <= kappa * limit)
            self.problem = cp.Problem(cp.Minimize(cp.sum_squares(self.factor @ y)), rules)
            return
        w = cp.Variable(n_assets)
        self.weights_of = lambda: w.value
        rules = [
            cp.sum(w) <= 1 if constraints.allow_cash else cp.sum(w) == 1,
            w >= lower,
            w <= upper,
        ]
        if constraints.group_matrix is not None:
            rules.append(constraints.group_matrix @ w <= constraints.group_caps)
        if constraints.max_turnover is not None:
            # A turnover above 2 is impossible, so "+ 2 (1 - on)" lifts the limit.
            rules.append(
                cp.norm1(w - self.previous)
                <= constraints.max_turnover + 2.0 * (1 - self.turnover_on)
            )
        risk = cp.sum_squares(self.factor @ w)
        if objective is Objective.VARIANCE:
            goal = cp.Minimize(risk)
        elif objective is Objective.MEAN_VARIANCE:
            goal = cp.Minimize(-self.numerator @ w + risk_aversion * risk)
        else:
            assert target_volatility is not None
            rules.append(cp.norm(self.factor @ w, 2) <= target_volatility)
            goal = cp.Maximize(self.numerator @ w)
        self.problem = cp.Problem(goal, rules)

    def solve(
        self, covariance: np.ndarray, numerator: np.ndarray, previous: np.ndarray | None
    ) -> np.ndarray | None:
        """Weights for one date, or None when the constraints admit none (e.g. a volatility
        target below every portfolio's risk); ``previous=None`` lifts the turnover limit."""
        import cvxpy as cp

        self.factor.value = np.linalg.cholesky(covariance).T
        self.numerator.value = numerator
        self.previous.value = np.zeros(len(numerator)) if previous is None else previous
        self.turnover_on.value = 0.0 if previous is None else 1.0
        self.problem.solve(solver=cp.CLARABEL)
        if self.problem.status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
            return None
        if self.problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
            raise RuntimeError(f"cvxpy status {self.problem.status}")
        weights = self.weights_of()
        return np.clip(
            np.asarray(weights, dtype=float), self.constraints.lower, self.constraints.upper
        )
