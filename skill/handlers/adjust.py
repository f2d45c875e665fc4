"""Changing the pace (slower, faster) and the level (easier, harder); both are remembered.

A change applies from the next chunk on: the part just heard is not replayed on its own, because
"slower" is often said after a set has finished. The reply says how to redo it at the new setting.
"""
from __future__ import annotations

from ask_sdk_model import Response

from routine_graph.words import number_words

from ..routines import Course, faster, levels_easiest_first, slower
from ..speech import esc
from .base import Turn
from .flow import CourseHandler, REPROMPT_GO_ON, REPROMPT_START


def _go_on(turn: Turn) -> tuple[str, str]:
    if turn.state.in_progress:
        return ("Say next to carry on, or repeat to do this part again at the new setting.", REPROMPT_GO_ON)
    return ("Say start when you're ready.", REPROMPT_START)


def _keep_place(turn: Turn, course: Course) -> None:
    """Blocks are the same at every level and pace, but a block's parts may not be."""
    place = turn.state.place
    if place is not None:
        block, part = course.clamp(place.block, place.part)
        turn.state.place = type(place)(block, part, place.done, place.finished)


class _PaceHandler(CourseHandler):
    step = staticmethod(slower)
    changed = ""
    at_limit = ""

    def respond_with(self, turn: Turn, course: Course) -> Response:
        go_on, reprompt = _go_on(turn)
        new = self.step(course.graph.pace)
        if new is None:
            return turn.reply(f"{self.at_limit} {go_on}", reprompt)
        turn.state.pace = new
        _keep_place(turn, turn.refresh_course())
        return turn.reply(f"{self.changed} {go_on}", reprompt)


class SlowerHandler(_PaceHandler):
    intent_name = "SlowerIntent"
    step = staticmethod(slower)
    changed = "Okay, I'll slow down: you'll have a little longer for each move and hold."
    at_limit = "This is already the slowest pace I have."


class FasterHandler(_PaceHandler):
    intent_name = "FasterIntent"
    step = staticmethod(faster)
    changed = "Okay, a little quicker: moves and holds will be a bit shorter. Keep moving slowly and smoothly."
    at_limit = "This is already the quickest pace I have. Slow, controlled movement is what helps most."


class _LevelHandler(CourseHandler):
    direction = 1  # +1 harder, -1 easier
    at_limit = ""

    def respond_with(self, turn: Turn, course: Course) -> Response:
        go_on, reprompt = _go_on(turn)
        routine = turn.deps.library.get(course.graph.routine_id)
        levels = levels_easiest_first(routine)
        index = levels.index(course.graph.level) + self.direction
        if not 0 <= index < len(levels):
            return turn.reply(f"{self.at_limit} {go_on}", reprompt)
        turn.state.levels[course.graph.routine_id] = levels[index]
        new_course = turn.refresh_course()
        _keep_place(turn, new_course)
        return turn.reply(f"{self._changed(new_course, levels[index])} {go_on}", reprompt)

    def _changed(self, course: Course, level: str) -> str:
        reps = {e.reps for e in course.graph.exercises}
        detail = f"{number_words(reps.pop())} reps in each set" if len(reps) == 1 else \
            ("fewer reps in each set" if self.direction < 0 else "more reps in each set")
        return f"Okay, we'll use the {esc(level)} level: {detail}."


class EasierHandler(_LevelHandler):
    intent_name = "EasierIntent"
    direction = -1
    at_limit = "You're already at the gentlest level. Remember, you can always move less far, as long as it feels safe."


class HarderHandler(_LevelHandler):
    intent_name = "HarderIntent"
    direction = 1
    at_limit = "You're already at the hardest level of this routine. Moving slowly, with control, makes it harder too."
