"""The files of a build in its output folder: written whole or not at all, checked against the
manifest that lists them, and removed when no build lists them any more. Failures are BuildErrors
that say what to do; the files a previous build wrote stay as they were."""
from __future__ import annotations

import errno
import shutil
from pathlib import Path
from typing import Iterable

from .errors import BuildError
from .folder_lock import LOCK_NAME
from .manifest import MANIFEST_NAME, Manifest


def make_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError(f"cannot create output folder {path}: {exc.strerror or exc}") from None


def write(path: Path, chunks: Iterable[bytes]) -> int:
    """Write `chunks` to `path` through a temp file (writer.write_atomic); return the size."""
    from . import writer

    try:
        return writer.write_atomic(path, chunks)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise BuildError(f"the disk is full while writing {path}; the previous files are intact. "
                             "Free some space and build again.") from None
        raise BuildError(f"cannot write {path}: {exc.strerror or exc}; the previous files are intact") from None


def holds(target: Path, manifest: Manifest, levels: Iterable[str]) -> bool:
    """Whether `target` holds every file `manifest` lists for `levels`, each track at its size."""
    for name in levels:
        level = manifest.levels.get(name)
        if level is None or not (target / level.playlist).is_file():
            return False
        for track in level.tracks:
            path = target / track.file
            if not path.is_file() or path.stat().st_size != track.bytes or not (target / track.captions).is_file():
                return False
    return True


def remove_stale(target: Path, old: Manifest | None, new: Manifest) -> list[str]:
    """Remove what `old` listed and `new` does not (files, and the folders of dropped levels), and
    the temp files of an interrupted build; the paths removed."""
    keep = {MANIFEST_NAME, LOCK_NAME, *new.levels, *new.listed()}
    listed = {*old.levels, *old.listed()} if old else set()
    removed = []
    for name in sorted(listed - keep, key=len, reverse=True):
        path = target / name
        if path.is_dir() and name not in new.levels:
            shutil.rmtree(path)
            removed.append(str(path))
        elif path.is_file():
            path.unlink()
            removed.append(str(path))
    for tmp in target.glob("**/.*.tmp"):
        tmp.unlink(missing_ok=True)
    return removed


def remove_orphans(out_dir: Path, routine_ids: set[str]) -> list[str]:
    """Remove built outputs of routines that no longer exist (only folders a build made)."""
    if not out_dir.is_dir():
        return []
    removed = []
    for folder in sorted(out_dir.iterdir()):
        if folder.is_dir() and folder.name not in routine_ids and (folder / MANIFEST_NAME).is_file():
            shutil.rmtree(folder)
            removed.append(str(folder))
    return removed
