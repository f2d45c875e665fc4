"""Screens: every voice reply also renders the current part on devices with APL; touching Next on
the screen (an APL UserEvent with arguments ["next"]) does exactly what saying "next" does.

A response interceptor rather than code in each handler: every spoken reply gets the screen, and
no handler has to remember it. Devices without APL, replies without speech (AudioPlayer events) and
audio-mode replies get none: while a stream plays, the device shows its own "now playing" card
from the Play directive's metadata, and Alexa does not take an APL document alongside a Play.
"""
from __future__ import annotations

from typing import Any

from ask_sdk_core.dispatch_components import AbstractResponseInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from ask_sdk_model.interfaces.alexa.presentation.apl import RenderDocumentDirective
from ask_sdk_model.interfaces.audioplayer import PlayDirective

from ..screen import DOCUMENT_TOKEN, NEXT_ARGUMENT, load_document, screen_data
from ..session_state import MODE_AUDIO, UserState
from .base import STATE_KEY, Deps, RequestTypeHandler, Turn, device_supports
from .routine import NextHandler

USER_EVENT = "Alexa.Presentation.APL.UserEvent"


class ScreenInterceptor(AbstractResponseInterceptor):
    def __init__(self, deps: Deps, document: dict[str, Any] | None = None):
        self.deps = deps
        self.document = document if document is not None else load_document()  # once per skill, not per reply

    def process(self, handler_input: HandlerInput, response: Response) -> None:
        if response is None or response.output_speech is None or handler_input.request_envelope.session is None:
            return
        if not device_supports(handler_input, "Alexa.Presentation.APL"):
            return
        if any(isinstance(d, (PlayDirective, RenderDocumentDirective)) for d in response.directives or []):
            return  # a Play takes no document; a reply with its own screen (progress) keeps it
        state = handler_input.attributes_manager.request_attributes.get(STATE_KEY)
        if not isinstance(state, UserState) or state.mode == MODE_AUDIO or not state.routine:
            return
        course = self.deps.library.course(state.routine, state.level_for(state.routine), state.pace)
        if course is None:
            return
        data = screen_data(course, state.place)
        directive = RenderDocumentDirective(token=DOCUMENT_TOKEN, document=self.document,
                                            datasources=data.to_datasource())
        response.directives = [*(response.directives or []), directive]


class ScreenNextHandler(RequestTypeHandler):
    """The Next button: an APL UserEvent, answered as the NextIntent is."""

    request_type = USER_EVENT

    def __init__(self, deps: Deps):
        super().__init__(deps)
        self.next = NextHandler(deps)

    def can_handle(self, handler_input: HandlerInput) -> bool:
        if not super().can_handle(handler_input):
            return False
        arguments = getattr(handler_input.request_envelope.request, "arguments", None) or []
        return bool(arguments) and arguments[0] == NEXT_ARGUMENT

    def respond(self, turn: Turn) -> Response:
        return self.next.respond(turn)


SCREEN_HANDLERS: tuple[type[RequestTypeHandler], ...] = (ScreenNextHandler,)
