"""Folders riskalloc owns: the marker, what a run writes, and the checks made before any work.

A run folder is riskalloc's when it holds the marker ``.riskalloc-run.json``::

    {"tool": "riskalloc", "kind": "run", "format": 1, "created": "...", "updated": "...",
     "riskalloc": "0.1.0", "fingerprint": "<sha256 of settings>", "settings": {...}}

``settings`` are the parts of the run's configuration that its cells share (backtest
settings, data fingerprints, strategy parameters) and the cells it holds. A folder
without the marker is the user's: riskalloc writes there only when it is empty, or
with ``force`` when none of its files has a name riskalloc would write. A run into
a folder of its own must keep the settings (cells may be added, none left out), so
a rerun resumes and extends a run but never replaces one with another.
"""

from __future__ import annotations

import datetime as dt
import enum
import fnmatch
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from itertools import count
from pathlib import Path
from typing import Any

from riskalloc.core import ConfigError, json_sha256, package_version, write_json

__all__ = [
    "MARKER",
    "RUN_ENTRIES",
    "FolderKind",
    "check_out_path",
    "claim_folder",
    "next_free_path",
    "prepare_folder",
    "read_marker",
    "run_settings",
    "settings_differences",
]

#: The file that makes a folder riskalloc's own.
MARKER = ".riskalloc-run.json"
MARKER_FORMAT = 1
PROBE_PREFIX = ".riskalloc-probe-"
TOOL = "riskalloc"
#: What a run writes at the top of its folder (names or fnmatch patterns).
RUN_ENTRIES = (
    MARKER,
    "config.json",
    "metrics.csv",
    "weights.parquet",
    "returns.parquet",
    "rates.parquet",
    "predictions.parquet",
    "failures.csv",
    "report.html",
    "figures",
    "cells",
)
#: The fields of a data source that fix its cells' results.
DATA_FIELDS = ("kind", "assets", "first_date", "last_date", "default_test_start", "sha256")
#: How many differences or file names a one-line message shows.
SHOWN = 6


class FolderKind(enum.StrEnum):
    """What a riskalloc folder holds: one run, or the runs of a robustness sweep."""

    RUN = "run"
    ROBUSTNESS = "robustness"


def check_out_path(out: str | os.PathLike[str] | None) -> Path:
    """``out`` as a folder path, or a :class:`ConfigError` naming what is wrong with it.

    Refused: an empty path, an existing file, and a path under a file.
    """
    if out is None or not str(os.fspath(out)).strip():
        raise ConfigError("--out is empty: give a folder, e.g. --out runs/bench")
    path = Path(out)
    try:
        existing = path if path.exists() else next(p for p in path.parents if p.exists())
        is_folder = existing.is_dir()
    except (OSError, ValueError) as error:  # a name the file system refuses (NUL, too long)
        reason = getattr(error, "strerror", None) or error
        raise ConfigError(f"--out {out!r}: cannot use this path ({reason})") from None
    except StopIteration:  # pragma: no cover - "/" or "." always exists
        raise ConfigError(f"--out {path}: no existing folder above it") from None
    if not is_folder:
        if existing == path:
            raise ConfigError(f"--out {path}: is a file, not a folder; give a folder")
        raise ConfigError(f"--out {path}: {existing} is a file, not a folder")
    return path


def prepare_folder(
    out: str | os.PathLike[str] | None,
    *,
    kind: FolderKind = FolderKind.RUN,
    entries: Sequence[str] = RUN_ENTRIES,
    force: bool = False,
    new_run: bool = False,
) -> Path:
    """The folder a run will write, checked before any work; nothing is written.

    The path is checked (:func:`check_out_path`); with ``new_run`` an existing
    non-empty folder is left alone and the first free ``OUT-2``, ``OUT-3`` ...
    is taken instead; ownership is checked (:func:`claim_folder` does it again,
    then writes the marker); and writing is tried by creating and removing a
    probe file in the folder, or in the nearest existing folder above it.

    Examples
    --------
    >>> prepare_folder("runs/bench")                          # doctest: +SKIP
    PosixPath('runs/bench')
    """
    path = check_out_path(out)
    if new_run and _holds_anything(path):
        path = next_free_path(path)
    _check_ownership(path, kind, entries, force)
    _probe_writable(path)
    return path


