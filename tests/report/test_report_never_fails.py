"""The report step never turns a finished run into a failed one: a part that cannot be
drawn is left out with a note in report.html, and the command exits as the run did."""

from __future__ import annotations

import dataclasses

import pytest
from typer.testing import CliRunner

from riskalloc.cli import app
from riskalloc.report import SECTIONS, write_report
from riskalloc.report import _document as document


def _broken(run, scenario):
    raise FloatingPointError("the frontier of absurd data")


def break_section(monkeypatch, key: str) -> str:
    """Make the figure ``key`` raise in every report; returns its title."""
    sections = tuple(
        dataclasses.replace(section, figures=_broken) if section.key == key else section
        for section in SECTIONS
    )
    monkeypatch.setattr(document, "SECTIONS", sections)
    return next(section.title for section in SECTIONS if section.key == key)


def test_a_figure_that_raises_is_left_out_with_a_note(synthetic_run, monkeypatch):
    path = synthetic_run({"alpha": 1, "beta": 1})
    whole = write_report(path).read_text()
    title = break_section(monkeypatch, "drawdowns")
    with pytest.warns(UserWarning, match="Drawdowns"):
        html = write_report(path).read_text()
    assert f"<h3>{title}</h3>" in html
    assert (
        "could not be drawn" in html and "FloatingPointError: the frontier of absurd data" in html
    )
    # Only that figure is gone.
    assert html.count('class="plotly-graph-div"') == whole.count('class="plotly-graph-div"') - 1


def test_a_summary_or_header_that_raises_leaves_the_rest_of_the_report(synthetic_run, monkeypatch):
    path = synthetic_run({"alpha": 1})

    def boom(*args):
        raise KeyError("sharpe")

    monkeypatch.setattr(document, "_summary_card", boom)
    monkeypatch.setattr(document, "report_header_html", boom)
    with pytest.warns(UserWarning):
        html = write_report(path).read_text()
    assert html.count("could not be drawn") == 2
    assert "plotly-graph-div" in html


def test_the_command_exits_as_the_run_did_when_a_figure_fails(tmp_path, monkeypatch):
    break_section(monkeypatch, "risk-return")
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        ["backtest", "--scenario", "bull-2010", "--strategy", "equal_weight", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    html = (out / "report.html").read_text()
    assert "could not be drawn" in html and "Risk-return trade-off" in html
