"""The ``synthetic:`` spec strings that ``--dataset`` takes, read into generator calls."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from riskalloc.core import ConfigError
from riskalloc.data._synthetic import (
    DEFAULT_REGIMES,
    Regime,
    block_bootstrap_prices,
    regime_path,
    regime_switching_prices,
)
from riskalloc.data._synthetic_drift import drift_prices

__all__ = [
    "DEFAULT_BOOTSTRAP_SOURCE",
    "SYNTHETIC_ATTR",
    "SYNTHETIC_PREFIX",
    "SyntheticGenerator",
    "SyntheticSpec",
    "canonical_synthetic_spec",
    "drift_market",
    "generate_synthetic",
    "is_synthetic_spec",
    "parse_synthetic_spec",
    "regime_market",
]

SYNTHETIC_PREFIX = "synthetic:"
#: Key of ``DataFrame.attrs`` marking generated prices (its value is the canonical spec).
SYNTHETIC_ATTR = "riskalloc_synthetic"
#: The bundled dataset ``synthetic:bootstrap`` resamples when the spec names no ``source``.
DEFAULT_BOOTSTRAP_SOURCE = "sp500"


class SyntheticGenerator(enum.StrEnum):
    """The generators a ``synthetic:`` spec names."""

    REGIME = "regime"
    BOOTSTRAP = "bootstrap"
    DRIFT = "drift"


def _integer(text: str) -> int:
    return int(text)


def _date(text: str) -> str:
    pd.Timestamp(text)  # raises ValueError on a date it cannot read
    return text


_REGIME_FIELDS = ("mean", "volatility", "correlation", "persistence")

#: Each generator's parameters, in the order of the canonical spec, and how to read them.
_PARAMETERS: dict[SyntheticGenerator, dict[str, Callable[[str], object]]] = {
    SyntheticGenerator.REGIME: {
        "assets": _integer,
        "days": _integer,
        "seed": _integer,
        "start": _date,
        **{
            f"{regime.name}_{field}": float
            for regime in DEFAULT_REGIMES
            for field in _REGIME_FIELDS
        },
    },
    SyntheticGenerator.BOOTSTRAP: {
        "source": str,
        "days": _integer,
        "block": float,
        "seed": _integer,
        "start": _date,
        "source_start": _date,
        "source_end": _date,
    },
    SyntheticGenerator.DRIFT: {
        "assets": _integer,
        "days": _integer,
        "seed": _integer,
        "start": _date,
        "noise": float,
        "persistence": float,
        "signal": float,
        "mean": float,
    },
}

_EXAMPLES = (
    "synthetic:regime:assets=50,days=2520,seed=0, "
    "synthetic:bootstrap:source=sp500,days=5000,block=20,seed=1 or "
    "synthetic:drift:assets=10,days=2520,seed=0"
)


def is_synthetic_spec(name: str) -> bool:
    """Whether a ``--dataset`` value names a synthetic market (``synthetic`` or ``synthetic:...``)."""
    return name.strip() == "synthetic" or name.strip().startswith(SYNTHETIC_PREFIX)


def _parse(spec: str) -> tuple[SyntheticGenerator, dict[str, str], dict[str, object]]:
    text = spec.strip()
    if not is_synthetic_spec(text) or text in ("synthetic", SYNTHETIC_PREFIX):
        raise ConfigError(f"synthetic dataset '{spec}': name a generator, e.g. {_EXAMPLES}")
    name, _, arguments = text.removeprefix(SYNTHETIC_PREFIX).partition(":")
    try:
        generator = SyntheticGenerator(name.strip())
    except ValueError:
        raise ConfigError(
            f"synthetic dataset '{spec}': unknown generator '{name.strip()}'; "
            f"generators: {', '.join(SyntheticGenerator)}"
        ) from None
    known = _PARAMETERS[generator]
    raw: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in arguments.split(","))):
        key, equals, value = (piece.strip() for piece in item.partition("="))
        if not equals or not value:
            raise ConfigError(
                f"synthetic dataset '{spec}': '{item}' is not key=value; e.g. {_EXAMPLES}"
            )
        if key not in known:
            raise ConfigError(
                f"synthetic dataset '{spec}': unknown parameter '{key}' of {generator}; "
                f"parameters: {', '.join(known)}"
            )
        if key in raw:
            raise ConfigError(f"synthetic dataset '{spec}': parameter '{key}' given twice")
        raw[key] = value
    typed: dict[str, object] = {}
    for key, value in raw.items():
        try:
            typed[key] = known[key](value)
        except ValueError:
            kind = {_integer: "an integer", float: "a number", _date: "a date"}[known[key]]
            raise ConfigError(
                f"synthetic dataset '{spec}': parameter '{key}' must be {kind}, got '{value}'"
            ) from None
        if isinstance(typed[key], float) and not np.isfinite(typed[key]):
            raise ConfigError(
                f"synthetic dataset '{spec}': parameter '{key}' must be finite, got '{value}'"
            )
    ordered = {key: raw[key] for key in known if key in raw}
    return generator, ordered, typed


@dataclass(frozen=True)
class SyntheticSpec:
    """A ``synthetic:`` spec, read: its generator, canonical label and typed parameters.

    ``parameters`` holds only the parameters the spec gives (the generator's
    defaults fill the rest), keyed as in the spec.
    """

    generator: SyntheticGenerator
    label: str
    parameters: Mapping[str, object]

    @property
    def source(self) -> str | None:
        """The bundled dataset a bootstrap resamples; None for a generator that needs none."""
        if self.generator is SyntheticGenerator.BOOTSTRAP:
            return str(self.parameters.get("source", DEFAULT_BOOTSTRAP_SOURCE))
        return None


def parse_synthetic_spec(spec: str) -> SyntheticSpec:
    """Read a spec string; an unknown generator or parameter, or a bad value, raises
    :class:`~riskalloc.core.ConfigError` naming it.

    Examples
    --------
    >>> parse_synthetic_spec("synthetic:bootstrap:days=500,source=factors").source
    'factors'
    """
    generator, ordered, typed = _parse(spec)
    arguments = ",".join(f"{key}={value}" for key, value in ordered.items())
    label = f"{SYNTHETIC_PREFIX}{generator}" + (f":{arguments}" if arguments else "")
    return SyntheticSpec(generator, label, MappingProxyType(typed))


def canonical_synthetic_spec(spec: str) -> str:
    """The label of a spec in every table: the generator, then its parameters in a fixed order.

    Examples
    --------
    >>> canonical_synthetic_spec(" synthetic:regime:seed=3, assets=5 ")
    'synthetic:regime:assets=5,seed=3'
    """
    return parse_synthetic_spec(spec).label


def _regime_arguments(typed: Mapping[str, object]) -> dict[str, object]:
    return {key: typed[key] for key in ("days", "seed", "start") if key in typed}


def _regimes_from(typed: Mapping[str, object]) -> tuple[Regime, ...]:
    regimes = []
    for regime in DEFAULT_REGIMES:
        fields = {
            field: typed.get(f"{regime.name}_{field}", getattr(regime, field))
            for field in _REGIME_FIELDS
        }
        regimes.append(Regime(regime.name, **fields))  # type: ignore[arg-type]
    return tuple(regimes)


def generate_synthetic(
    spec: SyntheticSpec, source_prices: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The prices a spec's generator draws.

    A bootstrap resamples ``source_prices``: the prices of ``spec.source``, which the
    caller resolves (:func:`riskalloc.data.synthetic_prices` loads the bundled dataset).

    Returns
    -------
    pandas.DataFrame
        Business dates by assets.
    """
    parameters = dict(spec.parameters)
    if spec.generator is SyntheticGenerator.DRIFT:
        return _drift_prices_and_drifts(spec)[0]
    if spec.generator is SyntheticGenerator.REGIME:
        common = _regime_arguments(parameters)
        if "assets" in parameters:
            common["assets"] = parameters["assets"]
        return regime_switching_prices(**common, regimes=_regimes_from(parameters))  # type: ignore[arg-type]
    if source_prices is None:
        raise ValueError(f"{spec.label}: pass the prices of its source '{spec.source}'")
    parameters.pop("source", None)
    return block_bootstrap_prices(source_prices, **parameters)  # type: ignore[arg-type]


