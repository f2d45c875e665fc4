"""How long a routine takes, and how much of it is left: one answer for every place that says it.

A built full-session track (skill/audio_tracks.py) knows its real length, to the frame; the routine
graph only estimates speech from words per minute, which can be minutes off. So when the track of
the routine and level is built, lengths come from it, and the graph adds only the difference that a
pace other than the track's makes (the silences a pace stretches are exact either way); without a
build, they are the graph's estimate. Opening the skill, "where am I" and the audio version all ask
here, so the voice guide and the audio version never announce different lengths for the same thing.
"""
from __future__ import annotations

from typing import Protocol

from routine_graph.graph import Graph

from .audio_tracks import AudioCatalog, Track
from .routines import Course, RoutineLibrary


class Sources(Protocol):
    """Where lengths come from: the built tracks and the routines (handlers.base.Deps is one)."""

    @property
    def audio(self) -> AudioCatalog: ...

    @property
    def library(self) -> RoutineLibrary: ...


def routine_seconds(sources: Sources, course: Course) -> float:
    """The whole routine at the course's level and pace."""
    return seconds_left(sources, course, 0, 0)


def seconds_left(sources: Sources, course: Course, block: int, part: int = 0) -> float:
    """From the start of (block, part) to the end of the routine."""
    estimate = course.seconds_from(block, part)
    built = _as_built(sources, course)
    if built is None:
        return estimate
    track, as_built = built
    chapter = next(c for c in track.chapters if c.block == block)
    # What the track really takes from this block on, less what the graph estimates for the same
    # stretch at the track's pace, is the estimate's error: it holds at any pace.
    real = max(0.0, (track.duration_ms - chapter.start_ms) / 1000)
    return max(0.0, estimate + real - as_built.seconds_from(block, 0))


def track_seconds_left(track: Track, offset_ms: int = 0) -> float:
    """What is left of a track played from `offset_ms` (the audio version plays at the track's pace)."""
    return max(0, track.duration_ms - offset_ms) / 1000


def built_from(track: Track, graph: Graph) -> bool:
    """Was `track` built from this graph's blocks? (Not from an older version of the routine: then
    its chapters name other blocks, and its length says nothing about this one.)"""
    return len(track.chapters) == len(graph.blocks) and all(
        chapter.block == block.index and chapter.title == block.title for chapter, block in zip(track.chapters, graph.blocks))


def _as_built(sources: Sources, course: Course) -> tuple[Track, Course] | None:
    graph = course.graph
    track = sources.audio.track(graph.routine_id, graph.level)
    if track is None:
        return None
    as_built = course if abs(track.pace - graph.pace) < 1e-6 else sources.library.course(graph.routine_id, graph.level,
                                                                                      track.pace)
    if as_built is None or not built_from(track, as_built.graph):
        return None
    return track, as_built
