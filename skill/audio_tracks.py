"""The built tracks the skill can stream: manifests read into `Track`s, with their public URLs.

The audio builder records each routine's tracks in output/<routine>/manifest.json (per level: file,
duration, recipe, chapters with the routine-graph block each one starts). The skill streams the
full-session track of the user's level from a public HTTPS base URL (AudioPlayer refuses anything
else): URL = base + "/" + routine + "/" + file, which is also the layout `back-routine publish` uploads.

Where the manifests are read from:
- `LocalManifests`: the output folder on this machine (the web service next to the build);
- `RemoteManifests`: the published copy under the public URL (on Lambda there is no output folder);
  fetched with a short timeout, cached for a minute, and the last good copy kept if a fetch fails,
  because a request must answer within Alexa's 8 s.
Either way the skill sees exactly the manifest that describes the files it streams.
"""
from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

from .audio_token import short_recipe

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"  # audio_builder.manifest.MANIFEST_NAME; not imported, to keep Lambda light
FULL_KIND = "full"
_ROUTINE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # a folder name, never a path


@dataclass(frozen=True)
class Chapter:
    index: int
    title: str
    start_ms: int
    end_ms: int
    block: int | None  # routine-graph block the chapter starts, when the manifest says


@dataclass(frozen=True)
class Track:
    routine: str
    routine_title: str
    level: str
    pace: float
    file: str
    url: str
    recipe: str  # short recipe (audio_token.short_recipe)
    title: str
    duration_ms: int
    chapters: tuple[Chapter, ...]

    def chapter_at(self, offset_ms: int) -> Chapter:
        """The chapter playing at `offset_ms` (the first or last one outside the track)."""
        current = self.chapters[0]
        for chapter in self.chapters:
            if chapter.start_ms <= offset_ms:
                current = chapter
            else:
                break
        return current

    def chapter_for_block(self, block: int) -> Chapter:
        """The chapter holding routine-graph block `block` (the voice mode's place)."""
        best = self.chapters[0]
        for chapter in self.chapters:
            if chapter.block is not None and chapter.block <= block:
                best = chapter
        return best

    def find_chapter(self, title: str, index: int) -> Chapter:
        """After a rebuild: the chapter with this title nearest to `index`, else the one at `index`."""
        same = [c for c in self.chapters if c.title == title]
        if same:
            return min(same, key=lambda c: abs(c.index - index))
        return self.chapters[max(0, min(index, len(self.chapters) - 1))]


class ManifestSource(Protocol):
    def get(self, routine: str) -> dict[str, Any] | None: ...


class AudioCatalog:
    """Full-session tracks by (routine, level), streamed from `public_url`.

    `public_url` None (or not https) means audio mode is not set up: `track()` always gives None and
    `configured` is False, so the skill says so and carries on by voice.
    """

    def __init__(self, public_url: str | None, manifests: ManifestSource | None):
        self.public_url = normalize_public_url(public_url)
        self.manifests = manifests

    @property
    def configured(self) -> bool:
        return self.public_url is not None and self.manifests is not None

    def track(self, routine: str, level: str) -> Track | None:
        if not self.configured or not _ROUTINE_ID.match(routine):
            return None
        manifest = self.manifests.get(routine)
        if manifest is None:
            return None
        try:
            return _full_track(manifest, routine, level, self.public_url)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            log.warning("manifest of %s has no usable full-session track for level %s: %s", routine, level, exc)
            return None


def normalize_public_url(url: str | None) -> str | None:
    """The base URL without a trailing slash, or None when unset or not HTTPS (Alexa streams only
    HTTPS with a trusted certificate)."""
    if not url:
        return None
    url = url.strip().rstrip("/")
    if not url.lower().startswith("https://") or len(url) <= len("https://"):
        log.warning("public audio URL %r is not https://: audio mode is off", url)
        return None
    return url


def track_url(public_url: str, routine: str, file: str, version: str | None = None) -> str:
    """The stream URL; `version` (the track's recipe) is added as ?v= so that a rebuilt track is a new
    URL for every cache between the store and the device (S3 and the web player ignore it)."""
    url = f"{public_url}/{routine}/{file}"
    return f"{url}?v={version}" if version else url


