"""Shapley values of a deep strategy's inputs: which features drove its weights and its risk.

The players of the game are groups of input features (a feature family, or one
feature) over the whole input window and every asset; a player "absent" from a
coalition has its standardised inputs set to 0, the training-span mean of the
feature. The value of a coalition is the strategy's output: each asset's weight,
or the forecast volatility of the portfolio. Shapley values come from captum
(exact over all permutations when they are few, else permutation sampling); both
satisfy efficiency exactly, permutation by permutation:

``sum_g phi_g = f(inputs) - f(baseline)``, the output minus the base value.
"""

from __future__ import annotations

import copy
import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from riskalloc.core import PERIODS_PER_YEAR, ConfigError, DataError, seeded
from riskalloc.data import MarketData
from riskalloc.explain._families import feature_family
from riskalloc.risk._estimators import estimate_covariance
from riskalloc.strategies.limits import LimitedAllocator

__all__ = [
    "AttributionGrouping",
    "AttributionTarget",
    "FeatureAttribution",
    "attribution_over_time",
    "feature_attribution",
    "model_weights",
]

#: Columns of :func:`attribution_over_time`, in order.
ATTRIBUTION_COLUMNS = ["date", "group", "output", "contribution", "base_value", "model_output"]
#: The single output of the risk target.
RISK_OUTPUT = "volatility"
# Elements of captum's attribution tensor (outputs x inputs per date) computed at once.
_CHUNK_ELEMENTS = 8_000_000


class AttributionTarget(enum.StrEnum):
    """What is attributed to the input features."""

    WEIGHTS = "weights"  # each asset's weight
    RISK = "risk"  # the forecast annualised volatility of the portfolio


class AttributionGrouping(enum.StrEnum):
    """How input features are grouped into players of the Shapley game."""

    FAMILY = "family"  # momentum, volatility, drawdown, market regime, extra
    FEATURE = "feature"  # each feature of ``feature_names_`` on its own


@dataclass(frozen=True)
class FeatureAttribution:
    """Shapley values of one decision.

    Attributes
    ----------
    contributions : pandas.DataFrame
        Groups (feature families or features) by outputs (assets for the weights
        target, ``volatility`` for the risk target).
    base_value, output : pandas.Series
        By output: the strategy's output with every input at its training mean,
        and its output on the day's inputs. ``contributions.sum() == output - base_value``.
    method : str
        How captum computed them.
    """

    date: pd.Timestamp
    target: AttributionTarget
    by: AttributionGrouping
    contributions: pd.DataFrame
    base_value: pd.Series
    output: pd.Series
    method: str

    def drivers(self, top: int = 10) -> pd.DataFrame:
        """The ``top`` contributions by size: columns ``group, output, contribution``."""
        long = (
            self.contributions.rename_axis(index="group", columns="output")
            .stack()
            .rename("contribution")
            .reset_index()
        )
        order = long["contribution"].abs().sort_values(ascending=False, kind="stable").index
        return long.loc[order[:top]].reset_index(drop=True)


def feature_attribution(
    strategy: Any,
    market: MarketData | pd.DataFrame,
    date: Any,
    *,
    target: AttributionTarget | str = AttributionTarget.WEIGHTS,
    by: AttributionGrouping | str = AttributionGrouping.FAMILY,
    n_samples: int = 50,
    seed: int = 0,
    risk_window: int = 252,
) -> FeatureAttribution:
    """Shapley values of the features behind a fitted deep strategy's decision at ``date``.

    Parameters
    ----------
    strategy : DeepAllocator or DeepEnsemble
        Fitted (or loaded with :func:`~riskalloc.strategies.deep.load_model`). The
        fitted model is explained as it is; ``retrain_every`` refits are not redone.
    market : MarketData or pandas.DataFrame
        Prices; only those up to ``date`` are read.
    date
        A trading date of ``market`` with the strategy's ``min_history`` behind it.
    target : {"weights", "risk"}
        Each asset's weight, or the forecast volatility ``sqrt(252 w' S w)`` of the
        weights, with ``S`` the sample covariance of the ``risk_window`` daily
        returns up to ``date`` (held fixed: only the weights respond to the features).
    by : {"family", "feature"}
        The players: feature families (:class:`FeatureFamily`) or single features.
    n_samples : int, default 50
        Random permutations of captum's ``ShapleyValueSampling``; when the groups
        have no more than ``n_samples`` permutations, all are used (exact values).
    seed : int, default 0
        Seeds the permutations; same seed, same values.

    Examples
    --------
    >>> explained = feature_attribution(model, market, "2020-02-20")   # doctest: +SKIP
    >>> explained.drivers(5)                                           # doctest: +SKIP
    """
    try:
        dates = pd.DatetimeIndex([pd.Timestamp(date)])
    except (ValueError, TypeError):
        raise ConfigError(f"explain: parameter 'date' is not a date: {date!r}") from None
    long = attribution_over_time(
        strategy, market, dates, target=target, by=by, n_samples=n_samples, seed=seed,
        risk_window=risk_window,
    )  # fmt: skip
    contributions = long.pivot(index="group", columns="output", values="contribution")
    groups = list(dict.fromkeys(long["group"]))
    outputs = list(dict.fromkeys(long["output"]))
    first = long.drop_duplicates("output").set_index("output")
    n_groups = len(groups)
    return FeatureAttribution(
        date=dates[0],
        target=AttributionTarget(str(target).lower()),
        by=AttributionGrouping(str(by).lower()),
        contributions=contributions.loc[groups, outputs].rename_axis(index=None, columns=None),
        base_value=first.loc[outputs, "base_value"].rename_axis(None),
        output=first.loc[outputs, "model_output"].rename_axis(None),
        method=_method_name(n_groups, n_samples),
    )


