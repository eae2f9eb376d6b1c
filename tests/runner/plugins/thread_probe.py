"""A strategy that reports, from the process that runs it, the threads it was given."""

import json
import os
from pathlib import Path

import numba
import pandas as pd
import threadpoolctl
import torch

from riskalloc.core import thread_budget, threads_for
from riskalloc.strategies import BaseAllocator, register


class ThreadProbe(BaseAllocator):
    """Equal weights; writes its process's thread settings to ``report_dir/<seed>.json``."""

    name = "thread_probe"
    stochastic = True

    def __init__(self, report_dir: str = ".", seed: int = 0) -> None:
        self.report_dir = report_dir
        self.seed = seed

    def allocate(self, history, dates):
        with threads_for(10**9):  # a large operation: it may use the whole budget, no more
            large_op_threads = torch.get_num_threads()
        report = {
            "pid": os.getpid(),
            "budget": thread_budget(),
            "torch": torch.get_num_threads(),
            "torch_large_op": large_op_threads,
            "numba": numba.get_num_threads(),
            "blas": sorted({pool["num_threads"] for pool in threadpoolctl.threadpool_info()}),
        }
        (Path(self.report_dir) / f"{self.seed}.json").write_text(json.dumps(report))
        n = len(history.assets)
        return pd.DataFrame(1.0 / n, index=dates, columns=history.assets)


register("thread_probe", ThreadProbe)
