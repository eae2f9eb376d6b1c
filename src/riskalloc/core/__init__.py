"""The floor: what every layer shares, importing nothing else of riskalloc.

Calendar and units, the one-period accounting kernel, risk measures with one sign
convention, named event windows, the run context, atomic writes, seeding, thread
budgets and the error types.
"""

from riskalloc.core._accounting import rebalance_step, torch_rebalance_step
from riskalloc.core._atomic import atomic_write, write_csv, write_json, write_parquet
from riskalloc.core._calendar import (
    DEFAULT_COSTS_BPS,
    PERIODS_PER_YEAR,
    daily_rate,
    infer_periods_per_year,
)
from riskalloc.core._context import (
    MAX_COSTS_BPS,
    MAX_RISK_FREE,
    MIN_RISK_FREE,
    RunContext,
    check_annual_rate,
    check_costs_bps,
)
from riskalloc.core._digests import file_sha256, json_sha256, package_version, update_from_file
from riskalloc.core._errors import ConfigError, DataError, RiskallocError
from riskalloc.core._events import EVENT_WINDOWS, EventWindow, event_windows
from riskalloc.core._risk_free import (
    RiskFree,
    cash_returns,
    check_risk_free,
    known_rate,
    mean_known_rate,
)
from riskalloc.core._risk_measures import (
    conditional_value_at_risk,
    torch_conditional_value_at_risk,
    torch_value_at_risk,
    value_at_risk,
)
from riskalloc.core._schedule import Frequency, Rebalance
from riskalloc.core._seeding import seeded
from riskalloc.core._threads import (
    available_cores,
    set_thread_budget,
    thread_budget,
    thread_budget_scope,
    threads_for,
)

__all__ = [
    "DEFAULT_COSTS_BPS",
    "EVENT_WINDOWS",
    "MAX_COSTS_BPS",
    "MAX_RISK_FREE",
    "MIN_RISK_FREE",
    "PERIODS_PER_YEAR",
    "ConfigError",
    "DataError",
    "EventWindow",
    "Frequency",
    "Rebalance",
    "RiskFree",
    "RiskallocError",
    "RunContext",
    "atomic_write",
    "available_cores",
    "cash_returns",
    "check_annual_rate",
    "check_costs_bps",
    "check_risk_free",
    "conditional_value_at_risk",
    "daily_rate",
    "event_windows",
    "file_sha256",
    "infer_periods_per_year",
    "json_sha256",
    "known_rate",
    "mean_known_rate",
    "package_version",
    "rebalance_step",
    "seeded",
    "set_thread_budget",
    "thread_budget",
    "thread_budget_scope",
    "threads_for",
    "torch_conditional_value_at_risk",
    "torch_rebalance_step",
    "torch_value_at_risk",
    "update_from_file",
    "value_at_risk",
    "write_csv",
    "write_json",
    "write_parquet",
]
