"""Audio mode: start, pause, resume and move a stream of the built track, and follow Alexa's reports.

Everything here keeps the stream's state in `UserState.audio` (persistent attributes), because the
AudioPlayer and PlaybackController requests that drive most of it have no session. The voice place
(`UserState.place`) follows the audio chapter (each chapter starts a routine-graph block), so a user
can stop listening and say "start" to carry on by voice from the same set, or the other way round.

Replies: in a session (intents) a short sentence may go with the directive and the session ends, as
Alexa requires with Play; without one (events, hardware buttons) only AudioPlayer directives.

Two tracks matter: the stream's own (`stream_track`: the routine, level and pace its token names),
which Alexa's reports are about, and the one the user should hear next (`current_track`: the stream's
routine at the user's level and pace now). They differ after "slower", "harder" and the like; then
`current_spot` carries the stream's place over to the same step of the other (skill/variant_place.py).
"""
from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from ..audio_player import (PAST_END, REBUILT, Spot, current_offset, locate, next_chapter, play_directive, player_report,
                            previous_chapter, stop_directive)
from ..audio_state import FAILED, FINISHED, PAUSED, PLAYING, AudioState
from ..audio_token import AudioToken
from ..audio_tracks import Chapter, Track
from ..session_state import MODE_AUDIO, MODE_VOICE, Place, UserState, iso
from ..speech import esc
from ..variant_place import same_place
from .base import STATE_KEY, Turn, device_supports

FAILED_NOTICE = "The audio version stopped because it couldn't be played, so let's carry on by voice."
NEXT, PREVIOUS = 1, -1  # step_chapter's directions


# -- who answers ------------------------------------------------------------------------------------


def audio_in_charge(handler_input: HandlerInput) -> bool:
    """Do "next", "pause", "where am I"... mean the audio stream rather than the voice guide?

    Yes when the user's last choice was the audio version, or when the device is playing our stream
    right now; never on a device that cannot play audio (the voice guide answers there, from the
    place the audio reached).
    """
    state = handler_input.attributes_manager.request_attributes.get(STATE_KEY)
    if not isinstance(state, UserState) or state.audio is None:
        return False
    if not device_supports(handler_input, "AudioPlayer"):
        return False
    if state.mode == MODE_AUDIO:
        return True
    report = player_report(handler_input.request_envelope)
    return report.playing and report.token.seq >= state.audio.seq


def playing_now(handler_input: HandlerInput) -> bool:
    """Is our stream audible (so "stop" means stop the audio)?"""
    state = handler_input.attributes_manager.request_attributes.get(STATE_KEY)
    if not isinstance(state, UserState) or state.audio is None:
        return False
    report = player_report(handler_input.request_envelope)
    if report.playing and report.token.seq >= state.audio.seq:
        return True
    return state.mode == MODE_AUDIO and state.audio.status == PLAYING and device_supports(handler_input, "AudioPlayer")


# -- starting and stopping --------------------------------------------------------------------------


def start_stream(turn: Turn, track: Track, offset_ms: int, chapter: Chapter, speech: str | None = None) -> Response:
    """REPLACE_ALL: play `track` from `offset_ms` as a new stream (new token), and remember it."""
    state = turn.state
    previous = state.audio
    audio = AudioState(track.routine, track.level, track.file, track.recipe, seq=(previous.seq + 1) if previous else 1,
                       offset_ms=int(offset_ms), status=PLAYING, chapter=chapter.index, chapter_title=chapter.title,
                       loop=previous.loop if previous else False, pace=track.stream_pace)
    state.audio, state.mode, state.routine = audio, MODE_AUDIO, track.routine
    state.clear_question()
    if state.run_started is None or (state.place is not None and state.place.finished):
        state.run_started = iso(turn.now())
    _follow_with_place(state, chapter)
    directive = play_directive(track, audio.token, offset_ms, subtitle=chapter.title)
    return respond(turn, directive, speech)


def stop_stream(turn: Turn) -> Response:
    """Stop, keeping the offset the player reports (exact to this request) as the place to resume."""
    halt(turn)
    return respond(turn)


def halt(turn: Turn) -> None:
    """Add a Stop directive and remember where the stream stopped (the reply is left to the caller)."""
    state = turn.state
    if state.audio is not None:
        offset = current_offset(state.audio, player_report(turn.handler_input.request_envelope))
        state.audio = _at(turn, state.audio, offset, PAUSED)
        _follow_with_place(state, None, turn)
    turn.handler_input.response_builder.add_directive(stop_directive())


