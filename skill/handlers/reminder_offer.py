"""The reminder offer after a finished session ("Shall I remind you tomorrow at this time?") and the
yes and no to it.

after_session.py makes the offer when there is no progression to suggest; a yes sets the daily
reminder through reminders.py's `set_daily`, which asks for the permission when it is missing. The
yes and no are their own handlers, asked before the general ones (handlers/__init__.py), and take the
answer only while that question is pending in this session.
"""
from __future__ import annotations

from ask_sdk_model import Response

from ..reminders import Reminders, local_now
from ..session_state import QUESTION_REMINDER
from ..spoken_time import ClockTime, clock_time
from .base import AnswerHandler, Turn
from .reminders import ACCEPTED_NOTHING, follow_on, set_daily

OFFER_REPROMPT = "Say yes for a reminder every day at this time, or no thanks."
OFFER_DECLINED = "Okay, no reminder. I won't ask again."

QUARTER = 15  # the offer rounds "this time" to the nearest quarter of an hour


def reminder_offer(turn: Turn) -> str | None:
    """"Shall I remind you tomorrow at half past six in the evening, ...?" when the user has no
    reminder of ours, has not said no to this before, and the device can have one; else None.

    Sets the pending question (QUESTION_REMINDER) and remembers the time; the caller adds the
    sentence to its reply and keeps the session open with OFFER_REPROMPT. "This time" is the user's
    local time now, to the nearest quarter of an hour, so it needs their time zone: without one there
    is no offer."""
    state = turn.state
    if state.reminders or state.reminder_offer_declined:
        return None
    api = Reminders(turn.handler_input, turn.deps.log)
    if not api.available:
        return None
    now = local_now(turn.now(), api.time_zone())
    if now is None:
        return None
    minutes = round((now.hour * 60 + now.minute + now.second / 60) / QUARTER) * QUARTER % (24 * 60)
    at = ClockTime(*divmod(minutes, 60))
    state.reminder_wanted = [at.value]
    state.ask(QUESTION_REMINDER, turn.session_id)
    return f"Shall I remind you tomorrow at {at.said}, and every day at that time?"


class ReminderAnswerHandler(AnswerHandler):
    """A yes or no while "shall I remind you tomorrow at this time?" is pending in this session."""

    question = QUESTION_REMINDER


class ReminderYesHandler(ReminderAnswerHandler):
    intent_name = "AMAZON.YesIntent"

    def respond(self, turn: Turn) -> Response:
        turn.state.clear_question()
        wanted = [t for t in map(clock_time, turn.state.reminder_wanted) if t is not None]
        if not wanted:  # the state was edited in between: nothing to set
            return follow_on(turn, ACCEPTED_NOTHING)
        return set_daily(turn, wanted)


class ReminderNoHandler(ReminderAnswerHandler):
    intent_name = "AMAZON.NoIntent"

    def respond(self, turn: Turn) -> Response:
        turn.state.clear_question()
        turn.state.reminder_wanted = []
        turn.state.reminder_offer_declined = True
        return follow_on(turn, OFFER_DECLINED)


# Asked before answers.py's YesHandler and NoHandler (and the audio ones).
REMINDER_ANSWER_HANDLERS: tuple[type[ReminderAnswerHandler], ...] = (ReminderYesHandler, ReminderNoHandler)

__all__ = ["OFFER_DECLINED", "OFFER_REPROMPT", "REMINDER_ANSWER_HANDLERS", "reminder_offer"]
