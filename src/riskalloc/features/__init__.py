"""Features: technical indicators and market state, computed only from the past.

:class:`FeatureBuilder` turns a :class:`~riskalloc.MarketData` history into the
network input tensor ``(batch, features, lookback, assets)``, standardised with
statistics fitted on the training span only.

Examples
--------
>>> import riskalloc as ra
>>> from riskalloc.features import FeatureBuilder
>>> s = ra.scenario("bull-2010")
>>> data = ra.MarketData(s.prices)
>>> builder = FeatureBuilder(lookback=50).fit(data.until(s.train_end))
>>> X = builder.transform(data, data.dates[data.dates >= s.test_start])
>>> X.shape[1:], builder.feature_names_[:3]
((11, 50, 8), ['log_return', 'volatility_5', 'volatility_21'])
"""

from riskalloc.features._builder import FeatureBuilder
from riskalloc.features._extra import (
    align_extra_features,
    load_extra_features,
    validate_extra_features,
)
from riskalloc.features._indicators import (
    drawdown_from_peak,
    log_returns,
    moving_average_ratio,
    relative_strength_index,
    trailing_volatility,
)
from riskalloc.features._market_state import (
    MarketIndex,
    equal_weight_index,
    market_state_features,
)
from riskalloc.features._stream import FeatureStream

__all__ = [
    "FeatureBuilder",
    "FeatureStream",
    "MarketIndex",
    "align_extra_features",
    "drawdown_from_peak",
    "equal_weight_index",
    "load_extra_features",
    "log_returns",
    "market_state_features",
    "moving_average_ratio",
    "relative_strength_index",
    "trailing_volatility",
    "validate_extra_features",
]
