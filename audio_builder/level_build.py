"""One level of a build: its graph -> a timeline per track -> MP3 tracks, captions and a playlist ->
the level's manifest entry. A track is written only when its recipe (the exact frames it is made of,
its tags and the build's settings) differs from the one the previous build recorded."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from routine_graph.graph import Graph

from .errors import BuildError
from .manifest import Chapter, Cue, Level, Silence, Track
from .mp3 import EncodedPiece, Mp3Format
from .output_files import make_dir, write
from .progress import Progress


def build_level(target: Path, graph: Graph, pieces: dict[str, EncodedPiece], fmt: Mp3Format, settings: dict,
                old: Level | None, report, progress: Callable[[str, int], Progress]) -> Level:
    """Write the tracks of `graph`'s level under `target` (reusing those of `old` that are unchanged);
    counts tracks built and skipped, and the audio written, in `report`."""
    from .timeline import TimelineError, build_timeline
    from .tracks import track_specs
    from .writer import m3u8_text

    make_dir(target / graph.level)
    old_tracks = {t.file: t for t in old.tracks} if old else {}
    specs = track_specs(graph)
    bar = progress(f"{graph.routine_id} {graph.level}: tracks", len(specs))
    tracks = []
    for spec in specs:
        try:
            timeline = build_timeline(graph, spec.blocks, pieces.__getitem__, fmt.sample_rate, fmt.frame_samples)
        except TimelineError as exc:
            raise BuildError(str(exc)) from None
        tracks.append(_track(target, graph, spec, timeline, pieces, fmt, settings, old_tracks, report))
        bar.advance()
    bar.done()
    playlist = f"{graph.level}/playlist.m3u8"
    parts = [(t.duration_ms / 1000, t.title, t.name) for t in tracks if t.kind != "full"]
    write(target / playlist, [m3u8_text(parts).encode()])
    return Level(name=graph.level, duration_ms=tracks[0].duration_ms, playlist=playlist, tracks=tuple(tracks),
                 pace=graph.pace)


def _track(target: Path, graph: Graph, spec, timeline, pieces, fmt: Mp3Format, settings: dict,
           old_tracks: dict[str, Track], report) -> Track:
    from .id3 import build_id3_tag
    from .writer import track_chunks, vtt_text

    file = f"{graph.level}/{spec.stem}.mp3"
    captions = f"{graph.level}/{spec.stem}.vtt"
    tag_fields = track_tag_fields(graph, spec, timeline)
    recipe = track_recipe(timeline, tag_fields, fmt, settings)
    previous = old_tracks.get(file)
    path = target / file
    if previous and previous.recipe == recipe and path.is_file() and path.stat().st_size == previous.bytes \
            and (target / captions).is_file():
        report.tracks_skipped += 1
        return previous
    size = write(path, track_chunks(timeline, pieces, fmt, build_id3_tag(**tag_fields)))
    write(target / captions, [vtt_text(timeline).encode()])
    report.tracks_built += 1
    report.audio_seconds += timeline.seconds
    return manifest_track(spec, file, captions, size, recipe, timeline)


def track_tag_fields(graph: Graph, spec, timeline) -> dict:
    """The ID3 tag of a track (id3.build_id3_tag's arguments): the same for a built track and for a
    variant assembled on request (variants.py), whose pace the comment names."""
    from .id3 import Chapter as TagChapter

    ms = timeline.ms
    chapters = [TagChapter(f"ch{i}", c.title, ms(c.start), ms(c.end)) for i, c in enumerate(timeline.chapters)]
    comment = f"Level {graph.level}, pace {graph.pace:g}. Not medical advice: stop on sharp or spreading pain."
    return dict(title=spec.title, album=spec.album, artist="Back Routine", track=(spec.number, spec.total),
                genre="Fitness", comment=comment, chapters=chapters)


def track_recipe(timeline, tag_fields: dict, fmt: Mp3Format, settings: dict) -> str:
    """sha256 of everything a track's file is made of: its frames, its tag, the format and the build's
    settings (the voice). Equal recipes, equal files: a build skips a track whose recipe is unchanged,
    and a variant assembled at the routine's own pace has its prebuilt track's recipe."""
    return _sha256(_canonical({
        "clips": [[c.frames, c.text] for c in timeline.clips],
        "tag": {k: (v if k != "chapters" else [asdict(c) for c in v]) for k, v in tag_fields.items()},
        "fmt": [fmt.sample_rate, fmt.bitrate_kbps], "settings": settings,
    }))


def manifest_track(spec, file: str, captions: str, size: int, recipe: str, timeline) -> Track:
    """The manifest's record of a track written from `timeline` (all times in ms)."""
    ms = timeline.ms
    return Track(
        file=file, captions=captions, kind=spec.kind, title=spec.title, album=spec.album, number=spec.number,
        exercise=spec.exercise, bytes=size, recipe=recipe, duration_ms=ms(timeline.total_samples),
        frames=timeline.total_frames,
        chapters=tuple(Chapter(i, c.title, ms(c.start), ms(c.end), c.block) for i, c in enumerate(timeline.chapters)),
        cues=tuple([_make(Cue, (ms(c.start), ms(c.end), c.text, c.kind)) for c in timeline.cues]),
        silences=tuple([_make(Silence, (ms(s.start), ms(s.end), s.kind, ms(s.nominal))) for s in timeline.silences]),
    )


# Marks are made by the thousand: tuple.__new__ makes the NamedTuple without its Python-level __new__
# (every field is given), four times faster.
_make = tuple.__new__


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _canonical(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
