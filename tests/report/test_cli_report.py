"""The command line: benchmark and backtest end with report.html; `riskalloc report` rebuilds it."""

from __future__ import annotations

from typer.testing import CliRunner

from riskalloc.cli import app
from riskalloc.report import _document as document

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_benchmark_and_backtest_write_the_report_and_say_where(tmp_path):
    out = tmp_path / "bench"
    result = invoke(
        "benchmark", "--scenario", "bull-2010", "--strategies", "equal_weight,fixed_mix",
        "--rebalance", "monthly", "--workers", "1", "--no-progress", "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file()
    assert f"Report: {out / 'report.html'}" in " ".join(result.output.split())
    html = (out / "report.html").read_text()
    assert "equal_weight" in html and "fixed_mix" in html

    single = tmp_path / "single"
    result = invoke(
        "backtest", "--scenario", "bear-2003", "--strategy", "inverse_volatility",
        "--rebalance", "monthly", "--out", str(single),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "inverse_volatility" in (single / "report.html").read_text()


def test_report_rebuilds_the_file_from_the_stored_results(synthetic_run, monkeypatch):
    path = synthetic_run({"alpha": 2})
    (path / "report.html").unlink(missing_ok=True)
    asked = {}
    monkeypatch.setattr(document, "write_pngs", lambda figures: asked.update(figures))
    result = invoke("report", str(path))
    assert result.exit_code == 0, result.output
    assert (path / "report.html").is_file() and not asked
    result = invoke("report", str(path), "--png")
    assert result.exit_code == 0, result.output
    assert asked and all(p.parent.parent == path / "figures" for p in asked)
    assert "Figures as PNG" in result.output


def test_report_of_a_folder_that_is_not_a_run_is_one_line_and_exit_2(tmp_path):
    result = invoke("report", str(tmp_path / "nothing"))
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) <= 2 and "not a run folder" in result.output
    assert "Traceback" not in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "config.json").write_text("{}")
    assert invoke("report", str(empty)).exit_code == 2


def test_report_help_shows_the_png_option():
    result = invoke("report", "--help")
    assert result.exit_code == 0 and "--png" in result.output and "RUN_DIR" in result.output
