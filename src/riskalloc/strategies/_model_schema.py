"""The schema of saved models' manifests: types, names and bounds, checked before anything is built.

A manifest is read by :func:`~riskalloc.strategies._model_files.read_json_file`
(bounded in bytes and depth), then checked here, value by value, before a network is
built, a tensor read or a policy unpickled. Every refusal is one line naming the
file, the key and the problem: ``models/dc/model.json: 'params.hidden_size' must be
an integer in [1, 4096], got '64'``.

What is checked:

- parameters: names the strategy has, each value of its annotated type (an integer
  where ``int`` belongs, a list of integers for ``tuple[int, ...]`` ...), sizes within
  :data:`SIZE_BOUNDS` (the most a saved model may have; ``train`` and ``save`` refuse
  larger ones up front), then the strategy's own checks;
- assets and feature names: unique, non-empty strings of bounded length and count;
- the feature scaler: finite means, positive finite deviations, one per feature;
- the training record: a date, a run context of numbers, loss histories of numbers;
- everything else the loader reads (versions, extra values, an RL policy's actions).
"""

from __future__ import annotations

import enum
import math
import re
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd

from riskalloc.core import ConfigError

__all__ = [
    "MAX_ASSETS",
    "MAX_FEATURES",
    "SIZE_BOUNDS",
    "ManifestCheck",
    "check_param_bounds",
]

#: The largest value a saved model's parameter may take. Network sizes bound what a model
#: allocates (a 4096-wide, 32-layer network is already far beyond what daily prices can
#: train); windows are trading days (10,000 is forty years); budgets bound a refit.
SIZE_BOUNDS: dict[str, int] = {
    "hidden_size": 4096,
    "regime_window": 10_000,
    "n_layers": 32,
    "n_regimes": 32,
    "lookback": 2520,
    "members": 100,
    "volatility_windows": 10_000,
    "ma_windows": 10_000,
    "rsi_window": 10_000,
    "drawdown_window": 10_000,
    "covariance_window": 10_000,
    "correlation_window": 10_000,
    "market_volatility_window": 10_000,
    "trend_window": 10_000,
    "horizon": 10_000,
    "block_length": 10_000,
    "retrain_every": 100_000,
    "training_window": 100_000,
    "epochs": 100_000,
    "refit_epochs": 100_000,
    "patience": 100_000,
    "batch_size": 1_000_000,
    "n_envs": 1024,
    "episode_length": 1_000_000,
    "total_timesteps": 10**10,
}
#: Most windows in a list parameter (``volatility_windows``, ``ma_windows``).
MAX_WINDOWS = 32
MAX_ASSETS = 5000
MAX_FEATURES = 4096
MAX_NAME = 256
MAX_HISTORY = 1_000_000
_STRATEGY_NAME = re.compile(r"[A-Za-z0-9_.+-]{1,64}")


