"""Audio mode intents: "play the audio version", and the built-in intents while the audio is in charge.

`PlayAudioHandler` serves both modes (so do the loop/shuffle handlers, in loop_shuffle.py). The
`Audio*` handlers share intents with the voice handlers (next, pause, where am I, ...): they are
registered first and take the intent only when the audio is in charge (audio_flow), so the voice
guide keeps answering exactly as before otherwise.
"""
from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from ..audio_player import rewound
from ..audio_state import FINISHED
from ..audio_tracks import Chapter, Track
from ..durations import track_seconds_left
from ..routines import Course
from ..session_state import MODE_AUDIO, MODE_VOICE, QUESTION_RESUME_AUDIO
from ..speech import esc
from .audio_flow import (NEXT, PREVIOUS, audio_in_charge, current_spot, current_track, halt, in_stream, note_sentence,
                         playing_now, respond, start_stream, step_chapter, stop_stream)
from .base import IntentHandler, Turn
from .flow import minutes_phrase, no_routines, play, resume_target, start_run, where_phrase
from .routine import routine_named, switch_routine, unknown_routine
from .safety import HurtsIntentHandler

REPROMPT_AUDIO = "Say resume to carry on listening, or start to follow along by voice."


# -- starting the audio version -------------------------------------------------------------------------


class PlayAudioHandler(IntentHandler):
    """'play the audio version', 'play my back routine', 'play the audio version of {routine}'."""

    intent_name = "PlayAudioIntent"

    def respond(self, turn: Turn) -> Response:
        state = turn.state
        wanted, said = routine_named(turn)
        if said and wanted is None:
            return unknown_routine(turn, said, "I can play", "Say, for example, play the audio version of ")
        switch_routine(turn, wanted)
        course = turn.course()
        if course is None:
            return no_routines(turn)
        track, why_not = available_track(turn, course)
        if track is None:
            return voice_instead(turn, course, why_not)
        audio = state.audio
        nearest = nearest_pace_sentence(track)
        # The user's last choice was this stream, not yet finished: carry on with it (at the same step,
        # if their pace changed since). After the voice guide was used, its place is the newer one.
        if audio is not None and state.mode == MODE_AUDIO and audio.status != FINISHED \
                and (audio.routine, audio.level) == (track.routine, track.level):
            spot = current_spot(turn, track)
            lead = note_sentence(spot) or f"Carrying on with the audio version, at {esc(spot.chapter.title)}."
            return start_stream(turn, track, rewound(spot), spot.chapter, _sentences(nearest, lead))
        if state.in_progress and not turn.routine_changed:
            block, _ = resume_target(course, state.place)
            chapter = track.chapter_for_block(block)
            return start_stream(turn, track, chapter.start_ms, chapter, _sentences(
                f"Here's the audio version, from {esc(chapter.title)}.", nearest, "Say pause at any time."))
        first = track.chapters[0]
        return start_stream(turn, track, 0, first, _sentences(
            f"Here's the audio version of {esc(track.routine_title)}. It takes "
            f"{minutes_phrase(track_seconds_left(track))}.", nearest, "Say pause at any time."))


def available_track(turn: Turn, course: Course) -> tuple[Track | None, str]:
    """The full-session track for the user's routine, level and pace (or the nearest pace there is as
    audio), or why it cannot play (one sentence)."""
    if not turn.supports("AudioPlayer"):
        return None, "This device can't play the audio version, so I'll guide you by voice."
    if not turn.deps.audio.configured:
        return None, "The audio version isn't set up for this skill yet, so I'll guide you by voice."
    graph = course.graph
    track = turn.deps.audio.track(graph.routine_id, graph.level, graph.pace)
    if track is None:
        return None, (f"The audio version of {esc(graph.title)} at the {esc(graph.level)} level hasn't been built yet, "
                      "so I'll guide you by voice.")
    return track, ""


def nearest_pace_sentence(track: Track) -> str:
    """When the track is not at the user's pace (only some paces are published): which it is."""
    if not track.approximate:
        return ""
    wanted = track.wanted_pace
    how = "faster" if track.pace < wanted else "slower"
    how = f"a little {how}" if abs(track.pace - wanted) <= 0.3 else how
    return f"The nearest pace I have as audio is {_pace(track.pace)}, {how} than your {_pace(wanted)}."


def _pace(pace: float) -> str:
    return f"{round(pace, 2):g}"


