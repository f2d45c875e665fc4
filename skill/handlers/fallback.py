"""Anything we did not understand: FallbackIntent, intents the model does not have, other requests."""
from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import IntentRequest, Response

from .base import Deps, IntentHandler, Turn
from .flow import REPROMPT_GO_ON, REPROMPT_START


def _hint(turn: Turn, opening: str) -> Response:
    if turn.state.in_progress:
        return turn.reply(f"{opening} Say next to carry on, repeat to hear that again, or help to hear what you can say.",
                          REPROMPT_GO_ON)
    return turn.reply(f"{opening} Say start to begin the routine, or help to hear what you can say.", REPROMPT_START)


class FallbackHandler(IntentHandler):
    intent_name = "AMAZON.FallbackIntent"

    def respond(self, turn: Turn) -> Response:
        return _hint(turn, "Sorry, I didn't catch that.")


class UnknownIntentHandler(AbstractRequestHandler):
    """An intent this skill has no handler for (an old model, or a new built-in intent): register it
    last so that every named handler gets its chance first."""

    def __init__(self, deps: Deps):
        self.deps = deps

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return isinstance(handler_input.request_envelope.request, IntentRequest)

    def handle(self, handler_input: HandlerInput) -> Response:
        intent = handler_input.request_envelope.request.intent
        self.deps.log.warning("no handler for intent %s", getattr(intent, "name", None))
        return _hint(Turn(handler_input, self.deps), "Sorry, I can't do that here.")


class UnhandledRequestHandler(AbstractRequestHandler):
    """Any other request type (e.g. AudioPlayer events when no audio is playing): answer nothing
    rather than fail. Registered very last."""

    def __init__(self, deps: Deps):
        self.deps = deps

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        self.deps.log.info("ignoring request type %s", handler_input.request_envelope.request.object_type)
        return handler_input.response_builder.response
