"""Yes and No: they answer whatever question this session last asked (see session_state)."""
from __future__ import annotations

from ask_sdk_model import Response

from routine_graph import navigation

from ..routines import Course
from ..session_state import (MODE_VOICE, QUESTION_GENTLY, QUESTION_HURT, QUESTION_RESUME, QUESTION_RESUME_AUDIO,
                             QUESTION_START, QUESTION_START_OVER)
from .audio_resume import resume_audio
from .base import Turn
from .flow import CourseHandler, REPROMPT_GO_ON, REPROMPT_START, carry_on_target, go_on, play, start_run

GOODBYE_SAVED = "Okay. I've kept your place for next time. Take care."


def answered_question(turn: Turn) -> str | None:
    """The question this session last asked (None if none), now answered: it is asked no more."""
    question = turn.state.pending_question(turn.session_id)
    turn.state.clear_question()
    return question


class YesHandler(CourseHandler):
    intent_name = "AMAZON.YesIntent"

    def respond_with(self, turn: Turn, course: Course) -> Response:
        state, question = turn.state, answered_question(turn)
        if question == QUESTION_RESUME and state.in_progress:
            return play(turn, course, *carry_on_target(turn, course), "Good. Let's carry on.")
        if question == QUESTION_RESUME_AUDIO and state.audio is not None:
            return resume_audio(turn, "Good. Carrying on.")
        if question in (QUESTION_START, QUESTION_START_OVER) or (question == QUESTION_RESUME and not state.in_progress):
            return start_run(turn, course)
        if question == QUESTION_HURT and state.in_progress:
            graph = course.graph
            block = graph.blocks[state.place.block]
            if block.exercise is None:  # the question was "stop for today?"
                return turn.reply(f"{GOODBYE_SAVED} Rest well.", end=True)
            target = navigation.skip_exercise(graph, state.place.block)
            if target is None:
                return turn.reply(f"{GOODBYE_SAVED} Rest well.", end=True)
            return play(turn, course, target, 0, "Okay, we'll leave that one for today. Only carry on if you feel comfortable.")
        if question == QUESTION_GENTLY:
            lead = "Okay. Go gently, and only as far as feels comfortable."
            if state.in_progress and not turn.routine_changed:
                return play(turn, course, *carry_on_target(turn, course), lead)
            return start_run(turn, course, lead=lead)
        if state.in_progress and not turn.routine_changed:
            # "Okay" after "say next when you're in position": nothing was asked, so it means go on.
            return go_on(turn, course)
        return turn.reply("Say start to begin the routine, or help to hear what you can say.", REPROMPT_START)


class NoHandler(CourseHandler):
    intent_name = "AMAZON.NoIntent"

    def respond_with(self, turn: Turn, course: Course) -> Response:
        state, question = turn.state, answered_question(turn)
        if question == QUESTION_RESUME:
            state.ask(QUESTION_START_OVER, turn.session_id)
            return turn.reply("No problem. Would you like to start the routine from the beginning?",
                              "Say yes to start from the beginning, or no to stop for now.")
        if question == QUESTION_START_OVER:
            return turn.reply("Okay. Your place is kept for next time. Take care.", end=True)
        if question == QUESTION_RESUME_AUDIO:
            state.mode = MODE_VOICE  # declined the audio: "next", "resume"... mean the voice guide now
            return turn.reply("No problem. Say start to follow along by voice from where you stopped, "
                              "or stop to finish for now.", "Say start to follow along by voice, or stop to finish.")
        if question == QUESTION_START:
            return turn.reply("Alright. Come back whenever you're ready. Take care.", end=True)
        if question == QUESTION_GENTLY:
            kept = " I've kept your place." if state.in_progress else ""
            return turn.reply(f"That's fine. Rest today, and come back when you feel ready.{kept} Take care.", end=True)
        if question == QUESTION_HURT:
            if state.in_progress and course.graph.blocks[state.place.block].exercise is None:
                return turn.reply("Alright, we'll carry on gently. Only go as far as feels safe. "
                                  "Say next when you're ready.", REPROMPT_GO_ON)
            return turn.reply("That's fine. Let's stop here for today, and rest. I've kept your place. Take care.", end=True)
        if state.in_progress:
            return turn.reply("Okay. Say next when you're ready, or stop to finish for today.", REPROMPT_GO_ON)
        return turn.reply("Okay. Say start when you're ready, or stop to finish.", REPROMPT_START)