def leave_audio(turn: Turn) -> None:
    """The user chose the voice guide: stop a stream that may still be playing underneath it."""
    state = turn.state
    if state.mode != MODE_AUDIO or state.audio is None:
        return
    if state.audio.status == PLAYING:
        offset = current_offset(state.audio, player_report(turn.handler_input.request_envelope))
        state.audio = _at(turn, state.audio, offset, PAUSED)
        if device_supports(turn.handler_input, "AudioPlayer"):
            turn.handler_input.response_builder.add_directive(stop_directive())
    state.mode = MODE_VOICE


def respond(turn: Turn, directive=None, speech: str | None = None) -> Response:
    builder = turn.handler_input.response_builder
    if directive is not None:
        builder.add_directive(directive)
    if turn.speakable:
        if speech:
            return turn.reply(speech, end=True)
        builder.set_should_end_session(True)
    return builder.response


def step_chapter(turn: Turn, track: Track, step: int, *, at_end: str | None = None, speak: bool = True) -> Response:
    """"next" (`step` NEXT) or "previous" (PREVIOUS) in the stream, said or pressed: play the chapter
    after the current one, or before it (or the current one from its start, when well into it:
    audio_player.previous_chapter). When the stream could not be placed exactly (the track was
    rebuilt, or the offset is past its end) the chapter it is taken to be in, from its start, and
    when `speak` a sentence saying why. After the last chapter nothing changes and `at_end` is said."""
    spot = current_spot(turn, track)
    if spot.note:
        target = spot.chapter
    elif step == NEXT:
        target = next_chapter(track, spot.chapter)
    else:
        target = previous_chapter(track, spot.offset_ms)
    if target is None:
        return respond(turn, None, at_end)
    return start_stream(turn, track, target.start_ms, target, (note_sentence(spot) or None) if speak else None)


# -- where the stream is ----------------------------------------------------------------------------


def current_track(turn: Turn) -> Track | None:
    """The track to play on with: the stream's routine at the user's level and pace now (the stream's
    own track when that is not built, or the user has since chosen another routine)."""
    audio = turn.state.audio
    if audio is None:
        return None
    course = turn.course() if turn.state.routine == audio.routine else None
    if course is not None:
        graph = course.graph
        track = turn.deps.audio.track(graph.routine_id, graph.level, graph.pace)
        if track is not None:
            return track
    return stream_track(turn, audio)


def stream_track(turn: Turn, audio: AudioState | None = None) -> Track | None:
    """The track of the stream `audio` (default: the user's), as its token names it."""
    audio = audio or turn.state.audio
    return turn.deps.audio.track(audio.routine, audio.level, audio.pace) if audio is not None else None


def current_spot(turn: Turn, track: Track) -> Spot:
    """Where in `track` the user's stream is: its offset, or in another variant of the stream's track
    (the user changed pace or level since), the same step there."""
    audio = turn.state.audio
    offset = current_offset(audio, player_report(turn.handler_input.request_envelope))
    if track.file != audio.file and track.routine == audio.routine:
        stream = stream_track(turn, audio)
        if stream is not None and stream.file == audio.file and stream.recipe == audio.recipe \
                and offset < stream.duration_ms:
            mapped = same_place(stream.built, track.built, offset)
            return Spot(mapped, track.chapter_at(mapped))
    return locate(track, audio, offset)


def in_stream(turn: Turn, track: Track) -> bool:
    """Is `track` the very track the user's stream is playing (same file, same build)?"""
    audio = turn.state.audio
    return audio is not None and (audio.file, audio.recipe) == (track.file, track.recipe)


def note_sentence(spot: Spot) -> str:
    if spot.note == REBUILT:
        return (f"The audio was rebuilt since you last listened, so I'm starting {esc(spot.chapter.title)} "
                "from its beginning.")
    if spot.note == PAST_END:
        return f"I couldn't find where you were, so I'm going back to {esc(spot.chapter.title)}."
    return ""


# -- Alexa's reports (AudioPlayer events) -------------------------------------------------------------


