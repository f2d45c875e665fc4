"""Opening the skill: welcome a new user, or offer a returning one to carry on."""
from __future__ import annotations

from ask_sdk_model import Response

from routine_graph.words import number_words

from ..session_state import QUESTION_RESUME, QUESTION_START
from ..course_words import exercise_list, minutes_phrase, where_phrase
from ..durations import routine_seconds
from ..speech import esc
from .audio_resume import audio_to_resume, offer_audio_resume
from .base import RequestTypeHandler, Turn
from .flow import REPROMPT_START, carry_on_target, no_routines, sessions_this_week


class LaunchHandler(RequestTypeHandler):
    request_type = "LaunchRequest"

    def respond(self, turn: Turn) -> Response:
        state = turn.state
        new_user = state.is_new_user
        course = turn.course()
        if course is None:
            return no_routines(turn)
        graph = course.graph
        if new_user:
            state.ask(QUESTION_START, turn.session_id)
            state.safety_said_in = turn.session_id  # so the introduction, next, need not say it again
            count = len(graph.exercises)
            exercises = "one exercise" if count == 1 else f"{number_words(count)} exercises"
            return turn.reply(
                f"Welcome to my back routine. I'll guide you through {esc(graph.title)}. "
                f"There {'is' if count == 1 else 'are'} {exercises}: {exercise_list(course)}. "
                f"It takes {minutes_phrase(routine_seconds(turn.deps, course))}, and I'll wait for you between sets, "
                f"so you set the pace. {esc(graph.safety)} When you're ready, say start.",
                REPROMPT_START,
            )
        week = sessions_this_week(turn)
        welcome = "Welcome back."
        if week:
            welcome += f" You've done {number_words(week)} session{'s' if week > 1 else ''} this week."
        if not turn.routine_changed and audio_to_resume(turn):
            return offer_audio_resume(turn, welcome)
        if state.in_progress and not turn.routine_changed:
            block, _ = carry_on_target(turn, course)
            state.ask(QUESTION_RESUME, turn.session_id)
            if state.place.done and block != state.place.block:
                where = f"Last time you finished {where_phrase(course, state.place.block)}. Shall we carry on with {where_phrase(course, block)}?"
            else:
                where = f"Last time you stopped at {where_phrase(course, block)}. Shall we carry on from there?"
            return turn.reply(f"{welcome} {where}", "Say yes to carry on where you left off, or no to choose something else.")
        state.ask(QUESTION_START, turn.session_id)
        level = f" at the {esc(graph.level)} level" if len(turn.deps.library.get(graph.routine_id).levels) > 1 else ""
        return turn.reply(
            f"{welcome} {esc(graph.title)} takes {minutes_phrase(routine_seconds(turn.deps, course))}{level}. "
            "Say start when you're ready.",
            REPROMPT_START,
        )
