"""AudioPlayer arithmetic and directives, free of any user state: where to (re)start in a track,
which chapter is next or previous, and the Play/Stop directives themselves.

The rules in docs/architecture.md ("Platform facts"): one Play directive per response, a token per stream,
ENQUEUE needs expectedPreviousToken, resuming is REPLACE_ALL with the saved offsetInMilliseconds.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ask_sdk_model.interfaces.audioplayer import (AudioItem, AudioItemMetadata, PlayBehavior, PlayDirective,
                                                  StopDirective, Stream)

from .audio_state import AudioState
from .audio_token import AudioToken
from .audio_tracks import Chapter, Track

REWIND_MS = 3000  # resuming goes back a little, as audiobook players do: you hear where you were
PREVIOUS_RESTARTS_AFTER_MS = 5000  # "previous" well into a chapter restarts it, as media players do

REBUILT, PAST_END = "rebuilt", "past_end"


@dataclass(frozen=True)
class PlayerReport:
    """What Alexa says the device's player is doing (context.AudioPlayer, sent with every request)."""

    token: AudioToken | None  # None: nothing, or another skill's stream, or garbled
    offset_ms: int | None
    activity: str | None  # IDLE, PLAYING, PAUSED, STOPPED, FINISHED, BUFFER_UNDERRUN

    @property
    def playing(self) -> bool:
        return self.token is not None and self.activity in ("PLAYING", "BUFFER_UNDERRUN")


def player_report(request_envelope: Any) -> PlayerReport:
    player = getattr(getattr(request_envelope, "context", None), "audio_player", None)
    if player is None:
        return PlayerReport(None, None, None)
    activity = getattr(getattr(player, "player_activity", None), "value", None)
    offset = getattr(player, "offset_in_milliseconds", None)
    return PlayerReport(AudioToken.parse(getattr(player, "token", None)),
                        offset if isinstance(offset, int) and offset >= 0 else None, activity)


@dataclass(frozen=True)
class Spot:
    """Where to play from in a track, and `note` when it is not simply where the user was."""

    offset_ms: int
    chapter: Chapter
    note: str | None = None  # None, REBUILT (the tracks changed), PAST_END (a bad offset)


def locate(track: Track, audio: AudioState | None, offset_ms: int) -> Spot:
    """The place in `track` for a stream last heard at `offset_ms`.

    If the track was rebuilt since (another recipe, or another file), an offset no longer means the
    same place: go to the start of the same chapter, found by its title (or its index). An offset
    past the end (the track got shorter, or the stored state is damaged) goes to the last chapter.
    """
    if audio is not None and (audio.recipe != track.recipe or audio.file != track.file):
        chapter = track.find_chapter(audio.chapter_title, audio.chapter)
        return Spot(chapter.start_ms, chapter, REBUILT)
    offset_ms = max(0, int(offset_ms))
    if offset_ms >= track.duration_ms:
        chapter = track.chapters[-1]
        return Spot(chapter.start_ms, chapter, PAST_END)
    return Spot(offset_ms, track.chapter_at(offset_ms))


def rewound(spot: Spot) -> int:
    """The offset to resume from: a few seconds back, unless we already moved to a chapter start."""
    if spot.note is not None:
        return spot.offset_ms
    return max(0, spot.offset_ms - REWIND_MS)


def next_chapter(track: Track, chapter: Chapter) -> Chapter | None:
    index = chapter.index + 1
    return track.chapters[index] if index < len(track.chapters) else None


def previous_chapter(track: Track, offset_ms: int) -> Chapter:
    """Well into a chapter: its start; near its start: the chapter before (the first stays put)."""
    chapter = track.chapter_at(offset_ms)
    if offset_ms - chapter.start_ms > PREVIOUS_RESTARTS_AFTER_MS or chapter.index == 0:
        return chapter
    return track.chapters[chapter.index - 1]


def current_offset(audio: AudioState, report: PlayerReport) -> int:
    """The freshest offset: the player's own report when it is about this stream, else the saved one
    (the report is exact to the moment of the request; the saved one is from the last event)."""
    if audio.matches(report.token) and report.offset_ms is not None:
        return report.offset_ms
    return audio.offset_ms


def play_directive(track: Track, token: str, offset_ms: int, *, enqueue_after: str | None = None,
                   subtitle: str | None = None) -> PlayDirective:
    """REPLACE_ALL at `offset_ms`; with `enqueue_after` (the playing stream's token), ENQUEUE after it."""
    stream = Stream(token=token, url=track.url, offset_in_milliseconds=int(offset_ms),
                    expected_previous_token=enqueue_after)
    # Screens show the metadata on their own "now playing" card (no APL needed with AudioPlayer).
    metadata = AudioItemMetadata(title=track.routine_title, subtitle=subtitle or track.title or None)
    behavior = PlayBehavior.ENQUEUE if enqueue_after else PlayBehavior.REPLACE_ALL
    return PlayDirective(play_behavior=behavior, audio_item=AudioItem(stream=stream, metadata=metadata))


def stop_directive() -> StopDirective:
    return StopDirective()
