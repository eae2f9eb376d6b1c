"""Explain allocations: risk attribution to assets and feature attribution of deep strategies.

- :func:`risk_contributions_over_time`: each asset's Euler contribution to the
  volatility or the CVaR of the weights decided at each date (they sum to the risk);
- :func:`feature_attribution` / :func:`attribution_over_time`: Shapley values
  (captum) of a deep strategy's input features, grouped by family, behind its
  weights or its forecast risk (they sum to the output minus the base value).

Examples
--------
>>> import pandas as pd
>>> import riskalloc as ra
>>> from riskalloc.explain import risk_contributions_over_time
>>> data = ra.MarketData(ra.scenario("bull-2010").prices)
>>> w = pd.DataFrame(1 / 8, index=data.dates[-2:], columns=data.assets)
>>> table = risk_contributions_over_time(w, data, measure="cvar")
>>> round(float(table.groupby("date")["share"].sum().iloc[0]), 12)
1.0
"""

from riskalloc.explain._families import FeatureFamily, feature_family
from riskalloc.explain._feature_attribution import (
    AttributionGrouping,
    AttributionTarget,
    FeatureAttribution,
    attribution_over_time,
    feature_attribution,
    model_weights,
)
from riskalloc.explain._risk_contributions import (
    ContributionMeasure,
    cvar_contributions,
    risk_contributions_over_time,
)

__all__ = [
    "AttributionGrouping",
    "AttributionTarget",
    "ContributionMeasure",
    "FeatureAttribution",
    "FeatureFamily",
    "attribution_over_time",
    "cvar_contributions",
    "feature_attribution",
    "feature_family",
    "model_weights",
    "risk_contributions_over_time",
]
