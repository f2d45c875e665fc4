"""The pain check-in's answers: what each reply to "how is your back, from zero to ten?", asked at the
start and the finish of a run, does. The same intents when nothing is pending (a number, "pass",
turning it off and on, "how am I doing") are checkin_commands.py's.

The questions are asked by flow.py (`start_run`, and `play` at the finish); the answers come here.
While a check-in question is pending in this session, the handlers in CHECKIN_ANSWER_HANDLERS take
the intents that answer it (a number, skip, no, next, turn it off, and what was not heard), before
any other handler of the same intent (handlers/__init__.py), as privacy.py does for "are you sure?".

A rating is stored the moment it is given (session_state.CheckIn). A worrying one (pain_checkin:
8 or more, or 3 more than the previous rating) gets the safety advice before anything else: at the
start the run waits until the user says to start gently or to rest; at the finish, rest and see a
professional if it persists.
"""
from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from .. import pain_checkin as words
from ..routines import Course, levels_easiest_first
from ..session_state import (CHECKIN_FINISH, CHECKIN_START, QUESTION_CHECKIN_FINISH, QUESTION_CHECKIN_FINISH_AGAIN,
                             QUESTION_CHECKIN_GENTLE, QUESTION_CHECKIN_START, QUESTION_CHECKIN_START_AGAIN)
from ..speech import esc
from .base import IntentHandler, Turn, pending_question
from .flow import begin_waiting_run, finish_reply, no_routines
from .progress import show_progress

START_QUESTIONS = (QUESTION_CHECKIN_START, QUESTION_CHECKIN_START_AGAIN)
FINISH_QUESTIONS = (QUESTION_CHECKIN_FINISH, QUESTION_CHECKIN_FINISH_AGAIN)
CHECKIN_QUESTIONS = START_QUESTIONS + FINISH_QUESTIONS + (QUESTION_CHECKIN_GENTLE,)

# What an answer to a check-in question means.
RATING, SKIP, OFF, UNHEARD, YES, NO = "rating", "skip", "off", "unheard", "yes", "no"

GENTLE_REPROMPT = "Say yes to start gently, or no to rest today."
GO_GENTLY = "Go gently, and only as far as feels comfortable."
REST_TODAY = "That's fine. Rest today, and come back when you feel ready. Take care."


# -- the answers ----------------------------------------------------------------------------------------


def answer(turn: Turn, what: str) -> Response:
    """The user's reply (`what`) to the check-in question pending in this session."""
    state = turn.state
    question = state.pending_question(turn.session_id)
    state.clear_question()
    course = turn.course()
    if course is None:
        return no_routines(turn)
    if question in FINISH_QUESTIONS:
        return _finish(turn, question, what)
    if question == QUESTION_CHECKIN_GENTLE:
        return _gentle(turn, course, what)
    return _start(turn, course, question, what)


def _start(turn: Turn, course: Course, question: str, what: str) -> Response:
    state = turn.state
    if what == OFF:
        state.checkin_on = False
        return begin_waiting_run(turn, course, words.TURNED_OFF)
    if what in (SKIP, NO):
        return begin_waiting_run(turn, course, words.SKIPPED)
    rating = said_rating(turn) if what == RATING else None
    if not words.valid(rating):
        if question == QUESTION_CHECKIN_START:
            state.ask(QUESTION_CHECKIN_START_AGAIN, turn.session_id)
            return turn.reply(words.ASK_AGAIN, words.REPROMPT_START)
        return begin_waiting_run(turn, course, words.GO_ON_WITHOUT)
    previous = words.previous_rating(state.checkins)
    state.record_checkin(course.graph.routine_id, CHECKIN_START, rating, turn.now(), state.run_started)
    if not words.needs_safety(rating, previous):
        return begin_waiting_run(turn, course, words.noted(rating))
    # The advice first; the run starts only when they say so.
    state.ask(QUESTION_CHECKIN_GENTLE, turn.session_id)
    gentler = _gentlest_level(turn, course)
    how = f"at the {esc(gentler)} level, going only as far as feels comfortable" if gentler else \
        "going only as far as feels comfortable"
    return turn.reply(f"{words.why_worrying(rating, previous)} {words.START_ADVICE} "
                      f"Would you like to start gently, {how}? Or rest today? {GENTLE_REPROMPT}", GENTLE_REPROMPT)


