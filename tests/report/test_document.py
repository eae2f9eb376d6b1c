"""report.html: one self-contained file with the header, the table and every figure; PNGs."""

from __future__ import annotations

import re

import plotly.graph_objects as go
import pytest

from riskalloc import ConfigError, report
from riskalloc.report import (
    SECTIONS,
    Run,
    cumulative_returns,
    summary_table,
    write_pngs,
    write_report,
)
from riskalloc.report import _document as document
from riskalloc.runner import DataSource, SourceKind, StrategyChoice, run_benchmark

from ._runs import DETERMINISTIC, SCENARIOS, SEEDS, STOCHASTIC


def test_the_report_is_one_file_with_plotly_js_inline_and_no_external_resource(report_file):
    html = report_file.read_text()
    assert report_file.name == "report.html"
    assert "plotly.js v" in html[:6_000_000]  # the library itself, not a link to it
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=", html)
    # Apart from the embedded library (whose defaults mention URLs that maps would use),
    # nothing in the page points outside the file.
    library = re.search(r"<script>/\*\*\s*\* plotly\.js v.*?</script>", html, re.DOTALL)
    assert library is not None
    page = html.replace(library.group(0), "")
    assert len(page) < len(html) / 2
    assert "http://" not in page and "https://" not in page


def test_the_report_has_a_section_per_scenario_with_the_table_first(report_file, run):
    html = report_file.read_text()
    for scenario in SCENARIOS:
        start = html.index(f'<section class="scenario" id="scenario-{scenario}">')
        section = html[start : html.index("</section>", start)]
        assert section.index("<table") < section.index("plotly-graph-div")
        for key in ("cumulative-returns", "weights", "risk-adjusted", "seed-stability",
                    "tail-risk", "market-conditions", "drawdowns"):  # fmt: skip
            assert f'data-section="{key}"' in section, key
        # One plot per figure: 6 comparisons and one weights figure per strategy.
        # One plot per figure each section makes (the weights: one per strategy).
        expected = sum(len(section.figures(run, scenario)) for section in report.SECTIONS)
        assert section.count('class="plotly-graph-div"') == expected


def test_the_summary_table_sorts_and_opens_best_and_worst_seed_rows(report_file):
    html = report_file.read_text()
    table = html[html.index("<table") : html.index("</table>")]
    assert "data-sortable" in table
    assert table.count('<tbody class="strategy-group">') == 3
    assert table.count('<details class="seeds">') == 1  # only the stochastic strategy
    assert 'tr class="seed-row" hidden><th scope="row">best seed (' in table
    assert 'tr class="seed-row" hidden><th scope="row">worst seed (' in table
    for header in ("Annual return %", "Cumulative return %", "Annual volatility %", "Sharpe",
                   "Calmar", "Stability", "Max drawdown %", "Sortino", "VaR 95 %", "CVaR 95 %",
                   "Turnover % / day"):  # fmt: skip
        assert f">{header}</th>" in table, header
    assert "±" in table
    for header in ("Sharpe 95 % CI", "Annual return 95 % CI %", "Max drawdown 95 % CI %", "PSR",
                   "DSR", "p ΔSharpe vs equal_weight", "SPA p vs equal_weight"):  # fmt: skip
        assert f">{header}</th>" in table, header
    # Every strategy row shows its Sharpe interval as "low – high"; no statistic is missing.
    first_rows = re.findall(r'<tr class="strategy-row">(.*?)</tr>', table)
    assert len(first_rows) == 3 and all(row.count(" – ") >= 3 for row in first_rows)
    # The seed-stability figure gives the median seed and how many seeds beat equal weight.
    # (plotly's JSON escapes "·" and "/" inside the page)
    assert re.search(r"median -?[0-9.]+ \\u00b7 [0-3]\\u002f3 beat equal_weight", html)


def test_the_header_says_what_the_run_was(report_file, run):
    html = report_file.read_text()
    header = html[html.index('<header class="report">') : html.index("</header>")]
    for fact in ("Data", "Test span", "Costs", "Rebalance", "Seeds", "Strategies", "Versions",
                 "Run made", "Command", "Report made"):  # fmt: skip
        assert f"<dt>{fact}</dt>" in header, fact
    assert "10 bps" in header and "weekly" in header
    assert f"seeds 0–{SEEDS - 1} for the stochastic strategies ({STOCHASTIC})" in header
    assert "AAPL" in header and "plotly" in header and "numpy" in header
    for strategy in (*DETERMINISTIC, STOCHASTIC):
        assert strategy in header


