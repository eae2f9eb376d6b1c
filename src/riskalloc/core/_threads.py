"""Thread counts: a process-wide budget for torch, numba and BLAS, and one thread for
torch work made of many small operations.

Parallel workers share the cores. A worker that leaves every library at its default
(one thread per core) spins against the other workers: on 2 cores, two workers each
training on 2 torch threads ran ~15x slower than one. So each worker process sets a
budget of ``cores // workers`` threads first thing, and nothing raises a library above it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numba
import torch

__all__ = [
    "available_cores",
    "set_thread_budget",
    "thread_budget",
    "thread_budget_scope",
    "threads_for",
]

# Below this many values per operation, spreading an operation over threads costs
# more than it saves; on a busy machine the waiting threads make it ~10x slower.
_SMALL = 1_000_000

# Read by OpenMP and the BLAS libraries when they load: they cover a library loaded
# after the budget is set, and child processes, where threadpoolctl cannot reach.
_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)

_budget: int | None = None


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def thread_budget() -> int | None:
    """The process's thread budget, or ``None`` when none was set."""
    return _budget


def set_thread_budget(threads: int) -> None:
    """Give this process ``threads`` threads for torch, numba and BLAS, for good.

    Sets torch's intra-op threads, its inter-op threads (only possible before the
    process's first parallel torch work; skipped after), numba's threads (at most
    ``numba.config.NUMBA_NUM_THREADS``), the BLAS and OpenMP pools already loaded
    (through threadpoolctl) and the ``OMP_NUM_THREADS``-style variables read by
    libraries loaded later. :func:`threads_for` then never goes above it. A runner
    worker calls this first thing with ``max(1, cores // workers)``.

    Examples
    --------
    >>> from riskalloc.core import set_thread_budget, thread_budget
    >>> set_thread_budget(1)                                          # doctest: +SKIP
    >>> thread_budget()                                               # doctest: +SKIP
    1
    """
    global _budget
    threads = _checked(threads)
    _budget = threads
    for variable in _THREAD_VARIABLES:
        os.environ[variable] = str(threads)
    # numba's OpenMP layer and threadpoolctl may set the OpenMP count that torch reads
    # too, so torch comes last.
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    _limit_blas(threads)
    try:
        torch.set_num_interop_threads(threads)
    except RuntimeError:  # parallel work has started, or it was set before
        pass
    torch.set_num_threads(threads)


@dataclass(frozen=True)
class _Settings:
    budget: int | None
    torch_threads: int
    numba_threads: int
    environment: dict[str, str | None]


@contextmanager
def thread_budget_scope(threads: int) -> Iterator[None]:
    """:func:`set_thread_budget` for the block only (torch inter-op threads aside, which
    cannot change once set): for cells run in the calling process, whose settings must
    come back afterwards."""
    threads = _checked(threads)
    before = _Settings(
        _budget,
        torch.get_num_threads(),
        numba.get_num_threads(),
        {variable: os.environ.get(variable) for variable in _THREAD_VARIABLES},
    )
    blas = _blas_limiter()
    set_thread_budget(threads)
    try:
        yield
    finally:
        _restore(before, blas)


def _restore(before: _Settings, blas: object | None) -> None:
    global _budget
    _budget = before.budget
    for variable, value in before.environment.items():
        if value is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = value
    numba.set_num_threads(before.numba_threads)
    if blas is not None:
        blas.restore_original_limits()  # type: ignore[attr-defined]
    torch.set_num_threads(before.torch_threads)  # last, as in set_thread_budget


def _checked(threads: int) -> int:
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"a thread budget is a whole number >= 1, got {threads!r}")
    return threads


def _blas_limiter() -> object | None:
    """A threadpoolctl limiter holding the current limits, to restore them; None without it."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(limits=None)


def _limit_blas(threads: int) -> None:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # the environment variables still cover libraries loaded later
        return
    threadpool_limits(limits=threads)


@contextmanager
def threads_for(values_per_operation: int) -> Iterator[None]:
    """Run the block on one intra-op thread when its operations are small (CPU only).

    Large operations keep the current count, capped at the process's
    :func:`thread_budget`; afterwards the count is what it was, capped the same way,
    so the block never leaves torch above the budget.
    """
    before = torch.get_num_threads()
    ceiling = before if _budget is None else min(before, _budget)
    during = 1 if values_per_operation < _SMALL else ceiling
    if during == before == ceiling:
        yield
        return
    torch.set_num_threads(during)
    try:
        yield
    finally:
        torch.set_num_threads(ceiling)
