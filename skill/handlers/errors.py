"""The last line of defence: any exception becomes a short spoken apology and a log entry.

The user's place survives because state is only saved by the response interceptor, which the SDK
does not run when a handler raised: whatever half-done change the failing handler made is dropped.
"""
from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractExceptionHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from .base import Deps

APOLOGY = "Sorry, something went wrong on my side. Your place is safe. Please say that again, or say next to carry on."
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
        # Alexa takes speech only within a session; nobody hears a reply to SessionEndedRequest.
        if envelope.session is None or request.object_type in _SILENT_TYPES:
            return builder.response
        return builder.speak(APOLOGY).ask("Say next to carry on, or stop to finish.").response
