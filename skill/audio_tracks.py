"""The built tracks the skill can stream: manifests read into `Track`s, with their public URLs.

The audio builder records each routine's tracks in output/<routine>/manifest.json (per level: file,
duration, recipe, chapters with the routine-graph block each one starts). The skill streams the
full-session track of the user's level and pace from a public HTTPS base URL (AudioPlayer refuses
anything else): URL = base + "/" + routine + "/" + file, which is also the layout `back-routine publish`
uploads and the web player serves under /media.

They are read by the audio builder's one manifest reader (audio_builder/manifest.py: standard library
only, the one file of the audio builder the Lambda package ships), so the skill's chapters, tracks and
checks are the web player's and the build's. Where the manifests come from:
- `LocalManifests`: the output folder on this machine (the web service next to the build);
- `RemoteManifests`: the published copy under the public URL (on Lambda there is no output folder);
  fetched with a short timeout, cached for a minute, and the last good copy kept if a fetch fails,
  because a request must answer within Alexa's 8 s.
Either way the skill sees exactly the manifest that describes the files it streams.

The user's pace (docs/architecture.md, "Manifest"; audio_builder/paces.py): the prebuilt tracks are at
the routine's own pace. Another pace is a variant, "standard/pace-1.25/full-session.mp3" beside them:
- next to the build (`variants`, skill/audio_variants.LocalVariants), any pace of the grid, assembled
  here for its chapters and by the web player for its bytes, at the same URL;
- from the published copy, the paces `publish --paces` uploaded, which its manifest lists per level
  (`Level.paces`); the nearest is chosen, and `Track.approximate` says when it is not the user's.
"""
from __future__ import annotations

import logging
import os
import re
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Protocol

from audio_builder.manifest import MANIFEST_NAME, Chapter, Level, Manifest
from audio_builder.manifest_reader import load_manifest, parse_manifest
from audio_builder.manifest import Track as BuiltTrack

from .audio_token import short_recipe

__all__ = ["AudioCatalog", "Chapter", "LocalManifests", "NEAR_PACE", "RemoteManifests", "Track", "VariantProvider",
           "nearest_of", "normalize_public_url", "track_url"]

log = logging.getLogger(__name__)

_ROUTINE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # a folder name, never a path
# A pace this close to the user's is theirs: half a step of the grid (0.05), so the skill's ladder pace
# 1.56 played at 1.55 is not worth a sentence, and 1.3 played at 1.25 is.
NEAR_PACE = 0.025


@dataclass(frozen=True)
class Track:
    """A built full-session track as the skill streams it: the manifest's track, whose routine and level
    it is, and the URL it streams from. Its chapters are the manifest's (a track without any is one)."""

    routine: str
    routine_title: str
    level: str
    pace: float  # the track's own pace
    url: str
    built: BuiltTrack
    variant: bool = False  # at another pace than the routine's own (not the prebuilt track)
    wanted_pace: float | None = None  # the pace asked for, when one was

    @property
    def file(self) -> str:
        return self.built.file

    @property
    def stream_pace(self) -> float | None:
        """The pace its stream token names (audio_token): a variant's, None for the prebuilt track."""
        return self.pace if self.variant else None

    @property
    def approximate(self) -> bool:
        """Is this the nearest pace there is as audio rather than the one asked for?"""
        return self.wanted_pace is not None and abs(self.pace - self.wanted_pace) >= NEAR_PACE

    @property
    def recipe(self) -> str:
        """The short recipe (audio_token.short_recipe): the track's version in tokens and URLs."""
        return short_recipe(self.built.recipe)

    @property
    def title(self) -> str:
        return self.built.title

    @property
    def duration_ms(self) -> int:
        return self.built.duration_ms

    @property
    def chapters(self) -> tuple[Chapter, ...]:
        return self.built.chapters

    def chapter_at(self, offset_ms: int) -> Chapter:
        """The chapter playing at `offset_ms` (the first or last one outside the track)."""
        return self.built.chapter_at(offset_ms)

    def chapter_for_block(self, block: int) -> Chapter:
        """The chapter holding routine-graph block `block` (the voice mode's place)."""
        return self.built.chapter_for_block(block)

    def find_chapter(self, title: str, index: int) -> Chapter:
        """After a rebuild: the chapter with this title nearest to `index`, else the one at `index`."""
        return self.built.find_chapter(title, index)


class ManifestSource(Protocol):
    def get(self, routine: str) -> Manifest | None: ...


class VariantProvider(Protocol):
    """Full-session tracks at any pace of a grid, made on request (skill/audio_variants.LocalVariants)."""

    def nearest(self, pace: float) -> float: ...

    def full_track(self, manifest: Manifest, level: str, pace: float) -> BuiltTrack | None: ...


