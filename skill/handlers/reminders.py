"""Reminders: "remind me to do my back routine every day at 8 am" (or twice a day), "what reminders do
I have", "cancel my reminders", and the permission asked for by voice. The offer after a finished
session ("Shall I remind you tomorrow at this time?") and its yes and no are reminder_offer.py's; a
yes sets the reminder through `set_daily` here.

The API is skill/reminders.py; this module decides what to say. The user's state keeps the alert
tokens of the reminders the skill made (`UserState.reminders`), so "cancel my reminders" deletes
exactly those as well as any the API lists for the skill, and the times asked for while the
permission is being asked (`reminder_wanted`), so a yes to the permission sets what was asked for.

Permission: without a consent token, or when the API answers 401/403, the reply is a
Connections.SendRequest AskFor directive and Alexa asks the user; the answer comes back as a
Connections.Response request. Accepted: the reminder that was asked for is set. Denied, not
answered, or still refused: an AskForPermissionsConsentCard in the Alexa app and a line saying so,
never a second AskFor. A device that cannot reach the API, and an API that fails or is slow, get a
calm line and nothing changes.
"""
from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from ask_sdk_model.interfaces.connections import SendRequestDirective
from ask_sdk_model.ui import AskForPermissionsConsentCard

from ..reminders import REMINDERS_SCOPE, NeedsPermission, NoReminders, Reminders, RemindersFailed
from ..spoken_time import ClockTime, clock_time, part_of_day
from ..user_ref import envelope_user_ref
from .base import REPROMPT_GO_ON, REPROMPT_START, IntentHandler, RequestTypeHandler, Turn

ASK_FOR = "AskFor"
PERMISSION_TOKEN = "back-routine-reminders"

ASK_TIME = "What time shall I remind you each day? For example, say eight in the morning."
ASK_TIME_AGAIN = "Say a time, like eight in the morning, or half past six in the evening."
ASK_PERMISSION = "To set reminders, I need your permission."
NO_DEVICE_SET = "I can't set reminders on this device. You can set one in the Alexa app"
NO_DEVICE_LIST = "I can't check reminders on this device. You'll find them in the Alexa app."
NO_DEVICE_CANCEL = "I can't change reminders on this device. You can delete them in the Alexa app."
FAILED = "Sorry, I couldn't reach your reminders just now, so nothing has changed. Please try again later."
CANCEL_FAILED = ("Sorry, I couldn't cancel your reminders just now. Please try again later, "
                 "or delete them in the Alexa app.")
LIST_NONE = "You have no reminders from me. To set one, say: remind me every day at eight."
LIST_NOT_ALLOWED = ("You haven't allowed me to set reminders, so you have none from me. "
                    "To set one, say: remind me every day at eight.")
CANCEL_NONE = "You have no reminders from me, so there's nothing to cancel."
CANCEL_NOT_ALLOWED = "I'm not allowed to change your reminders any more. You can delete them in the Alexa app."
DENIED = ("Okay, no reminder then. If you change your mind, I've sent a card to your Alexa app "
          "where you can allow reminders.")
NOT_ANSWERED = ("I didn't hear an answer, so I haven't set a reminder. I've sent a card to your Alexa app "
                "where you can allow reminders.")
STILL_NOT_ALLOWED = ("I still can't set reminders. I've sent a card to your Alexa app where you can allow them.")
ACCEPTED_NOTHING = "Thank you. To set a reminder, say: remind me every day at eight."
GO_ON = "Say next when you're ready to carry on."
START = "Say start when you're ready, or stop to finish."
GOODBYE = "Take care, and see you next time."

PART_EXAMPLES = {"morning": "seven in the morning", "afternoon": "two in the afternoon",
                 "evening": "six in the evening", "night": "nine at night"}


# -- what happens next ---------------------------------------------------------------------------------


def follow_on(turn: Turn, speech: str) -> Response:
    """After a reminder reply: back to the routine where the user is, or goodbye right after a finish."""
    state = turn.state
    if state.in_progress:
        return turn.reply(f"{speech} {GO_ON}", REPROMPT_GO_ON)
    if state.place is not None and state.place.finished and state.played_this_session(turn.session_id):
        return turn.reply(f"{speech} {GOODBYE}", end=True)
    return turn.reply(f"{speech} {START}", REPROMPT_START)


def _times_said(times: list[ClockTime]) -> str:
    return " and at ".join(t.said for t in times)