def _shown(value: Any) -> str:
    """``repr(value)`` cut to 60 characters (a manifest value may be megabytes long)."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def check_param_bounds(params: Mapping[str, Any], where: str) -> None:
    """Refuse a size parameter beyond :data:`SIZE_BOUNDS` (ConfigError naming it).

    ``where`` starts the message (a strategy name, or a manifest's path and key).

    Examples
    --------
    >>> check_param_bounds({"hidden_size": 64, "ma_windows": [10, 50]}, "deep_sharpe")
    >>> check_param_bounds({"hidden_size": 10**6}, "deep_sharpe")
    Traceback (most recent call last):
    ...
    riskalloc.core._errors.ConfigError: deep_sharpe: parameter 'hidden_size' = 1000000 exceeds 4096, the most a saved riskalloc model may have
    """
    for key, bound in SIZE_BOUNDS.items():
        value = params.get(key)
        values = list(value) if isinstance(value, list | tuple) else [value]
        if len(values) > MAX_WINDOWS:
            raise ConfigError(
                f"{where}: parameter '{key}' lists {len(values)} values; at most {MAX_WINDOWS}"
            )
        for item in values:
            number = isinstance(item, int | float) and not isinstance(item, bool)
            if number and item > bound:
                raise ConfigError(
                    f"{where}: parameter '{key}' = {_shown(item)} exceeds {bound}, the most a "
                    "saved riskalloc model may have"
                )


def _fits(value: Any, annotation: Any) -> bool:
    """Whether a JSON ``value`` is of the parameter type ``annotation`` (lists for tuples)."""
    origin = typing.get_origin(annotation)
    if annotation is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, member) for member in typing.get_args(annotation))
    if annotation is None or annotation is type(None):
        return value is None
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if annotation is str or (isinstance(annotation, type) and issubclass(annotation, enum.Enum)):
        return isinstance(value, str)
    if isinstance(origin, type) and issubclass(origin, Mapping):
        _, item = typing.get_args(annotation) or (str, Any)
        return isinstance(value, dict) and all(_fits(v, item) for v in value.values())
    if isinstance(origin, type) and issubclass(origin, Sequence):
        item = (typing.get_args(annotation) or (Any,))[0]
        return isinstance(value, list) and all(_fits(v, item) for v in value)
    return True  # a type JSON cannot name: the strategy's own checks decide


def _type_name(annotation: Any, plural: bool = False) -> str:
    """How a message names the JSON a parameter type takes: "an integer", "a list of integers"."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(member, plural) for member in typing.get_args(annotation))
    if isinstance(origin, type) and issubclass(origin, Mapping):
        item = (typing.get_args(annotation) or (str, Any))[1]
        return f"{'objects' if plural else 'an object'} of {_type_name(item, True)}"
    if isinstance(origin, type) and issubclass(origin, Sequence):
        item = (typing.get_args(annotation) or (Any,))[0]
        return f"{'lists' if plural else 'a list'} of {_type_name(item, True)}"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        annotation = str
    names = {
        int: ("an integer", "integers"),
        float: ("a number", "numbers"),
        bool: ("true or false", "booleans"),
        str: ("a string", "strings"),
        type(None): ("null", "nulls"),
    }
    return names.get(annotation, ("a value", "values"))[plural]


class ManifestCheck:
    """Checks of one manifest's values; each refusal names ``path`` and the key.

    Parameters
    ----------
    path : Path
        The manifest file, named in every message.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def fail(self, key: str, problem: str) -> NoReturn:
        # A key comes from the file: shown escaped and cut when it is not plain text.
        if not key.isprintable() or len(key) > 80:
            key = _shown(key)[1:-1]
        raise ConfigError(f"{self.path}: '{key}' {problem}")

    # --- scalars ------------------------------------------------------------------------
    def mapping(self, value: Any, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(key, f"must be a JSON object, got {_shown(value)}")
        return value

    def integer(self, value: Any, key: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(key, f"must be an integer in [{low}, {high}], got {_shown(value)}")
        return value

    def number(self, value: Any, key: str, *, low: float = -math.inf, positive: bool = False):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        try:
            ok = ok and math.isfinite(value)
        except OverflowError:  # an integer beyond any float
            ok = False
        if not ok or value < low or (positive and value <= 0):
            bound = " > 0" if positive else f" >= {low:g}" if low > -math.inf else ""
            self.fail(key, f"must be a finite number{bound}, got {_shown(value)}")
        return float(value)

    def string(self, value: Any, key: str, max_length: int = MAX_NAME) -> str:
        if not isinstance(value, str) or not value.strip() or len(value) > max_length:
            self.fail(
                key, f"must be a non-empty string of at most {max_length} characters, got "
                f"{_shown(value)}"
            )  # fmt: skip
        return value

    def date(self, value: Any, key: str) -> pd.Timestamp:
        self.string(value, key, 32)
        try:
            date = pd.Timestamp(value)
        except (ValueError, TypeError, OverflowError):
            date = pd.NaT
        if pd.isna(date):
            self.fail(key, f"must be a date such as 2016-12-30, got {_shown(value)}")
        return date

    # --- lists ----------------------------------------------------------------------------
    def names(self, value: Any, key: str, max_count: int, min_count: int = 1) -> list[str]:
        """A list of ``min_count`` to ``max_count`` unique, non-empty strings."""
        if not isinstance(value, list) or not min_count <= len(value) <= max_count:
            self.fail(
                key, f"must be a list of {min_count} to {max_count} names, got {_shown(value)}"
            )
        for position, name in enumerate(value):
            self.string(name, f"{key}[{position}]")
        seen: set[str] = set()
        for name in value:
            if name in seen:
                self.fail(key, f"names {_shown(name)} twice; names must be unique")
            seen.add(name)
        return list(value)

    def numbers(self, value: Any, key: str, length: int, *, positive: bool = False) -> list[float]:
        """A list of ``length`` finite numbers (all > 0 with ``positive``)."""
        if not isinstance(value, list) or len(value) != length:
            count = len(value) if isinstance(value, list) else _shown(value)
            self.fail(key, f"must be a list of {length} numbers, one per feature, got {count}")
        return [self.number(v, f"{key}[{i}]", positive=positive) for i, v in enumerate(value)]

    def history(self, value: Any, key: str) -> None:
        """A loss history: None or a list of numbers (NaN allowed: a diverged epoch)."""
        if value is None:
            return
        if not isinstance(value, list) or len(value) > MAX_HISTORY:
            self.fail(key, f"must be a list of numbers or null, got {_shown(value)}")
        for position, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, int | float):
                self.fail(f"{key}[{position}]", f"must be a number, got {_shown(item)}")

    # --- parts of a manifest --------------------------------------------------------------
    def strategy(self, value: Any, strategy_class: Any, family: str, key: str = "strategy"):
        """The class of the saved strategy name (registered, of ``family``, saveable)."""
        if not isinstance(value, str) or not _STRATEGY_NAME.fullmatch(value):
            self.fail(key, f"must be a strategy name, got {_shown(value)}")
        try:
            cls = strategy_class(value)
        except ConfigError as error:
            self.fail(key, f"is not valid ({error})")
        if getattr(cls, "family", None) != family or not getattr(cls, "saveable", False):
            self.fail(key, f"names '{value}', which is not a saved {family} strategy")
        return cls

    def params(self, value: Any, cls: Any, key: str = "params") -> dict[str, Any]:
        """Parameters ``cls`` has, each of its type and within :data:`SIZE_BOUNDS`."""
        params = self.mapping(value, key)
        annotations = cls.param_annotations()
        for name, item in params.items():
            if name not in annotations:
                self.fail(
                    f"{key}.{name}", f"is not a parameter of '{cls.name}'; the model was saved "
                    "by another version of riskalloc"
                )  # fmt: skip
            if not _fits(item, annotations[name]):
                expected = _type_name(annotations[name])
                self.fail(f"{key}.{name}", f"must be {expected}, got {_shown(item)}")
        check_param_bounds(params, f"{self.path}: '{key}'")
        return params

    def assets(self, value: Any, key: str = "assets") -> list[str]:
        return self.names(value, key, MAX_ASSETS)

    def features(self, value: Any, lookback: int | None, key: str = "features") -> None:
        """The saved feature builder: its parameters in bounds, one statistic per feature."""
        state = self.mapping(value, key)
        for part in ("params", "feature_names", "mean", "std"):
            if part not in state:
                self.fail(key, f"lacks '{part}'")
        params = self.mapping(state["params"], f"{key}.params")
        window = params.get("lookback")
        self.integer(window, f"{key}.params.lookback", 1, SIZE_BOUNDS["lookback"])
        if lookback is not None and window != lookback:
            self.fail(f"{key}.params.lookback", f"is {window} but 'params.lookback' is {lookback}")
        check_param_bounds(params, f"{self.path}: '{key}.params'")
        names = self.names(state["feature_names"], f"{key}.feature_names", MAX_FEATURES)
        self.numbers(state["mean"], f"{key}.mean", len(names))
        self.numbers(state["std"], f"{key}.std", len(names), positive=True)
        for part in ("extra_columns", "data_columns"):
            if state.get(part) is not None:
                self.names(state[part], f"{key}.{part}", MAX_FEATURES, min_count=0)

    def training(self, value: Any, key: str = "training") -> pd.Timestamp:
        """The training record: its end date (returned), run context and loss history."""
        training = self.mapping(value, key)
        end = self.date(training.get("end"), f"{key}.end")
        context = training.get("context")
        if context is not None:
            context = self.mapping(context, f"{key}.context")
            self.number(context.get("costs_bps"), f"{key}.context.costs_bps", low=0)
            self.number(context.get("risk_free"), f"{key}.context.risk_free", low=-1)
            self.integer(
                context.get("periods_per_year"), f"{key}.context.periods_per_year", 1, 100_000
            )
            self.string(context.get("rebalance"), f"{key}.context.rebalance", 64)
        best = training.get("best_epoch")
        if best is not None:
            self.integer(best, f"{key}.best_epoch", 0, MAX_HISTORY)
        for loss in ("train_loss", "validation_loss"):
            self.history(training.get(loss), f"{key}.{loss}")
        return end

    def plain_values(self, value: Any, key: str) -> None:
        """An object of finite numbers, strings, booleans, nulls or lists of them."""
        for name, item in self.mapping(value, key).items():
            items = item if isinstance(item, list) else [item]
            for element in items:
                if isinstance(element, float) and not math.isfinite(element):
                    self.fail(f"{key}.{name}", f"must be finite, got {element}")
                if isinstance(element, dict | list):
                    self.fail(f"{key}.{name}", f"must hold plain values, got {_shown(item)}")
