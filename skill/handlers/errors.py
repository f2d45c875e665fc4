"""The last line of defence: any exception becomes a short spoken apology and a log entry.

The user's place survives because state is only saved by the response interceptor, which the SDK
does not run when a handler raised: whatever half-done change the failing handler made is dropped.
"""
from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractExceptionHandler
from ask_sdk_core.exceptions import PersistenceException
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from ..audio_player import player_report, stop_directive
from .audio_flow import playing_now
from .base import Deps

APOLOGY = "Sorry, something went wrong on my side. Your place is safe. Please say that again, or say next to carry on."
# The store (DynamoDB, SQLite) did not answer even after its retries: nothing was changed.
STORE_APOLOGY = ("Sorry, I can't reach your saved progress right now, so I haven't changed anything. "
                 "Please try again in a minute.")
_PAUSE_REQUESTS = ("PlaybackController.PauseCommandIssued",)
_PAUSE_INTENTS = ("AMAZON.PauseIntent", "AMAZON.StopIntent", "AMAZON.CancelIntent")
_SILENT_TYPES = ("SessionEndedRequest", "System.ExceptionEncountered")


class ErrorHandler(AbstractExceptionHandler):
    def __init__(self, deps: Deps):
        self.deps = deps

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        envelope = handler_input.request_envelope
        request = envelope.request
        self.deps.log.error("skill failed on %s (request %s)", request.object_type, request.request_id, exc_info=exception)
        builder = handler_input.response_builder
        if self._wants_quiet(handler_input):
            # Whatever failed, "pause" must still stop the audio; the offset is in the player's own
            # context on the next request, so the place is not lost either.
            builder.add_directive(stop_directive())
            if envelope.session is not None:
                builder.set_should_end_session(True)
            return builder.response
        # Alexa takes speech only within a session; nobody hears a reply to SessionEndedRequest.
        if envelope.session is None or request.object_type in _SILENT_TYPES:
            return builder.response
        if isinstance(exception, PersistenceException):
            return builder.speak(STORE_APOLOGY).set_should_end_session(True).response
        return builder.speak(APOLOGY).ask("Say next to carry on, or stop to finish.").response

    @staticmethod
    def _wants_quiet(handler_input: HandlerInput) -> bool:
        request = handler_input.request_envelope.request
        if request.object_type in _PAUSE_REQUESTS:
            return True
        intent = getattr(getattr(request, "intent", None), "name", None)
        if intent not in _PAUSE_INTENTS:
            return False
        # The state may be what failed to load: the player's own report is enough.
        return player_report(handler_input.request_envelope).playing or playing_now(handler_input)
