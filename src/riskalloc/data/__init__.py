"""Data: bundled real datasets, user files, validation, named scenarios."""

from riskalloc.data._datasets import DATASETS, Dataset, load_dataset
from riskalloc.data._loading import load_groups, load_prices, read_dated_file
from riskalloc.data._market_data import MarketData
from riskalloc.data._scenarios import SCENARIOS, Scenario, ScenarioSpec, scenario, split_by_fraction
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
    "FEATURE_WORDS",
    "PRICE_WORDS",
    "SCENARIOS",
    "Dataset",
    "MarketData",
    "Scenario",
    "ScenarioSpec",
    "Vocabulary",
    "check_complete",
    "load_dataset",
    "load_groups",
    "load_prices",
    "read_dated_file",
    "scenario",
    "split_by_fraction",
    "validate_dated_frame",
    "validate_prices",
]