def test_sections_are_data_and_unknown_figures_are_left_out_with_a_note(synthetic_run):
    keys = [section.key for section in SECTIONS]
    assert len(keys) == len(set(keys))
    path = synthetic_run({"alpha": 1, "beta": 1}, start="2031-01-02")
    html = write_report(path).read_text()
    assert "Every strategy here is deterministic" in html
    assert "could not be reloaded" in html
    assert html.count('class="plotly-graph-div"') == 4 + 2  # 4 comparisons + 2 weights


def test_regimes_fall_back_to_an_equal_weight_index_of_a_prices_file(tmp_path):
    """Dates after the bundled index ends: regimes come from the run's own prices file,
    and the figure goes when that file is gone."""
    import pandas as pd

    import riskalloc as ra

    prices = ra.load_dataset("sp500")[["AAPL", "KO", "XOM"]].loc["2019":"2022"]
    # 2023 .. 2026, same weekdays: after the index ends, before the plausible dates end.
    prices.index = prices.index + pd.Timedelta(weeks=52 * 4 + 1)
    path = tmp_path / "future.csv"
    prices.rename_axis("date").to_csv(path)
    out = tmp_path / "run"
    summary = run_benchmark(
        [DataSource(SourceKind.PRICES, str(path))],
        [StrategyChoice("equal_weight")],
        out,
        workers=1,
        progress=False,
    )
    assert summary.ok
    figure = ra.report.market_conditions(out)
    assert "equal-weight index of the run's 3 assets" in figure.layout.title.text
    path.unlink()
    assert ra.report.market_conditions(out) is None


def test_png_export_names_a_file_for_every_figure(synthetic_run, monkeypatch):
    asked = {}
    monkeypatch.setattr(document, "write_pngs", lambda figures: asked.update(figures))
    path = synthetic_run({"alpha": 2, "beta": 1})
    write_report(path, png=True)
    assert sorted(p.relative_to(path).as_posix() for p in asked) == [
        f"figures/synthetic/{name}.png"
        for name in (
            "01-summary",
            "02-cumulative-returns",
            "03-weights-alpha",
            "03-weights-beta",
            "04-risk-adjusted",
            "05-tail-risk",
            "06-market-conditions",
            "08-drawdowns",
            "09-seed-stability",
        )
    ]
    assert all(isinstance(figure, go.Figure) for figure in asked.values())


def test_png_export_draws_pictures_offline_in_chromium(run, tmp_path):
    figures = {
        tmp_path / "a" / "table.png": summary_table(run, SCENARIOS[0]),
        tmp_path / "b" / "returns.png": cumulative_returns(run, SCENARIOS[0]),
    }
    assert write_pngs(figures) == list(figures)
    for path, figure in figures.items():
        content = path.read_bytes()
        assert content[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
        assert (width, height) == (2 * 1100, 2 * figure.layout.height)  # twice the CSS size
        assert len(content) > 20_000, path.name  # not a blank picture
    assert figures[tmp_path / "b" / "returns.png"].layout.updatemenus  # buttons stay in the HTML


def test_png_export_without_a_browser_is_a_clear_user_error(synthetic_run, monkeypatch):
    path = synthetic_run({"alpha": 1})
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    with pytest.raises(ConfigError, match="Chromium"):
        write_report(path, png=True)


def test_a_folder_that_is_not_a_run_is_a_user_error(tmp_path):
    with pytest.raises(ConfigError, match="not a run folder"):
        write_report(tmp_path)
    with pytest.raises(ConfigError, match="not a run folder"):
        Run.load(tmp_path / "missing")


def test_failed_cells_are_named_in_the_header(synthetic_run):
    path = synthetic_run({"alpha": 1})
    (path / "failures.csv").write_text(
        "scenario,strategy,seed,error\nsynthetic,broken,0,RuntimeError: broken on purpose\n"
    )
    html = write_report(path).read_text()
    assert '<p class="warning"><strong>1 cell(s) failed</strong>' in html
    assert "synthetic / broken / seed 0" in html


def test_a_run_stopped_before_its_tables_still_gets_a_report(synthetic_run):
    path = synthetic_run({"alpha": 2})
    (path / "returns.parquet").unlink()
    (path / "weights.parquet").unlink()
    html = write_report(path).read_text()
    assert "alpha" in html  # the table, from metrics.csv
    assert html.count('class="plotly-graph-div"') == 2  # risk-adjusted and seed stability
