"""Audio mode intents: "play the audio version", and the built-in intents while the audio is in charge.

`PlayAudioHandler` serves both modes (so do the loop/shuffle handlers, in loop_shuffle.py). The
`Audio*` handlers share intents with the voice handlers (next, pause, where am I, ...): they are
registered first and take the intent only when the audio is in charge (audio_flow), so the voice
guide keeps answering exactly as before otherwise. What other handlers share with these (the track
to play, resuming it) is in audio_resume.py.
"""
from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from ..audio_player import rewound
from ..audio_state import FINISHED
from ..audio_tracks import Chapter, Track
from ..course_words import minutes_phrase, where_phrase
from ..durations import track_seconds_left
from ..session_state import MODE_AUDIO, MODE_VOICE
from ..speech import esc
from .audio_flow import (NEXT, PREVIOUS, audio_in_charge, current_spot, current_track, halt, note_sentence, playing_now,
                         respond, start_stream, step_chapter, stop_stream)
from .audio_resume import REPROMPT_AUDIO, available_track, nearest_pace_sentence, resume_audio, voice_instead
from .base import IntentHandler, Turn
from .flow import no_routines, resume_target
from .routine import routine_named, switch_routine, unknown_routine
from .safety import HurtsIntentHandler


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


def _sentences(*parts: str) -> str:
    return " ".join(part for part in parts if part)


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
