"""Feature families: the input features of a deep strategy grouped by what they measure."""

from __future__ import annotations

import enum

from riskalloc.features._undefined import EXTRA_PREFIX

__all__ = ["FeatureFamily", "feature_family"]


class FeatureFamily(enum.StrEnum):
    """What a :class:`~riskalloc.features.FeatureBuilder` feature measures."""

    MOMENTUM = "momentum"  # log return, moving-average ratios, RSI: trend of the asset
    VOLATILITY = "volatility"  # the asset's rolling volatilities
    DRAWDOWN = "drawdown"  # the asset's fall from its trailing peak
    MARKET_REGIME = "market_regime"  # volatility, trend and drawdown of the market index
    EXTRA = "extra"  # the user's own columns (macro series, sentiment ...)


# Checked in order: the market's features would otherwise read as the asset's volatility.
_PREFIXES: tuple[tuple[str, FeatureFamily], ...] = (
    (EXTRA_PREFIX, FeatureFamily.EXTRA),
    ("market_", FeatureFamily.MARKET_REGIME),
    ("log_return", FeatureFamily.MOMENTUM),
    ("ma_ratio_", FeatureFamily.MOMENTUM),
    ("rsi_", FeatureFamily.MOMENTUM),
    ("volatility_", FeatureFamily.VOLATILITY),
    ("drawdown_", FeatureFamily.DRAWDOWN),
)


def feature_family(name: str) -> FeatureFamily:
    """The family of a feature named as in ``FeatureBuilder.feature_names_``.

    Examples
    --------
    >>> feature_family("ma_ratio_50"), feature_family("market_volatility_21")
    (<FeatureFamily.MOMENTUM: 'momentum'>, <FeatureFamily.MARKET_REGIME: 'market_regime'>)
    """
    for prefix, family in _PREFIXES:
        if name.startswith(prefix):
            return family
    # A feature this module does not know yet is the user's to name, not an error.
    return FeatureFamily.EXTRA
