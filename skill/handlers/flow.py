"""The guiding itself: give a chunk and say how to go on, start and finish runs (the words for a
place and for what comes next are skill/course_words.py's).

Wording is written to be heard, as a calm physiotherapist would say it: short sentences, second
person, one instruction at a time, and always how to go on.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from ask_sdk_model import Response

from routine_graph import navigation
from routine_graph.words import number_words

from .. import pain_checkin
from ..course_words import minutes_phrase, next_line
from ..routines import Course
from ..session_state import QUESTION_CHECKIN_FINISH, QUESTION_CHECKIN_START, QUESTION_RESUME, QUESTION_START, Place, iso
from ..durations import routine_seconds
from ..speech import Chunk, esc
from .after_session import GOODBYE, after_session_offer
from .audio_flow import leave_audio
from .base import REPROMPT_GO_ON, REPROMPT_START, IntentHandler, Turn  # the reprompts: re-exported
from .progress import show_progress

# What a returning user hears instead of the whole introduction.
SHORT_INTRO = ("Let's begin. Remember: move slowly, within a range that feels safe, and breathe out as you move. "
               "If anything hurts, stop, and tell me it hurts. "
               "Say hear the introduction if you'd like it in full.")
WEEK = dt.timedelta(days=7)

_ORDINALS = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
             "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth").split()


def ordinal(n: int) -> str:
    return _ORDINALS[n - 1] if 1 <= n <= len(_ORDINALS) else f"number {number_words(n)}"


def play(turn: Turn, course: Course, block: int, part: int = 0, lead: str = "", *, full_intro: bool = False) -> Response:
    """Give the chunk at (block, part) and move the user's place there.

    The introduction is said in full the first time; a returning user gets a one-line reminder in
    its place (`full_intro` when they asked for it). The routine's safety notice, which ends the
    introduction, is said once a session.
    """
    state = turn.state
    graph = course.graph
    block, part = course.clamp(block, part)
    chunk = course.chunk(block, part)
    body = chunk.ssml
    if graph.blocks[block].kind == "intro":
        if not full_intro and state.is_returning(turn.session_id):
            # The reminder stands for the whole block: "next" goes on to the first exercise.
            chunk = course.chunks(block)[-1]
            part, body = chunk.part, SHORT_INTRO
        else:
            body = _intro_body(turn, course, chunk, asked=full_intro)
    was_finished = state.place is not None and state.place.finished
    leave_audio(turn)  # a voice chunk means the voice guide is in charge now
    state.clear_question()
    state.checkin_block = None  # a chunk is given: no run is waiting on its check-in any more
    state.played_in = turn.session_id
    if state.run_started is None:
        state.run_started = iso(turn.now())
        state.run_exercised = False
    if graph.blocks[block].kind == "set":
        state.run_exercised = True
    is_end = chunk.last and block == len(graph.blocks) - 1
    speech = [lead] if lead else []
    speech.append(body)
    if is_end:
        state.place = Place(block, part, finished=True)
        counted = state.run_exercised or was_finished
        if not was_finished:
            # A run with every exercise skipped is not a session done: only a run with at least one
            # set goes in the history.
            if state.run_exercised:
                state.record_completion(graph.routine_id, graph.level, graph.pace, turn.now(), state.run_started)
            state.run_started = None
            state.run_exercised = False
            if counted and state.checkin_on and turn.speakable:
                # The check-in's second question: the session stays open for the answer, and the
                # outcome and goodbye follow it (skill/handlers/checkin.py, the answers).
                state.ask(QUESTION_CHECKIN_FINISH, turn.session_id)
                speech.append(pain_checkin.ASK_FINISH)
                return turn.reply(_join(speech), pain_checkin.REPROMPT_FINISH)
        if not counted:
            speech.append("We skipped all the exercises this time, so I won't count this one as a session.")
        else:
            show_progress(turn)
        return finish_reply(turn, speech, counted)
    state.place = Place(block, part)
    speech.append(next_line(course, chunk))
    return turn.reply(_join(speech), REPROMPT_GO_ON)


def _intro_body(turn: Turn, course: Course, chunk: Chunk, asked: bool = False) -> str:
    """The introduction as written, without the safety notice if it was already said this session
    (a new user hears it when the skill opens, just before saying start) unless they `asked` for it."""
    state = turn.state
    if state.intro_heard_in is None:
        state.intro_heard_in = turn.session_id
    notice = esc(course.graph.safety or "")
    if not notice or notice not in chunk.ssml:
        return chunk.ssml
    if not asked and state.safety_said_in is not None and state.safety_said_in == turn.session_id:
        return re.sub(re.escape(notice) + r"(?:<break [^>]*/>)*", "", chunk.ssml, count=1).strip()
    state.safety_said_in = turn.session_id
    return chunk.ssml


def finish_reply(turn: Turn, speech: list[str], counted: bool = True) -> Response:
    """The end of a finished session after `speech`: how many this week, then one offer that waits for a
    yes or no (handlers/after_session.py), else goodbye."""
    count = sessions_this_week(turn)
    if counted and count:
        speech = [*speech, f"That's your {ordinal(count)} session this week."]
    offer = after_session_offer(turn) if counted else None
    if offer is not None:
        return turn.reply(_join([*speech, offer.sentence]), offer.reprompt)
    return turn.reply(_join([*speech, GOODBYE]), end=True)


def start_run(turn: Turn, course: Course, block: int = 0, lead: str = "", *, full_intro: bool = False) -> Response:
    """Begin a fresh run of the routine at `block` (the intro by default).

    With the check-in on, the run first waits for "how is your back today?", asked once a session
    (a second start in the same session, "start over" after finishing, goes straight on): the answer
    (skill/handlers/checkin.py) begins it with `begin_waiting_run`. A run already waiting on its
    check-in in this session keeps its stamp, so the rating stays tied to it.
    """
    state = turn.state
    waiting = state.checkin_block is not None and state.checkin_asked_in == turn.session_id
    state.place = None
    if not (waiting and state.run_started):
        state.run_started = iso(turn.now())
    state.run_exercised = False
    if state.checkin_on and turn.speakable and state.checkin_asked_in != turn.session_id:
        state.checkin_asked_in = turn.session_id
        state.checkin_block, state.checkin_full_intro = block, full_intro
        state.ask(QUESTION_CHECKIN_START, turn.session_id)
        return turn.reply(_join([lead, pain_checkin.ASK_START]), pain_checkin.REPROMPT_START)
    return play(turn, course, block, 0, lead, full_intro=full_intro)


def begin_waiting_run(turn: Turn, course: Course, lead: str = "") -> Response:
    """Give the first chunk of the run that waited on the start check-in (from the start when none
    is waiting, e.g. the routine changed meanwhile)."""
    state = turn.state
    block = state.checkin_block if state.checkin_block is not None and not turn.routine_changed else 0
    full_intro = state.checkin_full_intro
    state.checkin_block, state.checkin_full_intro = None, False
    if state.run_started is None:
        state.run_started = iso(turn.now())
    state.place = None
    return play(turn, course, block, 0, lead, full_intro=full_intro)


def resume_target(course: Course, place: Place) -> navigation.Cursor:
    """Where to pick up: the chunk they were in, or the next one if they heard it through."""
    here = course.clamp(place.block, place.part)
    return (course.next_place(*here) if place.done else None) or here


def carry_on_target(turn: Turn, course: Course) -> navigation.Cursor:
    """Where "carry on" goes: like resume_target, and a chunk given earlier in this same session
    counts as heard (saying "continue" after a set means the next set, not that set again)."""
    place = turn.state.place
    if turn.state.played_this_session(turn.session_id):
        place = replace(place, done=True)
    return resume_target(course, place)


def go_on(turn: Turn, course: Course) -> Response:
    """What "next" does, in every state (shared by next, "I'm ready", and a yes that answers nothing)."""
    place = turn.state.place
    if turn.routine_changed:
        return not_started(turn, course)
    if place is None:
        return start_run(turn, course)
    if place.finished:
        return finished_line(turn)
    if turn.state.pending_question(turn.session_id) == QUESTION_RESUME:
        # "Shall we carry on from there?" - "Next." means carry on, not skip what they missed.
        return play(turn, course, *carry_on_target(turn, course), "Let's carry on.")
    target = course.next_place(place.block, place.part)
    if target is None:  # only reachable if the outro was never marked finished
        return finished_line(turn)
    return play(turn, course, *target)


def offer_start(turn: Turn, course: Course, lead: str = "") -> Response:
    graph = course.graph
    turn.state.ask(QUESTION_START, turn.session_id)
    text = f"{esc(graph.title)} takes {minutes_phrase(routine_seconds(turn.deps, course))}. Say start when you're ready."
    return turn.reply(_join([lead, text]), REPROMPT_START)


def no_routines(turn: Turn) -> Response:
    return turn.reply("I can't find any routines to guide you through yet. Once a routine has been "
                      "added, open my back routine again.", end=True)


def not_started(turn: Turn, course: Course) -> Response:
    return offer_start(turn, course, "We haven't started yet.")


def finished_line(turn: Turn) -> Response:
    return turn.reply("You've finished the routine. Well done. Say start over to go through it again, "
                      "or stop if that's all for today.", "Say start over to go again, or stop to finish.")


def sessions_this_week(turn: Turn) -> int:
    return turn.state.sessions_since(turn.now() - WEEK)


def _join(parts: list[str]) -> str:
    return " ".join(p for p in parts if p)



class CourseHandler(IntentHandler):
    """An intent that needs the user's routine. When there is none at all, every such intent gives
    the same answer, here; subclasses implement `respond_with`."""

    def respond(self, turn: Turn) -> Response:
        course = turn.course()
        if course is None:
            return no_routines(turn)
        return self.respond_with(turn, course)

    def respond_with(self, turn: Turn, course: Course) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError
