"""The ``synthetic:`` spec strings that ``--dataset`` takes, read into generator calls."""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pandas as pd

from riskalloc._errors import ConfigError
from riskalloc.data._synthetic import (
    DEFAULT_REGIMES,
    Regime,
    bootstrap_prices,
    regime_switching_prices,
)

__all__ = [
    "SYNTHETIC_ATTR",
    "SYNTHETIC_PREFIX",
    "SyntheticGenerator",
    "canonical_synthetic_spec",
    "is_synthetic_spec",
    "synthetic_prices",
]

SYNTHETIC_PREFIX = "synthetic:"
#: Key of ``DataFrame.attrs`` marking generated prices (its value is the canonical spec).
SYNTHETIC_ATTR = "riskalloc_synthetic"


class SyntheticGenerator(enum.StrEnum):
    """The generators a ``synthetic:`` spec names."""

    REGIME = "regime"
    BOOTSTRAP = "bootstrap"


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
}

_EXAMPLES = "synthetic:regime:assets=50,days=2520,seed=0 or synthetic:bootstrap:source=sp500,days=5000,block=20,seed=1"


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


def canonical_synthetic_spec(spec: str) -> str:
    """The label of a spec in every table: the generator, then its parameters in a fixed order.

    Examples
    --------
    >>> canonical_synthetic_spec(" synthetic:regime:seed=3, assets=5 ")
    'synthetic:regime:assets=5,seed=3'
    """
    generator, ordered, _ = _parse(spec)
    arguments = ",".join(f"{key}={value}" for key, value in ordered.items())
    return f"{SYNTHETIC_PREFIX}{generator}" + (f":{arguments}" if arguments else "")


def _regimes_from(typed: dict[str, object]) -> tuple[Regime, ...]:
    regimes = []
    for regime in DEFAULT_REGIMES:
        fields = {
            field: typed.get(f"{regime.name}_{field}", getattr(regime, field))
            for field in _REGIME_FIELDS
        }
        regimes.append(Regime(regime.name, **fields))  # type: ignore[arg-type]
    return tuple(regimes)


@lru_cache(maxsize=2)
def _generate(label: str) -> pd.DataFrame:
    generator, _, typed = _parse(label)
    try:
        if generator is SyntheticGenerator.REGIME:
            common = {
                key: typed[key] for key in ("assets", "days", "seed", "start") if key in typed
            }
            return regime_switching_prices(**common, regimes=_regimes_from(typed))  # type: ignore[arg-type]
        return bootstrap_prices(**typed)  # type: ignore[arg-type]
    except ConfigError as error:
        raise ConfigError(f"synthetic dataset '{label}': {error}") from None


def synthetic_prices(spec: str) -> pd.DataFrame:
    """Prices of a synthetic market named by a spec string (what ``--dataset`` takes).

    The syntax is ``synthetic:GENERATOR[:key=value,key=value,...]`` (no quoting
    needed in a shell); parameters left out take their defaults.

    ``synthetic:regime``
        :func:`regime_switching_prices`: ``assets`` (10), ``days`` (2520), ``seed``
        (0), ``start`` (2000-01-03), and per regime ``calm_*`` / ``stressed_*`` with
        ``mean``, ``volatility``, ``correlation``, ``persistence`` (annualised
        mean and volatility; see :data:`DEFAULT_REGIMES`).
    ``synthetic:bootstrap``
        :func:`bootstrap_prices`: ``source`` (sp500), ``days`` (2520), ``block``
        (20), ``seed`` (0), ``start`` (2000-01-03), ``source_start``, ``source_end``.

    An unknown generator or parameter, or a value that cannot be read, raises
    :class:`~riskalloc._errors.ConfigError` naming it. The same spec gives the same
    prices, bit for bit; pick assets afterwards (``--assets SYN01,SYN02``).

    Returns
    -------
    pandas.DataFrame
        Business dates by assets; a fresh copy each call.

    Examples
    --------
    >>> synthetic_prices("synthetic:regime:assets=50,days=2520,seed=0").shape
    (2520, 50)
    >>> synthetic_prices("synthetic:bootstrap:source=sp500,days=500,block=20,seed=1").shape
    (500, 20)
    """
    canonical = canonical_synthetic_spec(spec)
    prices = _generate(canonical).copy()
    # The mark travels with the prices (MarketData keeps it, slices too), so whatever the
    # data is named, its features know there is no real market index behind it.
    prices.attrs[SYNTHETIC_ATTR] = canonical
    return prices
