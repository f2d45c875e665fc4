"""The built routines under an output folder, read from their manifest.json files.

Manifests are read per request through a small cache keyed by each file's mtime, size and inode, so a
rebuild (which renames a new manifest into place) shows up on the next page load without a restart,
and an unchanged library costs one stat() per routine. A manifest that cannot be read or does not
have the expected shape hides that routine (with a log line) instead of failing the page.
"""
from __future__ import annotations

import logging
import os
import re
import stat
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

from audio_builder.manifest import MANIFEST_NAME, read_manifest

__all__ = ["Chapter", "Level", "Library", "Routine", "Track"]

log = logging.getLogger(__name__)

# A routine folder name as it may appear in a URL: no separators, no leading dot (so never "." or "..").
_FOLDER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


@dataclass(frozen=True)
class Chapter:
    title: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Track:
    file: str  # relative to the routine folder, as in the manifest: "standard/full-session.mp3"
    captions: str  # "standard/full-session.vtt"
    kind: str  # full, intro, exercise or outro
    title: str
    duration_ms: int
    bytes: int
    chapters: tuple[Chapter, ...]

    @property
    def name(self) -> str:
        """The MP3's file name, as used in media URLs."""
        return PurePosixPath(self.file).name

    @property
    def stem(self) -> str:
        """The track's id in page URLs: "full-session", "02-lean-and-bend"."""
        return PurePosixPath(self.file).stem

    @property
    def captions_name(self) -> str:
        return PurePosixPath(self.captions).name


@dataclass(frozen=True)
class Level:
    name: str
    duration_ms: int
    playlist: str  # relative to the routine folder: "standard/playlist.m3u8"
    tracks: tuple[Track, ...]

    @property
    def full(self) -> Track | None:
        """The whole session in one track, if the build made one."""
        return next((t for t in self.tracks if t.kind == "full"), None)

    @property
    def parts(self) -> tuple[Track, ...]:
        """The session in parts (introduction, one per exercise, finish), in playlist order."""
        return tuple(t for t in self.tracks if t.kind != "full")

    @property
    def playlist_name(self) -> str:
        return PurePosixPath(self.playlist).name

    def track(self, stem: str | None) -> Track | None:
        """The track with this stem; None asks for the default (the full session, else the first)."""
        if stem is None:
            return self.full or (self.tracks[0] if self.tracks else None)
        return next((t for t in self.tracks if t.stem == stem), None)

    def files(self) -> dict[str, str]:
        """Every file of this level that may be served: file name -> path relative to the routine."""
        listed = {PurePosixPath(self.playlist).name: self.playlist}
        for t in self.tracks:
            listed[t.name] = t.file
            listed[t.captions_name] = t.captions
        return listed


@dataclass(frozen=True)
class Routine:
    id: str  # the folder name under the output folder
    title: str
    description: str
    built_at: datetime | None
    default_level: str | None
    all_levels: tuple[str, ...]  # every level of the routine, built or not, in the routine's order
    levels: dict[str, Level] = field(hash=False)  # the built ones, in the same order
    engine: str | None = None
    voice: str | None = None

    def level(self, name: str | None) -> Level | None:
        """The built level `name`; None asks for the default level (else the first built one)."""
        if name is None:
            name = self.default_level if self.default_level in self.levels else next(iter(self.levels), None)
        return self.levels.get(name) if name is not None else None


class Library:
    """The routines built into `output_dir` (one folder per routine, each with a manifest.json)."""

    def __init__(self, output_dir: str | os.PathLike[str]) -> None:
        self.output_dir = Path(output_dir)
        # manifest path -> (stat key, parsed routine or None). Races between threads only parse a
        # file twice, so a lock guards the dict's consistency, not the reading.
        self._cache: dict[Path, tuple[tuple[int, int, int], Routine | None]] = {}
        self._lock = threading.Lock()

    def routines(self) -> list[Routine]:
        """Every readable built routine, by title."""
        try:
            names = sorted(entry.name for entry in os.scandir(self.output_dir) if entry.is_dir())
        except OSError:
            return []  # no output folder yet: nothing is built
        found = [r for r in (self.routine(name) for name in names) if r is not None]
        return sorted(found, key=lambda r: (r.title.casefold(), r.id))

    def routine(self, routine_id: str) -> Routine | None:
        """The built routine in folder `routine_id`, or None (unknown, unsafe name, unreadable)."""
        if not _FOLDER_NAME.fullmatch(routine_id) or not self._inside(routine_id):
            return None
        path = self.output_dir / routine_id / MANIFEST_NAME
        try:
            st = path.lstat()  # a manifest.json that is a symlink counts as none (see safe_path)
        except OSError:
            st = None
        if st is None or not stat.S_ISREG(st.st_mode):
            with self._lock:
                self._cache.pop(path, None)
            return None
        key = (st.st_mtime_ns, st.st_size, st.st_ino)
        with self._lock:
            cached = self._cache.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        routine = _parse(routine_id, read_manifest(path.parent))
        with self._lock:
            self._cache[path] = (key, routine)
        return routine

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


def _parse(routine_id: str, doc: dict[str, Any] | None) -> Routine | None:
    if doc is None:
        log.warning("web player: no readable manifest for %s; it is left out", routine_id)
        return None
    try:
        levels = {name: _level(name, entry) for name, entry in doc["levels"].items()}
        order = [str(lv) for lv in doc.get("all_levels") or levels]
        ordered = {lv: levels[lv] for lv in order if lv in levels}
        ordered.update((lv, entry) for lv, entry in levels.items() if lv not in ordered)
        settings = doc.get("settings") or {}
        return Routine(
            id=routine_id, title=str(doc.get("title") or routine_id), description=str(doc.get("description") or ""),
            built_at=_timestamp(doc.get("built_at")), default_level=doc.get("default_level"),
            all_levels=tuple(order), levels=ordered,
            engine=settings.get("engine"), voice=settings.get("voice"),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        log.warning("web player: manifest of %s is not as expected (%s: %s); it is left out",
                    routine_id, type(exc).__name__, exc)
        return None


def _level(name: str, entry: dict[str, Any]) -> Level:
    tracks = tuple(
        Track(file=str(t["file"]), captions=str(t["captions"]), kind=str(t["kind"]), title=str(t["title"]),
              duration_ms=int(t["duration_ms"]), bytes=int(t["bytes"]),
              chapters=tuple(Chapter(str(c["title"]), int(c["start_ms"]), int(c["end_ms"])) for c in t["chapters"]))
        for t in entry["tracks"]
    )
    return Level(name=str(name), duration_ms=int(entry["duration_ms"]), playlist=str(entry["playlist"]), tracks=tracks)


def _timestamp(text: Any) -> datetime | None:
    try:
        return datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None
