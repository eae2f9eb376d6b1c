"""What a grid run shows while it works: cells finished, and the training of those running.

The display (:class:`GridProgress`) is a rich progress bar on stderr: one line counts
the finished cells, and one line per running cell shows its training — ``epoch 3/20``
for a deep strategy (``refit 2: epoch 1/5`` for a walk-forward refit), ``timestep
12,288/50,000`` for an RL agent — so minutes of training do not look frozen.

The events come from the trainers through :func:`riskalloc.strategies.reporting_training`.
A backend turns them into :data:`CellEvent` calls in the driver: directly when the cells
run in the driver's own process (``--workers 1``), over a multiprocessing queue from the
local worker processes (:class:`TrainingRelay`); the Ray backend sends none (its lines
show cells only). The events only travel one way, so results are the same, bit for bit,
with or without a display.
"""

from __future__ import annotations

import queue as queue_module
import threading
from collections.abc import Callable
from typing import Any

from riskalloc.store import CellSpec
from riskalloc.strategies import TrainingStep, TrainingUnit

__all__ = ["CellEvent", "GridProgress", "TrainingRelay", "describe_training"]

#: ``(cell, step)``: the cell started (``step`` None) or finished a training step.
CellEvent = Callable[[CellSpec, TrainingStep | None], None]
#: What a worker puts on the queue: ``(cell_id, None)`` or ``(cell_id, (unit, done, total))``.
_Message = tuple[str, tuple[str, int, int] | None]


class TrainingRelay:
    """Carries the training events of worker processes to the driver's :data:`CellEvent`.

    The driver creates it with the pool's multiprocessing context, hands :attr:`queue`
    to each worker (which calls :meth:`send`), and :meth:`start` s a thread that reads
    the queue and calls ``on_event``. :meth:`stop` ends the thread.
    """

    _STOP = "stop"

    def __init__(self, context: Any, specs: list[CellSpec], on_event: CellEvent) -> None:
        self.queue = context.Queue()
        self._specs = {spec.cell_id: spec for spec in specs}
        self._on_event = on_event
        self._thread = threading.Thread(target=self._drain, name="training-relay", daemon=True)

    @staticmethod
    def send(queue: Any, cell_id: str, step: TrainingStep | None) -> None:
        """In a worker: put one event on ``queue``."""
        payload = None if step is None else (str(step.unit), step.done, step.total)
        queue.put((cell_id, payload))

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop reading (events still queued are dropped: their cells are finished)."""
        self.queue.put(self._STOP)
        self._thread.join(timeout=5)
        self.queue.close()
        self.queue.cancel_join_thread()  # never wait on a dead worker's half-sent event

    def _drain(self) -> None:
        while True:
            try:
                message: _Message | str = self.queue.get(timeout=1.0)
            except queue_module.Empty:
                continue
            except (EOFError, OSError):  # the queue was closed under us
                return
            if message == self._STOP:
                return
            cell_id, payload = message  # type: ignore[misc]
            spec = self._specs.get(cell_id)
            if spec is None:
                continue
            step = None if payload is None else TrainingStep(TrainingUnit(payload[0]), *payload[1:])
            try:
                self._on_event(spec, step)
            except Exception:  # a display error must not stop the relay (or the run)
                continue


def describe_training(step: TrainingStep, run: int) -> str:
    """``epoch 3/20``; ``refit 2: epoch 1/5`` for the second training run after the fit.

    Examples
    --------
    >>> describe_training(TrainingStep(TrainingUnit.EPOCH, 3, 20), run=0)
    'epoch 3/20'
    >>> describe_training(TrainingStep(TrainingUnit.TIMESTEP, 2048, 50000), run=1)
    'refit 1: timestep 2,048/50,000'
    """
    text = f"{step.unit} {step.done:,}/{step.total:,}"
    return text if run == 0 else f"refit {run}: {text}"


def _name(spec: CellSpec) -> str:
    # The strategy and seed first: a long scenario (a synthetic spec) is what gets cut.
    return f"{spec.strategy} / seed {spec.seed} / {spec.scenario}"


class _RunningCell:
    """Display state of one running cell: its task and how many training runs it began."""

    def __init__(self, task: Any) -> None:
        self.task, self.run, self.last_done = task, -1, None

    def advance(self, step: TrainingStep) -> str:
        # A count that does not grow is a new training run (a refit, or early stopping
        # ended the last one before its total).
        if self.last_done is None or step.done <= self.last_done:
            self.run += 1
        self.last_done = step.done
        return describe_training(step, self.run)


class GridProgress:
    """A rich progress display on stderr: cells finished, and a line per running cell.

    Use as a context manager; ``enabled=False`` shows nothing (every method is then a
    no-op). :meth:`on_event` is a :data:`CellEvent` and may be called from another
    thread than :meth:`finished`.
    """

    def __init__(self, enabled: bool, total: int, done: int) -> None:
        self.enabled, self.total, self.done = enabled, total, done
        self._lock = threading.Lock()
        self._running: dict[str, _RunningCell] = {}
        self._finished: set[str] = set()

    def __enter__(self) -> GridProgress:
        if not self.enabled:
            return self
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
        from rich.table import Column

        # Fixed widths first (what counts, the bar, the time); the cell's name takes the
        # rest, so a narrow terminal cuts the end of the name, never the epoch.
        fixed = {"no_wrap": True, "overflow": "ellipsis"}
        self.bar = Progress(
            TextColumn("{task.fields[count]}", table_column=Column(width=24, **fixed)),
            BarColumn(bar_width=20, table_column=Column(width=20, **fixed)),
            TimeElapsedColumn(table_column=Column(width=7, **fixed)),
            TextColumn("{task.description}", table_column=Column(ratio=1, **fixed)),
            console=Console(stderr=True),
            expand=True,
            transient=False,
        )
        self.bar.start()
        description = f"({self.done} done earlier)" if self.done else ""
        self.cells = self.bar.add_task(
            description, total=self.total, completed=self.done, count=self._cells_count()
        )
        return self

    def _cells_count(self) -> str:
        return f"[bold]cells[/bold] {self.done}/{self.total}"

    def __exit__(self, *exc_info: object) -> None:
        if self.enabled:
            with self._lock:
                for cell in self._running.values():
                    self.bar.remove_task(cell.task)
                self._running.clear()
            self.bar.stop()

    def on_event(self, spec: CellSpec, step: TrainingStep | None) -> None:
        """A cell started (``step`` None) or reported a training step."""
        if not self.enabled:
            return
        key = spec.cell_id
        with self._lock:
            if key in self._finished:
                return  # a late event of a cell already finished
            cell = self._running.get(key)
            if cell is None:
                task = self.bar.add_task(_name(spec), total=None, count="  starting")
                cell = self._running[key] = _RunningCell(task)
            if step is not None:
                count = cell.advance(step)
                self.bar.update(
                    cell.task, total=step.total, completed=step.done, count=f"  {count}"
                )

    def finished(self, spec: CellSpec, ok: bool) -> None:
        """A cell is done (or failed): drop its line and count it."""
        if not self.enabled:
            return
        with self._lock:
            self._finished.add(spec.cell_id)
            cell = self._running.pop(spec.cell_id, None)
            if cell is not None:
                self.bar.remove_task(cell.task)
            self.done += 1
            self.bar.update(
                self.cells,
                advance=1,
                count=self._cells_count(),
                description=_name(spec) if ok else f"[red]failed: {_name(spec)}",
            )
