"""A track at any level and pace, assembled on request from cached cue pieces: a variant.

A track is its ID3 tag, then cue pieces and runs of silent frames (docs/architecture.md, "MP3 and
timing"), so the track of (routine, level, pace, part) needs no synthesis and no encoding: the graph
at that pace gives the timeline, the timeline gives the layout (writer.track_segments, the one layout
a build writes too), and any byte range of the file is read by walking that layout. Nothing holds the
whole file: a segment is a cached piece's bytes, the tag, or a count of silent frames sliced from one
shared block.

A variant is exactly what a build at that pace writes (the same tag, captions, chapters and recipe, from
level_build's functions); at the routine's own pace its recipe is the prebuilt track's.

The API others build on (the web player; the skill's audio version and `publish --paces` next):
- `variant_file(level, pace, part)`: where a variant lives, relative to its routine's folder
  ("standard/pace-1.25/full-session.mp3"), the layout the web player serves under /media and a
  publish of variants uploads; `variant_url(routine, level, pace, part, base)` is the whole address.
- `assemble(graph, spec, pieces, fmt, settings)` -> `Variant`: its manifest `Track` (chapters, cues,
  silences, size, recipe), `etag`, `tag`, `vtt`, and `chunks(start, end)` for bytes [start, end).
- variant_source.VariantSource finds the routine, graph and cached pieces for a built routine.
"""
from __future__ import annotations

import hashlib
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from typing import Callable, Iterator, Mapping

from routine_graph.graph import Graph

from .manifest import Track
from .mp3 import EncodedPiece, Mp3Format
from .paces import pace_label
from .timeline import Timeline
from .tracks import TrackSpec
from .writer import Segment, SilentRun

__all__ = ["Variant", "assemble", "variant_file", "variant_url"]

PACE_FOLDER_PREFIX = "pace-"


def variant_file(level: str, pace: float, part: str, ext: str = "mp3") -> str:
    """The variant's path relative to its routine's folder: "standard/pace-1.25/full-session.mp3"
    (`part` is a track's stem: "full-session", "02-lift"; `ext` "mp3" or "vtt")."""
    return f"{level}/{PACE_FOLDER_PREFIX}{pace_label(pace)}/{part}.{ext}"


def variant_url(routine_id: str, level: str, pace: float, part: str, base: str = "", ext: str = "mp3") -> str:
    """base + "/" + routine + "/" + variant_file(...): the same layout as a built track's URL
    (skill/audio_tracks.track_url), so a base that serves built tracks serves variants beside them.
    The web player's base is its /media route."""
    return f"{base.rstrip('/')}/{routine_id}/{variant_file(level, pace, part, ext)}"


@dataclass(frozen=True)
class Variant:
    """One assembled track: its record, validators and captions, and its bytes by range."""

    track: Track  # as the manifest would record it: file, captions, chapters, cues, silences, bytes, recipe
    etag: str  # strong: the recipe and the bytes of every piece it uses
    vtt: str  # the captions (WebVTT)
    timeline: Timeline
    segments: tuple[Segment, ...]  # the file's layout: tag, then pieces and silent runs
    offsets: tuple[int, ...]  # where each segment starts, then the size
    silence: bytes  # the block silent runs are sliced from (a whole number of frames)

    @property
    def size(self) -> int:
        return self.offsets[-1]

    @property
    def recipe(self) -> str:
        return self.track.recipe

    @property
    def tag(self) -> bytes:
        return self.segments[0]

    def chunks(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Bytes [start, end) of the file (end: the size), in chunks no bigger than a piece or the
        silence block; only the segments the range touches are read."""
        end = self.size if end is None else min(end, self.size)
        start = max(start, 0)
        i = bisect_right(self.offsets, start) - 1
        while start < end:
            first, last = self.offsets[i], self.offsets[i + 1]
            a, b = start - first, min(end, last) - first
            segment = self.segments[i]
            if isinstance(segment, SilentRun):
                yield from self._silent(a, b)
            else:
                yield segment if a == 0 and b == len(segment) else segment[a:b]
            start = first + b
            i += 1

    def _silent(self, a: int, b: int) -> Iterator[bytes]:
        # Every frame of a run is the same, and the block is whole frames: byte k of a run is byte
        # k mod len(block) of the block.
        block, size = self.silence, len(self.silence)
        while a < b:
            k = a % size
            n = min(size - k, b - a)
            yield block if n == size else block[k:k + n]
            a += n


def assemble(graph: Graph, spec: TrackSpec, pieces: Mapping[str, EncodedPiece], fmt: Mp3Format, settings: dict,
             digest: Callable[[str], str] | None = None) -> Variant:
    """The variant of `spec`'s blocks of `graph` (expanded at the variant's level and pace) from
    `pieces` (every cue the graph says: timeline.cue_texts). `settings` are the build's, as its
    manifest records them (they are in the recipe); `digest(text)` is a piece's content hash (sha256
    of its bytes when not given). Raises timeline.TimelineError when the routine does not fit that pace."""
    from .id3 import build_id3_tag
    from .level_build import manifest_track, track_recipe, track_tag_fields
    from .timeline import build_timeline
    from .writer import silence_block, track_segments, vtt_text

    timeline = build_timeline(graph, spec.blocks, pieces.__getitem__, fmt.sample_rate, fmt.frame_samples)
    tag_fields = track_tag_fields(graph, spec, timeline)
    recipe = track_recipe(timeline, tag_fields, fmt, settings)
    segments = tuple(track_segments(timeline, pieces, build_id3_tag(**tag_fields)))
    frame = fmt.frame_bytes
    offsets = tuple(accumulate((s.frames * frame if isinstance(s, SilentRun) else len(s) for s in segments),
                               initial=0))
    track = manifest_track(spec, variant_file(graph.level, graph.pace, spec.stem),
                           variant_file(graph.level, graph.pace, spec.stem, "vtt"), offsets[-1], recipe, timeline)
    digest = digest or (lambda text: hashlib.sha256(pieces[text].data).hexdigest())
    # The recipe names each cue by its text; a cue cache entry made again (cleared, damaged) may hold
    # other, equally valid audio for the same text, so the ETag also covers the pieces' bytes: a
    # client's If-Range never splices bytes of two different files.
    used = dict.fromkeys(clip.text for clip in timeline.clips if clip.text is not None)
    etag = hashlib.sha256("\n".join([recipe, *(digest(text) for text in used)]).encode()).hexdigest()[:40]
    return Variant(track=track, etag=etag, vtt=vtt_text(timeline), timeline=timeline, segments=segments,
                   offsets=offsets, silence=silence_block(fmt))
