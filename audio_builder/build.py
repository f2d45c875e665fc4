"""Build a routine's tracks: routine file -> graph per level -> cue pieces -> timelines -> files.

Only what changed is made again: a cue is synthesized once ever (the cue cache), a track is written
only when its recipe (the exact frames it is made of, and its tags) changed, and an unchanged routine
is recognised from its manifest without parsing it.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from .manifest import MANIFEST_NAME, read_manifest
from .progress import Progress

BUILDER_VERSION = "1"
LOCK_NAME = ".build.lock"


class BuildError(Exception):
    """A build that cannot go on; the message says why and what to do. Nothing built is lost."""


class BuildInputError(BuildError):
    """The routine file or the build's options are wrong, found before anything was written: the
    same mistake `validate` reports, and the same exit status (2) as every command's bad input."""


@dataclass(frozen=True)
class BuildSettings:
    engine: str = "piper"
    voice: str | None = None
    rate: float = 1.0
    sample_rate: int = 24000
    bitrate_kbps: int = 64
    engine_options: tuple[tuple[str, str], ...] = ()

    def make_engine(self):
        from .engines.base import EngineError
        from .engines.registry import available_engines, get_engine

        if self.engine not in available_engines():
            raise BuildInputError(f"unknown engine {self.engine!r}; choose one of: {', '.join(available_engines())}")
        try:
            return get_engine(self.engine, **dict(self.engine_options))
        except EngineError as exc:
            # Options the engine does not take are a usage mistake; anything else (a voice package
            # missing, a library that will not load) is this machine's.
            error = BuildInputError if isinstance(exc.__cause__, TypeError) else BuildError
            raise error(str(exc)) from None

    def check_format(self) -> None:
        from .mp3 import Mp3Format

        if not 0.25 <= self.rate <= 4.0:
            raise BuildInputError(f"speaking rate {self.rate:g} is out of range; use 0.25 to 4 (1 is normal)")
        try:
            Mp3Format(self.sample_rate, self.bitrate_kbps)
        except ValueError as exc:
            raise BuildInputError(str(exc)) from None


