"""Privacy: "forget my progress" (asked, then confirmed with a yes) and the SkillDisabled event.

Both delete everything the skill keeps about the user, which is one record in the persistence
adapter (skill/persistence.py, skill/dynamodb.py): their place, level and pace, their history of
sessions and the pain reports with what was said. After a deletion the response interceptor writes
nothing back (`FORGOTTEN_KEY`, skill/handlers/state.py), so nothing is re-created by the same request.

The yes and no that answer "are you sure?" are their own handlers, asked before the usual ones
(handlers/__init__.py): they take the answer only while that question is pending in this session,
so answers.py never sees it and a "yes" to anything else cannot delete anything.
"""
from __future__ import annotations

from ask_sdk_core.exceptions import PersistenceException
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from ..session_state import QUESTION_FORGET
from ..user_ref import envelope_user_ref
from .base import AnswerHandler, IntentHandler, RequestTypeHandler, Turn
from .state import FORGOTTEN_KEY

ASK_FORGET = "This deletes your place, your settings and your history for good. Are you sure?"
ASK_FORGET_AGAIN = "Say yes to delete everything I keep about you, or no to keep it."
FORGOTTEN = "Done. I've deleted your place, your settings and your history. Goodbye."
FORGOTTEN_WITH_REMINDERS = FORGOTTEN.replace(
    " Goodbye.", " Your daily reminders are kept by Alexa: to stop them, say cancel my reminders, or delete them "
    "in the Alexa app. Goodbye.")
NOT_FORGOTTEN = "Sorry, I couldn't delete your data just now, so nothing has changed. Please try again later."
KEPT = "Okay, I haven't deleted anything: your place, your settings and your history are kept."
KEPT_GO_ON = "Say next when you're ready, or stop to finish for today."
KEPT_START = "Say start when you're ready, or stop to finish."

SKILL_DISABLED = "AlexaSkillEvent.SkillDisabled"


def forget_user(handler_input: HandlerInput, log) -> bool:
    """Delete everything stored for the request's user; True when done. Nothing is saved after it."""
    try:
        handler_input.attributes_manager.delete_persistent_attributes()
    except PersistenceException as exc:
        log.error("could not delete the data of %s: %s", envelope_user_ref(handler_input.request_envelope), exc)
        return False
    handler_input.attributes_manager.request_attributes[FORGOTTEN_KEY] = True
    log.info("deleted the data of %s", envelope_user_ref(handler_input.request_envelope))
    return True


class ForgetProgressHandler(IntentHandler):
    """"Forget my progress", "delete my data": asks first; only a yes deletes."""

    intent_name = "ForgetProgressIntent"

    def respond(self, turn: Turn) -> Response:
        turn.state.ask(QUESTION_FORGET, turn.session_id)
        return turn.reply(ASK_FORGET, ASK_FORGET_AGAIN)


class ForgetAnswerHandler(AnswerHandler):
    """A yes or no while "are you sure?" (about deleting) is pending in this session."""

    question = QUESTION_FORGET


class ForgetYesHandler(ForgetAnswerHandler):
    intent_name = "AMAZON.YesIntent"

    def respond(self, turn: Turn) -> Response:
        turn.state.clear_question()
        if not forget_user(turn.handler_input, turn.deps.log):
            return turn.reply(NOT_FORGOTTEN, end=True)
        turn.state.notice = None  # nothing of the old state is spoken either
        # Reminders live in the user's Alexa account, not in our record: say so rather than let them
        # think they are gone ("cancel my reminders" still finds them through the API).
        return turn.reply(FORGOTTEN_WITH_REMINDERS if turn.state.reminders else FORGOTTEN, end=True)


class ForgetNoHandler(ForgetAnswerHandler):
    intent_name = "AMAZON.NoIntent"

    def respond(self, turn: Turn) -> Response:
        turn.state.clear_question()
        prompt = KEPT_GO_ON if turn.state.in_progress else KEPT_START
        return turn.reply(f"{KEPT} {prompt}", prompt)


class SkillDisabledHandler(RequestTypeHandler):
    """The user disabled the skill: delete their data. Alexa sends this event with no session and
    ignores the reply, so the response is empty."""

    request_type = SKILL_DISABLED

    def respond(self, turn: Turn) -> Response:
        forget_user(turn.handler_input, turn.deps.log)
        return turn.silent()


# Asked before answers.py's YesHandler and NoHandler (and the audio ones).
FORGET_ANSWER_HANDLERS: tuple[type[ForgetAnswerHandler], ...] = (ForgetYesHandler, ForgetNoHandler)
SKILL_EVENT_HANDLERS: tuple[type[RequestTypeHandler], ...] = (SkillDisabledHandler,)