def observe(turn: Turn, token_text: object, offset_ms: object, status: str) -> AudioState | None:
    """Take in an event about a stream: its offset and status become the user's audio state.

    Ignored (None): tokens that are not ours or do not parse, and stale events about a stream we
    already replaced (a lower seq). A token of ours with no saved state (the save after Play failed,
    or the state was damaged) is adopted: the token alone says which routine, level and build.
    """
    token = AudioToken.parse(token_text)
    if token is None:
        turn.deps.log.info("AudioPlayer event with a token that is not ours: %.80r", token_text)
        return None
    state = turn.state
    previous = state.audio
    if previous is not None and token.seq < previous.seq:
        return None  # a late event about a replaced stream
    offset = offset_ms if isinstance(offset_ms, int) and offset_ms >= 0 else (previous.offset_ms if previous else 0)
    pace = token.pace
    if pace is None and previous is not None and previous.recipe == token.recipe \
            and (previous.routine, previous.level) == (token.routine, token.level):
        pace = previous.pace  # a queued replay ("loop on") of the same track names no pace: it is the same one
    if previous is not None and previous.seq == token.seq and (previous.routine, previous.level) == (token.routine, token.level):
        base = previous
    else:
        track = turn.deps.audio.track(token.routine, token.level, pace)
        file = track.file if track is not None else (previous.file if previous is not None else None)
        if not file:
            return None
        base = AudioState(token.routine, token.level, file, token.recipe, token.seq,
                          loop=previous.loop if previous is not None else False, pace=pace)
        # A newer stream than we know of: its Play was sent but not saved. The user is listening.
        state.routine, state.mode = token.routine, MODE_AUDIO
    audio = _at(turn, base.moved(recipe=token.recipe, seq=token.seq), offset, status)
    state.audio = audio
    if status != FINISHED:
        _follow_with_place(state, None, turn)
    return audio


def finished(turn: Turn, token_text: object, offset_ms: object) -> None:
    """The stream played to its end: one completed session in the history (once per stream)."""
    state = turn.state
    audio = observe(turn, token_text, offset_ms, FINISHED)
    if audio is None:
        return
    track = stream_track(turn, audio)
    if not audio.counted:
        pace = track.pace if track is not None else (state.pace or 1.0)
        state.record_completion(audio.routine, audio.level, pace, turn.now(), state.run_started)  # ties its ratings
        state.audio = audio.moved(counted=True)
        state.run_started = None
        last_block = track.chapters[-1].block if track is not None else None
        if last_block is not None:
            state.place = Place(last_block, finished=True)


def failed(turn: Turn, token_text: object, offset_ms: object, error: str) -> None:
    """The device could not play the stream: keep the place, switch to voice, say so next time."""
    audio = observe(turn, token_text, offset_ms, FAILED)
    turn.deps.log.error("audio stream failed for %s: %s", audio.token if audio else token_text, error)
    if audio is not None and audio.seq == turn.state.audio.seq:
        turn.state.mode = MODE_VOICE
        turn.state.notice = FAILED_NOTICE


# -- helpers ------------------------------------------------------------------------------------------


def _at(turn: Turn, audio: AudioState, offset_ms: int, status: str) -> AudioState:
    """`audio` at `offset_ms`, with the chapter there (kept as it was if the track has changed)."""
    track = stream_track(turn, audio)
    chapter, title = audio.chapter, audio.chapter_title
    if track is not None and track.recipe == audio.recipe and track.file == audio.file:
        found = track.chapter_at(min(offset_ms, max(0, track.duration_ms - 1)))
        chapter, title = found.index, found.title
    return audio.moved(offset_ms=int(offset_ms), status=status, chapter=chapter, chapter_title=title)


def _follow_with_place(state: UserState, chapter: Chapter | None, turn: Turn | None = None) -> None:
    """Move the voice place to the start of the routine block the audio is in."""
    if chapter is None and turn is not None and state.audio is not None:
        track = stream_track(turn, state.audio)
        if track is None or track.recipe != state.audio.recipe:
            return
        chapter = track.chapters[min(state.audio.chapter, len(track.chapters) - 1)]
    if chapter is not None and chapter.block is not None:
        state.place = Place(chapter.block)


__all__ = [
    "FAILED", "FINISHED", "NEXT", "PAUSED", "PLAYING", "PREVIOUS", "audio_in_charge", "current_spot", "current_track",
    "failed", "finished", "halt", "in_stream", "leave_audio", "note_sentence", "observe", "playing_now", "respond",
    "start_stream", "step_chapter", "stop_stream", "stream_track",
]