@dataclass
class BuildReport:
    routine: str
    up_to_date: bool = False
    levels: list[str] = field(default_factory=list)
    tracks_built: int = 0
    tracks_skipped: int = 0
    audio_seconds: float = 0.0  # of the tracks written
    cues_synthesized: int = 0
    cues_cached: int = 0
    synthesis_seconds: float = 0.0
    seconds: float = 0.0
    removed: list[str] = field(default_factory=list)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _canonical(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class Builder:
    """Builds routines into `out_dir/<routine>/`, with cues cached in `cache_dir`."""

    def __init__(self, out_dir: Path, cache_dir: Path, settings: BuildSettings = BuildSettings(),
                 progress: Callable[[str, int], Progress] | None = None, log: Callable[[str], None] = lambda _: None,
                 wait_for_lock: bool = True, engine=None):
        self.out_dir = Path(out_dir)
        self.cache_dir = Path(cache_dir)
        self.settings = settings
        self.progress = progress or (lambda label, total: Progress(label, total, enabled=False))
        self.log = log
        self.wait_for_lock = wait_for_lock
        self._engine = engine  # made from settings on first use unless given (tests plug in their own)
        self._synth = None
        self._settings: dict | None = None

    # -- public ---------------------------------------------------------------------------------

    def check_settings(self) -> dict:
        """The settings as recorded in manifests, after checking them: BuildInputError for an
        unknown engine or voice, options the engine does not take, or an impossible MP3 format."""
        self.settings.check_format()
        return self._settings_doc()

    def build(self, routine_file: Path, levels: list[str] | None = None) -> BuildReport:
        started = time.perf_counter()
        routine_file = Path(routine_file)
        routine_id = routine_file.stem
        report = BuildReport(routine_id)
        try:
            source = routine_file.read_bytes()
        except OSError as exc:
            raise BuildInputError(f"cannot read {routine_file}: {exc.strerror or exc}") from None
        settings_doc = self.check_settings()
        target = self.out_dir / routine_id
        routine = None
        if not (target / MANIFEST_NAME).is_file():
            # Nothing built yet, so nothing can be up to date: check the routine before making its
            # folder, so that a refused build leaves nothing behind.
            routine = self._load(routine_file, levels)
        self._make_dir(target)
        with self._lock(target):
            old = read_manifest(target)
            if self._is_up_to_date(old, target, _sha256(source), settings_doc, levels):
                report.up_to_date = True
                report.levels = levels or old["all_levels"]
            else:
                self._build_locked(routine_file, target, source, settings_doc, levels, old, report, routine)
        report.seconds = time.perf_counter() - started
        return report

    def remove_orphans(self, routine_ids: set[str]) -> list[str]:
        """Remove built outputs of routines that no longer exist (only folders we built)."""
        removed = []
        if not self.out_dir.is_dir():
            return removed
        for folder in sorted(self.out_dir.iterdir()):
            if folder.is_dir() and folder.name not in routine_ids and (folder / MANIFEST_NAME).is_file():
                shutil.rmtree(folder)
                removed.append(str(folder))
        return removed

    # -- steps ----------------------------------------------------------------------------------

    def _settings_doc(self) -> dict:
        if self._settings is not None:
            return self._settings
        engine = self._get_engine()
        from .engines.base import EngineError, resolve_voice

        try:
            voice = resolve_voice(engine, self.settings.voice)
        except EngineError as exc:
            raise BuildInputError(str(exc)) from None
        doc = asdict(self.settings)
        doc.update(voice=voice, engine_version=engine.version, builder=BUILDER_VERSION,
                   engine_options=dict(self.settings.engine_options))
        self._settings = doc
        return doc

    def _is_up_to_date(self, old: dict | None, target: Path, source_hash: str, settings_doc: dict,
                       levels: list[str] | None) -> bool:
        if not old or old.get("source_sha256") != source_hash or old.get("settings") != settings_doc:
            return False
        wanted = levels or old.get("all_levels", [])
        for level in wanted:
            entry = old.get("levels", {}).get(level)
            if not entry:
                return False
            for track in entry["tracks"]:
                for name in (track["file"], track["captions"]):
                    path = target / name
                    if not path.is_file() or (name == track["file"] and path.stat().st_size != track["bytes"]):
                        return False
            if not (target / entry["playlist"]).is_file():
                return False
        if levels is None and set(old.get("levels", {})) != set(wanted):
            return False  # a level was removed from the routine: its outputs must go
        return True

    def _load(self, routine_file: Path, levels: list[str] | None):
        from routine_graph import RoutineError, UnknownLevelError, load_routine

        try:
            routine = load_routine(routine_file)
        except RoutineError as exc:
            raise BuildInputError(str(exc)) from None
        unknown = [lv for lv in levels or () if lv not in routine.levels]
        if unknown:
            raise BuildInputError(str(UnknownLevelError(unknown[0], list(routine.levels))))
        return routine

    def _build_locked(self, routine_file: Path, target: Path, source: bytes, settings_doc: dict,
                      levels: list[str] | None, old: dict | None, report: BuildReport, routine=None) -> None:
        from routine_graph import expand

        from .mp3 import Mp3Format
        from .timeline import TimelineError, build_timeline, cue_texts
        from .tracks import track_specs

        if routine is None:
            routine = self._load(routine_file, levels)
        all_levels = list(routine.levels)
        chosen = levels or all_levels
        fmt = Mp3Format(self.settings.sample_rate, self.settings.bitrate_kbps)  # checked in check_settings
        graphs = {level: expand(routine, level) for level in chosen}

        texts: dict[str, None] = {}
        for graph in graphs.values():
            texts.update(dict.fromkeys(cue_texts(graph)))
        pieces = self._pieces(list(texts), fmt, report)

        old_levels = (old or {}).get("levels", {})
        new_levels: dict[str, dict] = {}
        for level, graph in graphs.items():
            level_dir = target / level
            self._make_dir(level_dir)
            old_tracks = {t["file"]: t for t in old_levels.get(level, {}).get("tracks", [])}
            entries = []
            specs = track_specs(graph)
            bar = self.progress(f"{routine.id} {level}: tracks", len(specs))
            for spec in specs:
                try:
                    timeline = build_timeline(graph, spec.blocks, pieces.__getitem__, fmt.sample_rate, fmt.frame_samples)
                except TimelineError as exc:
                    raise BuildError(str(exc)) from None
                entry = self._write_track(target, level, spec, timeline, pieces, fmt, graph, old_tracks, report)
                entries.append(entry)
                bar.advance()
            bar.done()
            playlist = f"{level}/playlist.m3u8"
            from .writer import m3u8_text

            parts = [(e["duration_ms"] / 1000, e["title"], Path(e["file"]).name) for e in entries if e["kind"] != "full"]
            self._write(target / playlist, [m3u8_text(parts).encode()])
            new_levels[level] = {"pace": graph.pace, "duration_ms": entries[0]["duration_ms"], "playlist": playlist,
                                 "tracks": entries}
        report.levels = chosen
        # Levels not asked for this time are kept as they were, unless the routine dropped them.
        for level, entry in old_levels.items():
            if level not in new_levels and level in all_levels:
                new_levels[level] = entry
        manifest = {
            "format": 1, "routine": routine.id, "title": routine.title, "description": routine.description,
            "source_file": routine_file.name, "source_sha256": _sha256(source), "settings": settings_doc,
            "all_levels": all_levels, "default_level": routine.level_default,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "levels": {lv: new_levels[lv] for lv in all_levels if lv in new_levels},
        }
        report.removed = self._remove_stale(target, old, manifest)
        self._write(target / MANIFEST_NAME, [json.dumps(manifest, indent=1, ensure_ascii=False).encode()])

    def _pieces(self, texts: list[str], fmt, report: BuildReport) -> dict:
        from .engines.base import EngineError

        from .tones import is_tone, tone_piece

        synth = self._synthesizer(fmt)
        pieces, missing = {}, []
        for text in texts:
            if is_tone(text):
                pieces[text] = tone_piece(text, fmt)  # made in code in a millisecond: not cached
                continue
            piece = synth.cache.get(synth.key(text))
            if piece is None:
                missing.append(text)
            else:
                pieces[text] = piece
        report.cues_cached += sum(1 for text in pieces if not is_tone(text))
        if missing:
            bar = self.progress("synthesizing cues", len(missing))
            started = time.perf_counter()
            for text in missing:
                try:
                    pieces[text] = synth.piece(text)
                except EngineError as exc:
                    raise BuildError(f"could not synthesize {text!r}: {exc}") from None
                bar.advance()
            bar.done()
            report.synthesis_seconds += time.perf_counter() - started
            report.cues_synthesized += len(missing)
        return pieces

    def _write_track(self, target: Path, level: str, spec, timeline, pieces, fmt, graph, old_tracks: dict,
                     report: BuildReport) -> dict:
        from .id3 import Chapter, build_id3_tag
        from .manifest import track_entry
        from .writer import track_chunks, vtt_text

        file = f"{level}/{spec.stem}.mp3"
        captions = f"{level}/{spec.stem}.vtt"
        ms = timeline.ms
        chapters = [Chapter(f"ch{i}", c.title, ms(c.start), ms(c.end)) for i, c in enumerate(timeline.chapters)]
        comment = f"Level {graph.level}, pace {graph.pace:g}. Not medical advice: stop on sharp or spreading pain."
        tag_fields = dict(title=spec.title, album=spec.album, artist="Back Routine", track=(spec.number, spec.total),
                          genre="Fitness", comment=comment, chapters=chapters)
        recipe = _sha256(_canonical({
            "clips": [[c.frames, c.text] for c in timeline.clips],
            "tag": {k: (v if k != "chapters" else [asdict(c) for c in v]) for k, v in tag_fields.items()},
            "fmt": [fmt.sample_rate, fmt.bitrate_kbps], "settings": self._settings_doc(),
        }))
        previous = old_tracks.get(file)
        path = target / file
        if previous and previous.get("recipe") == recipe and path.is_file() and path.stat().st_size == previous["bytes"] \
                and (target / captions).is_file():
            report.tracks_skipped += 1
            return previous
        tag = build_id3_tag(**tag_fields)
        size = self._write(path, track_chunks(timeline, pieces, fmt, tag))
        self._write(target / captions, [vtt_text(timeline).encode()])
        report.tracks_built += 1
        report.audio_seconds += timeline.seconds
        return track_entry(spec, file, captions, size, recipe, timeline)

    def _remove_stale(self, target: Path, old: dict | None, new: dict) -> list[str]:
        keep = {MANIFEST_NAME, LOCK_NAME}
        for level, entry in new["levels"].items():
            keep.add(level)
            keep.add(entry["playlist"])
            for track in entry["tracks"]:
                keep.update((track["file"], track["captions"]))
        removed = []
        listed = set()
        for level, entry in (old or {}).get("levels", {}).items():
            listed.add(level)
            listed.add(entry["playlist"])
            for track in entry["tracks"]:
                listed.update((track["file"], track["captions"]))
        for name in sorted(listed - keep, key=len, reverse=True):
            path = target / name
            if path.is_dir() and name not in new["levels"]:
                shutil.rmtree(path)
                removed.append(str(path))
            elif path.is_file():
                path.unlink()
                removed.append(str(path))
        # Temp files of an interrupted build are ours too.
        for tmp in target.glob("**/.*.tmp"):
            tmp.unlink(missing_ok=True)
        return removed

    # -- helpers --------------------------------------------------------------------------------

    def _get_engine(self):
        if self._engine is None:
            self._engine = self.settings.make_engine()
        return self._engine

    def _synthesizer(self, fmt):
        if self._synth is None:
            from .cue_cache import CueCache, CueSynthesizer

            self._synth = CueSynthesizer(self._get_engine(), CueCache(self.cache_dir), fmt,
                                         voice=self.settings.voice, rate=self.settings.rate)
        return self._synth

    def _make_dir(self, path: Path) -> None:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BuildError(f"cannot create output folder {path}: {exc.strerror or exc}") from None

    def _write(self, path: Path, chunks) -> int:
        from .writer import write_atomic

        try:
            return write_atomic(path, chunks)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise BuildError(f"the disk is full while writing {path}; the previous files are intact. "
                                 "Free some space and build again.") from None
            raise BuildError(f"cannot write {path}: {exc.strerror or exc}; the previous files are intact") from None

    @contextmanager
    def _lock(self, target: Path) -> Iterator[None]:
        """One build per output folder at a time: a second one waits (or refuses) with a message."""
        try:
            handle = open(target / LOCK_NAME, "a+")
        except OSError as exc:
            handle = self._read_only_lock(target, exc)
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not self.wait_for_lock:
                    raise BuildError(f"another build of {target} is running; try again when it has finished") from None
                self.log(f"another build of {target} is running; waiting for it to finish...")
                fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @staticmethod
    def _read_only_lock(target: Path, exc: OSError):
        """A handle to lock a folder we may only read. Checking that it is up to date writes nothing,
        and flock() needs no write access; a build with work to do fails on its first write instead."""
        if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise BuildError(f"cannot write to {target}: {exc.strerror or exc}") from None
        # The lock file if a build made one, else the folder itself: every build of this folder
        # that cannot write picks the same one.
        path = target / LOCK_NAME if (target / LOCK_NAME).exists() else target
        try:
            return os.fdopen(os.open(path, os.O_RDONLY), "rb", buffering=0)
        except OSError:
            raise BuildError(f"cannot write to {target}: {exc.strerror or exc}") from None
