"""The report's risk-attribution figure: Euler contributions to volatility per strategy."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

import riskalloc as ra
from riskalloc.report import Run, risk_attribution, write_report
from riskalloc.runner import (
    BacktestSettings,
    DataSource,
    SourceKind,
    StrategyChoice,
    run_benchmark,
)

STRATEGIES = ("equal_weight", "inverse_volatility")


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    """A real benchmark on bull-2010: two classical strategies, weekly rebalancing."""
    out = tmp_path_factory.mktemp("runs") / "bench"
    summary = run_benchmark(
        [DataSource(SourceKind.SCENARIO, "bull-2010")],
        [StrategyChoice(name) for name in STRATEGIES],
        out,
        settings=BacktestSettings(rebalance="weekly"),
        workers=1,
        progress=False,
    )
    assert summary.ok, summary.failures
    return out


def test_each_panel_stacks_to_the_volatility_of_the_strategys_weights(bench):
    figure = risk_attribution(bench, "bull-2010", top=3)
    assert [title.text for title in figure.layout.annotations] == list(STRATEGIES)
    run = Run.load(bench)
    returns = ra.scenario("bull-2010").prices.pct_change()
    for strategy in STRATEGIES:
        traces = [trace for trace in figure.data if trace.meta["strategy"] == strategy]
        assert [trace.name for trace in traces][-1] == "other" and len(traces) == 4
        stacked = pd.DataFrame({t.name: t.y for t in traces}, index=pd.DatetimeIndex(traces[0].x))
        weights = run.weights_of("bull-2010", strategy)
        for date in stacked.index[:: max(1, len(stacked) // 5)]:
            # Independent oracle: sqrt(252 w' S w) from NumPy's covariance of the past year.
            window = returns.loc[:date].iloc[-252:].to_numpy()
            w = weights.loc[date].to_numpy()
            volatility = np.sqrt(252 * w @ np.cov(window, rowvar=False) @ w) * 100
            assert stacked.loc[date].sum() == pytest.approx(volatility, rel=1e-9)


def test_the_report_has_the_figure_and_a_note_when_prices_cannot_be_reloaded(bench, tmp_path):
    page = write_report(bench).read_text()
    assert 'data-section="risk-attribution"' in page
    assert "Risk attribution: contributions to annualised volatility" in page
    changed = tmp_path / "changed"
    shutil.copytree(bench, changed)
    config = json.loads((changed / "config.json").read_text())
    config["data"]["bull-2010"]["sha256"] = "0" * 64  # the prices no longer match the run's
    (changed / "config.json").write_text(json.dumps(config))
    assert risk_attribution(changed, "bull-2010") is None
    page = write_report(changed).read_text()
    assert "no risk attribution to draw" in page
