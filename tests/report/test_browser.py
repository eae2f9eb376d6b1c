"""report.html in a real browser: Debian's headless Chromium, driven by Playwright, offline.

`make test` installs Chromium (apt-get install -y chromium) when it is absent. Without it
this test fails: it is never skipped.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1366, "height": 768}  # a laptop screen

# What each plot container holds once plotly has drawn it.
PLOT_STATE = """
(plot) => {
  const painted = Array.from(plot.querySelectorAll("g.trace path, g.trace rect, g.hm image"))
    .filter((mark) => mark.tagName !== "path" || (mark.getAttribute("d") || "").length > 4);
  return {
    id: plot.id,
    drawn: plot.classList.contains("js-plotly-plot"),
    svgs: plot.querySelectorAll("svg.main-svg").length,
    traces: (plot.data || []).length,
    painted: painted.length,
    title: (plot.querySelector(".gtitle") || {}).textContent || "",
    width: plot.getBoundingClientRect().width,
  };
}
"""


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM.exists(), (
        f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); "
        "`make test` does"
    )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def opened(browser, report_file):
    """The report opened with every request off the file system refused, as offline."""
    page = browser.new_page(viewport=VIEWPORT)
    problems = {"console": [], "page": [], "blocked": [], "failed": []}
    page.on(
        "console",
        lambda message: (
            problems["console"].append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: problems["page"].append(str(error)))
    page.on("requestfailed", lambda request: problems["failed"].append(request.url))

    def offline(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            problems["blocked"].append(route.request.url)
            route.abort()

    page.route("**/*", offline)
    page.goto(report_file.as_uri(), wait_until="load")
    page.wait_for_function(
        "document.querySelectorAll('.plotly-graph-div').length > 0 && "
        "Array.from(document.querySelectorAll('.plotly-graph-div'))"
        ".every((p) => p.classList.contains('js-plotly-plot'))",
        timeout=20_000,
    )
    yield page, problems
    page.close()


def test_every_figure_renders_offline_without_errors_and_a_screenshot_is_saved(
    opened, report_file, run
):
    page, problems = opened
    plots = page.eval_on_selector_all(".plotly-graph-div", f"(plots) => plots.map({PLOT_STATE})")
    # One plot per figure each section makes (the weights: one per strategy).
    from riskalloc.report import SECTIONS

    expected = sum(
        len(section.figures(run, scenario)) for scenario in run.scenarios for section in SECTIONS
    )
    assert len(plots) == expected
    for plot in plots:
        assert plot["drawn"] and plot["svgs"] >= 1, plot
        assert plot["traces"] > 0 and plot["painted"] > 0, plot  # an SVG with data in it
        assert plot["title"], plot
        assert plot["width"] > 400, plot  # readable: no figure squeezed on a laptop screen
    assert problems == {"console": [], "page": [], "blocked": [], "failed": []}
    screenshot = report_file.parent / "report.png"
    page.screenshot(path=str(screenshot), full_page=True)
    content = screenshot.read_bytes()
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(content[16:20], "big") == VIEWPORT["width"]
    assert int.from_bytes(content[20:24], "big") > 5 * VIEWPORT["height"]  # the full page


def test_the_summary_table_sorts_by_a_clicked_column_and_opens_seed_rows(opened):
    page, problems = opened
    table = page.locator("table.summary").first
    first_names = "(t) => Array.from(t.tBodies).map((b) => b.rows[0].cells[0].textContent.trim())"
    sharpe = table.locator("thead th", has_text="Sharpe").first
    sharpe.click()
    descending = table.evaluate(
        "(t) => Array.from(t.tBodies).map((b) => Number(b.rows[0].cells[5].dataset.value))"
    )
    assert descending == sorted(descending, reverse=True)
    sharpe.click()
    ascending = table.evaluate(
        "(t) => Array.from(t.tBodies).map((b) => Number(b.rows[0].cells[5].dataset.value))"
    )
    assert ascending == sorted(ascending) and len(set(table.evaluate(first_names))) == 3
    seed_rows = table.locator("tr.seed-row")
    assert seed_rows.count() == 2 and not seed_rows.first.is_visible()
    table.locator("details.seeds summary").click()
    expect(seed_rows.first).to_be_visible(timeout=5_000)  # <details> fires "toggle" as a task
    assert "best seed" in seed_rows.first.inner_text() and seed_rows.nth(1).is_visible()
    assert problems["console"] == [] and problems["page"] == []


def test_the_log_scale_button_switches_the_cumulative_returns_axis(opened):
    page, problems = opened
    plot = page.locator("[data-section='cumulative-returns'] .plotly-graph-div").first
    assert plot.evaluate("(p) => p.layout.yaxis.type") == "linear"
    plot.locator(".updatemenu-button", has_text="Log scale").click()
    page.wait_for_function(
        "(p) => p.layout.yaxis.type === 'log'", arg=plot.element_handle(), timeout=5_000
    )
    assert problems["console"] == [] and problems["page"] == []


def test_the_seed_menu_shows_one_seed_of_a_stochastic_strategy(opened, run):
    page, problems = opened
    plot = (
        page.locator(".plotly-graph-div", has=page.locator(".updatemenu-header"))
        .filter(has_text="seeds")
        .first
    )
    assets = len(run.assets(run.scenarios[0]))
    shown = "(p) => p.data.filter((t) => t.visible === true).map((t) => t.meta.view)"
    assert set(plot.evaluate(shown)) == {"mean of 3 seeds"} and len(plot.evaluate(shown)) == assets
    plot.locator(".updatemenu-header").click()
    plot.locator(".updatemenu-dropdown-button", has_text="seed 1").click()
    page.wait_for_function(
        # Wait until the restyle has finished on every trace, not just the first one
        # (under load the check could run between two of plotly's updates).
        "(p) => { const v = p.data.filter((t) => t.visible === true);"
        " return v.length > 0 && v.every((t) => t.meta.view === 'seed 1'); }",
        arg=plot.element_handle(),
        timeout=5_000,
    )
    assert plot.evaluate(shown) == ["seed 1"] * assets
    assert problems["console"] == [] and problems["page"] == []
