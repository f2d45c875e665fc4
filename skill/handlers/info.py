"""Questions about the routine: where am I, how do I do this, what can I say."""
from __future__ import annotations

from ask_sdk_model import Response

from routine_graph import navigation
from routine_graph.words import number_words

from ..course_words import minutes_phrase
from ..durations import routine_seconds, seconds_left
from ..routines import Course, find_exercise
from ..speech import esc
from .base import Turn
from .flow import CourseHandler, REPROMPT_GO_ON, REPROMPT_START

MAX_INSTRUCTION_CHARS = 5000  # well inside Alexa's 8000 with the words around it


class WhereAmIHandler(CourseHandler):
    """'where am I', 'how much is left'."""

    intent_name = "WhereAmIIntent"

    def respond_with(self, turn: Turn, course: Course) -> Response:
        graph, place = course.graph, turn.state.place
        if place is None or turn.routine_changed:
            return turn.reply(f"We haven't started yet. {esc(graph.title)} takes "
                              f"{minutes_phrase(routine_seconds(turn.deps, course))}. Say start when you're ready.",
                              REPROMPT_START)
        if place.finished:
            return turn.reply("You've finished the routine. Well done. Say start over to go through it again.",
                              "Say start over to go again, or stop to finish.")
        where = navigation.where(graph, place.block)
        kind, info = where.block.kind, where.exercise
        left = minutes_phrase(seconds_left(turn.deps, course, place.block, place.part))
        count = number_words(where.exercise_count)
        if kind == "intro":
            text = f"We're in the introduction. Then come {count} exercises, {left} in all."
        elif kind == "outro":
            text = "We're at the very end: just the cool-down is left."
        else:
            exercise = f"exercise {number_words(info.number)} of {count}, {esc(info.name)}"
            if kind == "setup":
                text = f"You're at the start of {exercise}. There's {left} left."
            else:
                text = (f"You're on {exercise}, set {number_words(where.block.set)} of {number_words(info.sets)}. "
                        f"There's {left} left.")
        return turn.reply(f"{text} Say next when you're ready.", REPROMPT_GO_ON)


class HowToHandler(CourseHandler):
    """'how do I do this', 'how do I do {exercise}': the full instructions again."""

    intent_name = "HowToIntent"

    def respond_with(self, turn: Turn, course: Course) -> Response:
        graph, place = course.graph, turn.state.place
        resolved, spoken = turn.slot("exercise")
        info = None
        if resolved or spoken:
            info = next((e for e in graph.exercises if e.id == resolved), None) or find_exercise(graph, spoken)
            if info is None:
                names = ", ".join(esc(e.name) for e in graph.exercises)
                return turn.reply(f"I couldn't find an exercise called {esc(spoken or resolved)}. "
                                  f"This routine has {names}. Which one shall I explain?",
                                  "Say, for example, how do I do exercise one.")
        elif place is not None and not place.finished:
            where = navigation.where(graph, place.block)
            if where.block.kind == "outro":
                return turn.reply("We've finished the exercises: now just rest comfortably and breathe slowly. "
                                  "To hear how an exercise is done, say how do I do, and its name.",
                                  "Say how do I do, and the name of an exercise.")
            info = where.exercise or graph.exercises[0]  # in the introduction: the first exercise
        else:
            info = graph.exercises[0]
        instructions = esc(_shorten(info.instructions, MAX_INSTRUCTION_CHARS))
        go_on = "Say next when you're ready." if turn.state.in_progress else "Say start when you're ready."
        return turn.reply(f"Here's how to do {esc(info.name)}. {instructions} {go_on}",
                          REPROMPT_GO_ON if turn.state.in_progress else REPROMPT_START)


class HelpHandler(CourseHandler):
    intent_name = "AMAZON.HelpIntent"

    def respond_with(self, turn: Turn, course: Course) -> Response:
        if turn.state.in_progress:
            text = ("I guide you through the routine one part at a time, and wait for you in between. "
                    "Say next to go on, repeat to hear a part again, or previous to go back. "
                    "You can also say skip this exercise, go to exercise two, where am I, or how do I do this. "
                    "Say slower or faster to change the pace, and easier or harder to change the number of reps. "
                    "If anything hurts, say it hurts. What would you like to do?")
            return turn.reply(text, REPROMPT_GO_ON)
        text = (f"I can guide you through {esc(course.graph.title)}, one part at a time, waiting for you in between. "
                "Say start to begin. Once we've started, say next to go on, or repeat to hear a part again. "
                "You can also say slower, faster, easier or harder. What would you like to do?")
        return turn.reply(text, REPROMPT_START)


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(". ", 0, limit)
    return text[: cut + 1] if cut > 0 else text[:limit]
