"""Execution backends: where cells run. The driver always writes the results.

Workers share the cores: each gets ``max(1, cores // workers)`` threads for torch, numba
and BLAS (:func:`riskalloc.core.set_thread_budget`), set before its first cell.

Local workers start together: each reads the data from one file the driver writes once
(:func:`_write_worker_data`). Handed over in the pool's start arguments instead, the data
would travel down each worker's start pipe; a pipe holds 64 KiB, so the driver would wait
on each worker until it had imported torch and riskalloc (~4 s) before starting the next,
and on 2 cores the second worker's first cell would start ~4 s after the first's.

With ``on_event``, the driver hears when each cell starts and each training step it
finishes (see :mod:`riskalloc.runner._progress`): in the driver's own process directly,
from local worker processes over a queue; the Ray backend sends no events.
"""

from __future__ import annotations

import enum
import multiprocessing
import pickle
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from riskalloc.core import (
    ConfigError,
    available_cores,
    set_thread_budget,
    thread_budget_scope,
)
from riskalloc.runner._cell import run_cell
from riskalloc.runner._progress import CellEvent, TrainingRelay
from riskalloc.runner._sources import LoadedData
from riskalloc.store import CellOutcome, CellSpec
from riskalloc.strategies import reporting_training

__all__ = ["Backend", "execute"]


class Backend(enum.StrEnum):
    LOCAL = "local"
    RAY = "ray"


_WORKER_DATA: dict[str, LoadedData] = {}
_WORKER_EVENTS: list[Any] = []  # the driver's event queue, when it listens


def _threads_per_worker(workers: int, cores: int | None = None) -> int:
    """Each of ``workers`` workers' share of ``cores`` (default: this process's cores)."""
    return max(1, (cores or available_cores()) // workers)


def _write_worker_data(data: dict[str, LoadedData], folder: Path) -> Path:
    """Pickle ``data`` once into ``folder`` for the workers to read at start; its path."""
    path = folder / "data.pickle"
    path.write_bytes(pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
    return path


def _initialise_worker(data_file: str, threads: int, events: Any = None) -> None:
    set_thread_budget(threads)
    _WORKER_DATA.clear()
    _WORKER_DATA.update(pickle.loads(Path(data_file).read_bytes()))
    _WORKER_EVENTS[:] = [] if events is None else [events]


def _run_in_worker(spec: CellSpec) -> CellOutcome:
    if not _WORKER_EVENTS:
        return run_cell(spec, _WORKER_DATA[spec.scenario])
    events = _WORKER_EVENTS[0]
    TrainingRelay.send(events, spec.cell_id, None)
    with reporting_training(lambda step: TrainingRelay.send(events, spec.cell_id, step)):
        return run_cell(spec, _WORKER_DATA[spec.scenario])


def _run_with_data(spec: CellSpec, data: dict[str, LoadedData], threads: int) -> CellOutcome:
    set_thread_budget(threads)  # a Ray worker process may run many tasks; cheap to repeat
    return run_cell(spec, data[spec.scenario])


def _run_in_process(
    specs: list[CellSpec], data: dict[str, LoadedData], on_event: CellEvent | None
) -> Iterator[CellOutcome]:
    # One worker has every core; the caller's own thread settings come back afterwards.
    with thread_budget_scope(_threads_per_worker(1)):
        for spec in specs:
            if on_event is None:
                yield run_cell(spec, data[spec.scenario])
                continue
            on_event(spec, None)
            with reporting_training(lambda step, spec=spec: on_event(spec, step)):
                outcome = run_cell(spec, data[spec.scenario])
            yield outcome


def execute(
    specs: list[CellSpec],
    data: dict[str, LoadedData],
    *,
    backend: Backend = Backend.LOCAL,
    workers: int | None = None,
    address: str | None = None,
    on_event: CellEvent | None = None,
) -> Iterator[CellOutcome]:
    """Run ``specs``, yielding each outcome as it finishes (in any order).

    ``on_event(spec, step)``, when given, is called in the driver when a cell starts
    (``step`` None) and after each training step of its strategy (local backend only).
    """
    if not specs:
        return iter(())
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {workers}")
    if backend is Backend.RAY:
        return _execute_ray(specs, data, workers=workers, address=address)
    if address is not None:
        raise ConfigError("--address is for --backend ray")
    workers = min(workers or available_cores(), len(specs))
    if workers == 1:
        return _run_in_process(specs, data, on_event)
    return _execute_processes(specs, data, workers, on_event)


def _execute_processes(
    specs: list[CellSpec], data: dict[str, LoadedData], workers: int, on_event: CellEvent | None
) -> Iterator[CellOutcome]:
    # "spawn": the driver runs a progress-bar thread, and forking a threaded
    # process can deadlock; each worker reads the data once, at start, from a file
    # (not its start arguments: see the module docstring).
    context = multiprocessing.get_context("spawn")
    relay = None if on_event is None else TrainingRelay(context, specs, on_event)
    try:
        if relay is not None:
            relay.start()
        with (
            tempfile.TemporaryDirectory(prefix="riskalloc-workers-") as folder,
            ProcessPoolExecutor(
                max_workers=workers,
                mp_context=context,
                initializer=_initialise_worker,
                initargs=(
                    str(_write_worker_data(data, Path(folder))),
                    _threads_per_worker(workers),
                    None if relay is None else relay.queue,
                ),
            ) as pool,
        ):
            futures = {pool.submit(_run_in_worker, spec): spec for spec in specs}
            for future in as_completed(futures):
                spec = futures[future]
                try:
                    outcome = future.result()
                except Exception as error:  # a worker died (killed, out of memory)
                    outcome = CellOutcome(
                        spec, error=f"worker failed: {type(error).__name__}: {error}"
                    )
                yield outcome
    finally:
        if relay is not None:
            relay.stop()


def _execute_ray(
    specs: list[CellSpec], data: dict[str, LoadedData], *, workers: int | None, address: str | None
) -> Iterator[CellOutcome]:
    try:
        import ray
    except ImportError as error:
        raise ConfigError("--backend ray needs Ray: pip install 'riskalloc[ray]'") from error
    started_here = not ray.is_initialized()
    # A local instance is sized like the local backend: `workers` tasks at a time, each
    # with its share of the cores. On a cluster each task takes one CPU and one thread.
    local = started_here and address is None
    workers = min(workers or available_cores(), len(specs))
    threads = _threads_per_worker(workers) if local else 1
    if started_here:
        options: dict = {
            "include_dashboard": False,
            "log_to_driver": False,
            "configure_logging": False,
        }
        if address is None:
            options["num_cpus"] = workers * threads
        else:
            options["address"] = address
        try:
            ray.init(**options)
        except (ConnectionError, RuntimeError, ValueError) as error:
            where = f"the Ray cluster at --address {address}" if address else "a local Ray instance"
            raise ConfigError(f"cannot start or reach {where}: {error}") from error
    try:
        remote: Callable = ray.remote(num_cpus=threads, max_retries=1)(_run_with_data)
        data_ref = ray.put(data)
        pending = {remote.remote(spec, data_ref, threads): spec for spec in specs}
        while pending:
            finished, _ = ray.wait(list(pending), num_returns=1)
            for reference in finished:
                spec = pending.pop(reference)
                try:
                    yield ray.get(reference)
                except Exception as error:  # the task or its node failed
                    yield CellOutcome(
                        spec, error=f"ray task failed: {type(error).__name__}: {error}"
                    )
    finally:
        if started_here:
            ray.shutdown()
