"""The benchmark report: plotly figures of a run's stored results, and the HTML report.

Every figure function takes a :class:`Run` (or a run folder path, or backtest
results: one ``BacktestResult``, a list of them or a dict ``{label: result}``,
see :meth:`Run.from_results`) and a scenario and returns a plotly ``Figure``, or
None when the figure does not apply to the run, so the figures work in a
notebook as in the report::

    import riskalloc as ra
    run = ra.report.Run.load("runs/bench")
    ra.report.cumulative_returns(run, "bull-2010").show()
    ra.report.write_report("runs/bench")          # runs/bench/report.html
    result = ra.backtest(ra.scenario("bull-2010"), ra.get_strategy("hrp"))
    ra.report.drawdowns(result).show()
"""

from riskalloc.report._attribution import risk_attribution
from riskalloc.report._document import SECTIONS, FigureSection, write_report
from riskalloc.report._frontier import risk_return
from riskalloc.report._market_conditions import market_conditions, regime_reference
from riskalloc.report._performance import cumulative_returns, drawdowns
from riskalloc.report._png import write_pngs
from riskalloc.report._predictions import predictions_vs_actual
from riskalloc.report._risk import risk_adjusted_returns, tail_risk
from riskalloc.report._robustness import stress_figure, sweep_figure, write_robustness_report
from riskalloc.report._run import Run, RunLike
from riskalloc.report._seeds import seed_stability
from riskalloc.report._style import strategy_colours
from riskalloc.report._summary_table import summary_statistics, summary_table
from riskalloc.report._tensorboard import check_tensorboard, write_tensorboard
from riskalloc.report._training import training_curves
from riskalloc.report._verdicts import scenario_verdicts
from riskalloc.report._weights import portfolio_weights

__all__ = [
    "SECTIONS",
    "FigureSection",
    "Run",
    "RunLike",
    "check_tensorboard",
    "cumulative_returns",
    "drawdowns",
    "market_conditions",
    "portfolio_weights",
    "predictions_vs_actual",
    "regime_reference",
    "risk_adjusted_returns",
    "risk_attribution",
    "risk_return",
    "scenario_verdicts",
    "seed_stability",
    "strategy_colours",
    "stress_figure",
    "summary_statistics",
    "summary_table",
    "sweep_figure",
    "tail_risk",
    "training_curves",
    "write_pngs",
    "write_report",
    "write_robustness_report",
    "write_tensorboard",
]
