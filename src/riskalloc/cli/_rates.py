"""``--risk-free``: an annual rate, ``tbill`` or ``auto``, and the one rate a command
that needs a single number (training, a frontier) takes from it."""

from __future__ import annotations

from riskalloc.core import ConfigError, check_annual_rate

__all__ = ["parse_risk_free", "source_risk_free", "training_risk_free"]


def parse_risk_free(text: str | float, rate_column: str | None = None) -> float | str:
    """``--risk-free`` as an annual rate or ``tbill`` (the source's own rate series)."""
    value = str(text).strip().lower()
    if rate_column is not None:
        if value not in ("tbill", "0", "0.0"):
            raise ConfigError(
                f"--risk-free {text} and --risk-free-column {rate_column}: give one of them"
            )
        return "tbill"
    if value in ("tbill", "auto"):
        return value
    try:
        rate = float(value)
    except ValueError:
        raise ConfigError(
            f"--risk-free: '{text}' is neither an annual rate (0.02 for 2 %) nor tbill nor auto"
        ) from None
    return check_annual_rate(rate, "--risk-free")


def training_risk_free(risk_free: float | str, loaded, dates) -> float:
    """The one rate a strategy trains at, as a backtest trains it: the number, or with
    ``tbill`` the mean of the source's rates known over the training ``dates``."""
    from riskalloc.core import mean_known_rate

    if not isinstance(risk_free, str):
        return float(risk_free)
    if risk_free == "auto" and loaded.cash_rate is None:
        return 0.0
    _check_has_rate(loaded)
    return mean_known_rate(loaded.cash_rate, dates, source=f"{loaded.label}: tbill")


def source_risk_free(risk_free: float | str, loaded, on) -> float:
    """One annual rate for a command that takes one (a frontier at a decision date): the
    number, or with ``tbill`` the source's rate known at the close of ``on``."""
    if not isinstance(risk_free, str):
        return float(risk_free)
    if risk_free == "auto" and loaded.cash_rate is None:
        return 0.0
    _check_has_rate(loaded)
    from riskalloc.core import known_rate

    return known_rate(loaded.cash_rate, on, source=f"{loaded.label}: tbill")


def _check_has_rate(loaded) -> None:
    if loaded.cash_rate is None:
        raise ConfigError(
            f"--risk-free tbill: {loaded.label} has no bill rate; use a multi_asset scenario "
            "or --risk-free-column with --prices"
        )