def _sentences(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def audio_adjusted(turn: Turn, said: str) -> Response:
    """After "slower", "faster", "easier" or "harder" while the audio is in charge: the same step of
    the track at the new setting, saying briefly what changed. A paused stream stays paused (resume
    then plays the new track from there); a finished one is not started again."""
    track = current_track(turn)
    if track is None:
        return resume_audio(turn, said)
    lead = _sentences(said, nearest_pace_sentence(track))
    if turn.state.audio.status == FINISHED:
        return turn.reply(f"{lead} Say start over to hear the audio version again.",
                          "Say start over to hear it again, or stop to finish.")
    if not playing_now(turn.handler_input):
        return turn.reply(f"{lead} Say resume to carry on listening.", REPROMPT_AUDIO)
    if in_stream(turn, track):  # no other pace as audio: the stream carries on as it is
        return respond(turn, None, lead)
    spot = current_spot(turn, track)
    return start_stream(turn, track, spot.offset_ms, spot.chapter, _sentences(lead, note_sentence(spot)))


def voice_instead(turn: Turn, course: Course, sentence: str) -> Response:
    """Say why there is no audio, then carry on by voice: from the user's place, or from the start."""
    state = turn.state
    state.mode = MODE_VOICE
    if state.in_progress and not turn.routine_changed:
        block, part = resume_target(course, state.place)
        return play(turn, course, block, part, f"{sentence} Let's carry on where you left off.")
    return start_run(turn, course, lead=sentence)


def resume_audio(turn: Turn, lead: str = "") -> Response:
    """Play on from where the stream stopped, a few seconds back; the start once it was finished."""
    state = turn.state
    track = current_track(turn)
    if track is None:
        if not turn.speakable:
            return respond(turn)
        course = turn.course()
        if course is None:
            return no_routines(turn)
        return voice_instead(turn, course, "The audio version isn't available right now, so I'll guide you by voice.")
    if state.audio.status == FINISHED:
        if turn.speakable:
            return turn.reply("You've finished the audio version. Well done. Say start over to hear it again.",
                              "Say start over to hear it again, or stop to finish.")
        first = track.chapters[0]
        return start_stream(turn, track, 0, first)
    spot = current_spot(turn, track)
    speech = " ".join(s for s in (lead, note_sentence(spot)) if s) or None
    return start_stream(turn, track, rewound(spot), spot.chapter, speech)


def offer_audio_resume(turn: Turn, welcome: str) -> Response:
    """A returning user who was listening: offer to carry on playing."""
    audio = turn.state.audio
    turn.state.ask(QUESTION_RESUME_AUDIO, turn.session_id)
    return turn.reply(f"{welcome} You were listening to the audio version, at {esc(audio.chapter_title or 'the start')}. "
                      "Shall I carry on playing?", "Say yes to carry on playing, or start to follow along by voice.")


def audio_to_resume(turn: Turn) -> bool:
    """Launch: is there a stream to offer to resume (not finished, and this device can play it)?"""
    audio = turn.state.audio
    return (turn.state.mode != MODE_VOICE and audio is not None and audio.status != FINISHED
            and turn.supports("AudioPlayer") and current_track(turn) is not None)


# -- built-in intents while the audio is in charge --------------------------------------------------------


class AudioIntentHandler(IntentHandler):
    """The intent, when the audio is in charge (see audio_flow.audio_in_charge)."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return super().can_handle(handler_input) and audio_in_charge(handler_input)

    def respond(self, turn: Turn) -> Response:
        track = current_track(turn)
        if track is None:  # the tracks are gone (unpublished, or the routine removed)
            return resume_audio(turn)
        return self.respond_with(turn, track)

    def respond_with(self, turn: Turn, track: Track) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError


class AudioHaltHandler(IntentHandler):
    """'pause', 'stop' or 'cancel' (Alexa often sends either as pause during playback) while the audio
    is in charge and our stream is audible: stop it, keeping the place. One class per intent below,
    differing only in `intent_name`."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return super().can_handle(handler_input) and audio_in_charge(handler_input) and playing_now(handler_input)

    def respond(self, turn: Turn) -> Response:
        return stop_stream(turn)


class AudioPauseHandler(AudioHaltHandler):
    intent_name = "AMAZON.PauseIntent"


class AudioStopHandler(AudioHaltHandler):
    intent_name = "AMAZON.StopIntent"


class AudioCancelHandler(AudioHaltHandler):
    intent_name = "AMAZON.CancelIntent"


class AudioResumeHandler(AudioIntentHandler):
    intent_name = "AMAZON.ResumeIntent"

    def respond(self, turn: Turn) -> Response:
        return resume_audio(turn)


class AudioNextHandler(AudioIntentHandler):
    intent_name = "AMAZON.NextIntent"

    def respond_with(self, turn: Turn, track: Track) -> Response:
        if turn.state.audio.status == FINISHED:
            return resume_audio(turn)
        return step_chapter(turn, track, NEXT, at_end="This is the last part of the session.")


class AudioPreviousHandler(AudioIntentHandler):
    intent_name = "AMAZON.PreviousIntent"

    def respond_with(self, turn: Turn, track: Track) -> Response:
        return step_chapter(turn, track, PREVIOUS)


class AudioRepeatHandler(AudioIntentHandler):
    """'repeat': the current chapter from its start."""

    intent_name = "AMAZON.RepeatIntent"

    def respond_with(self, turn: Turn, track: Track) -> Response:
        spot = current_spot(turn, track)
        return start_stream(turn, track, spot.chapter.start_ms, spot.chapter, note_sentence(spot) or None)


class AudioStartOverHandler(AudioIntentHandler):
    intent_name = "AMAZON.StartOverIntent"

    def respond_with(self, turn: Turn, track: Track) -> Response:
        turn.state.run_started = None
        return start_stream(turn, track, 0, track.chapters[0])


class AudioWhereAmIHandler(AudioIntentHandler):
    intent_name = "WhereAmIIntent"

    def respond_with(self, turn: Turn, track: Track) -> Response:
        if turn.state.audio.status == FINISHED:
            return turn.reply("You've finished the audio version. Well done. Say start over to hear it again.",
                              "Say start over to hear it again, or stop to finish.")
        spot = current_spot(turn, track)
        where = chapter_phrase(turn, track, spot.chapter)
        left = _capital(minutes_phrase(track_seconds_left(track, spot.offset_ms)))
        if playing_now(turn.handler_input):
            # Short, because the stream carries on right after it (no directive, the session ends).
            return respond(turn, None, f"{_capital(where)}. {left} left.")
        return turn.reply(f"We paused at {where}. {left} left. Say resume to carry on listening.", REPROMPT_AUDIO)


def chapter_phrase(turn: Turn, track: Track, chapter: Chapter) -> str:
    """A chapter as the voice guide names its place ("Good morning, set two of three"), not as a
    track's chapter list numbers it: the chapters are the routine's blocks, which mean something to
    the listener, and "part 3 of 14" does not. The chapter's own title if the routine has changed
    since the track was built."""
    course = turn.deps.library.course(track.routine, track.level, track.pace)
    block = chapter.block
    if course is None or block is None or not 0 <= block < len(course.graph.blocks) \
            or course.graph.blocks[block].title != chapter.title:
        return esc(chapter.title)
    return where_phrase(course, block)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


class AudioHelpHandler(AudioIntentHandler):
    intent_name = "AMAZON.HelpIntent"

    def respond_with(self, turn: Turn, track: Track) -> Response:
        text = ("You're listening to the audio version. Say pause or resume, next or previous to move between "
                "parts, repeat to hear a part again, or where am I. To follow along by voice instead, "
                "open my back routine and say start.")
        if playing_now(turn.handler_input):
            return respond(turn, None, text)
        return turn.reply(text, REPROMPT_AUDIO)


class AudioHurtsHandler(AudioIntentHandler):
    """'it hurts' while listening: stop the audio first, then the voice guide's safety advice and
    question, which go on by voice from the set the audio reached."""

    intent_name = "HurtsIntent"

    def respond(self, turn: Turn) -> Response:
        if playing_now(turn.handler_input):
            halt(turn)
        turn.state.mode = MODE_VOICE
        return HurtsIntentHandler(self.deps).respond(turn)


AUDIO_INTENT_HANDLERS: tuple[type[IntentHandler], ...] = (
    AudioPauseHandler, AudioStopHandler, AudioCancelHandler, AudioResumeHandler, AudioNextHandler,
    AudioPreviousHandler, AudioRepeatHandler, AudioStartOverHandler, AudioWhereAmIHandler, AudioHelpHandler,
    AudioHurtsHandler,
)