def attribution_over_time(
    strategy: Any,
    market: MarketData | pd.DataFrame,
    dates: Any,
    *,
    target: AttributionTarget | str = AttributionTarget.WEIGHTS,
    by: AttributionGrouping | str = AttributionGrouping.FAMILY,
    n_samples: int = 50,
    seed: int = 0,
    risk_window: int = 252,
) -> pd.DataFrame:
    """:func:`feature_attribution` at every one of ``dates``, as one long table.

    Returns columns ``date, group, output, contribution, base_value, model_output``;
    on each date and output the contributions sum to ``model_output - base_value``.
    Each date's decision uses only prices up to that date.
    """
    target = _choice(AttributionTarget, target, "target")
    by = _choice(AttributionGrouping, by, "by")
    if not isinstance(n_samples, int) or n_samples < 1:
        raise ConfigError(
            f"explain: parameter 'n_samples' must be a positive integer, got {n_samples!r}"
        )
    members = _members(strategy)
    history = _history(market, members[0].assets_)
    dates = pd.DatetimeIndex(dates)
    if len(dates) == 0:
        raise ConfigError("explain: parameter 'dates' is empty; give at least one decision date")
    missing = dates[history.dates.get_indexer(dates) < 0]
    if len(missing):
        raise DataError(f"explain: {missing[0].date()} is not a trading date of {history.name}")
    history = history.until(dates.max())
    names = list(members[0].features_.feature_names_)
    group_of = (
        [feature_family(name).value for name in names]
        if by is AttributionGrouping.FAMILY
        else names
    )
    groups = list(dict.fromkeys(group_of))
    outputs = (
        list(map(str, history.assets)) if target is AttributionTarget.WEIGHTS else [RISK_OUTPUT]
    )
    frames = []
    per_date = len(outputs) * len(names) * members[0].lookback * len(history.assets)
    step = max(1, _CHUNK_ELEMENTS // per_date)
    for start in range(0, len(dates), step):
        chunk = dates[start : start + step]
        values, base, output = _shapley(
            members, history, chunk, target, group_of, groups, n_samples, seed, risk_window
        )
        frames.append(_long(chunk, groups, outputs, values, base, output))
    return pd.concat(frames, ignore_index=True)


def _shapley(
    members: list[Any],
    history: MarketData,
    dates: pd.DatetimeIndex,
    target: AttributionTarget,
    group_of: list[str],
    groups: list[str],
    n_samples: int,
    seed: int,
    risk_window: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shapley values ``(dates, groups, outputs)``, base values and outputs ``(dates, outputs)``."""
    from captum.attr import ShapleyValues, ShapleyValueSampling

    inputs = members[0].inputs(history, dates).detach().cpu()
    forward = _weights_function(members, history, dates)
    if target is AttributionTarget.RISK:
        forward = _risk_function(forward, history, dates, risk_window)
    group_index = torch.as_tensor([groups.index(g) for g in group_of])
    # The same players on every date: one mask, broadcast over the batch of dates.
    mask = group_index[None, :, None, None].expand(1, *inputs.shape[1:]).contiguous()
    first_feature = [group_of.index(g) for g in groups]
    with torch.no_grad():
        base = forward(torch.zeros_like(inputs))
        output = forward(inputs)
    exact = math.factorial(len(groups)) <= n_samples
    with seeded(seed):
        if exact:
            explainer = ShapleyValues(forward)
            attributions = explainer.attribute(inputs, baselines=0.0, feature_mask=mask)
        else:
            explainer = ShapleyValueSampling(forward)
            attributions = explainer.attribute(
                inputs, baselines=0.0, feature_mask=mask, n_samples=n_samples
            )
    # Every input of a group carries the group's value: read it at the group's first feature.
    values = attributions[..., first_feature, 0, 0].to(torch.float64)
    if target is AttributionTarget.RISK:
        values, base, output = values[:, :, None], base[:, None], output[:, None]
    else:
        values = values.transpose(1, 2)  # (dates, outputs, groups) -> (dates, groups, outputs)
    return values.numpy(), base.numpy(), output.numpy()


def _weights_function(
    members: list[Any], history: MarketData, dates: pd.DatetimeIndex
) -> Callable[[torch.Tensor], torch.Tensor]:
    """Inputs ``(dates, features, lookback, assets)`` -> weights ``(dates, assets)``, float64.

    Each member's own ``predict`` runs on the given windows instead of those it would
    build, so the attribution is of exactly what ``allocate`` returns (an ensemble's
    weights are the mean of its members').
    """

    def weights(windows: torch.Tensor) -> torch.Tensor:
        patched = []
        for member in members:
            copied = copy.copy(member)  # the caller's strategy is left untouched
            given = windows.to(device=member.torch_device, dtype=member.torch_dtype)
            copied.inputs = lambda _history, _dates, given=given: given
            patched.append(copied)
        decided = _mean_weights(patched, history, dates)
        return torch.tensor(
            decided.to_numpy(dtype=float), dtype=torch.float64
        )  # copy: read-only view

    return weights


def model_weights(strategy: Any, history: MarketData, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """The weights of the model as it was saved, on ``dates``: what :func:`feature_attribution`
    explains. Unlike ``allocate``, never refits (a saved ``retrain_every`` is not replayed)."""
    return _mean_weights(_members(strategy), history, pd.DatetimeIndex(dates))


def _mean_weights(members: list[Any], history: MarketData, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Each member's ``predict`` and their mean (an ensemble's weights)."""
    decided = [member.predict(history, dates) for member in members]
    mean = np.mean([frame.to_numpy(dtype=float) for frame in decided], axis=0)
    return pd.DataFrame(mean, index=decided[0].index, columns=decided[0].columns)


def _risk_function(
    weights: Callable[[torch.Tensor], torch.Tensor],
    history: MarketData,
    dates: pd.DatetimeIndex,
    risk_window: int,
) -> Callable[[torch.Tensor], torch.Tensor]:
    """Inputs -> forecast annualised volatility ``sqrt(252 w' S w)`` ``(dates,)``."""
    if not isinstance(risk_window, int) or risk_window < 2:
        raise ConfigError(
            f"explain: parameter 'risk_window' must be an integer >= 2, got {risk_window!r}"
        )
    windows = history.return_windows(dates, risk_window, strategy="explain")
    covariance = torch.as_tensor(estimate_covariance(windows), dtype=torch.float64)

    def volatility(inputs: torch.Tensor) -> torch.Tensor:
        w = weights(inputs)
        variance = torch.einsum("di,dij,dj->d", w, covariance, w).clamp_min(0.0)
        return torch.sqrt(PERIODS_PER_YEAR * variance)

    return volatility


def _members(strategy: Any) -> list[Any]:
    # A model saved with limits loads wrapped in them; the network explained is the one
    # inside (its own weights: the limits are exact projections applied after it).
    if isinstance(strategy, LimitedAllocator):
        strategy = strategy.strategy
    members = list(getattr(strategy, "members_", None) or [strategy])
    for member in members:
        if not (hasattr(member, "features_") and hasattr(member, "model_")):
            raise ConfigError(
                f"explain: strategy '{getattr(strategy, 'name', type(strategy).__name__)}' is not a "
                "fitted deep strategy; feature attribution needs a network's inputs (fit it or "
                "load a model folder written by `riskalloc train`)"
            )
    first = members[0].features_
    for member in members[1:]:
        same = member.features_.feature_names_ == first.feature_names_ and np.array_equal(
            member.features_.mean_, first.mean_
        )
        if not same or member.lookback != members[0].lookback:
            raise ConfigError(
                "explain: the ensemble's members were fitted on different inputs; explain one "
                "member's folder at a time"
            )
    return members


def _history(market: MarketData | pd.DataFrame, assets: list[str]) -> MarketData:
    if not isinstance(market, MarketData):
        market = MarketData(market)
    if list(map(str, market.assets)) != list(assets):
        market = market.select(list(assets))
    return market


def _choice(kind: type[enum.StrEnum], value: Any, parameter: str) -> Any:
    try:
        return kind(str(value).lower())
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise ConfigError(
            f"explain: parameter '{parameter}' must be one of {choices}, got {value!r}"
        ) from None


def _method_name(n_groups: int, n_samples: int) -> str:
    permutations = math.factorial(n_groups)
    if permutations <= n_samples:
        return f"captum ShapleyValues: exact, all {permutations} permutations of {n_groups} groups"
    return f"captum ShapleyValueSampling: {n_samples} random permutations of {n_groups} groups"


def _long(
    dates: pd.DatetimeIndex,
    groups: list[str],
    outputs: list[str],
    values: np.ndarray,
    base: np.ndarray,
    output: np.ndarray,
) -> pd.DataFrame:
    n_dates, n_groups, n_outputs = values.shape
    return pd.DataFrame(
        {
            "date": np.repeat(dates, n_groups * n_outputs),
            "group": np.tile(np.repeat(np.asarray(groups, dtype=object), n_outputs), n_dates),
            "output": np.tile(np.asarray(outputs, dtype=object), n_dates * n_groups),
            "contribution": values.ravel(),
            "base_value": np.repeat(base[:, None, :], n_groups, axis=1).ravel(),
            "model_output": np.repeat(output[:, None, :], n_groups, axis=1).ravel(),
        },
        columns=ATTRIBUTION_COLUMNS,
    )
