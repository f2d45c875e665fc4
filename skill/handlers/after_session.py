"""After a finished session: at most one offer that waits for a yes or no, said before the goodbye.

Which offer: the routine author's progression rule first (routine_graph/progression.py decides:
"You've done four sessions at the standard level without more pain. Want to try the full level next
time?"), else a daily reminder at this time (handlers/reminder_offer.py). Only one question can be pending,
so one offer a session; the other waits for a later one.

A suggestion is the user's to take: yes sets the level for next time, no keeps it. Either way only what
happens after it counts towards the next suggestion (`UserState.progression_offered`), so a "no" is not
met with the same question next session. The yes and no are handled here, before answers.py's
(handlers/__init__.py), and only while the question is pending in this session.
"""
from __future__ import annotations

from dataclasses import dataclass

from ask_sdk_model import Response

from routine_graph.progression import suggest

from ..pain_checkin import SAFETY_RATING
from ..progress_report import session_outcomes
from ..routines import Course
from ..session_state import QUESTION_PROGRESSION, iso, parse_time
from ..speech import esc
from .base import AnswerHandler, Turn
from .reminder_offer import OFFER_REPROMPT, reminder_offer

GOODBYE = "Take care, and see you next time."
PROGRESSION_REPROMPT = "Say yes to try it next time, or no to stay where you are."


@dataclass(frozen=True)
class Offer:
    sentence: str
    reprompt: str


def after_session_offer(turn: Turn) -> Offer | None:
    """The offer for the end of this finished session, its question now pending; None: just goodbye."""
    course = turn.course()
    offer = progression_offer(turn, course) if course is not None else None
    if offer is None:
        sentence = reminder_offer(turn)
        offer = Offer(sentence, OFFER_REPROMPT) if sentence else None
    return offer


def progression_offer(turn: Turn, course: Course) -> Offer | None:
    graph, state = course.graph, turn.state
    since = parse_time(state.progression_offered.get(graph.routine_id))
    sessions = [s for s in session_outcomes(state.history, state.checkins, graph.routine_id)
                if since is None or s.finished_at > since]
    hurts = [at for at in (parse_time(e.at) for e in state.events if e.kind == "hurt" and e.routine == graph.routine_id)
             if at is not None and (since is None or at > since)]
    suggestion = suggest(graph.progression, graph.levels, graph.level, sessions, hurts, turn.now())
    if suggestion is None:
        return None
    if suggestion.direction == "harder" and state.checkins and state.checkins[-1].rating >= SAFETY_RATING:
        # The author's rule may see no rise in pain at a steady 8: never suggest more while the latest
        # rating is one that gets the safety advice (pain_checkin.py).
        return None
    state.progression_offered[graph.routine_id] = iso(turn.now())
    state.progression_to = suggestion.to_level
    state.ask(QUESTION_PROGRESSION, turn.session_id)
    return Offer(suggestion.sentence(), PROGRESSION_REPROMPT)


class ProgressionAnswerHandler(AnswerHandler):
    """A yes or no while "want to try the full level next time?" is pending in this session."""

    question = QUESTION_PROGRESSION


class ProgressionYesHandler(ProgressionAnswerHandler):
    intent_name = "AMAZON.YesIntent"

    def respond(self, turn: Turn) -> Response:
        state, course = turn.state, turn.course()
        level, state.progression_to = state.progression_to, None
        state.clear_question()
        if course is None or level not in course.graph.levels:  # the routine changed in between
            return turn.reply(f"Sorry, that level isn't there any more, so nothing has changed. {GOODBYE}", end=True)
        state.levels[course.graph.routine_id] = level
        harder = course.graph.levels.index(level) > course.graph.levels.index(course.graph.level)
        back = "If it's too much, say easier at any time." if harder else "When you feel ready, say harder."
        return turn.reply(f"Good. Next time you'll do the {esc(level)} level. {back} {GOODBYE}", end=True)


class ProgressionNoHandler(ProgressionAnswerHandler):
    intent_name = "AMAZON.NoIntent"

    def respond(self, turn: Turn) -> Response:
        state, course = turn.state, turn.course()
        state.progression_to = None
        state.clear_question()
        level = f"the {esc(course.graph.level)} level" if course is not None else "your level"
        return turn.reply(f"Okay, we'll stay with {level}. {GOODBYE}", end=True)


# Asked before answers.py's YesHandler and NoHandler (and the audio ones).
PROGRESSION_ANSWER_HANDLERS: tuple[type[ProgressionAnswerHandler], ...] = (ProgressionYesHandler, ProgressionNoHandler)

__all__ = ["GOODBYE", "Offer", "PROGRESSION_ANSWER_HANDLERS", "after_session_offer", "progression_offer"]
