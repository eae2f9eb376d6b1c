"""Data: bundled real datasets, user files, validation, named scenarios."""

from riskalloc.data._datasets import DATASETS, Dataset, load_dataset
from riskalloc.data._loading import load_groups, load_prices
from riskalloc.data._market_data import MarketData
from riskalloc.data._scenarios import SCENARIOS, Scenario, ScenarioSpec, scenario, split_by_fraction
from riskalloc.data._validation import DEFAULT_FILL_LIMIT, check_complete, validate_prices

__all__ = [
    "DATASETS",
    "DEFAULT_FILL_LIMIT",
    "SCENARIOS",
    "Dataset",
    "MarketData",
    "Scenario",
    "ScenarioSpec",
    "check_complete",
    "load_dataset",
    "load_groups",
    "load_prices",
    "scenario",
    "split_by_fraction",
    "validate_prices",
]