class AudioCatalog:
    """Full-session tracks by (routine, level, pace), streamed from `public_url`.

    `public_url` None (or not https) means audio mode is not set up: `track()` always gives None and
    `configured` is False, so the skill says so and carries on by voice. `variants` (next to the build
    only) makes any pace of the grid; without it the paces are the ones the manifest lists.
    """

    def __init__(self, public_url: str | None, manifests: ManifestSource | None,
                 variants: VariantProvider | None = None):
        self.public_url = normalize_public_url(public_url)
        self.manifests = manifests
        self.variants = variants

    @property
    def configured(self) -> bool:
        return self.public_url is not None and self.manifests is not None

    def track(self, routine: str, level: str, pace: float | None = None) -> Track | None:
        """The full session of `routine` at `level` and at `pace` (the routine graph's pace; None: the
        routine's own), or at the nearest pace there is; None when the level is not built."""
        if not self.configured or not _ROUTINE_ID.match(routine):
            return None
        manifest = self.manifests.get(routine)
        if manifest is None:
            return None
        prebuilt = _full_track(manifest, routine, level, self.public_url)
        entry = manifest.levels.get(level)
        if prebuilt is None or pace is None:
            return prebuilt
        chosen, built = self._variant(manifest, entry, pace)
        if built is None or built.duration_ms <= 0 or not built.chapters:
            return replace(prebuilt, wanted_pace=pace)
        return Track(routine=routine, routine_title=prebuilt.routine_title, level=level, pace=chosen,
                     url=track_url(self.public_url, routine, built.file, short_recipe(built.recipe)), built=built,
                     variant=True, wanted_pace=pace)

    def _variant(self, manifest: Manifest, entry: Level, pace: float) -> tuple[float, BuiltTrack | None]:
        """The pace to play for `pace` and its track; None for the prebuilt one."""
        if self.variants is not None:
            # The routine's own pace may be off the grid (1.13): then it is the prebuilt track's.
            chosen, _ = nearest_of(pace, [(entry.pace, None), (self.variants.nearest(pace), None)])
            if _same(chosen, entry.pace):
                return entry.pace, None
            return chosen, self.variants.full_track(manifest, entry.name, chosen)
        return nearest_of(pace, [(entry.pace, None), *((p.pace, p.track) for p in entry.paces)])


def nearest_of(pace: float, choices: Iterable[tuple[float, BuiltTrack | None]]) -> tuple[float, BuiltTrack | None]:
    """The choice whose pace is nearest to `pace`; of two as near, the slower (as paces.nearest_pace):
    holding a little longer is safer than rushing."""
    return min(choices, key=lambda choice: (abs(choice[0] - pace), -choice[0]))


def _same(a: float, b: float) -> bool:
    return abs(a - b) < 1e-6


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


def _full_track(manifest: Manifest, routine: str, level: str, public_url: str) -> Track | None:
    """The level's full-session track, if it was built and lasts more than nothing."""
    entry = manifest.levels.get(level)
    full = entry.full if entry is not None else None
    if full is None or full.duration_ms <= 0:
        return None
    if not full.chapters:  # a track without chapters is one chapter
        title = full.title or manifest.title or routine
        full = full._replace(chapters=(Chapter(0, title, 0, full.duration_ms, 0),))
    return Track(routine=routine, routine_title=manifest.title or routine, level=level, pace=entry.pace,
                 url=track_url(public_url, routine, full.file, short_recipe(full.recipe)), built=full)


# --------------------------------------------------------------------------------------------------
# Manifest sources
# --------------------------------------------------------------------------------------------------


class LocalManifests:
    """Manifests under an output folder, through the one reader (audio_builder.manifest.load_manifest),
    which parses a file again only when it changes (a rebuild renames a new one into place): the skill
    follows rebuilds without a restart. Thread-safe."""

    def __init__(self, output_dir: str | os.PathLike[str]):
        self.output_dir = Path(output_dir)

    def get(self, routine: str) -> Manifest | None:
        return load_manifest(self.output_dir / routine, on_error=_warn)


Fetch = Callable[[str, float], bytes]  # (url, timeout seconds) -> body; raises on failure


def http_fetch(url: str, timeout: float) -> bytes:
    import requests

    response = requests.get(url, timeout=timeout, headers={"Cache-Control": "no-cache"})
    response.raise_for_status()
    return response.content


class RemoteManifests:
    """Manifests fetched from the published copy (public URL) and read by the same reader as local ones
    (audio_builder.manifest.parse_manifest). Cached for `ttl` seconds; when a refresh fails the last
    good copy is used (stale beats silent), and a failure is not retried for `ttl` either, so an
    outage costs one slow request per routine per minute, not every request."""

    def __init__(self, public_url: str, fetch: Fetch = http_fetch, ttl: float = 60.0, timeout: float = 2.0,
                 clock: Callable[[], float] = time.monotonic):
        self.public_url = public_url.rstrip("/")
        self.fetch, self.ttl, self.timeout, self.clock = fetch, ttl, timeout, clock
        self._cache: dict[str, tuple[float, Manifest | None]] = {}
        self._lock = threading.Lock()

    def get(self, routine: str) -> Manifest | None:
        now = self.clock()
        with self._lock:
            cached = self._cache.get(routine)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        url = f"{self.public_url}/{routine}/{MANIFEST_NAME}"
        try:
            manifest = parse_manifest(self.fetch(url, self.timeout), url)
        except Exception as exc:  # network, HTTP status, a malformed manifest: all mean "could not refresh"
            log.warning("cannot fetch %s: %s: %s", url, type(exc).__name__, exc)
            manifest = cached[1] if cached is not None else None
        with self._lock:
            self._cache[routine] = (now, manifest)
        return manifest


def _warn(message: str) -> None:
    log.warning("cannot read %s", message)
