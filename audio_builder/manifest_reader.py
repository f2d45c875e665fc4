"""The one reader of manifest.json (docs/architecture.md, "Manifest"), with the one cache.

`load_manifest` reads a file under an output folder, `parse_manifest` bytes fetched from the published
copy; both give the same `Manifest` (audio_builder/manifest.py), or a `ManifestError` that says what is
wrong and where. `read_manifest` gives the raw document, for the routine preview's measured cue lengths.

Files are parsed once per version: one cache for the whole process, keyed by the file's (mtime, size,
inode), so a rebuild, which renames a new manifest into place, is seen at once and an unchanged one
costs one lstat(). A manifest.json that is a symlink counts as none: the builder never makes one.

Standard library only: the skill's Lambda package ships this module and manifest.py.
"""
from __future__ import annotations

import json
import os
import stat
import threading
from itertools import repeat
from operator import itemgetter
from pathlib import Path, PurePosixPath
from typing import Any, Callable

from .manifest import FORMAT, MANIFEST_NAME, Chapter, Cue, Level, Manifest, ManifestError, PacedTrack, Silence, Track


def parse_manifest(raw: bytes | str, source: str = MANIFEST_NAME) -> Manifest:
    """The manifest in `raw` (the bytes of a manifest.json), or ManifestError naming `source`."""
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise ManifestError(f"{source} is not JSON ({exc}); build again") from None
    try:
        return _manifest(_Object(doc))
    except ManifestError as exc:
        raise ManifestError(f"{source}: {exc}; build again") from None


def load_manifest(folder: str | os.PathLike[str],
                  on_error: Callable[[str], None] | None = None) -> Manifest | None:
    """The manifest in `folder`, or None when there is none.

    A malformed one raises ManifestError; with `on_error` it is None instead, and `on_error` gets the
    message once per version of the file (so a server that asks on every request logs it once).
    """
    path = Path(folder) / MANIFEST_NAME
    key = os.path.abspath(path)
    try:
        st = path.lstat()
    except (OSError, ValueError):
        st = None
    if st is None or not stat.S_ISREG(st.st_mode):
        with _LOCK:
            _CACHE.pop(key, None)
        return None
    with _LOCK:
        cached = _CACHE.get(key)
    if cached is not None and cached[0] == _stamp(st):
        result = cached[1]
    else:
        try:
            stamp, raw = _read(path)
        except OSError:
            return None  # gone, or swapped for a link, since the lstat: none
        try:
            result = parse_manifest(raw, str(path))
        except ManifestError as exc:
            result = exc
            if on_error is not None:
                on_error(str(exc))
        with _LOCK:
            _CACHE.pop(key, None)
            _CACHE[key] = (stamp, result)
            while len(_CACHE) > _CACHE_SIZE:
                del _CACHE[next(iter(_CACHE))]
    if isinstance(result, ManifestError):
        if on_error is not None:
            return None
        raise ManifestError(str(result)) from None
    return result


