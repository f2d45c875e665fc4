"""The built routines under an output folder, read from their manifest.json files.

Manifests are read through the audio builder's one reader (audio_builder.manifest.load_manifest), which
parses a file again only when its mtime, size or inode change: a rebuild (which renames a new manifest
into place) shows up on the next page load without a restart, and an unchanged library costs one
lstat() per routine. A manifest that cannot be read or does not have the expected shape hides that
routine (with a log line, once per version of the file) instead of failing the page.
"""
from __future__ import annotations

import logging
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from audio_builder.manifest import Chapter, Level, Manifest, Track
from audio_builder.manifest_reader import load_manifest

__all__ = ["Chapter", "Level", "Library", "Routine", "Track"]

log = logging.getLogger(__name__)

# A routine folder name as it may appear in a URL: no separators, no leading dot (so never "." or "..").
_FOLDER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


@dataclass(frozen=True)
class Routine:
    """A built routine as the player shows it: its folder's name and its manifest."""

    id: str  # the folder name under the output folder
    manifest: Manifest = field(repr=False, hash=False)

    @property
    def title(self) -> str:
        return self.manifest.title or self.id

    @property
    def description(self) -> str:
        return self.manifest.description

    @property
    def built_at(self) -> datetime | None:
        return self.manifest.built_time

    @property
    def all_levels(self) -> tuple[str, ...]:
        """Every level of the routine, built or not, in the routine's order."""
        return self.manifest.all_levels

    @property
    def levels(self) -> dict[str, Level]:
        """The built ones, in the same order."""
        return self.manifest.levels

    @property
    def engine(self) -> str | None:
        return self.manifest.engine

    def level(self, name: str | None) -> Level | None:
        """The built level `name`; None asks for the default level (else the first built one)."""
        return self.manifest.level(name)


class Library:
    """The routines built into `output_dir` (one folder per routine, each with a manifest.json)."""

    def __init__(self, output_dir: str | os.PathLike[str]) -> None:
        self.output_dir = Path(output_dir)

    def routines(self) -> list[Routine]:
        """Every readable built routine, by title."""
        try:
            names = sorted(entry.name for entry in os.scandir(self.output_dir) if entry.is_dir())
        except OSError:
            return []  # no output folder yet: nothing is built
        found = [r for r in (self.routine(name) for name in names) if r is not None]
        return sorted(found, key=lambda r: (r.title.casefold(), r.id))

    def routine(self, routine_id: str) -> Routine | None:
        """The built routine in folder `routine_id`, or None (unknown, unsafe name, unreadable). A
        manifest.json that is a symlink counts as none (see safe_path)."""
        if not _FOLDER_NAME.fullmatch(routine_id) or not self._inside(routine_id):
            return None
        manifest = load_manifest(self.output_dir / routine_id, on_error=_left_out)
        return Routine(routine_id, manifest) if manifest is not None else None

    def media_path(self, routine_id: str, level: str, name: str) -> Path | None:
        """The file `name` of a built level, if the manifest lists it and `safe_path` accepts it."""
        routine = self.routine(routine_id)
        built = routine.levels.get(level) if routine else None
        relative = built.files().get(name) if built else None
        return self.safe_path(routine_id, relative) if relative else None

    def safe_path(self, routine_id: str, relative: str) -> Path | None:
        """`relative` (a path from a manifest) inside the routine's folder, if it is a regular file that
        really lies there, else None.

        Nothing under output/<routine>/ is followed through a symlink, wherever it points: the builder
        never makes one, so a link is someone else's doing, and "inside the folder" is not a safe test
        for one (a .vtt linked to manifest.json is inside, and is not a caption). Each part of the path
        is checked with lstat, and media.send_media opens the file with O_NOFOLLOW for a link swapped in
        after this check.
        """
        if not self._inside(routine_id):
            return None
        parts = PurePosixPath(relative).parts
        if not parts or PurePosixPath(relative).is_absolute() or any(p in (".", "..") for p in parts):
            return None
        path = self.output_dir / routine_id
        for part in parts:
            path = path / part
            try:
                mode = path.lstat().st_mode
            except (OSError, ValueError):  # missing, or a NUL in the name
                return None
            if stat.S_ISLNK(mode):
                return None
        return path if stat.S_ISREG(mode) else None

    def _inside(self, routine_id: str) -> bool:
        """Whether the routine's folder really is in the output folder (not a symlink to elsewhere)."""
        return (self.output_dir / routine_id).resolve().is_relative_to(self.output_dir.resolve())


def _left_out(problem: str) -> None:
    log.warning("web player: %s; that routine is left out", problem)