def claim_folder(
    path: Path,
    *,
    kind: FolderKind = FolderKind.RUN,
    entries: Sequence[str] = RUN_ENTRIES,
    force: bool = False,
    settings: dict[str, Any] | None = None,
) -> None:
    """Make ``path`` riskalloc's for a run with ``settings`` (see :func:`run_settings`).

    Refused (:class:`ConfigError`, nothing written): a folder riskalloc does not
    own (as in :func:`prepare_folder`), and a folder of its own whose run has
    other settings, with the differences named. Otherwise the folder is made and
    the marker written with ``settings``.
    """
    settings = settings or {}
    _check_ownership(path, kind, entries, force)
    marker = read_marker(path)
    if marker is not None:
        differences = settings_differences(marker["settings"], settings)
        if differences:
            shown = "; ".join(differences[:SHOWN])
            more = f" (and {len(differences) - SHOWN} more)" if len(differences) > SHOWN else ""
            raise ConfigError(
                f"{path} holds a run with other settings: {shown}{more}; choose another --out, "
                f"or add --new-run to start a new run beside it ({next_free_path(path)})"
            )
    path.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    write_json(
        path / MARKER,
        {
            "tool": TOOL,
            "kind": str(kind),
            "format": MARKER_FORMAT,
            "created": marker["created"] if marker is not None else now,
            "updated": now,
            "riskalloc": package_version("riskalloc"),
            "fingerprint": json_sha256(settings),
            "settings": settings,
        },
    )


def read_marker(path: Path) -> dict[str, Any] | None:
    """The marker of folder ``path``; None without one, :class:`ConfigError` when damaged."""
    marker = Path(path) / MARKER
    if not marker.exists() and not marker.is_symlink():
        return None
    damaged = ConfigError(
        f"{marker}: damaged riskalloc marker, so riskalloc cannot tell whether {path} is "
        "its own and writes nothing there; move the folder away, choose another --out, or "
        "add --new-run to start a new run beside it"
    )
    try:
        value = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        raise damaged from None
    if not (
        isinstance(value, dict)
        and value.get("tool") == TOOL
        and isinstance(value.get("kind"), str)
        and isinstance(value.get("format"), int)
        and isinstance(value.get("created"), str)
        and isinstance(value.get("settings"), dict)
        and value.get("fingerprint") == json_sha256(value["settings"])
        and _settings_shape_ok(value["settings"])
    ):
        raise damaged
    if value["format"] > MARKER_FORMAT:
        raise ConfigError(
            f"{path} was written by a newer riskalloc (folder format {value['format']}); "
            "update riskalloc or choose another --out"
        )
    return value


def next_free_path(path: Path) -> Path:
    """``path`` itself when free, else the first free ``path-2``, ``path-3`` ... beside it
    (free: not there, or an empty folder)."""
    if not path.exists():
        return path
    base = path if path.name not in ("", ".", "..") else path.resolve()
    for number in count(2):
        candidate = base.with_name(f"{base.name}-{number}")
        if not candidate.exists() or (candidate.is_dir() and not any(candidate.iterdir())):
            return candidate
    raise AssertionError("unreachable")  # pragma: no cover


def run_settings(config: dict[str, Any], cells: Iterable[tuple[str, str, int]]) -> dict[str, Any]:
    """What a run's cells share, and which cells it holds, from its resolved configuration.

    ``backtest`` and ``strategies`` as configured; ``data`` as each source's
    :data:`DATA_FIELDS`; ``cells`` as ``[scenario, strategy, seed]``. Values are
    taken as JSON would store them.
    """
    normal = json.loads(json.dumps(config, default=str))
    data = normal.get("data") or {}
    return {
        "backtest": normal.get("backtest") or {},
        "data": {
            label: {key: record.get(key) for key in DATA_FIELDS}
            if isinstance(record, dict)
            else record
            for label, record in data.items()
        },
        "strategies": normal.get("strategies") or {},
        "cells": json.loads(json.dumps([list(cell) for cell in cells], default=str)),
    }


