"""The pain check-in's intents when no check-in question is pending: a number or "pass" said out of
turn, turning the check-in off and on, and "how am I doing". While a question is pending, checkin.py's
answer handlers take these intents first (handlers/__init__.py).
"""
from __future__ import annotations

from ask_sdk_model import Response

from routine_graph.words import number_words

from .. import pain_checkin as words
from ..progress_report import progress_sentence
from .base import IntentHandler, Turn
from .checkin import said_rating
from .flow import REPROMPT_GO_ON, REPROMPT_START, no_routines
from .progress import show_progress
from .routine import StartRoutineHandler


def _go_on_prompt(turn: Turn) -> tuple[str, str]:
    if turn.state.in_progress and not turn.routine_changed:
        return "Say next to carry on, or stop to finish for today.", REPROMPT_GO_ON
    return "Say start when you're ready, or stop to finish.", REPROMPT_START


class RatingHandler(IntentHandler):
    """A number when no check-in question is pending ("six"): say what numbers do here."""

    intent_name = "RatingIntent"

    def respond(self, turn: Turn) -> Response:
        course = turn.course()
        if course is None:
            return no_routines(turn)
        rating = said_rating(turn)
        prompt, reprompt = _go_on_prompt(turn)
        heard = []
        count = len(course.graph.exercises)
        if rating is not None and 1 <= rating <= count:
            heard.append(f"If you'd like exercise {number_words(rating)}, say go to exercise {number_words(rating)}.")
        if turn.state.checkin_on:
            heard.append("I'll ask how your back is, from zero to ten, at the start and the end of each session.")
        else:
            heard.append("To rate your back at the start and the end of each session, say turn on the check-in.")
        return turn.reply(" ".join(heard + [prompt]), reprompt)


class NoPainHandler(RatingHandler):
    """'No pain', 'zero' when nothing was asked: as a number is."""

    intent_name = "NoPainIntent"


class SkipCheckInHandler(IntentHandler):
    """'Let's just get started', 'pass' when no check-in question is pending: before a run, start;
    during one, nothing to skip, so say how to go on (the place does not move on a "pass")."""

    intent_name = "SkipCheckInIntent"

    def respond(self, turn: Turn) -> Response:
        if not turn.state.in_progress:
            return StartRoutineHandler(turn.deps).respond(turn)
        prompt, reprompt = _go_on_prompt(turn)
        return turn.reply(f"There's nothing to skip just now. {prompt}", reprompt)


class CheckInOffHandler(IntentHandler):
    """'Turn off the check-in', 'stop asking me about pain' (when nothing is pending)."""

    intent_name = "CheckInOffIntent"

    def respond(self, turn: Turn) -> Response:
        said = words.TURNED_OFF if turn.state.checkin_on else words.ALREADY_OFF
        turn.state.checkin_on = False
        prompt, reprompt = _go_on_prompt(turn)
        return turn.reply(f"{said} {prompt}", reprompt)


class CheckInOnHandler(IntentHandler):
    """'Turn on the check-in', 'ask me about my pain again'."""

    intent_name = "CheckInOnIntent"

    def respond(self, turn: Turn) -> Response:
        said = words.TURNED_ON if not turn.state.checkin_on else words.ALREADY_ON
        turn.state.checkin_on = True
        prompt, reprompt = _go_on_prompt(turn)
        return turn.reply(f"{said} {prompt}", reprompt)


class HowAmIDoingHandler(IntentHandler):
    """'How am I doing?', 'what's my streak': sessions, streak and pain trend, with the card and,
    on a screen, the progress screen."""

    intent_name = "HowAmIDoingIntent"

    def respond(self, turn: Turn) -> Response:
        progress = show_progress(turn)
        prompt, reprompt = _go_on_prompt(turn)
        return turn.reply(f"{progress_sentence(progress)} {prompt}", reprompt)


CHECKIN_HANDLERS: tuple[type[IntentHandler], ...] = (
    RatingHandler, NoPainHandler, SkipCheckInHandler, CheckInOffHandler, CheckInOnHandler, HowAmIDoingHandler,
)
