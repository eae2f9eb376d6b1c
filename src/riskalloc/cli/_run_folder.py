"""Options of the commands that write a run folder: --force and --new-run, and their warnings.

``--out`` itself is read as text by each command, so that an empty ``--out ""`` is
refused by the library's check rather than taken for the current folder.
"""

from __future__ import annotations

from typing import Annotated

import typer

from riskalloc.cli._common import errors

__all__ = ["ForceOption", "NewRunOption", "say_warning"]

ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Write into an existing folder that is not a riskalloc run (no .riskalloc-run.json), "
        "beside its files; refused if any has a name the run writes (config.json, cells ...).",
    ),
]
NewRunOption = Annotated[
    bool,
    typer.Option(
        "--new-run",
        help="Start a new run: in --out when it is free, else beside it in OUT-2, OUT-3 ... "
        "(printed), never resuming or refusing because of what --out holds.",
    ),
]


def say_warning(line: str) -> None:
    """Print a line of the run (a damaged cell recomputed, a new run's folder) on stderr."""
    errors.print(line, highlight=False, markup=False, soft_wrap=True)
