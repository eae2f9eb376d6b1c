"""From an agent's action to target weights: a scaled softmax, or a table of candidates."""

from __future__ import annotations

import math

import numba
import numpy as np
from gymnasium import spaces

from riskalloc.core import ConfigError

__all__ = ["CandidateActions", "SoftmaxActions"]


class SoftmaxActions:
    """A Box action in ``[-1, 1]^m`` -> long-only weights by a softmax with temperature ``1 / scale``.

    ``w_j = exp(scale * a_j) / sum_k exp(scale * a_k)``, with ``a`` clipped to ``[-1, 1]``.
    With ``cash`` the last of the ``m = n_assets + 1`` components is cash and the
    target weights are the first ``n_assets`` (summing below one); the backtest
    treats what is left as cash.

    The scale sets how concentrated a portfolio can be: one asset at ``+1`` and the
    rest at ``-1`` give it ``1 / (1 + (m - 1) exp(-2 scale))``, with ``scale = 5``
    99.9 % of 30 assets, each other asset ``exp(-10)`` times its weight, ~0.

    Examples
    --------
    >>> mapping = SoftmaxActions(n_assets=3, scale=5.0)
    >>> mapping.weights(np.array([1.0, -1.0, -1.0])).round(4).tolist()
    [0.9999, 0.0, 0.0]
    """

    def __init__(self, n_assets: int, scale: float = 5.0, cash: bool = False) -> None:
        self.n_assets = n_assets
        self.scale = float(scale)
        self.cash = cash
        self.n_actions = n_assets + int(cash)
        self.space = spaces.Box(-1.0, 1.0, shape=(self.n_actions,), dtype=np.float32)

    def weights(self, action: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Target weights ``(n_assets,)`` of one action, or ``(batch, n_assets)`` of a batch.

        ``out``, a C-contiguous float64 array shaped like ``action``, receives the
        weights (an environment's step reuses it rather than allocating); the result is
        a view of it.
        """
        action = np.asarray(action)
        if action.ndim == 0 or action.shape[-1] != self.n_actions:
            raise ConfigError(
                f"SoftmaxActions: an action has {self.n_actions} components (assets"
                f"{' + cash' if self.cash else ''}), got shape {action.shape}"
            )
        if action.dtype != np.float32 and action.dtype != np.float64:
            action = action.astype(np.float64)
        if out is None:
            out = np.empty(action.shape)
        if action.ndim == 1:
            _softmax_into(action, self.scale, out)
        else:
            rows = out.reshape(-1, self.n_actions)
            _softmax_rows(action.reshape(-1, self.n_actions), self.scale, rows)
        return out[..., : self.n_assets] if self.cash else out


@numba.njit(cache=True, nogil=True)
def _softmax_into(action, scale, out):  # pragma: no cover (compiled)
    """``out = softmax(scale * clip(action, -1, 1))`` for one action, in float64.

    Clipping bounds the exponent by +-scale, so no maximum needs subtracting. One
    compiled loop: an environment maps an action per step, where the NumPy calls on 30
    numbers would cost more than the arithmetic.
    """
    total = 0.0
    for j in range(out.shape[0]):
        score = np.float64(action[j])
        if score < -1.0:
            score = -1.0
        elif score > 1.0:
            score = 1.0
        out[j] = math.exp(scale * score)
        total += out[j]
    for j in range(out.shape[0]):
        out[j] /= total


@numba.njit(cache=True, nogil=True)
def _softmax_rows(actions, scale, out):  # pragma: no cover (compiled)
    for row in range(actions.shape[0]):
        _softmax_into(actions[row], scale, out[row])


class CandidateActions:
    """A Discrete action ``k`` -> row ``k`` of a table of candidate allocations.

    Parameters
    ----------
    candidates : (K, n_assets) array
        Long-only weights summing to at most one (less leaves cash).
    names : list of str
        A label for each candidate (``"equal_weight"``, ``"single:AAPL"``, ...).
    """

    def __init__(self, candidates: np.ndarray, names: list[str]) -> None:
        self.candidates = np.ascontiguousarray(candidates, dtype=np.float64)
        self.candidates.flags.writeable = False
        self.names = list(names)
        self.n_assets = self.candidates.shape[1]
        #: Whether some candidate leaves cash (the observation then shows the cash weight).
        self.cash = bool((self.candidates.sum(axis=1) < 1.0 - 1e-12).any())
        self.space = spaces.Discrete(len(self.candidates))

    def weights(self, action: np.ndarray | int, out: np.ndarray | None = None) -> np.ndarray:
        """Candidate weights of one action index, or ``(batch, n_assets)`` of a batch.

        The rows are read-only views of the table; ``out`` is not used.
        """
        return self.candidates[np.asarray(action, dtype=np.int64)]