def _ask_permission(turn: Turn, times: list[ClockTime]) -> Response:
    """Keep what was asked for, and let Alexa ask for the permission by voice."""
    turn.state.reminder_wanted = [t.value for t in times]
    turn.handler_input.response_builder.add_directive(SendRequestDirective(
        name=ASK_FOR, token=PERMISSION_TOKEN,
        payload={"@type": "AskForPermissionsConsentRequest", "@version": "1", "permissionScope": REMINDERS_SCOPE}))
    # No reprompt and no end: Alexa asks the question itself and answers with Connections.Response.
    return turn.reply(ASK_PERMISSION)


def _card(turn: Turn) -> None:
    turn.handler_input.response_builder.set_card(AskForPermissionsConsentCard(permissions=[REMINDERS_SCOPE]))


def _log_failure(turn: Turn, what: str, exc: Exception) -> None:
    turn.deps.log.warning("reminders: %s failed for %s: %s", what, envelope_user_ref(turn.handler_input.request_envelope), exc)


def set_daily(turn: Turn, times: list[ClockTime], *, may_ask: bool = True) -> Response:
    """Set a daily reminder at each of `times` (skipping those the user already has), and say so.
    Without the permission: ask for it (`may_ask`), or send the card (after the user was asked)."""
    api = Reminders(turn.handler_input, turn.deps.log)
    state = turn.state
    try:
        existing = api.scheduled()
    except NoReminders:
        state.reminder_wanted = []
        return follow_on(turn, f"{NO_DEVICE_SET}, for every day at {_times_said(times)}.")
    except NeedsPermission:
        if may_ask:
            return _ask_permission(turn, times)
        state.reminder_wanted = []
        _card(turn)
        return follow_on(turn, STILL_NOT_ALLOWED)
    except RemindersFailed as exc:
        _log_failure(turn, "list", exc)
        state.reminder_wanted = []
        return follow_on(turn, FAILED)
    state.reminder_wanted = []
    already = {s.time for s in existing if s.on and s.daily and s.time is not None}
    # Tokens the API no longer lists were deleted in the Alexa app: forget them.
    listed = {s.token for s in existing}
    state.reminders = [t for t in state.reminders if t in listed]
    state.reminders += [s.token for s in existing if s.token not in state.reminders]
    new = [t for t in times if t not in already]
    made: list[ClockTime] = []
    for at in new:
        try:
            state.reminders.append(api.create_daily(at, turn.now()))
        except (NeedsPermission, RemindersFailed) as exc:
            _log_failure(turn, "create", exc)
            if made:
                return follow_on(turn, f"I've set your reminder every day at {_times_said(made)}, but I couldn't "
                                        f"set the one at {_times_said([at])} just now. Please try that again later.")
            if isinstance(exc, NeedsPermission) and may_ask:
                return _ask_permission(turn, times)
            if isinstance(exc, NeedsPermission):
                _card(turn)
                return follow_on(turn, STILL_NOT_ALLOWED)
            return follow_on(turn, FAILED)
        made.append(at)
    skipped = [t for t in times if t not in made]
    if not made:
        return follow_on(turn, f"You already have a reminder every day at {_times_said(skipped)}.")
    speech = f"Done. I'll remind you every day at {_times_said(made)}."
    if skipped:
        speech += f" You already had the one at {_times_said(skipped)}."
    return follow_on(turn, speech)


def asked_times(turn: Turn) -> tuple[list[ClockTime], str | None]:
    """The times in SetReminderIntent's slots, in order, and the part of the day when only that was
    said. "At eight and six" is eight in the morning and six in the evening: twice a day means a
    second time later in the day, and Alexa sends "06:00" for "six" (it cannot hear the meaning)."""
    first_said, second_said = turn.slot("time")[1], turn.slot("second_time")[1]
    first, second = clock_time(first_said), clock_time(second_said)
    if first is None:
        return ([second] if second else []), part_of_day(first_said)
    if second is None:
        return [first], None
    if second <= first and first.hour < 12 and second.hour < 12:
        second = ClockTime(second.hour + 12, second.minute)
    return ([first] if second == first else sorted([first, second])), None


# -- intents --------------------------------------------------------------------------------------------


class SetReminderHandler(IntentHandler):
    """"Remind me to do my back routine every day at 8 am", "... twice a day at 8 and 6"."""

    intent_name = "SetReminderIntent"

    def respond(self, turn: Turn) -> Response:
        times, part = asked_times(turn)
        if times:
            return set_daily(turn, times)
        if not Reminders(turn.handler_input, turn.deps.log).available:
            return follow_on(turn, f"{NO_DEVICE_SET}.")
        if part:
            example = PART_EXAMPLES[part]
            return turn.reply(f"What time {example.split(' ', 1)[1]}? For example, say {example}.", ASK_TIME_AGAIN)
        return turn.reply(ASK_TIME, ASK_TIME_AGAIN)