def _drift_prices_and_drifts(spec: SyntheticSpec) -> tuple[pd.DataFrame, pd.DataFrame]:
    return drift_prices(**dict(spec.parameters))  # type: ignore[arg-type]


def drift_market(spec: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The prices of a ``synthetic:drift`` market and the drifts behind them.

    The prices are those ``load_dataset(spec)`` returns, bit for bit and with the same
    mark in ``attrs``; ``drifts.loc[t]`` is each asset's expected return of the day
    after ``t``, known at the close of ``t`` (see
    :func:`riskalloc.data.drift_prices` for the model). An oracle reads them.

    Parameters
    ----------
    spec : str
        ``synthetic:drift[:key=value,...]`` with ``assets`` (10), ``days`` (2520), ``seed``
        (0), ``start`` (2000-01-03), ``noise`` (0.01), ``persistence`` (0.99), ``signal``
        (0.001) and ``mean`` (0.0001).

    Returns
    -------
    prices, drifts : pandas.DataFrame
        Both business dates by assets, fresh each call.

    Examples
    --------
    >>> prices, drifts = drift_market("synthetic:drift:assets=3,days=10,seed=2")
    >>> prices.shape, drifts.shape, prices.attrs[SYNTHETIC_ATTR]
    ((10, 3), (10, 3), 'synthetic:drift:assets=3,days=10,seed=2')
    """
    parsed = parse_synthetic_spec(spec)
    if parsed.generator is not SyntheticGenerator.DRIFT:
        raise ConfigError(
            f"'{spec}' is a synthetic:{parsed.generator} market, which has no drifts; "
            "name a synthetic:drift market, e.g. synthetic:drift:assets=10,days=2520,seed=0"
        )
    try:
        prices, drifts = _drift_prices_and_drifts(parsed)
    except ConfigError as error:
        raise ConfigError(f"synthetic dataset '{parsed.label}': {error}") from None
    prices.attrs[SYNTHETIC_ATTR] = parsed.label
    return prices, drifts


def regime_market(spec: str) -> tuple[pd.DataFrame, pd.Series]:
    """The prices of a ``synthetic:regime`` market and the hidden regime of each date.

    The prices are those ``load_dataset(spec)`` returns, bit for bit and with the same
    mark in ``attrs``; ``regimes.loc[t]`` names the regime (``"calm"``, ``"stressed"``)
    in which the return of ``t`` (from the previous date to ``t``) was drawn
    (:func:`riskalloc.data.regime_path`). The path is returned beside the prices, never
    inside them, so no strategy can read it; a test or an evaluation that knows the
    market does.

    Parameters
    ----------
    spec : str
        ``synthetic:regime[:key=value,...]`` (see :func:`riskalloc.data.synthetic_prices`).

    Returns
    -------
    prices : pandas.DataFrame
        Business dates by assets, fresh each call.
    regimes : pandas.Series
        Regime names by the same dates.

    Examples
    --------
    >>> prices, regimes = regime_market("synthetic:regime:assets=3,days=10,seed=2")
    >>> prices.index.equals(regimes.index), set(regimes) <= {"calm", "stressed"}
    (True, True)
    """
    parsed = parse_synthetic_spec(spec)
    if parsed.generator is not SyntheticGenerator.REGIME:
        raise ConfigError(
            f"'{spec}' is a synthetic:{parsed.generator} market, which has no regimes; "
            "name a synthetic:regime market, e.g. synthetic:regime:assets=10,days=2520,seed=0"
        )
    try:
        prices = generate_synthetic(parsed)
        regimes = regime_path(
            **_regime_arguments(parsed.parameters),  # type: ignore[arg-type]
            regimes=_regimes_from(parsed.parameters),
        )
    except ConfigError as error:
        raise ConfigError(f"synthetic dataset '{parsed.label}': {error}") from None
    prices.attrs[SYNTHETIC_ATTR] = parsed.label
    return prices, regimes