def settings_differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What keeps a run with settings ``new`` out of a folder whose run has ``old``.

    One line each: ``backtest.costs_bps: 10.0 -> 20.0``, ``data.bull-2010.sha256
    changed``, ``strategies.hrp: not in this command``, ``cells: ... not in this
    command``. A section missing from either side is not compared; sources,
    strategies and cells ``new`` adds are no difference.
    """
    differences = []
    old_backtest, new_backtest = old.get("backtest") or {}, new.get("backtest") or {}
    if old_backtest and new_backtest:
        differences += _changed("backtest", old_backtest, new_backtest)
    gone_sources, gone_strategies = set(), set()
    old_data, new_data = old.get("data") or {}, new.get("data") or {}
    if new_data:
        for label, before in old_data.items():
            if label not in new_data:
                differences.append(f"data.{label}: not in this command")
                gone_sources.add(label)
                continue
            after = new_data[label]
            if not (isinstance(before, dict) and isinstance(after, dict)):
                differences += _changed("data", {label: before}, {label: after})
                continue
            if before.get("sha256") != after.get("sha256"):
                differences.append(f"data.{label}.sha256 changed")
            shown = {key: before.get(key) for key in DATA_FIELDS if key != "sha256"}
            differences += _changed(f"data.{label}", shown, {key: after.get(key) for key in shown})
    old_strategies, new_strategies = old.get("strategies") or {}, new.get("strategies") or {}
    if new_strategies:
        for name, params in old_strategies.items():
            if name not in new_strategies:
                differences.append(f"strategies.{name}: not in this command")
                gone_strategies.add(name)
            elif isinstance(params, dict) and isinstance(new_strategies[name], dict):
                differences += _changed(f"strategies.{name}", params, new_strategies[name])
            elif params != new_strategies[name]:
                differences += _changed("strategies", {name: params}, {name: new_strategies[name]})
    if new.get("cells"):
        asked = {tuple(cell) for cell in new["cells"]}
        left_out = [
            cell
            for cell in old.get("cells") or []
            if tuple(cell) not in asked
            and cell[0] not in gone_sources
            and cell[1] not in gone_strategies
        ]
        if left_out:
            scenario, strategy, seed = left_out[0]
            more = f" (and {len(left_out) - 1} more)" if len(left_out) > 1 else ""
            differences.append(
                f"cells: {scenario} / {strategy} / seed {seed}{more} not in this command"
            )
    return differences


# --- helpers -----------------------------------------------------------------------------
def _settings_shape_ok(settings: dict[str, Any]) -> bool:
    """Whether a marker's settings have the shape :func:`run_settings` gives (or none)."""
    sections = {"backtest": dict, "data": dict, "strategies": dict, "cells": list}
    if any(not isinstance(settings.get(k, kind()), kind) for k, kind in sections.items()):
        return False
    return all(isinstance(c, list) and len(c) == 3 for c in settings.get("cells", []))


def _changed(prefix: str, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [
        f"{prefix}.{key}: {_show(before.get(key))} -> {_show(after.get(key))}"
        for key in dict.fromkeys([*before, *after])
        if before.get(key) != after.get(key)
    ]


def _show(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN])
    return shown + (f" (and {len(names) - SHOWN} more)" if len(names) > SHOWN else "")


def _holds_anything(path: Path) -> bool:
    return path.is_dir() and any(not _own_leftover(entry.name) for entry in path.iterdir())


def _check_ownership(path: Path, kind: FolderKind, entries: Sequence[str], force: bool) -> None:
    """Raise unless riskalloc may write a ``kind`` folder at ``path`` (see the module)."""
    if not path.exists():
        return
    try:
        present = sorted(entry.name for entry in path.iterdir() if not _own_leftover(entry.name))
    except OSError as error:
        raise ConfigError(f"--out {path}: cannot read the folder ({error.strerror})") from None
    if not present:
        return
    marker = read_marker(path)
    if marker is not None:
        if marker["kind"] != str(kind):
            raise ConfigError(
                f"{path} is a riskalloc {marker['kind']} folder, not a {kind} folder; "
                "choose another --out"
            )
        return
    clashes = [name for name in present if any(fnmatch.fnmatchcase(name, p) for p in entries)]
    if not force:
        raise ConfigError(
            f"{path} is not a riskalloc {kind} folder (no {MARKER}) and holds {_names(present)}; "
            "riskalloc writes only into a new or empty folder or one of its own: choose another "
            "--out, or add --force to write beside those files"
            + (
                " (a run of a riskalloc without run markers cannot be resumed: move it away or "
                "add --new-run)"
                if {"config.json", "cells"} <= set(present)
                else ""
            )
        )
    if clashes:
        raise ConfigError(
            f"{path} is not a riskalloc {kind} folder and holds {_names(clashes)}, which the "
            f"{kind} would overwrite, so --force does not take it over; move them away or "
            "choose another --out"
        )


def _own_leftover(name: str) -> bool:
    """A probe file, or the marker's temporary file, left by a run killed at that moment."""
    return name.startswith(PROBE_PREFIX) or (
        name.startswith(f".{MARKER}.") and name.endswith(".tmp")
    )


def _probe_writable(path: Path) -> None:
    """Create and remove a file where the run will write, or raise naming the folder."""
    target = path
    while not target.exists() and target != target.parent:
        target = target.parent
    try:
        handle, name = tempfile.mkstemp(prefix=PROBE_PREFIX, dir=target)
        os.close(handle)
        os.unlink(name)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ConfigError(f"--out {path}: cannot write in {target} ({reason})") from None
