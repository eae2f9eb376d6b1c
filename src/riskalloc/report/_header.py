"""Figure 11: the report's header, what the run was (data, span, costs, schedule, seeds, versions)."""

from __future__ import annotations

import datetime as dt
import html
import shlex
from importlib import metadata
from pathlib import Path

import pandas as pd

from riskalloc.report._run import Run

__all__ = ["report_header_html", "run_facts"]

# Facts whose value is a command line, shown as code.
_CODE_FACTS = {"Command"}


def run_facts(run: Run, made: dt.datetime | None = None) -> dict[str, str | list[str]]:
    """What a reader needs to know about a run: label -> text (or lines), in reading order."""
    config = run.config
    backtest = config.get("backtest", {})
    made = made or dt.datetime.now(dt.UTC)
    facts: dict[str, str | list[str]] = {}
    facts["Data"] = [
        _source_text(label, source) for label, source in config.get("data", {}).items()
    ]
    spans = []
    for scenario in run.scenarios:
        span = run.test_span(scenario)
        if span is None:
            continue
        days = run.returns.loc[run.returns["scenario"] == scenario, "date"].nunique()
        train_end = run.train_end(scenario)
        first = run.source(scenario).get("first_date")
        trained = f"; trained on {first} … {train_end.date()}" if train_end and first else ""
        spans.append(f"{scenario}: {span[0].date()} … {span[1].date()} ({days} days){trained}")
    facts["Test span"] = spans or "no results yet"
    # Backtest results with different costs or schedules record them per strategy (None here).
    costs = backtest.get("costs_bps", 0.0)
    facts["Costs"] = (
        "differ by strategy (see Strategies)"
        if costs is None
        else f"{float(costs):g} bps of the value traded ({float(costs) / 100:.2f} %), on every rebalance"
    )
    rebalance = backtest.get("rebalance", "?")
    facts["Rebalance"] = (
        "differs by strategy (see Strategies)" if rebalance is None else str(rebalance)
    )
    facts["Risk-free rate"] = _risk_free_text(run)
    stochastic = sorted({name for s in run.scenarios for name in run.stochastic_strategies(s)})
    seeds = [int(seed) for seed in config.get("seeds", [0])]
    if stochastic:
        facts["Seeds"] = (
            f"{_seed_range(seeds)} for the stochastic strategies ({', '.join(stochastic)}); "
            "deterministic strategies run once"
        )
    else:
        facts["Seeds"] = "one run per strategy (every strategy here is deterministic)"
    facts["Strategies"] = [
        name + (f": {', '.join(f'{k}={v}' for k, v in params.items())}" if params else "")
        for name, params in config.get("strategies", {}).items()
    ]
    versions = dict(config.get("versions", {}))
    versions["plotly"] = _version("plotly")
    facts["Versions"] = ", ".join(f"{package} {version}" for package, version in versions.items())
    facts["Run made"] = _when(config.get("created"))
    command = [str(part) for part in config.get("command") or []]
    if command:
        facts["Command"] = shlex.join([Path(command[0]).name, *command[1:]])
    facts["Report made"] = f"{made.strftime('%Y-%m-%d %H:%M')} UTC from {run.where}"
    return facts


def report_header_html(run: Run, made: dt.datetime | None = None) -> str:
    """The header block of the report: title, one-line summary, facts, failures if any."""
    rows = "".join(
        f"<dt>{html.escape(label)}</dt><dd>{_value_html(label, value)}</dd>"
        for label, value in run_facts(run, made).items()
    )
    strategies = run.strategies()
    lead = (
        f"Run <code>{html.escape(run.name)}</code> · {len(run.scenarios)} scenario"
        f"{'s' if len(run.scenarios) != 1 else ''} · {len(strategies)} strateg"
        f"{'ies' if len(strategies) != 1 else 'y'} · walk-forward, out of sample, net of costs"
    )
    warning = ""
    if len(run.failures):
        failed = ", ".join(
            html.escape(f"{row.scenario} / {row.strategy} / seed {row.seed}")
            for row in run.failures.itertuples()
        )
        warning = (
            f'<p class="warning"><strong>{len(run.failures)} cell(s) failed</strong> and are not '
            f"in this report: {failed}. Details in <code>failures.csv</code>.</p>"
        )
    return (
        '<header class="report"><h1>riskalloc benchmark report</h1>'
        f'<p class="lead">{lead}</p><dl class="facts">{rows}</dl>{warning}</header>'
    )


def _value_html(label: str, value: str | list[str]) -> str:
    if label == "Strategies" and isinstance(value, list):
        # Names at a glance; every parameter one click away.
        names = ", ".join(html.escape(line.split(":")[0]) for line in value)
        lines = "".join(f"<li>{html.escape(line)}</li>" for line in value)
        return f'<details class="parameters"><summary>{names}</summary><ul>{lines}</ul></details>'
    if isinstance(value, list):
        return "<br>".join(html.escape(line) for line in value)
    if label in _CODE_FACTS:
        return f"<code>{html.escape(value)}</code>"
    return html.escape(value)


def _source_text(label: str, source: dict) -> str:
    assets = source.get("assets") or []
    shown = " ".join(assets[:10]) + (f" and {len(assets) - 10} more" if len(assets) > 10 else "")
    kind = source.get("kind", "data")
    reference = source.get("reference", label)
    origin = f"{kind} {reference}" if reference != label else kind
    if "first_date" not in source and "last_date" not in source:  # results given without prices
        return f"{label} ({origin}): {len(assets)} assets: {shown}"
    span = f"{source.get('first_date', '?')} … {source.get('last_date', '?')}"
    return f"{label} ({origin}): daily adjusted closes {span}, {len(assets)} assets: {shown}"


def _seed_range(seeds: list[int]) -> str:
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"seeds {seeds[0]}–{seeds[-1]}"
    return "seeds " + ", ".join(map(str, seeds))


def _when(created: str | None) -> str:
    if not created:
        return "at an unknown time"
    try:
        moment = dt.datetime.fromisoformat(created)
    except ValueError:
        return created
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def _risk_free_text(run: Run) -> str:
    """The run's cash rate in words: a number, or the bill rate with its range per scenario."""
    if not run.rates:
        return f"{100 * run.risk_free:g} % a year (earned by cash; the Sharpe ratio is in excess of it)"
    spans = []
    for scenario, rates in run.rates.items():
        span = run.test_span(scenario)
        shown = (
            rates if span is None else rates.loc[: span[1]].loc[span[0] - pd.Timedelta(days=7) :]
        )
        if len(shown):
            spans.append(
                f"{scenario}: {100 * shown.min():.2f} .. {100 * shown.max():.2f} % "
                f"(mean {100 * shown.mean():.2f} %)"
            )
    if str(run.config.get("backtest", {}).get("risk_free")) == "auto":
        others = [s for s in run.scenarios if s not in run.rates]
        if others:
            spans.append(f"{', '.join(others)}: 0 % (no bill rate in the data)")
    return (
        "a rate series, each period earning the annual rate known at the previous close (the "
        "3-month Treasury bill of the bundled data, or the prices file's rate column; "
        f"{'; '.join(spans)} over the test span): earned by cash; the Sharpe and Sortino "
        "ratios and the statistics are in excess of it"
    )