class ListRemindersHandler(IntentHandler):
    """"What reminders do I have?" """

    intent_name = "ListRemindersIntent"

    def respond(self, turn: Turn) -> Response:
        api = Reminders(turn.handler_input, turn.deps.log)
        try:
            found = [s for s in api.scheduled() if s.on]
        except NoReminders:
            return follow_on(turn, NO_DEVICE_LIST)
        except NeedsPermission:
            return follow_on(turn, LIST_NOT_ALLOWED)
        except RemindersFailed as exc:
            _log_failure(turn, "list", exc)
            return follow_on(turn, FAILED)
        listed = [s.token for s in found]
        turn.state.reminders = [t for t in turn.state.reminders if t in listed]
        turn.state.reminders += [t for t in listed if t not in turn.state.reminders]
        daily = sorted({s.time for s in found if s.daily and s.time is not None})
        once = sorted({s.time for s in found if not s.daily and s.time is not None})
        if not daily and not once:
            return follow_on(turn, LIST_NONE if not found else "You have a reminder from me, but I can't tell its time. "
                                                                  "You'll find it in the Alexa app.")
        parts = []
        if daily:
            parts.append(f"every day at {_times_said(daily)}")
        if once:
            parts.append(f"once at {_times_said(once)}")
        return follow_on(turn, f"I'll remind you {', and '.join(parts)}.")


class CancelRemindersHandler(IntentHandler):
    """"Cancel my reminders": deletes the ones the skill made (remembered) and any the API lists for it."""

    intent_name = "CancelRemindersIntent"

    def respond(self, turn: Turn) -> Response:
        state = turn.state
        api = Reminders(turn.handler_input, turn.deps.log)
        tokens = list(state.reminders)
        try:
            tokens += [s.token for s in api.scheduled() if s.token not in tokens]
        except NoReminders:
            return follow_on(turn, NO_DEVICE_CANCEL)
        except NeedsPermission:
            return follow_on(turn, CANCEL_NOT_ALLOWED if tokens else CANCEL_NONE)
        except RemindersFailed as exc:
            # The ones we remember can still go; the listing is only for the ones we forgot.
            _log_failure(turn, "list", exc)
            if not tokens:
                return follow_on(turn, CANCEL_FAILED)
        # Asked to stop reminders: the offer after a session would only bring one back.
        state.reminder_offer_declined = True
        state.reminder_wanted = []
        if not tokens:
            return follow_on(turn, CANCEL_NONE)
        left = []
        for token in tokens:
            try:
                api.delete(token)
            except (NeedsPermission, RemindersFailed) as exc:
                _log_failure(turn, "delete", exc)
                left.append(token)
        state.reminders = left
        if left:
            return follow_on(turn, CANCEL_FAILED)
        return follow_on(turn, f"Done. I've cancelled your reminder{'s' if len(tokens) > 1 else ''}, "
                                "and I won't remind you any more.")


# -- the permission, asked by voice ------------------------------------------------------------------------


class PermissionResponseHandler(RequestTypeHandler):
    """Alexa's answer to our AskFor: the user accepted, denied, or did not answer."""

    request_type = "Connections.Response"

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return super().can_handle(handler_input) and handler_input.request_envelope.request.name == ASK_FOR

    def respond(self, turn: Turn) -> Response:
        request = turn.handler_input.request_envelope.request
        payload = request.payload if isinstance(request.payload, dict) else {}
        code = str(getattr(getattr(request, "status", None), "code", "") or "")
        answer = payload.get("status") if code in ("", "200") else None
        state = turn.state
        wanted = [t for t in map(clock_time, state.reminder_wanted) if t is not None]
        if answer == "ACCEPTED":
            if not wanted:
                return follow_on(turn, ACCEPTED_NOTHING)
            return set_daily(turn, wanted, may_ask=False)
        state.reminder_wanted = []
        _card(turn)
        return follow_on(turn, DENIED if answer == "DENIED" else NOT_ANSWERED)


REMINDER_INTENT_HANDLERS: tuple[type[IntentHandler], ...] = (
    SetReminderHandler, ListRemindersHandler, CancelRemindersHandler)
REMINDER_REQUEST_HANDLERS: tuple[type[RequestTypeHandler], ...] = (PermissionResponseHandler,)

__all__ = ["ACCEPTED_NOTHING", "REMINDER_INTENT_HANDLERS", "REMINDER_REQUEST_HANDLERS", "follow_on", "set_daily"]
