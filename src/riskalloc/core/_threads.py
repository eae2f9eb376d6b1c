"""Thread count for torch work made of many small operations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

__all__ = ["threads_for"]

# Below this many values per operation, spreading an operation over threads costs
# more than it saves; on a busy machine the waiting threads make it ~10x slower.
_SMALL = 1_000_000


@contextmanager
def threads_for(values_per_operation: int) -> Iterator[None]:
    """Run the block on one intra-op thread when its operations are small (CPU only)."""
    if values_per_operation >= _SMALL:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
