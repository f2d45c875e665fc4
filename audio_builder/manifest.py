"""manifest.json: what was built from what, as types. Read it with audio_builder/manifest_reader.py.

The build writes it (`Manifest.to_json`); the next build, `publish`, the skill and the web player read
it through `manifest_reader.load_manifest` (a file under an output folder) or `parse_manifest` (bytes
fetched from the published copy): the same `Manifest` either way, or a `ManifestError` that says what
is wrong and where ("levels.standard.tracks[0]: no 'file'").

Standard library only: the skill's Lambda package ships this module and manifest_reader.py.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import Any, NamedTuple

MANIFEST_NAME = "manifest.json"
FORMAT = 1
BUILT_AT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
FULL_KIND = "full"


class ManifestError(ValueError):
    """A manifest.json that is there but is not one this version wrote; the message says where and why."""


# NamedTuples, not dataclasses: as typed and as immutable, and much cheaper to define (the build command
# imports this module on every run, even when all is up to date) and to make (thousands of marks).


class Chapter(NamedTuple):
    index: int  # position in its track
    title: str
    start_ms: int
    end_ms: int
    block: int | None = None  # the routine-graph block the chapter starts


class Cue(NamedTuple):
    start_ms: int
    end_ms: int
    text: str
    kind: str  # speak, switch, count or tone


class Silence(NamedTuple):
    start_ms: int
    end_ms: int
    kind: str  # hold, move, rest or pause
    nominal_ms: int  # the length the routine asked for


class Track(NamedTuple):
    """An MP3 of a level (the full session or a part), its captions, and what is said when in it."""

    file: str  # relative to the routine folder: "standard/full-session.mp3"
    captions: str  # "standard/full-session.vtt"
    kind: str  # full, intro, exercise or outro
    title: str
    duration_ms: int
    bytes: int
    recipe: str  # sha256 of everything the file is made of
    chapters: tuple[Chapter, ...] = ()
    album: str = ""
    number: int = 0
    exercise: int | None = None
    frames: int = 0
    cues: tuple[Cue, ...] = ()
    silences: tuple[Silence, ...] = ()

    def __repr__(self) -> str:
        return f"Track({self.file!r}, {self.kind}, {self.duration_ms} ms, {len(self.chapters)} chapters)"

    @property
    def name(self) -> str:
        """The MP3's file name: "full-session.mp3"."""
        return PurePosixPath(self.file).name

    @property
    def stem(self) -> str:
        """The track's id: "full-session", "02-lean-and-bend"."""
        return PurePosixPath(self.file).stem

    @property
    def captions_name(self) -> str:
        return PurePosixPath(self.captions).name

    # Chapter look-ups, for a track with chapters (the skill gives every track at least one).

    def chapter_at(self, offset_ms: int) -> Chapter:
        """The chapter playing at `offset_ms` (the first or last one outside the track)."""
        current = self.chapters[0]
        for chapter in self.chapters:
            if chapter.start_ms > offset_ms:
                break
            current = chapter
        return current

    def chapter_for_block(self, block: int) -> Chapter:
        """The chapter holding routine-graph block `block`."""
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "captions": self.captions, "kind": self.kind, "title": self.title, "album": self.album,
            "number": self.number, "exercise": self.exercise, "bytes": self.bytes, "recipe": self.recipe,
            "duration_ms": self.duration_ms, "frames": self.frames,
            "chapters": [{"title": c.title, "start_ms": c.start_ms, "end_ms": c.end_ms, "block": c.block}
                         for c in self.chapters],
            "cues": [{"start_ms": c.start_ms, "end_ms": c.end_ms, "text": c.text, "kind": c.kind} for c in self.cues],
            "silences": [{"start_ms": s.start_ms, "end_ms": s.end_ms, "kind": s.kind, "nominal_ms": s.nominal_ms}
                         for s in self.silences],
        }


class PacedTrack(NamedTuple):
    """A level's full session assembled at another pace (audio_builder/variants.py) and published beside
    the built tracks by `publish --paces`: its pace and its track ("standard/pace-1.25/full-session.mp3")."""

    pace: float
    track: Track

    def to_dict(self) -> dict[str, Any]:
        return {"pace": self.pace, **self.track.to_dict()}


