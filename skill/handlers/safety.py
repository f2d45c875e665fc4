"""'It hurts': stop, give safety advice, offer to skip the exercise or end, and record it."""
from __future__ import annotations

from ask_sdk_model import Response

from ..session_state import QUESTION_HURT
from ..routines import Course
from .base import Turn
from .flow import CourseHandler

ADVICE = ("I'm sorry it hurts. Let's stop this exercise now. Come out of the position slowly, and rest "
          "in whatever way feels comfortable. Breathe slowly. A little discomfort when you move can be "
          "normal, but if the pain is sharp, or spreads down your leg, please stop for today and talk "
          "to a doctor or physiotherapist.")


class HurtsIntentHandler(CourseHandler):
    intent_name = "HurtsIntent"

    def respond_with(self, turn: Turn, course: Course) -> Response:
        state = turn.state
        graph = course.graph
        where = graph.blocks[state.place.block].title if state.place is not None else "not started"
        # Kept so the user (or their physiotherapist) can look back at when it happened.
        state.record_event("hurt", graph.routine_id, where, turn.now())
        if not state.in_progress or turn.routine_changed:
            return turn.reply(f"{ADVICE} Take care of yourself. I'm here when you want to try again.", end=True)
        block = graph.blocks[state.place.block]
        state.ask(QUESTION_HURT, turn.session_id)
        if block.exercise is None:
            return turn.reply(f"{ADVICE} Would you like to stop for today? Say yes to stop, or no to carry on gently.",
                              "Say yes to stop for today, or no to carry on.")
        return turn.reply(f"{ADVICE} Would you like to skip this exercise and go on to the next one? "
                          "Say yes to skip it, or no to stop for today.",
                          "Say yes to skip this exercise, or no to stop for today.")