def _gentle(turn: Turn, course: Course, what: str) -> Response:
    """After the advice at the start: yes starts gently (at the gentlest level), no rests today, and
    saying start or next starts at the level they have."""
    state = turn.state
    if what == NO:
        state.checkin_block = None
        state.run_started = None
        return turn.reply(REST_TODAY, end=True)
    if what == YES:
        gentler = _gentlest_level(turn, course)
        lead = GO_GENTLY
        if gentler:
            state.levels[course.graph.routine_id] = gentler
            course = turn.refresh_course()
            lead = f"Okay, we'll use the {esc(gentler)} level. Say harder whenever you feel ready for more. {GO_GENTLY}"
        return begin_waiting_run(turn, course, lead)
    if what == SKIP:
        return begin_waiting_run(turn, course, f"Okay. {GO_GENTLY}")
    if what == OFF:
        state.checkin_on = False
    state.ask(QUESTION_CHECKIN_GENTLE, turn.session_id)
    said = f"{words.TURNED_OFF} " if what == OFF else ""
    return turn.reply(f"{said}Would you like to start gently today? {GENTLE_REPROMPT}", GENTLE_REPROMPT)


def _finish(turn: Turn, question: str, what: str) -> Response:
    state = turn.state
    rating = said_rating(turn) if what == RATING else None
    speech: list[str] = []
    if what == OFF:
        state.checkin_on = False
        speech.append(words.TURNED_OFF)
    elif what in (SKIP, NO):
        speech.append("Okay.")
    elif not words.valid(rating):
        if question == QUESTION_CHECKIN_FINISH:
            state.ask(QUESTION_CHECKIN_FINISH_AGAIN, turn.session_id)
            return turn.reply(words.ASK_AGAIN, words.REPROMPT_FINISH)
        speech.append("No matter.")
    else:
        run = state.history[-1].started_at if state.history else None
        routine = state.history[-1].routine if state.history else (state.routine or "")
        previous = words.previous_rating(state.checkins)
        last = state.checkins[-1] if state.checkins else None
        previous_is_start = last is not None and run is not None and last.run == run and last.moment == CHECKIN_START
        at_start = next((c.rating for c in reversed(state.checkins)
                         if run and c.run == run and c.moment == CHECKIN_START), None)
        state.record_checkin(routine, CHECKIN_FINISH, rating, turn.now(), run)
        if words.needs_safety(rating, previous):
            since = "than at the start" if previous_is_start else "than last time"
            speech += [words.why_worrying(rating, previous, since), words.FINISH_ADVICE]
        elif at_start is not None and rating < at_start:
            speech.append(f"{words.noted(rating)} That's better than when you started.")
        else:
            speech.append(words.noted(rating))
    show_progress(turn)
    return finish_reply(turn, speech)


def said_rating(turn: Turn) -> int | None:
    """The rating said: RatingIntent's number, or zero for NoPainIntent ("no pain", "zero")."""
    if getattr(turn.handler_input.request_envelope.request.intent, "name", None) == NoPainAnswerHandler.intent_name:
        return 0
    _, said = turn.slot("rating")
    return words.parse_rating(said)


def _gentlest_level(turn: Turn, course: Course) -> str | None:
    """The routine's gentlest level when the user is not on it already (None: nothing gentler)."""
    routine = turn.deps.library.get(course.graph.routine_id)
    levels = levels_easiest_first(routine) if routine is not None else []
    return levels[0] if levels and levels[0] != course.graph.level else None


def _pending_checkin(handler_input: HandlerInput) -> str | None:
    question = pending_question(handler_input)
    return question if question in CHECKIN_QUESTIONS else None


