"""Load the user's state before a handler runs and save it after every response."""
from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestInterceptor, AbstractResponseInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from ..session_state import UserState
from .base import LOADED_KEY, STATE_KEY


class LoadStateInterceptor(AbstractRequestInterceptor):
    def process(self, handler_input: HandlerInput) -> None:
        attributes = handler_input.attributes_manager.persistent_attributes
        state = UserState.from_attributes(attributes)
        request_attributes = handler_input.attributes_manager.request_attributes
        request_attributes[STATE_KEY] = state
        request_attributes[LOADED_KEY] = state.to_attributes()


class SaveStateInterceptor(AbstractResponseInterceptor):
    """Persist the state after every response; an unchanged state is not written again (most
    requests, like "where am I", change nothing, and a write is the costliest part of a request)."""

    def process(self, handler_input: HandlerInput, response: Response) -> None:
        request_attributes = handler_input.attributes_manager.request_attributes
        state = request_attributes.get(STATE_KEY)
        if state is None:
            return
        attributes = state.to_attributes()
        if attributes == request_attributes.get(LOADED_KEY):
            return
        manager = handler_input.attributes_manager
        manager.persistent_attributes = attributes
        manager.save_persistent_attributes()