def _full_track(manifest: dict[str, Any], routine: str, level: str, public_url: str) -> Track | None:
    entry = manifest.get("levels", {}).get(level)
    if not isinstance(entry, dict):
        return None
    full = next((t for t in entry.get("tracks", []) if isinstance(t, dict) and t.get("kind") == FULL_KIND), None)
    if full is None:
        return None
    duration = int(full["duration_ms"])
    file = str(full["file"])
    if duration <= 0 or not file or file.startswith("/") or ".." in file.split("/"):
        return None
    chapters = tuple(
        Chapter(i, str(c["title"]), int(c["start_ms"]), int(c["end_ms"]),
                int(c["block"]) if isinstance(c.get("block"), int) else None)
        for i, c in enumerate(full.get("chapters") or [])
    )
    if not chapters:  # a track without chapters is one chapter
        chapters = (Chapter(0, str(full.get("title") or manifest.get("title") or routine), 0, duration, 0),)
    recipe = short_recipe(str(full["recipe"]))
    return Track(routine=routine, routine_title=str(manifest.get("title") or routine), level=level,
                 pace=float(entry.get("pace") or 1.0), file=file, url=track_url(public_url, routine, file, recipe),
                 recipe=recipe, title=str(full.get("title") or ""),
                 duration_ms=duration, chapters=chapters)


# --------------------------------------------------------------------------------------------------
# Manifest sources
# --------------------------------------------------------------------------------------------------


class LocalManifests:
    """Manifests under an output folder, re-read when the file changes (a rebuild renames a new one
    into place), so the skill follows rebuilds without a restart. Thread-safe."""

    def __init__(self, output_dir: str | os.PathLike[str]):
        self.output_dir = Path(output_dir)
        self._cache: dict[str, tuple[tuple[int, int, int], dict[str, Any] | None]] = {}
        self._lock = threading.Lock()

    def get(self, routine: str) -> dict[str, Any] | None:
        path = self.output_dir / routine / MANIFEST_NAME
        try:
            st = path.stat()
        except OSError:
            return None
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        with self._lock:
            cached = self._cache.get(routine)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            manifest = _manifest(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            log.warning("cannot read %s: %s", path, exc)
            manifest = None
        with self._lock:
            self._cache[routine] = (stamp, manifest)
        return manifest


Fetch = Callable[[str, float], bytes]  # (url, timeout seconds) -> body; raises on failure


def http_fetch(url: str, timeout: float) -> bytes:
    import requests

    response = requests.get(url, timeout=timeout, headers={"Cache-Control": "no-cache"})
    response.raise_for_status()
    return response.content


class RemoteManifests:
    """Manifests fetched from the published copy (public URL). Cached for `ttl` seconds; when a
    refresh fails the last good copy is used (stale beats silent), and a failure is not retried for
    `ttl` either, so an outage costs one slow request per routine per minute, not every request."""

    def __init__(self, public_url: str, fetch: Fetch = http_fetch, ttl: float = 60.0, timeout: float = 2.0,
                 clock: Callable[[], float] = time.monotonic):
        self.public_url = public_url.rstrip("/")
        self.fetch, self.ttl, self.timeout, self.clock = fetch, ttl, timeout, clock
        self._cache: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._lock = threading.Lock()

    def get(self, routine: str) -> dict[str, Any] | None:
        now = self.clock()
        with self._lock:
            cached = self._cache.get(routine)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        url = f"{self.public_url}/{routine}/{MANIFEST_NAME}"
        try:
            manifest = _manifest(json.loads(self.fetch(url, self.timeout)))
        except Exception as exc:  # network, HTTP status, JSON: all mean "could not refresh"
            log.warning("cannot fetch %s: %s: %s", url, type(exc).__name__, exc)
            manifest = cached[1] if cached is not None else None
        with self._lock:
            self._cache[routine] = (now, manifest)
        return manifest


def _manifest(data: Any) -> dict[str, Any] | None:
    return data if isinstance(data, dict) and data.get("format") == 1 and isinstance(data.get("levels"), dict) else None
