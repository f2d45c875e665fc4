"""AudioPlayer events and PlaybackController commands: requests without a session.

Nobody hears a reply to these, and Alexa accepts only AudioPlayer directives in it. The user's
stream is found from the request's token and the persistent attributes (audio_flow.observe), so
a garbled or foreign token, or a stale event about a replaced stream, changes nothing.

PlaybackNearlyFinished enqueues nothing by default: the full-session track *is* the whole routine,
so when it ends the session is done (PlaybackFinished records it); queueing anything after it would
start a second session nobody asked for. Only "loop on" enqueues the same track again.
"""
from __future__ import annotations

from ask_sdk_model import Response

from ..audio_player import play_directive
from ..audio_state import FINISHED, PAUSED, PLAYING
from ..audio_token import AudioToken
from ..session_state import MODE_AUDIO
from .audio_flow import (NEXT, PREVIOUS, current_track, failed, finished, observe, respond, start_stream, step_chapter,
                         stop_stream)
from .audio_resume import available_track, resume_audio
from .base import RequestTypeHandler, Turn


def _request(turn: Turn):
    return turn.handler_input.request_envelope.request


# -- AudioPlayer events ------------------------------------------------------------------------------------


class PlaybackStartedHandler(RequestTypeHandler):
    request_type = "AudioPlayer.PlaybackStarted"

    def respond(self, turn: Turn) -> Response:
        request = _request(turn)
        if observe(turn, request.token, request.offset_in_milliseconds, PLAYING) is not None:
            turn.state.mode = MODE_AUDIO
        return respond(turn)


class PlaybackStoppedHandler(RequestTypeHandler):
    """Sent after a Stop directive, or when the user interrupts ("Alexa, what time is it?")."""

    request_type = "AudioPlayer.PlaybackStopped"

    def respond(self, turn: Turn) -> Response:
        request = _request(turn)
        observe(turn, request.token, request.offset_in_milliseconds, PAUSED)
        return respond(turn)


class PlaybackNearlyFinishedHandler(RequestTypeHandler):
    request_type = "AudioPlayer.PlaybackNearlyFinished"

    def respond(self, turn: Turn) -> Response:
        request = _request(turn)
        audio = turn.state.audio
        token = AudioToken.parse(request.token)
        if audio is None or not audio.loop or not audio.matches(token):
            return respond(turn)
        track = current_track(turn)
        if track is None:
            return respond(turn)
        # The queued stream gets the next seq; it becomes the user's stream when it starts
        # (PlaybackStarted), so events still to come for this one are not mistaken for stale.
        queued = AudioToken(track.routine, track.level, track.recipe, audio.seq + 1).encode()
        first = track.chapters[0]
        return respond(turn, play_directive(track, queued, 0, enqueue_after=request.token, subtitle=first.title))


class PlaybackFinishedHandler(RequestTypeHandler):
    request_type = "AudioPlayer.PlaybackFinished"

    def respond(self, turn: Turn) -> Response:
        request = _request(turn)
        finished(turn, request.token, request.offset_in_milliseconds)
        return respond(turn)


class PlaybackFailedHandler(RequestTypeHandler):
    request_type = "AudioPlayer.PlaybackFailed"

    def respond(self, turn: Turn) -> Response:
        request = _request(turn)
        # The failing stream may be a queued one, not the one playing: the token says which.
        error = getattr(request, "error", None)
        state = getattr(request, "current_playback_state", None)
        same = state is not None and state.token == request.token
        offset = state.offset_in_milliseconds if same else None
        kind = getattr(getattr(error, "object_type", None), "value", None)
        failed(turn, request.token, offset, f"{kind}: {getattr(error, 'message', None)}")
        return respond(turn)


# -- PlaybackController: the device's buttons and screen controls ---------------------------------------------


class PlayCommandHandler(RequestTypeHandler):
    request_type = "PlaybackController.PlayCommandIssued"

    def respond(self, turn: Turn) -> Response:
        if turn.state.audio is not None:
            return resume_audio(turn)
        course = turn.course()  # no stream yet: start the user's routine from their voice place
        track = available_track(turn, course)[0] if course is not None else None
        if track is None:
            return respond(turn)
        chapter = track.chapter_for_block(turn.state.place.block) if turn.state.in_progress else track.chapters[0]
        return start_stream(turn, track, chapter.start_ms, chapter)


class PauseCommandHandler(RequestTypeHandler):
    request_type = "PlaybackController.PauseCommandIssued"

    def respond(self, turn: Turn) -> Response:
        return stop_stream(turn)


class NextCommandHandler(RequestTypeHandler):
    request_type = "PlaybackController.NextCommandIssued"

    def respond(self, turn: Turn) -> Response:
        track = current_track(turn)
        if track is None or turn.state.audio.status == FINISHED:
            return respond(turn)
        return step_chapter(turn, track, NEXT, speak=False)  # after the last chapter: keep playing


class PreviousCommandHandler(RequestTypeHandler):
    request_type = "PlaybackController.PreviousCommandIssued"

    def respond(self, turn: Turn) -> Response:
        track = current_track(turn)
        if track is None:
            return respond(turn)
        if turn.state.audio.status == FINISHED:
            last = track.chapters[-1]
            return start_stream(turn, track, last.start_ms, last)
        return step_chapter(turn, track, PREVIOUS, speak=False)


PLAYBACK_HANDLERS: tuple[type[RequestTypeHandler], ...] = (
    PlaybackStartedHandler, PlaybackStoppedHandler, PlaybackNearlyFinishedHandler, PlaybackFinishedHandler,
    PlaybackFailedHandler, PlayCommandHandler, PauseCommandHandler, NextCommandHandler, PreviousCommandHandler,
)
