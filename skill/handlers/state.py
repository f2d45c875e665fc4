"""Load the user's state before a handler runs and save it after every response."""
from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import AbstractRequestInterceptor, AbstractResponseInterceptor
from ask_sdk_core.exceptions import PersistenceException
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from ask_sdk_model.interfaces.audioplayer import StopDirective
from ask_sdk_model.ui import SsmlOutputSpeech

from ..session_state import UserState
from .base import LOADED_KEY, STATE_KEY

# Set by handlers/privacy.py when it deleted the user's data: nothing may be written back after that.
FORGOTTEN_KEY = "back_routine.forgotten"

SAVE_FAILED = ("Sorry, I couldn't save your progress just now, so I've kept your place where it was. "
               "Please say that again in a moment.")


class LoadStateInterceptor(AbstractRequestInterceptor):
    def process(self, handler_input: HandlerInput) -> None:
        if handler_input.request_envelope.session is not None:
            # The skill keeps nothing in the session (the state is persistent), and the SDK would echo
            # whatever attributes came in back in every reply, however large. First, so that a failed
            # load below does not echo them either.
            handler_input.attributes_manager.session_attributes = {}
        attributes = handler_input.attributes_manager.persistent_attributes
        state = UserState.from_attributes(attributes)
        request_attributes = handler_input.attributes_manager.request_attributes
        request_attributes[STATE_KEY] = state
        request_attributes[LOADED_KEY] = state.to_attributes()


class SaveStateInterceptor(AbstractResponseInterceptor):
    """Persist the state after every response; an unchanged state is not written again (most
    requests, like "where am I", change nothing, and a write is the costliest part of a request).

    If the write fails (after the store's own retries), the previous state stays stored, so the reply
    must not move the user on either: in a session it becomes a short "couldn't save" and drops any
    directive that would start something new (a Play, a screen). Without a session nobody hears a
    reply, and what the user asked of their device (a Stop for the pause button) still goes out: the
    player reports its own token and offset with the next request, which is enough to find the place.
    """

    def __init__(self, log: logging.Logger | None = None):
        self.log = log or logging.getLogger("skill")

    def process(self, handler_input: HandlerInput, response: Response) -> None:
        request_attributes = handler_input.attributes_manager.request_attributes
        state = request_attributes.get(STATE_KEY)
        if state is None or request_attributes.get(FORGOTTEN_KEY):
            return
        attributes = state.to_attributes()
        if attributes == request_attributes.get(LOADED_KEY):
            return
        manager = handler_input.attributes_manager
        manager.persistent_attributes = attributes
        try:
            manager.save_persistent_attributes()
        except PersistenceException as exc:
            self.log.error("could not save the state of %s: %s", handler_input.request_envelope.request.object_type, exc)
            if handler_input.request_envelope.session is not None and response is not None:
                _unsaved(response)


def _unsaved(response: Response) -> None:
    """Turn the reply in place into the 'couldn't save' one (interceptors cannot swap the object)."""
    stops = [d for d in (response.directives or []) if isinstance(d, StopDirective)]
    response.output_speech = SsmlOutputSpeech(ssml=f"<speak>{SAVE_FAILED}</speak>")
    response.reprompt = None
    response.card = None
    response.directives = stops or None
    response.should_end_session = True
