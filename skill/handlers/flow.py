"""The guiding itself: give a chunk, say what comes next, start and finish runs, name places.

Wording is written to be heard, as a calm physiotherapist would say it: short sentences, second
person, one instruction at a time, and always how to go on.
"""
from __future__ import annotations

import datetime as dt

from ask_sdk_model import Response

from routine_graph.words import number_words

from ..routines import Course
from ..session_state import QUESTION_START, Place, iso
from ..speech import Chunk, esc
from .audio_flow import leave_audio
from .base import IntentHandler, Turn

REPROMPT_GO_ON = "Say next when you're ready, or repeat to hear that again."
REPROMPT_START = "Say start when you're ready, or help to hear what you can say."
WEEK = dt.timedelta(days=7)

_ORDINALS = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
             "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth").split()


def ordinal(n: int) -> str:
    return _ORDINALS[n - 1] if 1 <= n <= len(_ORDINALS) else f"number {number_words(n)}"


def minutes_phrase(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes <= 1:
        return "about a minute" if seconds >= 30 else "less than a minute"
    return f"about {number_words(minutes)} minutes"


def exercise_list(course: Course) -> str:
    names = [esc(e.name.lower() if e.name[:1].isupper() and e.name[1:2].islower() else e.name) for e in course.graph.exercises]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + ", and " + names[-1]


def where_phrase(course: Course, block: int) -> str:
    """A place as said aloud: 'hip lift on all fours, set two of three'."""
    b = course.graph.blocks[block]
    if b.kind == "intro":
        return "the introduction"
    if b.kind == "outro":
        return "the end of the routine"
    info = course.graph.exercises[b.exercise - 1]
    name = esc(info.name)
    if b.kind == "setup":
        return f"the start of exercise {number_words(b.exercise)}, {name}"
    return f"{name}, set {number_words(b.set)} of {number_words(info.sets)}"


def next_line(course: Course, chunk: Chunk) -> str:
    """What the user says to go on after this chunk."""
    graph = course.graph
    block = graph.blocks[chunk.block]
    if not chunk.last:
        if chunk.cut in ("hold",):
            return "Stay there if you can. Say next to carry on."
        if chunk.cut in ("rest", "pause"):
            return "Keep resting. Say next when you're ready to carry on."
        return "Say next to carry on."
    if chunk.block + 1 >= len(graph.blocks):
        return ""
    following = graph.blocks[chunk.block + 1]
    if block.kind == "intro":
        return "When you're ready for the first exercise, say next."
    if following.kind == "set":
        if block.kind == "setup":
            return f"When you're in position, say next to start set {number_words(following.set)}."
        return f"When you're ready, say next for set {number_words(following.set)}."
    if following.kind == "setup":
        info = graph.exercises[following.exercise - 1]
        return f"When you're ready, say next for the next exercise, {esc(info.name)}."
    return "When you're ready, say next to finish."


def play(turn: Turn, course: Course, block: int, part: int = 0, lead: str = "") -> Response:
    """Give the chunk at (block, part) and move the user's place there."""
    state = turn.state
    block, part = course.clamp(block, part)
    chunk = course.chunk(block, part)
    was_finished = state.place is not None and state.place.finished
    leave_audio(turn)  # a voice chunk means the voice guide is in charge now
    state.clear_question()
    state.played_in = turn.session_id
    if state.run_started is None:
        state.run_started = iso(turn.now())
    is_end = chunk.last and block == len(course.graph.blocks) - 1
    speech = [lead] if lead else []
    speech.append(chunk.ssml)
    if is_end:
        state.place = Place(block, part, finished=True)
        if not was_finished:
            state.record_completion(course.graph.routine_id, course.graph.level, course.graph.pace, turn.now())
            state.run_started = None
        count = state.sessions_since(turn.now() - WEEK)
        speech.append(f"That's your {ordinal(count)} session this week." if count else "")
        speech.append("Take care, and see you next time.")
        return turn.reply(_join(speech), end=True)
    state.place = Place(block, part)
    speech.append(next_line(course, chunk))
    return turn.reply(_join(speech), REPROMPT_GO_ON)


def start_run(turn: Turn, course: Course, block: int = 0, lead: str = "") -> Response:
    """Begin a fresh run of the routine at `block` (the intro by default)."""
    turn.state.place = None
    turn.state.run_started = iso(turn.now())
    return play(turn, course, block, 0, lead)


def resume_target(course: Course, place: Place) -> tuple[int, int]:
    """Where to pick up: the chunk they were in, or the next one if they heard it through."""
    block, part = course.clamp(place.block, place.part)
    if place.done:
        return course.next_place(block, part) or (block, part)
    return block, part


def offer_start(turn: Turn, course: Course, lead: str = "") -> Response:
    graph = course.graph
    turn.state.ask(QUESTION_START, turn.session_id)
    text = f"{esc(graph.title)} takes {minutes_phrase(graph.total_seconds)}. Say start when you're ready."
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