def read_manifest(folder: str | os.PathLike[str]) -> dict | None:
    """The raw document in `folder`, or None when there is none or it is not JSON of format 1. For
    readers that take what they can (the preview's measured cue lengths); all others: load_manifest."""
    try:
        data = json.loads((Path(folder) / MANIFEST_NAME).read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


_CACHE: dict[str, tuple[tuple[int, int, int], Manifest | ManifestError]] = {}
_CACHE_SIZE = 256  # routines; the oldest entry goes first
_LOCK = threading.Lock()


def _stamp(st: os.stat_result) -> tuple[int, int, int]:
    return st.st_mtime_ns, st.st_size, st.st_ino


def _read(path: Path) -> tuple[tuple[int, int, int], bytes]:
    """The file's stamp and bytes, from one open that does not follow a symlink."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(handle.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"{path} is not a regular file")
        return _stamp(st), handle.read()


# -- the document, checked field by field ---------------------------------------------------------------


_MISSING = object()


class _Object:
    """A JSON object in the manifest, and where (for messages: "levels.standard.tracks[0]")."""

    def __init__(self, data: Any, where: str = ""):
        if not isinstance(data, dict):
            raise ManifestError(f"{where or 'the top level'}: expected an object, found {_what(data)}")
        self.data, self.where = data, where

    def at(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def get(self, key: str, kinds: tuple[type, ...], label: str, default: Any = _MISSING) -> Any:
        """The value of `key`, of one of `kinds`; `default` when it is missing or null (if there is one)."""
        value = self.data.get(key)
        if value is None:
            if default is _MISSING:
                raise ManifestError(f"{self.where or 'the top level'}: no {key!r}" if key not in self.data
                                    else f"{self.at(key)}: expected {label}, found null")
            return default
        if not isinstance(value, kinds) or isinstance(value, bool):
            raise ManifestError(f"{self.at(key)}: expected {label}, found {_what(value)}")
        return value

    def text(self, key: str, default: Any = _MISSING) -> str:
        return self.get(key, (str,), "a string", default)

    def count(self, key: str, default: Any = _MISSING) -> int:
        value = self.get(key, (int,), "a whole number", default)
        if value is not None and value < 0:
            raise ManifestError(f"{self.at(key)}: expected a whole number of at least 0, found {value}")
        return value

    def number(self, key: str, default: Any = _MISSING) -> float:
        return float(self.get(key, (int, float), "a number", default))

    def file(self, key: str) -> str:
        """A path relative to the routine folder that stays inside it."""
        name = self.text(key)
        parts = PurePosixPath(name).parts
        if not parts or name.startswith("/") or ".." in parts:
            raise ManifestError(f"{self.at(key)}: {name!r} is not a path inside the routine's folder")
        return name

    def objects(self, key: str) -> list[_Object]:
        """The objects of the list `key` (none when it is missing)."""
        items = self.get(key, (list,), "a list", [])
        return [_Object(item, f"{self.at(key)}[{i}]") for i, item in enumerate(items)]

    def texts(self, key: str) -> list[str]:
        items = self.get(key, (list,), "a list", [])
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise ManifestError(f"{self.at(key)}[{i}]: expected a string, found {_what(item)}")
        return items


def _what(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    return "an object" if isinstance(value, dict) else "a list" if isinstance(value, list) else type(value).__name__


def _manifest(doc: _Object) -> Manifest:
    if doc.data.get("format") != FORMAT:
        raise ManifestError(f"format {doc.data.get('format')!r} is not {FORMAT}, the one this version reads")
    entries = doc.get("levels", (dict,), "an object")
    levels = {name: _level(name, _Object(entry, f"levels.{name}")) for name, entry in entries.items()}
    order = tuple(doc.texts("all_levels")) or tuple(levels)
    ordered = {lv: levels[lv] for lv in order if lv in levels}
    ordered.update((lv, level) for lv, level in levels.items() if lv not in ordered)
    return Manifest(
        routine=doc.text("routine", ""), levels=ordered, title=doc.text("title", ""),
        description=doc.text("description", ""), all_levels=order, default_level=doc.text("default_level", None),
        source_file=doc.text("source_file", ""), source_sha256=doc.text("source_sha256", ""),
        settings=doc.get("settings", (dict,), "an object", {}), built_at=doc.text("built_at", ""),
    )


def _level(name: str, entry: _Object) -> Level:
    return Level(name=name, duration_ms=entry.count("duration_ms"), playlist=entry.file("playlist"),
                 tracks=tuple(_track(t) for t in entry.objects("tracks")), pace=entry.number("pace", 1.0),
                 paces=tuple(_paced(t) for t in entry.objects("paces")), source_sha256=entry.text("source_sha256", ""))


def _paced(t: _Object) -> PacedTrack:
    """One of a published level's other paces (manifest.PacedTrack): a track with its pace."""
    pace = t.number("pace")
    if not 0 < pace < 100:
        raise ManifestError(f"{t.at('pace')}: expected a pace above 0, found {pace!r}")
    return PacedTrack(pace, _track(t))


def _track(t: _Object) -> Track:
    return Track(
        file=t.file("file"), captions=t.file("captions"), kind=t.text("kind"), title=t.text("title"),
        duration_ms=t.count("duration_ms"), bytes=t.count("bytes"), recipe=t.text("recipe"),
        chapters=tuple(Chapter(i, c.text("title"), c.count("start_ms"), c.count("end_ms"), c.count("block", None))
                       for i, c in enumerate(t.objects("chapters"))),
        album=t.text("album", ""), number=t.count("number", 0), exercise=t.count("exercise", None),
        frames=t.count("frames", 0), cues=_marks(t, "cues", Cue), silences=_marks(t, "silences", Silence),
    )


_MARK_TYPES: dict[type, tuple[type, ...]] = {Cue: (int, int, str, str), Silence: (int, int, str, int)}


def _marks(t: _Object, key: str, kind: type) -> tuple:
    """A track's cue or silence marks. A long routine's manifest has thousands, so they are made and
    checked column by column, in C; when that fails, the bad one is found and named the slow way."""
    items = t.get(key, (list,), "a list", [])
    fields, types = kind._fields, _MARK_TYPES[kind]
    try:
        marks = tuple(map(tuple.__new__, repeat(kind), map(itemgetter(*fields), items)))
    except (KeyError, TypeError):  # an item that is not an object, or lacks a field
        marks = None
    if marks is not None and all(_column_ok(column, of) for column, of in zip(zip(*marks), types)):
        return marks
    for mark in t.objects(key):
        for name, of in zip(fields, types):
            mark.count(name) if of is int else mark.text(name)
    raise AssertionError(f"{t.at(key)}: failed the quick check and passed the thorough one")  # pragma: no cover


def _column_ok(column: tuple, of: type) -> bool:
    return set(map(type, column)) <= {of} and (of is not int or min(column) >= 0)
