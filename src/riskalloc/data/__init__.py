"""Data: bundled real datasets, user files, validation, named scenarios."""

from riskalloc.data._datasets import (
    DATASETS,
    Dataset,
    bootstrap_prices,
    load_dataset,
    load_indicators,
    synthetic_prices,
)
from riskalloc.data._loading import load_groups, load_prices, load_prices_and_rate, read_dated_file
from riskalloc.data._market_data import MarketData
from riskalloc.data._multi_asset import (
    TREASURY_MATURITIES,
    as_of_dates,
    constant_maturity_returns,
    known_from_next_month,
    multi_asset_frames,
    par_bond_price,
    total_return_index,
    trailing_volatility,
)
from riskalloc.data._scenarios import (
    REGIME_INDICATORS,
    SCENARIOS,
    Scenario,
    ScenarioSpec,
    scenario,
    split_by_fraction,
)
from riskalloc.data._synthetic import (
    DEFAULT_REGIMES,
    Regime,
    regime_path,
    regime_switching_prices,
    stationary_bootstrap_rows,
)
from riskalloc.data._synthetic_drift import drift_prices
from riskalloc.data._synthetic_spec import (
    SYNTHETIC_PREFIX,
    SyntheticGenerator,
    canonical_synthetic_spec,
    drift_market,
    is_synthetic_spec,
)
from riskalloc.data._validation import (
    DEFAULT_FILL_LIMIT,
    FEATURE_WORDS,
    PRICE_WORDS,
    Vocabulary,
    check_complete,
    validate_dated_frame,
    validate_prices,
)

__all__ = [
    "DATASETS",
    "DEFAULT_FILL_LIMIT",
    "DEFAULT_REGIMES",
    "FEATURE_WORDS",
    "PRICE_WORDS",
    "REGIME_INDICATORS",
    "SCENARIOS",
    "SYNTHETIC_PREFIX",
    "TREASURY_MATURITIES",
    "Dataset",
    "MarketData",
    "Regime",
    "Scenario",
    "ScenarioSpec",
    "SyntheticGenerator",
    "Vocabulary",
    "as_of_dates",
    "bootstrap_prices",
    "canonical_synthetic_spec",
    "check_complete",
    "constant_maturity_returns",
    "drift_market",
    "drift_prices",
    "is_synthetic_spec",
    "known_from_next_month",
    "load_dataset",
    "load_groups",
    "load_indicators",
    "load_prices",
    "load_prices_and_rate",
    "multi_asset_frames",
    "par_bond_price",
    "read_dated_file",
    "regime_path",
    "regime_switching_prices",
    "scenario",
    "split_by_fraction",
    "stationary_bootstrap_rows",
    "synthetic_prices",
    "total_return_index",
    "trailing_volatility",
    "validate_dated_frame",
    "validate_prices",
]
