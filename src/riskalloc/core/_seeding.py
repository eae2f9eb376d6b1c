"""Seeding: the same seed gives the same draws, and the caller's random state is left alone."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator

import numpy as np
import torch

__all__ = ["seeded"]


@contextlib.contextmanager
def seeded(seed: int, *, deterministic: bool = True) -> Iterator[torch.Generator]:
    """Seed python, numpy and torch for the block only, and yield a seeded ``torch.Generator``.

    With ``deterministic`` torch also uses deterministic algorithms inside the block
    (warning where an operation has none). The global random states and the
    deterministic-algorithms setting in force before are restored on exit, so
    training leaves no trace on the caller's randomness.

    Examples
    --------
    >>> with seeded(3) as generator:
    ...     first = torch.rand(2, generator=generator)
    >>> with seeded(3) as generator:
    ...     bool((torch.rand(2, generator=generator) == first).all())
    True
    """
    # The legacy global numpy state is seeded (and restored) on purpose: code a network
    # or an agent calls may draw from it, and the caller's draws must not change.
    python_state, numpy_state = random.getstate(), np.random.get_state()  # noqa: NPY002
    torch_state = torch.get_rng_state()
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002
    torch.manual_seed(seed)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield torch.Generator().manual_seed(seed)
    finally:
        torch.use_deterministic_algorithms(was_deterministic, warn_only=warn_only)
        torch.set_rng_state(torch_state)
        np.random.set_state(numpy_state)  # noqa: NPY002
        random.setstate(python_state)
