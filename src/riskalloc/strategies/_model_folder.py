"""Where a model may be written: a new or empty folder, or a riskalloc model folder replaced.

riskalloc never writes into a folder it does not own. A folder is a *model folder* when
its manifest carries riskalloc's marker (``model.json`` with ``"format":
"riskalloc.model"``, or ``manifest.json`` with ``"kind": "riskalloc.strategies.rl"``)
and it holds nothing but the files riskalloc writes there (the manifests, the tensors
or policy, an ensemble's ``member_K/`` model folders, and the ``.tmp`` files an
interrupted atomic write may leave). Any other non-empty folder is *foreign* and is
refused, whatever the flags: a user's own ``manifest.json`` is never overwritten.

:func:`check_model_destination` runs before any work (``riskalloc train`` checks
``--out`` before minutes of training); :func:`prepare_model_folder` runs when a model
is saved and removes the previous model's files, so a model replaced by one of another
kind (or an ensemble by a smaller one) leaves nothing stale behind.
"""

from __future__ import annotations

import enum
import os
import re
import shutil
from pathlib import Path

from riskalloc.core import ConfigError
from riskalloc.strategies._model_files import (
    DEEP_FORMAT,
    DEEP_MANIFEST,
    RL_KIND,
    RL_MANIFEST,
    RL_POLICY,
    TENSORS_FILE,
    read_json_file,
)

__all__ = ["FolderState", "check_model_destination", "folder_state", "prepare_model_folder"]

_MODEL_FILES = frozenset({DEEP_MANIFEST, TENSORS_FILE, RL_MANIFEST, RL_POLICY})
_MEMBER = re.compile(r"member_\d+")
# core.atomic_write's temporary files: ".model.json.k3j2x.tmp"
_TEMPORARY = re.compile(r"\.(model\.json|model\.safetensors|manifest\.json|policy\.zip)\..+\.tmp")


class FolderState(enum.Enum):
    """What a destination path holds now."""

    ABSENT = "absent"
    EMPTY = "empty"
    MODEL = "model"
    FOREIGN = "foreign"


def _has_marker(folder: Path) -> bool:
    for name, key, marker in (
        (DEEP_MANIFEST, "format", DEEP_FORMAT),
        (RL_MANIFEST, "kind", RL_KIND),
    ):
        if (folder / name).is_file():
            try:
                manifest = read_json_file(folder / name)
            except ConfigError:
                return False
            if not isinstance(manifest, dict) or manifest.get(key) != marker:
                return False
    return (folder / DEEP_MANIFEST).is_file() or (folder / RL_MANIFEST).is_file()


def _foreign_entry(folder: Path, *, members: bool = True) -> Path | None:
    """The first entry of ``folder`` riskalloc did not write there (None: all are its own)."""
    for entry in sorted(folder.iterdir()):
        if entry.is_symlink():
            return entry
        if entry.is_file() and (entry.name in _MODEL_FILES or _TEMPORARY.fullmatch(entry.name)):
            continue
        if members and entry.is_dir() and _MEMBER.fullmatch(entry.name):
            inner = _foreign_entry(entry, members=False)
            if inner is None and (_has_marker(entry) or not any(entry.iterdir())):
                continue
            return inner or entry
        return entry
    return None


def folder_state(path: Path) -> tuple[FolderState, Path | None]:
    """The :class:`FolderState` of ``path`` and, when foreign, the entry that makes it so."""
    if not path.exists():
        return FolderState.ABSENT, None
    if not any(path.iterdir()):
        return FolderState.EMPTY, None
    foreign = _foreign_entry(path)
    if foreign is not None:
        return FolderState.FOREIGN, foreign
    if _has_marker(path):
        return FolderState.MODEL, None
    # Model file names without riskalloc's marker: the (unmarked) manifest, else the first.
    manifests = [path / name for name in (DEEP_MANIFEST, RL_MANIFEST) if (path / name).exists()]
    return FolderState.FOREIGN, (manifests or sorted(path.iterdir()))[0]


def check_model_destination(
    path: str | Path, *, replace: bool, option: str = "", flag: str = "--replace"
) -> Path:
    """``path`` as a folder a model may be written to, checked before any work; returns it.

    Parameters
    ----------
    path : str or Path
        The folder to write (created when absent).
    replace : bool
        Whether an existing riskalloc model folder there may be replaced.
    option, flag : str
        How the caller names the path and the replace switch in messages
        (``"--out"``, ``"--replace"`` on the command line).

    Raises
    ------
    ConfigError
        ``path`` is empty, a file, under a file, not writable, a foreign non-empty folder,
        or a model folder and ``replace`` is False.
    """
    label = f"{option} {str(path) or repr('')}".strip()
    if not str(path).strip():
        raise ConfigError(f"{label}: an empty path; name the model folder, e.g. models/dc")
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{label}: is a file, not a folder; name a new or empty folder")
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise ConfigError(f"{label}: {existing} is a file, so no folder can be made under it")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"{label}: {existing} is not writable")
    if existing != folder:
        return folder
    try:
        state, foreign = folder_state(folder)
    except OSError as error:
        raise ConfigError(f"{label}: cannot be read ({error.strerror})") from None
    if state is FolderState.FOREIGN:
        entry = foreign.relative_to(folder) if foreign is not None else "?"
        raise ConfigError(
            f"{label}: holds {entry}, which is not part of a riskalloc model; riskalloc writes "
            "a model only into a new or empty folder or over its own model, so choose another "
            "folder"
        )
    if state is FolderState.MODEL and not replace:
        raise ConfigError(
            f"{label}: holds a riskalloc model already; pass {flag} to replace it, or choose "
            "another folder"
        )
    return folder


def prepare_model_folder(path: str | Path) -> Path:
    """Make ``path`` ready to receive a model: created, or emptied of the previous model.

    A foreign folder is refused (see :func:`check_model_destination`); only files and
    ``member_K/`` folders riskalloc wrote are removed.
    """
    folder = check_model_destination(path, replace=True)
    if folder_state(folder)[0] is FolderState.MODEL:
        for entry in folder.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    return folder
