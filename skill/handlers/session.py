"""Ending and pausing: Pause, Stop, Cancel, NavigateHome, SessionEnded, System.ExceptionEncountered.

The user's place is in persistent attributes, saved after every response, so ending a session loses
nothing; these handlers only say goodbye in a way that tells the user how to come back. A chunk given
in the session that ends counts as heard, so coming back offers the part after it, not the same again.
"""
from __future__ import annotations

from ask_sdk_model import Response

from ..course_words import where_phrase
from .base import IntentHandler, RequestTypeHandler, Turn


class GoodbyeHandler(IntentHandler):
    """End the session, saying where we stopped after `opening`. One class per intent below,
    differing only in `intent_name` and `opening`."""

    opening = "Okay."

    def respond(self, turn: Turn) -> Response:
        course = turn.course()
        turn.state.mark_heard(turn.session_id)
        if course is not None and turn.state.in_progress and not turn.routine_changed:
            where = where_phrase(course, turn.state.place.block)
            return turn.reply(f"{self.opening} We stopped at {where}, and I've saved your place. "
                              "When you're ready, just say: Alexa, open my back routine.", end=True)
        return turn.reply("Okay. Take care of your back, and see you next time.", end=True)


class PauseHandler(GoodbyeHandler):
    intent_name = "AMAZON.PauseIntent"
    opening = "Okay, we'll pause here. Take your time."


class StopHandler(GoodbyeHandler):
    intent_name = "AMAZON.StopIntent"
    opening = "Okay, stopping here."


class CancelHandler(GoodbyeHandler):
    intent_name = "AMAZON.CancelIntent"


class NavigateHomeHandler(GoodbyeHandler):
    intent_name = "AMAZON.NavigateHomeIntent"


class SessionEndedHandler(RequestTypeHandler):
    request_type = "SessionEndedRequest"

    def respond(self, turn: Turn) -> Response:
        request = turn.handler_input.request_envelope.request
        reason = getattr(getattr(request, "reason", None), "value", None)
        if reason == "ERROR":
            error = getattr(request, "error", None)
            turn.deps.log.warning("session ended with an error: %s %s", getattr(getattr(error, "object_type", None), "value", None),
                                  getattr(error, "message", None))
        if reason in ("EXCEEDED_MAX_REPROMPTS", "USER_INITIATED"):
            # Alexa only reprompts after the whole response was spoken, and "exit" is said after a
            # part as "stop" is: the user is done with the chunk, so coming back goes on to the next.
            turn.state.mark_heard(turn.session_id)
        turn.state.clear_question()
        return turn.silent()


class ExceptionEncounteredHandler(RequestTypeHandler):
    """Alexa reports that our previous response was unusable (sent outside any session)."""

    request_type = "System.ExceptionEncountered"

    def respond(self, turn: Turn) -> Response:
        request = turn.handler_input.request_envelope.request
        error = getattr(request, "error", None)
        cause = getattr(request, "cause", None)
        turn.deps.log.error("Alexa rejected a response: %s: %s (request %s)",
                            getattr(getattr(error, "object_type", None), "value", None),
                            getattr(error, "message", None), getattr(cause, "request_id", None))
        return turn.silent()
