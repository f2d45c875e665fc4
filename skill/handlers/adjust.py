"""Changing the pace (slower, faster) and the level (easier, harder); both are remembered.

A change applies from the next chunk on: the part just heard is not replayed on its own, because
"slower" is often said after a set has finished. The reply says how to redo it at the new setting.

The four intents are one handler, `AdjustHandler`; each intent's class only names its intent and its
`Adjustment` (which setting moves which way, and what is said).

While the audio version is in charge the change is heard at once: the stream goes on from the same
step in the track at the new pace or level (audio_resume.audio_adjusted), after a short sentence.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ask_sdk_model import Response

from routine_graph.words import number_words

from ..routines import Course, faster, levels_easiest_first, slower
from ..speech import esc
from .audio_flow import audio_in_charge, playing_now, respond
from .audio_resume import REPROMPT_AUDIO, audio_adjusted
from .base import IntentHandler, Turn
from .flow import REPROMPT_GO_ON, REPROMPT_START, no_routines


@dataclass(frozen=True)
class Adjustment:
    """One adjusting intent. Either the pace moves one step on the ladder (`pace_step`:
    routines.slower or routines.faster), and `changed` is said; or the level moves `level_step`
    places (-1 easier, +1 harder), and the reply names the new level. `at_limit` is said when there
    is no step further that way."""

    at_limit: str
    pace_step: Callable[[float], float | None] | None = None
    changed: str = ""
    level_step: int = 0


class AdjustHandler(IntentHandler):
    """Slower, faster, easier, harder (subclasses set `intent_name` and `adjustment`)."""

    adjustment: Adjustment

    def respond(self, turn: Turn) -> Response:
        course = turn.course()
        if course is None:
            return no_routines(turn)
        row = self.adjustment
        go_on, reprompt = _go_on(turn)
        pace = level = None
        if row.pace_step is not None:
            pace = row.pace_step(course.graph.pace)
        else:
            level = _next_level(turn, course, row.level_step)
        listening = audio_in_charge(turn.handler_input)
        if pace is None and level is None:
            if listening and playing_now(turn.handler_input):
                return respond(turn, None, row.at_limit)  # the stream carries on
            if listening:
                return turn.reply(f"{row.at_limit} Say resume to carry on listening.", REPROMPT_AUDIO)
            return turn.reply(f"{row.at_limit} {go_on}", reprompt)
        if pace is not None:
            turn.state.pace = pace
        else:
            turn.state.levels[course.graph.routine_id] = level
        new_course = turn.refresh_course()
        _keep_place(turn, new_course)
        said = row.changed if pace is not None else _level_changed(new_course, level, row.level_step)
        if listening:
            return audio_adjusted(turn, said)
        return turn.reply(f"{said} {go_on}", reprompt)


class SlowerHandler(AdjustHandler):
    intent_name = "SlowerIntent"
    adjustment = Adjustment(
        at_limit="This is already the slowest pace I have.", pace_step=slower,
        changed="Okay, I'll slow down: you'll have a little longer for each move and hold.")


class FasterHandler(AdjustHandler):
    intent_name = "FasterIntent"
    adjustment = Adjustment(
        at_limit="This is already the quickest pace I have. Slow, controlled movement is what helps most.",
        pace_step=faster,
        changed="Okay, a little quicker: moves and holds will be a bit shorter. Keep moving slowly and smoothly.")


class EasierHandler(AdjustHandler):
    intent_name = "EasierIntent"
    adjustment = Adjustment(
        at_limit="You're already at the gentlest level. Remember, you can always move less far, as long as it feels safe.",
        level_step=-1)


class HarderHandler(AdjustHandler):
    intent_name = "HarderIntent"
    adjustment = Adjustment(
        at_limit="You're already at the hardest level of this routine. Moving slowly, with control, makes it harder too.",
        level_step=1)


def _go_on(turn: Turn) -> tuple[str, str]:
    if turn.state.in_progress:
        return ("Say next to carry on, or repeat to do this part again at the new setting.", REPROMPT_GO_ON)
    return ("Say start when you're ready.", REPROMPT_START)


def _next_level(turn: Turn, course: Course, step: int) -> str | None:
    """The routine's level `step` places harder than the user's (negative: easier), or None past either end."""
    levels = levels_easiest_first(turn.deps.library.get(course.graph.routine_id))
    index = levels.index(course.graph.level) + step
    return levels[index] if 0 <= index < len(levels) else None


def _level_changed(course: Course, level: str, step: int) -> str:
    reps = {e.reps for e in course.graph.exercises}
    detail = f"{number_words(reps.pop())} reps in each set" if len(reps) == 1 else \
        ("fewer reps in each set" if step < 0 else "more reps in each set")
    return f"Okay, we'll use the {esc(level)} level: {detail}."


def _keep_place(turn: Turn, course: Course) -> None:
    """Blocks are the same at every level and pace, but a block's parts may not be."""
    place = turn.state.place
    if place is not None:
        block, part = course.clamp(place.block, place.part)
        turn.state.place = type(place)(block, part, place.done, place.finished)
