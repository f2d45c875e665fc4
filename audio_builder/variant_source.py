"""Variants of a built routine (variants.py), from its routine file and the cue cache, never synthesizing.

A variant must be the build's routine at another pace, spoken by the build's voice: the routine file is
the one the manifest names, unchanged since (its sha256), and every piece comes from the cue cache
under the key the build used (CueSynthesizer.key, from the manifest's voice and format). When that
cannot hold, `VariantUnavailable` says what to do, with the HTTP status a server answers:
- 409 `RoutineChanged`: the routine file changed (or went) since the last build;
- 503 `CuesMissing`: a cue is not in the cache (cleared, another --cache-dir, a build from before
  variants); building again makes it;
- 422 `PaceDoesNotFit`: the routine's timing does not work at that pace (a hold with tones and counts
  made too short for them).

Expanded graphs and their pieces are kept for the last few (routine, level, pace) asked for, and
every part is assembled once, when first asked for: a page and the range requests of its audio
element then cost a dictionary look-up.
"""
from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from pathlib import Path, PurePosixPath

from .manifest import Level, Manifest
from .mp3 import EncodedPiece, Mp3Format
from .paces import pace_label
from .variants import Variant, assemble

__all__ = ["CuesMissing", "PaceDoesNotFit", "RoutineChanged", "VariantSet", "VariantSource", "VariantUnavailable"]

BUILD_AGAIN = "run back-routine build"


class VariantUnavailable(Exception):
    """A variant that cannot be made now; `status` is the HTTP status to answer with."""

    status = 503

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RoutineChanged(VariantUnavailable):
    status = 409


class CuesMissing(VariantUnavailable):
    status = 503


class PaceDoesNotFit(VariantUnavailable):
    status = 422


class VariantSet:
    """Every part of one routine at one level and pace, each assembled once, when first asked for."""

    def __init__(self, manifest: Manifest, graph, pieces: dict[str, EncodedPiece], digests: dict[str, str],
                 fmt: Mp3Format) -> None:
        from .tracks import track_specs

        self.manifest = manifest
        self.graph = graph
        self.pieces = pieces
        self.fmt = fmt
        self._digests = digests
        self._specs = {spec.stem: spec for spec in track_specs(graph)}
        self._parts: dict[str, Variant] = {}
        self._lock = threading.Lock()

    @property
    def level_name(self) -> str:
        return self.graph.level

    @property
    def pace(self) -> float:
        return self.graph.pace

    @property
    def stems(self) -> list[str]:
        """The parts, full session first, as the build names its tracks."""
        return list(self._specs)

    def part(self, stem: str) -> Variant | None:
        """The variant of the track `stem` ("full-session", "02-lift"), or None for no such track;
        PaceDoesNotFit when the routine's timing does not work at this pace."""
        from .timeline import TimelineError

        spec = self._specs.get(stem)
        if spec is None:
            return None
        with self._lock:  # a page and its audio element's requests come together: assemble once
            found = self._parts.get(stem)
            if found is None:
                try:
                    found = assemble(self.graph, spec, self.pieces, self.fmt, self.manifest.settings,
                                     self._digests.__getitem__)
                except TimelineError as exc:
                    raise PaceDoesNotFit(f"“{self.manifest.title or self.manifest.routine}” cannot be played at "
                                         f"pace {pace_label(self.pace)}: {exc}") from None
                self._parts[stem] = found
            return found

    def level(self) -> Level:
        """Every part as a manifest Level (tracks with chapters, sizes and durations), for pages."""
        tracks = tuple(self.part(stem).track for stem in self._specs)
        return Level(name=self.graph.level, duration_ms=tracks[0].duration_ms, playlist="", tracks=tracks,
                     pace=self.graph.pace)


