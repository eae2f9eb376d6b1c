"""The specification of risk limits: what ``--limit key=value`` reads into, checked at the edge."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from riskalloc.core import ConfigError

__all__ = [
    "LIMITED_SUFFIX",
    "Limits",
    "base_strategy_name",
    "differentiable_limits",
    "parse_limits",
]

#: What a limited strategy's label adds to its name: ``risk_parity+limits``.
LIMITED_SUFFIX = "+limits"


@dataclass(frozen=True)
class Limits:
    """Risk limits applied after a strategy decides its weights.

    Every limit is optional; ``None`` leaves it off. Fractions are of
    portfolio value (0.2 = 20 %). Whatever a limit removes from the risky
    assets goes to cash (weights summing below one).

    Parameters
    ----------
    max_weight : float, optional
        Largest weight of one asset.
    group_caps : mapping group -> float, optional
        Largest total weight of each named group; needs ``groups``.
    groups : mapping asset -> group, optional
        Asset membership (e.g. sectors, from ``--groups sectors.csv``).
    var, cvar : float, optional
        Largest one-day historical VaR / CVaR *loss* of the portfolio at
        confidence ``limit_alpha``, from the ``risk_window`` most recent daily
        returns of the assets up to the decision date, as
        :func:`riskalloc.risk.value_at_risk` and
        :func:`riskalloc.risk.conditional_value_at_risk` compute them.
    limit_alpha : float, default 0.95
        Confidence level of the VaR and CVaR limits.
    risk_window : int, default 250
        Daily returns in the VaR / CVaR estimate.
    vol_target : float, optional
        Largest annualised volatility ``sqrt(252 w' S w)``, ``S`` the sample
        covariance of the ``vol_window`` most recent daily returns.
    vol_window : int, default 60
        Daily returns in the covariance estimate of ``vol_target``.
    max_turnover : float, optional
        Largest two-way turnover per rebalance, ``sum_i |w_i - d_i|``, with
        ``d`` the previous decision's weights drifted with prices to the
        decision date: the backtester's own turnover.
    drawdown_stop : float, optional
        Drawdown of the limited portfolio (gross of costs, from its running
        peak) at a decision date that moves it entirely to cash.
    reenter : float, default 0.05
        While stopped, the portfolio re-enters once the portfolio it would
        have held (the strategy after every other limit) has recovered this
        fraction from its trough since the stop.
    reenter_days : int, optional
        Also re-enter after this many trading days in cash, recovered or not.

    Examples
    --------
    >>> parse_limits(["max_weight=0.2", "vol_target=0.10"]).max_weight
    0.2
    """

    max_weight: float | None = None
    group_caps: Mapping[str, float] | None = None
    groups: Mapping[str, str] | None = None
    var: float | None = None
    cvar: float | None = None
    limit_alpha: float = 0.95
    risk_window: int = 250
    vol_target: float | None = None
    vol_window: int = 60
    max_turnover: float | None = None
    drawdown_stop: float | None = None
    reenter: float = 0.05
    reenter_days: int | None = None

    # --- checks -------------------------------------------------------------------
    def validated(self) -> Limits:
        """The limits themselves, or a :class:`ConfigError` naming the bad one."""
        for key in ("max_weight", "var", "cvar", "vol_target", "max_turnover"):
            value = getattr(self, key)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ConfigError(f"--limit {key}: must be a number > 0, got {value!r}")
        if self.max_weight is not None and self.max_weight > 1:
            raise ConfigError(f"--limit max_weight: must be at most 1, got {self.max_weight!r}")
        if self.drawdown_stop is not None and not 0 < self.drawdown_stop < 1:
            raise ConfigError(
                f"--limit drawdown_stop: must lie in (0, 1), e.g. 0.15, got {self.drawdown_stop!r}"
            )
        if not 0 < self.limit_alpha < 1:
            raise ConfigError(
                f"--limit limit_alpha: must lie in (0, 1), e.g. 0.95, got {self.limit_alpha!r}"
            )
        if not (math.isfinite(self.reenter) and self.reenter >= 0):
            raise ConfigError(f"--limit reenter: must be a number >= 0, got {self.reenter!r}")
        for key in ("risk_window", "vol_window", "reenter_days"):
            value = getattr(self, key)
            minimum = 1 if key == "reenter_days" else 2
            if value is not None and (
                isinstance(value, bool) or int(value) != value or value < minimum
            ):
                raise ConfigError(f"--limit {key}: must be an integer >= {minimum}, got {value!r}")
        if self.group_caps and not self.groups:
            raise ConfigError(
                "--limit group_caps: needs the asset -> group mapping (--groups sectors.csv)"
            )
        for name, cap in (self.group_caps or {}).items():
            if not (math.isfinite(cap) and cap >= 0):
                raise ConfigError(f"--limit group_caps: group '{name}' has cap {cap!r}, not >= 0")
        if self.group_caps and self.groups:
            known = set(self.groups.values())
            unknown = [name for name in self.group_caps if name not in known]
            if unknown:
                raise ConfigError(
                    f"--limit group_caps: unknown group '{unknown[0]}'; "
                    f"groups: {', '.join(sorted(known))}"
                )
        return self

    def check_assets(self, assets: list[str], strategy: str) -> None:
        """Raise a :class:`ConfigError` when ``groups`` names an asset not in the data."""
        unknown = [asset for asset in (self.groups or {}) if asset not in assets]
        if self.group_caps and unknown:
            raise ConfigError(
                f"{strategy}: limit group_caps: groups name unknown asset '{unknown[0]}'"
            )

    # --- what the limits need ---------------------------------------------------------
    @property
    def min_history(self) -> int:
        """Prices needed up to the first decision by the risk estimates."""
        needed = 1
        if self.var is not None or self.cvar is not None:
            needed = max(needed, int(self.risk_window) + 1)
        if self.vol_target is not None:
            needed = max(needed, int(self.vol_window) + 1)
        return needed

    @property
    def sequential(self) -> bool:
        """True when a decision depends on the previous ones (turnover, drawdown stop)."""
        return self.max_turnover is not None or self.drawdown_stop is not None

    # --- serialisation (config.json, cell parameters) -----------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The limits that differ from their defaults, as plain JSON values."""
        values = {}
        for spec in dataclasses.fields(self):
            value = getattr(self, spec.name)
            if value == spec.default:
                continue
            values[spec.name] = dict(sorted(value.items())) if isinstance(value, Mapping) else value
        return values

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Limits:
        """The inverse of :meth:`to_dict` (unknown keys raise a :class:`ConfigError`)."""
        known = {spec.name for spec in dataclasses.fields(cls)}
        unknown = [key for key in values if key not in known]
        if unknown:
            raise ConfigError(
                f"--limit {unknown[0]}: unknown limit; limits: {', '.join(sorted(known - {'groups'}))}"
            )
        return cls(**dict(values)).validated()


_FLOATS = ("max_weight", "var", "cvar", "limit_alpha", "vol_target", "max_turnover")
_FLOATS += ("drawdown_stop", "reenter")
_INTEGERS = ("risk_window", "vol_window", "reenter_days")


def parse_limits(pairs: list[str], groups: Mapping[str, str] | None = None) -> Limits:
    """Read ``--limit key=value`` strings (repeatable) into checked :class:`Limits`.

    ``group_caps`` is written ``tech:0.4,financials:0.3``; ``groups`` is the
    mapping of ``--groups``.

    Examples
    --------
    >>> limits = parse_limits(["group_caps=tech:0.4", "drawdown_stop=0.15"], {"AAPL": "tech"})
    >>> limits.group_caps, limits.drawdown_stop
    ({'tech': 0.4}, 0.15)
    """
    values: dict[str, Any] = {}
    for pair in pairs:
        key, separator, raw = pair.partition("=")
        key, raw = key.strip(), raw.strip()
        if not separator or not key or not raw:
            raise ConfigError(f"--limit {pair!r}: expected key=value, e.g. max_weight=0.2")
        if key in values:
            raise ConfigError(f"--limit {key}: given twice")
        if key == "group_caps":
            values[key] = _read_caps(raw)
        elif key in _FLOATS or key in _INTEGERS:
            kind = int if key in _INTEGERS else float
            try:
                values[key] = kind(raw)
            except ValueError:
                expected = "an integer" if kind is int else "a number"
                raise ConfigError(f"--limit {key}: expected {expected}, got {raw!r}") from None
        else:
            choices = ", ".join(("group_caps", *_FLOATS, *_INTEGERS))
            raise ConfigError(f"--limit {key}: unknown limit; limits: {choices}")
    if groups is not None and "group_caps" in values:
        values["groups"] = dict(groups)
    return Limits(**values).validated()


def _read_caps(raw: str) -> dict[str, float]:
    caps = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        name, colon, value = item.partition(":")
        try:
            caps[name.strip()] = float(value)
        except ValueError:
            colon = ""
        if not colon or not name.strip():
            raise ConfigError(
                f"--limit group_caps: expected GROUP:CAP pairs like tech:0.4,financials:0.3, got {item!r}"
            )
    return caps


def base_strategy_name(label: str) -> str:
    """The registered name behind a label: ``risk_parity+limits`` -> ``risk_parity``."""
    return label.removesuffix(LIMITED_SUFFIX)


def differentiable_limits(limits: Limits) -> Limits | None:
    """The part of ``limits`` a deep strategy can train under, or None when nothing is left.

    Kept: ``max_weight``, ``var``, ``cvar`` and ``vol_target`` (with their windows and
    confidence). Dropped: ``group_caps`` and ``drawdown_stop`` (no differentiable layer)
    and ``max_turnover`` (a training sample is a trade from cash, with no previous
    decision to cut towards); they still bind at allocation, where
    :class:`LimitedAllocator` applies every limit exactly.
    """
    part = dataclasses.replace(
        limits.validated(), group_caps=None, groups=None, max_turnover=None, drawdown_stop=None
    )
    kept = (part.max_weight, part.var, part.cvar, part.vol_target)
    return part if any(value is not None for value in kept) else None
