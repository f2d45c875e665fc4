"""The audio version at the user's pace next to the build: variants assembled in this process.

`serve` with an output folder runs the web player beside the skill, and the web player assembles any
pace of the grid on request (audio_builder/variants.py) at /media/<routine>/<level>/pace-P/<part>.mp3.
The skill streams that URL (audio_tracks.AudioCatalog) and needs the same variant's chapters, cues and
silences to follow the stream; `LocalVariants` makes them with the same VariantSource code, so both
describe the same bytes (a variant is deterministic: the recipe names everything in it).

AudioCatalog asks on every AudioPlayer event, so a variant's track is kept per (routine, the prebuilt
track's recipe, level, pace): a rebuild makes a new recipe, and the routine file and cue cache are read
again only then. Never on Lambda: this module imports the audio builder, which the Lambda zip lacks.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Callable

from audio_builder.manifest import Manifest
from audio_builder.manifest import Track as BuiltTrack

__all__ = ["LocalVariants"]

log = logging.getLogger(__name__)

RETRY_SECONDS = 60.0  # a variant that could not be made (cues missing, say) is tried again after this


class LocalVariants:
    """Full-session tracks at any pace of the grid, from the routine files and cue cache of the build.
    A VariantProvider for audio_tracks.AudioCatalog. Thread-safe."""

    def __init__(self, routines_dir: str | Path, cache_dir: str | Path, keep: int = 64,
                 clock: Callable[[], float] = time.monotonic) -> None:
        from audio_builder.variant_source import VariantSource

        # Two expanded sets at most: the skill needs a variant's track once, then keeps it below.
        self.source = VariantSource(routines_dir, cache_dir, keep=2)
        self.keep = keep
        self.clock = clock
        self._tracks: OrderedDict[tuple, tuple[BuiltTrack | None, float]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def nearest(pace: float) -> float:
        from audio_builder.paces import nearest_pace

        return nearest_pace(pace)

    def full_track(self, manifest: Manifest, level: str, pace: float) -> BuiltTrack | None:
        """`level`'s full session at `pace` (a grid pace), or None when it cannot be made now (the routine
        changed since the build, cues missing, the pace does not fit: logged, and tried again a minute later)."""
        entry = manifest.levels.get(level)
        full = entry.full if entry is not None else None
        if full is None:
            return None
        key = (manifest.routine, full.recipe, level, round(pace, 3))
        now = self.clock()
        with self._lock:
            found = self._tracks.get(key)
            if found is not None and (found[0] is not None or now - found[1] < RETRY_SECONDS):
                self._tracks.move_to_end(key)
                return found[0]
        track = self._make(manifest, level, full.stem, pace)
        with self._lock:
            self._tracks[key] = (track, now)
            self._tracks.move_to_end(key)
            while len(self._tracks) > self.keep:
                self._tracks.popitem(last=False)
        return track

    def _make(self, manifest: Manifest, level: str, stem: str, pace: float) -> BuiltTrack | None:
        from audio_builder.variant_source import VariantUnavailable

        try:
            variant = self.source.variant_set(manifest, level, pace).part(stem)
        except VariantUnavailable as exc:
            log.warning("audio version of %s at %s, pace %s: %s", manifest.routine, level, pace, exc.message)
            return None
        return variant.track if variant is not None else None