class CheckInAnswerHandler(IntentHandler):
    """An intent said while a check-in question is pending in this session: `meaning` is what it
    answers, `finish_meaning` what it answers at the finish (when that differs), `gentle_meaning`
    what it answers to "start gently, or rest today?" (None: not an answer to that; the usual
    handler takes it)."""

    meaning = UNHEARD
    finish_meaning: str | None = None
    gentle_meaning: str | None = None

    def can_handle(self, handler_input: HandlerInput) -> bool:
        if not super().can_handle(handler_input):
            return False
        question = _pending_checkin(handler_input)
        if question == QUESTION_CHECKIN_GENTLE:
            return self.gentle_meaning is not None
        return question is not None

    def respond(self, turn: Turn) -> Response:
        question = turn.state.pending_question(turn.session_id)
        if question == QUESTION_CHECKIN_GENTLE:
            return answer(turn, self.gentle_meaning)
        if question in FINISH_QUESTIONS and self.finish_meaning is not None:
            return answer(turn, self.finish_meaning)
        return answer(turn, self.meaning)


class RatingAnswerHandler(CheckInAnswerHandler):
    intent_name = "RatingIntent"
    meaning, gentle_meaning = RATING, RATING


class NoPainAnswerHandler(CheckInAnswerHandler):
    """'Zero', 'no pain': a rating of zero."""

    intent_name = "NoPainIntent"
    meaning, gentle_meaning = RATING, RATING


class SkipAnswerHandler(CheckInAnswerHandler):
    intent_name = "SkipCheckInIntent"
    meaning, gentle_meaning = SKIP, SKIP


class NextAnswerHandler(CheckInAnswerHandler):
    intent_name = "AMAZON.NextIntent"
    meaning, gentle_meaning = SKIP, SKIP


class SkipItAnswerHandler(CheckInAnswerHandler):
    """'Skip it', 'skip this' (SkipExerciseIntent's words) while the question is open mean the question."""

    intent_name = "SkipExerciseIntent"
    meaning = SKIP


class ReadyAnswerHandler(CheckInAnswerHandler):
    intent_name = "ReadyIntent"
    meaning, gentle_meaning = SKIP, SKIP


class StartAnswerHandler(CheckInAnswerHandler):
    """'Start' skips the question; 'start {another routine}' is StartRoutineHandler's."""

    intent_name = "StartRoutineIntent"
    meaning, gentle_meaning = SKIP, SKIP

    def can_handle(self, handler_input: HandlerInput) -> bool:
        if not super().can_handle(handler_input):
            return False
        slots = handler_input.request_envelope.request.intent.slots or {}
        return not any(slot is not None and slot.value for slot in slots.values())


class ResumeAnswerHandler(CheckInAnswerHandler):
    """'Keep going', 'continue': go on without a number."""

    intent_name = "AMAZON.ResumeIntent"
    meaning, gentle_meaning = SKIP, SKIP


class NoAnswerHandler(CheckInAnswerHandler):
    intent_name = "AMAZON.NoIntent"
    meaning, gentle_meaning = NO, NO


class YesAnswerHandler(CheckInAnswerHandler):
    """'Okay' is no number: before a run, where the rating matters for the safety advice, asked once
    more; at the finish ("how is your back now?" - "okay") taken as fine, and goodbye. To "start
    gently?" it is the answer."""

    intent_name = "AMAZON.YesIntent"
    meaning, finish_meaning, gentle_meaning = UNHEARD, SKIP, YES


class OffAnswerHandler(CheckInAnswerHandler):
    intent_name = "CheckInOffIntent"
    meaning, gentle_meaning = OFF, OFF


class FallbackAnswerHandler(CheckInAnswerHandler):
    """Something not understood, as an answer to "from zero to ten?": asked once more."""

    intent_name = "AMAZON.FallbackIntent"
    meaning, gentle_meaning = UNHEARD, None


# Asked before the usual handlers of the same intents (handlers/__init__.py).
CHECKIN_ANSWER_HANDLERS: tuple[type[CheckInAnswerHandler], ...] = (
    RatingAnswerHandler, NoPainAnswerHandler, SkipAnswerHandler, SkipItAnswerHandler, NextAnswerHandler,
    ReadyAnswerHandler, StartAnswerHandler, ResumeAnswerHandler, NoAnswerHandler, YesAnswerHandler, OffAnswerHandler,
    FallbackAnswerHandler,
)