class VariantSource:
    """Variants of the routines built into an output folder, from `routines_dir` (the routine files)
    and `cache_dir` (the cue cache the build used)."""

    def __init__(self, routines_dir: str | Path, cache_dir: str | Path, keep: int = 8,
                 keep_piece_bytes: int = 64_000_000) -> None:
        self.routines_dir = Path(routines_dir)
        self.cache_dir = Path(cache_dir)
        self.keep = keep
        self.keep_piece_bytes = keep_piece_bytes
        self._sets: OrderedDict[tuple, VariantSet] = OrderedDict()
        self._routines: dict[str, object] = {}  # source sha256 -> parsed routine (the last few)
        # cue key -> (piece, sha256 of its bytes): another pace of a routine says the same cues but a
        # few count words, so a new pace reads (and checks) only those from the cache.
        self._pieces: dict[str, tuple[EncodedPiece, str]] = {}
        self._piece_bytes = 0
        self._lock = threading.Lock()

    @staticmethod
    def preload() -> None:
        """Import what assembling needs (routine models, expansion, tags), so that a server's first
        variant does not pay for the imports: create_blueprint calls this once."""
        import mutagen.id3  # noqa: F401
        import routine_graph.expansion  # noqa: F401
        import routine_graph.loader  # noqa: F401

        from . import cue_cache, id3, level_build, timeline  # noqa: F401

    def variant_set(self, manifest: Manifest, level: str, pace: float) -> VariantSet:
        """`manifest`'s routine at `level` (one it has) and `pace`; VariantUnavailable when it cannot be made."""
        settings_key = json.dumps(manifest.settings, sort_keys=True)
        key = (manifest.routine, manifest.source_sha256, settings_key, level, round(pace, 3))
        with self._lock:
            found = self._sets.get(key)
            if found is not None:
                self._sets.move_to_end(key)
        routine = self._routine(manifest)  # checked on every call: an edited file is refused at once
        if found is not None:
            return found
        made = self._make(manifest, routine, level, pace)
        with self._lock:
            self._sets[key] = made
            while len(self._sets) > self.keep:
                self._sets.popitem(last=False)
        return made

    # -- steps ----------------------------------------------------------------------------------------

    def _routine(self, manifest: Manifest):
        """The routine the manifest was built from, if its file is still exactly that."""
        from routine_graph import RoutineError, load_routine

        name = manifest.source_file
        path = self.routines_dir / name
        if not name or PurePosixPath(name).name != name or name.startswith("."):
            raise RoutineChanged(f"The build does not name its routine file: {BUILD_AGAIN}")
        try:
            source = path.read_bytes()
        except OSError:
            raise RoutineChanged(f"The routine file {name} is not in {self.routines_dir}: {BUILD_AGAIN}, or serve "
                                 "with the routines folder it was built from") from None
        sha256 = hashlib.sha256(source).hexdigest()
        if sha256 != manifest.source_sha256:
            raise RoutineChanged(f"The routine file {name} has changed since the last build: {BUILD_AGAIN}")
        with self._lock:
            routine = self._routines.get(sha256)
        if routine is None:
            try:
                routine = load_routine(path)
            except (RoutineError, OSError) as exc:
                raise RoutineChanged(f"The routine file {name} cannot be read ({exc}): {BUILD_AGAIN}") from None
            with self._lock:
                while len(self._routines) >= self.keep:
                    self._routines.pop(next(iter(self._routines)))
                self._routines[sha256] = routine
        return routine

    def _make(self, manifest: Manifest, routine, level: str, pace: float) -> VariantSet:
        from routine_graph import expand

        from .cue_cache import CueCache, CueCacheError, CueSynthesizer
        from .timeline import cue_texts
        from .tones import is_tone
        from .voice import Voice

        try:
            voice = Voice.from_settings(manifest.settings)
            fmt = Mp3Format(int(manifest.settings["sample_rate"]), int(manifest.settings["bitrate_kbps"]))
        except (KeyError, ValueError, TypeError):
            raise CuesMissing(f"The build's settings do not name its voice and format: {BUILD_AGAIN}") from None
        if level not in routine.levels:
            raise RoutineChanged(f"The routine has no level {level!r}: {BUILD_AGAIN}")
        graph = expand(routine, level, pace)
        # The build's key for each cue, without its engine: nothing is synthesized here.
        keys = CueSynthesizer(engine=None, cache=CueCache(self.cache_dir), fmt=fmt, voice=voice)
        pieces: dict[str, EncodedPiece] = {}
        digests: dict[str, str] = {}
        missing = []
        for text in cue_texts(graph):
            if is_tone(text):
                pieces[text] = _tone(text, fmt)
                digests[text] = hashlib.sha256(pieces[text].data).hexdigest()
                continue
            key = keys.key(text)
            with self._lock:
                known = self._pieces.get(key)
            if known is not None:
                pieces[text], digests[text] = known
                continue
            try:
                piece = keys.cache.get(key)
            except CueCacheError:
                raise CuesMissing(f"The cue cache {self.cache_dir} cannot be read: make it readable by the server "
                                  f"(or serve with the --cache-dir the build used), and {BUILD_AGAIN}") from None
            if piece is None:
                missing.append(text)
            else:
                pieces[text], digests[text] = piece, hashlib.sha256(piece.data).hexdigest()
                self._keep_piece(key, piece, digests[text])
        if missing:
            shown = ", ".join(repr(t) for t in missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
            raise CuesMissing(f"The cue cache {self.cache_dir} does not have {len(missing)} cue(s) this pace "
                              f"says ({shown}): {BUILD_AGAIN} to make them")
        return VariantSet(manifest, graph, pieces, digests, fmt)

    def _keep_piece(self, key: str, piece: EncodedPiece, digest: str) -> None:
        with self._lock:
            if self._piece_bytes + len(piece.data) > self.keep_piece_bytes:
                self._pieces.clear()  # rare (many routines or voices): start again rather than track ages
                self._piece_bytes = 0
            self._pieces[key] = (piece, digest)
            self._piece_bytes += len(piece.data)


_TONES: dict[tuple[str, Mp3Format], EncodedPiece] = {}


def _tone(text: str, fmt: Mp3Format) -> EncodedPiece:
    """A tone's piece, made in code once per process (the build makes them the same way, uncached)."""
    from .tones import tone_piece

    piece = _TONES.get((text, fmt))
    if piece is None:
        piece = _TONES[(text, fmt)] = tone_piece(text, fmt)
    return piece
