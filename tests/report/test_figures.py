"""Each figure function: its traces, one per strategy, labelled axes, finite data, and
numbers that agree with the stored metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from riskalloc import report
from riskalloc.report._summary_table import SUMMARY_COLUMNS

from ._runs import DETERMINISTIC, SCENARIOS, SEEDS, STOCHASTIC, finite_data

STRATEGIES = {DETERMINISTIC[0], STOCHASTIC, DETERMINISTIC[1]}

# Figure functions of one scenario that compare all strategies.
COMPARISONS = [
    report.cumulative_returns,
    report.drawdowns,
    report.risk_adjusted_returns,
    report.tail_risk,
    report.market_conditions,
    report.seed_stability,
    report.risk_return,
]


def axis_titles(figure: go.Figure) -> dict[str, str]:
    layout = figure.to_plotly_json()["layout"]
    return {
        name: (value.get("title") or {}).get("text", "")
        for name, value in layout.items()
        if name.startswith(("xaxis", "yaxis"))
    }


def strategies_in(figure: go.Figure) -> set[str]:
    return {
        trace.meta["strategy"] for trace in figure.data if trace.meta and "strategy" in trace.meta
    }


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("build", COMPARISONS, ids=lambda f: f.__name__)
def test_every_comparison_figure_shows_each_strategy_with_labelled_axes_and_finite_data(
    run, build, scenario
):
    figure = build(run, scenario)
    assert isinstance(figure, go.Figure)
    assert figure.data, "no traces"
    assert scenario in figure.layout.title.text
    titles = axis_titles(figure)
    assert titles and all(titles.values()), titles
    assert finite_data(figure) == []
    if build is report.market_conditions:  # a heatmap: one row per strategy
        for heatmap in figure.data:
            assert len(heatmap.y) == len(STRATEGIES)
            assert {label.split(" (")[0] for label in heatmap.y} == STRATEGIES
    else:
        assert strategies_in(figure) == STRATEGIES


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_cumulative_returns_end_at_the_stored_cumulative_return_with_a_band_for_seeds(
    run, scenario
):
    figure = report.cumulative_returns(run, scenario)
    metrics = run.metrics_of(scenario)
    lines = {t.meta["strategy"]: t for t in figure.data if t.meta["role"] == "line"}
    bands = [t for t in figure.data if t.meta["role"] == "band"]
    assert sorted(lines) == sorted(STRATEGIES)  # exactly one line per strategy
    assert {t.meta["strategy"] for t in bands} == {STOCHASTIC} and len(bands) == 2
    for strategy, line in lines.items():
        expected = 1.0 + metrics.loc[metrics["strategy"] == strategy, "cumulative_return"]
        final = line.y[-1]
        if strategy == STOCHASTIC:  # the mean of the seeds' wealth, inside the band
            assert final == pytest.approx(expected.mean(), rel=1e-9)
            assert bands[1].y[-1] == pytest.approx(expected.min(), rel=1e-9)
            assert bands[0].y[-1] == pytest.approx(expected.max(), rel=1e-9)
        else:
            assert final == pytest.approx(float(expected.iloc[0]), rel=1e-9)
        assert line.y[0] == 1.0  # wealth starts at 1 at the boundary
        assert pd.Timestamp(line.x[0]) == run.train_end(scenario)
    boundary = figure.layout.shapes[0]
    assert pd.Timestamp(boundary.x0) == run.train_end(scenario)
    assert "train" in figure.layout.annotations[0].text
    buttons = figure.layout.updatemenus[0].buttons
    assert [b.args[0]["yaxis.type"] for b in buttons] == ["linear", "log"]
    assert report.cumulative_returns(run, scenario, log_scale=True).layout.yaxis.type == "log"


def test_drawdowns_reach_the_stored_max_drawdown(run):
    scenario = SCENARIOS[1]
    figure = report.drawdowns(run, scenario)
    metrics = run.metrics_of(scenario).set_index("strategy")
    for trace in figure.data:
        if trace.meta["role"] == "line" and trace.meta["strategy"] != STOCHASTIC:
            stored = metrics.loc[trace.meta["strategy"], "max_drawdown"] * 100
            assert min(trace.y) == pytest.approx(stored, rel=1e-9)
            assert max(trace.y) <= 0.0


def test_risk_adjusted_bars_are_seed_means_with_std_error_bars(run):
    scenario = SCENARIOS[0]
    figure = report.risk_adjusted_returns(run, scenario)
    metrics = run.metrics_of(scenario)
    assert len(figure.data) == len(STRATEGIES)
    for bar in figure.data:
        rows = metrics[metrics["strategy"] == bar.name]
        assert list(bar.x) == ["Sharpe", "Sortino", "Calmar"]
        assert list(bar.y) == pytest.approx(list(rows[["sharpe", "sortino", "calmar"]].mean()))
        if bar.name == STOCHASTIC:
            assert len(rows) == SEEDS and bar.error_y.visible
            expected = rows[["sharpe", "sortino", "calmar"]].std(ddof=1)
            assert list(bar.error_y.array) == pytest.approx(list(expected))
        else:
            assert len(rows) == 1 and not bar.error_y.visible


def test_tail_risk_pools_seeds_and_draws_the_stored_var_and_cvar(run):
    scenario = SCENARIOS[1]
    figure = report.tail_risk(run, scenario)
    metrics = run.metrics_of(scenario)
    boxes = {t.name: t for t in figure.data if isinstance(t, go.Box)}
    assert sorted(boxes) == sorted(STRATEGIES)
    days = run.returns_of(scenario, DETERMINISTIC[0]).shape[0]
    assert len(boxes[STOCHASTIC].y) == SEEDS * days
    assert len(boxes[DETERMINISTIC[0]].y) == days
    for trace in figure.data:
        role = trace.meta["role"]
        if role in ("VaR 95 %", "CVaR 95 %"):
            column = "var_95" if role.startswith("VaR") else "cvar_95"
            rows = metrics[metrics["strategy"] == trace.meta["strategy"]]
            # metrics.csv holds positive losses; on the axis of returns a loss L is at -L %.
            assert rows[column].mean() > 0
            assert trace.x[0] == pytest.approx(-rows[column].mean() * 100)
    histograms = [t for t in figure.data if t.meta["role"] == "histogram"]
    for histogram in histograms:  # shares of days sum to 100 %
        assert sum(histogram.y) == pytest.approx(100.0)


def test_market_conditions_cover_the_2008_crisis_and_agree_with_the_metrics_on_all_days(run):
    scenario = SCENARIOS[1]  # bear-2003: tested from August 2008
    figure = report.market_conditions(run, scenario)
    returns, sharpe = figure.data
    assert returns.visible and not sharpe.visible
    regimes = [label.split("<br>")[0] for label in returns.x]
    assert regimes[0] == "all days"
    assert {"bull", "bear", "high volatility", "2008 crisis"} <= set(regimes)
    assert "COVID crash" not in regimes  # not in this test span
    metrics = run.metrics_of(scenario).groupby("strategy", sort=False)[["annual_return", "sharpe"]]
    means = metrics.mean()
    for row, label in enumerate(returns.y):
        strategy = label.split(" (")[0]
        assert returns.z[row][0] == pytest.approx(means.loc[strategy, "annual_return"] * 100)
        assert sharpe.z[row][0] == pytest.approx(means.loc[strategy, "sharpe"])
    assert "S&P 500 index" in figure.layout.title.text


def test_seed_stability_shows_every_seed_of_a_stochastic_strategy(run):
    scenario = SCENARIOS[0]
    figure = report.seed_stability(run, scenario)
    metrics = run.metrics_of(scenario)
    boxes = [t for t in figure.data if isinstance(t, go.Box)]
    points = [t for t in figure.data if isinstance(t, go.Scatter)]
    assert [b.name for b in boxes] == [STOCHASTIC]
    expected = metrics.loc[metrics["strategy"] == STOCHASTIC, "sharpe"]
    assert sorted(boxes[0].y) == pytest.approx(sorted(expected))
    assert sorted(p.name for p in points) == sorted(DETERMINISTIC)


def test_seed_stability_does_not_apply_without_a_stochastic_strategy(synthetic_run):
    path = synthetic_run({"alpha": 1, "beta": 1})
    assert report.seed_stability(path) is None


@pytest.mark.parametrize("strategy", [DETERMINISTIC[1], STOCHASTIC])
def test_weights_stack_to_100_with_a_seed_selector_for_stochastic_strategies(run, strategy):
    scenario = SCENARIOS[0]
    figure = report.portfolio_weights(run, scenario, strategy)
    assets = run.assets(scenario)
    assert figure.layout.xaxis.title.text and figure.layout.yaxis.title.text
    assert strategy in figure.layout.title.text
    assert finite_data(figure) == []
    visible = [t for t in figure.data if t.visible]
    assert [t.name for t in visible] == assets  # fully invested: one area per asset, no cash
    total = np.sum([np.asarray(t.y) for t in visible], axis=0)
    assert total == pytest.approx(100.0)
    if strategy == STOCHASTIC:
        assert len(figure.data) == len(assets) * (1 + SEEDS)
        buttons = figure.layout.updatemenus[0].buttons
        assert [b.label for b in buttons] == [f"mean of {SEEDS} seeds"] + [
            f"seed {s}" for s in range(SEEDS)
        ]
        last = buttons[-1].args[0]["visible"]
        assert sum(last) == len(assets) and all(last[-len(assets) :])
        mean = run.weights_of(scenario, strategy)
        assert np.asarray(visible[0].y) == pytest.approx(mean[assets[0]].to_numpy() * 100)
    else:
        assert len(figure.data) == len(assets) and not figure.layout.updatemenus


def test_weights_show_cash_and_thin_long_histories(synthetic_run):
    path = synthetic_run({"alpha": 1}, days=1200)
    run = report.Run.load(path)
    full = run.weights_of("synthetic", "alpha")
    figure = report.portfolio_weights(run, max_points=100)
    assert len(figure.data[0].x) <= 101 and "every" in figure.layout.title.text
    assert pd.Timestamp(figure.data[0].x[-1]) == full.index[-1]  # the last decision is kept
    half = run.weights.assign(weight=run.weights["weight"] / 2)
    import dataclasses

    invested_half = dataclasses.replace(run, weights=half)
    names = [t.name for t in report.portfolio_weights(invested_half).data]
    assert names[-1] == "cash"
    cash = report.portfolio_weights(invested_half).data[-1]
    assert np.asarray(cash.y) == pytest.approx(50.0)


def test_summary_table_has_the_published_columns_and_one_row_per_strategy(run):
    figure = report.summary_table(run, SCENARIOS[0])
    table = figure.data[0]
    headers = list(table.header.values)
    assert headers[:2] == ["Strategy", "Seeds"]
    assert headers[2:9] == [
        "Annual return %",
        "Cumulative return %",
        "Annual volatility %",
        "Sharpe",
        "Calmar",
        "Stability",
        "Max drawdown %",
    ]
    assert len(headers) == 2 + len(SUMMARY_COLUMNS)
    assert list(table.cells.values[0]) == run.strategies(SCENARIOS[0])
    seeds_column = dict(zip(table.cells.values[0], table.cells.values[1], strict=True))
    assert seeds_column[STOCHASTIC] == str(SEEDS) and seeds_column[DETERMINISTIC[0]] == "1"
    sharpe = dict(zip(table.cells.values[0], table.cells.values[5], strict=True))
    assert "±" in sharpe[STOCHASTIC] and "±" not in sharpe[DETERMINISTIC[0]]


def test_a_strategy_added_later_appears_in_every_figure(synthetic_run):
    """Nothing in the report names a strategy: made-up names show up everywhere."""
    # Dates after the bundled S&P 500 index ends, and no prices file: no regimes.
    path = synthetic_run({"brand_new_transformer": 4, "another_allocator": 1}, start="2031-01-02")
    names = {"brand_new_transformer", "another_allocator"}
    for build in COMPARISONS:
        figure = build(path)
        if build in (report.market_conditions, report.risk_return):
            assert figure is None  # both need prices that a synthetic run cannot reload
            continue
        assert strategies_in(figure) == names, build.__name__
    assert report.portfolio_weights(path, strategy="brand_new_transformer").layout.updatemenus
    html = report.write_report(path).read_text()
    assert html.count("brand_new_transformer") > 5
    assert "could not be reloaded" in html


def test_figure_functions_take_a_path_and_need_a_scenario_only_when_ambiguous(
    benchmark_run, synthetic_run
):
    from riskalloc import ConfigError

    with pytest.raises(ConfigError, match="pass scenario=NAME"):
        report.cumulative_returns(benchmark_run)
    with pytest.raises(ConfigError, match="no scenario 'bull-2099'"):
        report.drawdowns(benchmark_run, "bull-2099")
    with pytest.raises(ConfigError, match="pass strategy=NAME"):
        report.portfolio_weights(benchmark_run, SCENARIOS[0])
    assert report.cumulative_returns(synthetic_run({"alpha": 1})) is not None


def test_colours_are_one_per_strategy_and_the_same_in_every_figure(run):
    colours = report.strategy_colours(run)
    assert len(set(colours.values())) == len(colours) == len(STRATEGIES)
    for scenario in SCENARIOS:
        lines = report.cumulative_returns(run, scenario).data
        bars = report.risk_adjusted_returns(run, scenario).data
        for trace in lines:
            assert trace.line.color == colours[trace.meta["strategy"]]
        for trace in bars:
            assert trace.marker.color == colours[trace.name]


def test_risk_return_places_each_seed_at_its_stored_test_risk_and_return(run):
    figure = report.risk_return(run, "bull-2010")
    frontier, *points = figure.data
    assert np.all(np.diff(np.asarray(frontier.x)) >= -1e-9)  # risk grows along the frontier
    assert np.all(np.diff(np.asarray(frontier.y)) >= -1e-9)  # and so does the return
    metrics = run.metrics_of("bull-2010")
    for trace in points:
        rows = metrics[metrics["strategy"] == trace.meta["strategy"]]
        assert np.allclose(np.sort(trace.x), np.sort(100 * rows["annual_volatility"]))
        assert np.allclose(np.sort(trace.y), np.sort(100 * rows["annual_return"]))
        assert len(trace.x) == len(rows)  # every seed of a stochastic strategy


def test_risk_return_needs_reloadable_prices(synthetic_run):
    # The synthetic run's data cannot be reloaded (no scenario, dataset or file behind it).
    assert report.risk_return(synthetic_run({"a": 1})) is None