class Level(NamedTuple):
    name: str
    duration_ms: int
    playlist: str  # relative to the routine folder: "standard/playlist.m3u8"
    tracks: tuple[Track, ...]
    pace: float = 1.0
    # Only in a published copy of the manifest (publish_paces.py, `--paces`): the other paces uploaded for the
    # skill's audio version. A build never writes it, and readers from before it ignore the key.
    paces: tuple[PacedTrack, ...] = ()
    # The routine file's sha256 this level was built from: `build --level` builds some levels of an edited
    # file and keeps the others, which then differ from the manifest's source_sha256 until built again.
    # "" in manifests from before it was recorded (read as the manifest's own).
    source_sha256: str = ""

    @property
    def full(self) -> Track | None:
        """The whole session in one track, if the build made one."""
        return next((t for t in self.tracks if t.kind == FULL_KIND), None)

    @property
    def parts(self) -> tuple[Track, ...]:
        """The session in parts (introduction, one per exercise, finish), in playlist order."""
        return tuple(t for t in self.tracks if t.kind != FULL_KIND)

    @property
    def playlist_name(self) -> str:
        return PurePosixPath(self.playlist).name

    def track(self, stem: str | None) -> Track | None:
        """The track with this stem; None asks for the default (the full session, else the first)."""
        if stem is None:
            return self.full or (self.tracks[0] if self.tracks else None)
        return next((t for t in self.tracks if t.stem == stem), None)

    def listed(self) -> list[str]:
        """The paths of this level's files, relative to the routine folder: tracks, captions, playlist."""
        return [name for t in self.tracks for name in (t.file, t.captions)] + [self.playlist]

    def files(self) -> dict[str, str]:
        """The same by file name: name -> path relative to the routine folder."""
        return {PurePosixPath(path).name: path for path in self.listed()}

    def to_dict(self) -> dict[str, Any]:
        doc = {"pace": self.pace, "duration_ms": self.duration_ms, "playlist": self.playlist,
               "tracks": [t.to_dict() for t in self.tracks]}
        if self.paces:
            doc["paces"] = [p.to_dict() for p in self.paces]
        if self.source_sha256:
            doc["source_sha256"] = self.source_sha256
        return doc


class Manifest(NamedTuple):
    """A routine's build: what it was made from (source, settings) and, per level, what it made."""

    routine: str  # the routine's id
    levels: dict[str, Level]  # the built ones, in the routine's order
    settings: dict[str, Any]  # audio_builder.settings.settings_doc
    title: str = ""
    description: str = ""
    all_levels: tuple[str, ...] = ()  # every level of the routine, built or not, in its order
    default_level: str | None = None
    source_file: str = ""
    source_sha256: str = ""
    built_at: str = ""  # BUILT_AT_FORMAT, UTC

    @property
    def built_time(self) -> datetime | None:
        try:
            return datetime.strptime(self.built_at, BUILT_AT_FORMAT).replace(tzinfo=timezone.utc)
        except ValueError:
            return None

    @property
    def engine(self) -> str | None:
        """The engine that spoke it (the whole voice: voice.Voice.from_settings(settings))."""
        value = self.settings.get("engine")
        return value if isinstance(value, str) else None

    def level(self, name: str | None) -> Level | None:
        """The built level `name`; None asks for the default level (else the first built one)."""
        if name is None:
            name = self.default_level if self.default_level in self.levels else next(iter(self.levels), None)
        return self.levels.get(name) if name is not None else None

    def listed(self) -> list[str]:
        """Every file the manifest lists, relative to the routine folder, each once."""
        return list(dict.fromkeys(name for level in self.levels.values() for name in level.listed()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "routine": self.routine, "title": self.title, "description": self.description,
            "source_file": self.source_file, "source_sha256": self.source_sha256, "settings": self.settings,
            "all_levels": list(self.all_levels), "default_level": self.default_level, "built_at": self.built_at,
            "levels": {name: level.to_dict() for name, level in self.levels.items()},
        }

    def to_json(self) -> bytes:
        # Compact: indented output takes Python's pure-Python encoder, about 20x slower, and a manifest
        # holds every cue and silence of every track (seconds per rebuild for `serve --watch`).
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False).encode()
