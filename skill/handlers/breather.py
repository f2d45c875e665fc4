"""'I need a break', 'give me a minute', 'hold on': wait quietly, keep the place and the session.

Unlike pause (which ends the session and keeps the place for another day), a break is a minute or
so of silence inside the reply, then a prompt, with the microphone open afterwards.
"""
from __future__ import annotations

from ask_sdk_model import Response

from ..routines import Course
from ..speech import silence_atoms
from .audio_flow import halt, playing_now
from .base import Turn
from .flow import REPROMPT_START, CourseHandler

# About a minute: long enough to catch your breath, well inside the 240 s of audio a reply may have.
BREAK_SECONDS = 60
REPROMPT_AFTER_BREAK = "Say next when you're ready to carry on, or stop to finish for today."


def quiet_wait(seconds: float = BREAK_SECONDS) -> str:
    """Silence as chained breaks (Alexa allows 10 s in one)."""
    return "".join(atom.ssml for atom in silence_atoms(seconds, 0))


class BreakHandler(CourseHandler):
    intent_name = "BreakIntent"

    def respond_with(self, turn: Turn, course: Course) -> Response:
        state = turn.state
        if playing_now(turn.handler_input):
            # A silent reply would not pause the audio version: stop it where it is.
            halt(turn)
            return turn.reply("Of course. I've paused the audio. Take your time. When you're ready, "
                              "say: Alexa, resume.", end=True)
        wait = quiet_wait()
        if state.in_progress and not turn.routine_changed:
            # They stopped after this part: "next" (or "continue") afterwards goes on to the one after it.
            state.mark_heard(turn.session_id)
            return turn.reply(f"Of course. Take a breather, I'll wait. {wait} Ready when you are. Say next to carry on.",
                              REPROMPT_AFTER_BREAK)
        if state.place is not None and state.place.finished and not turn.routine_changed:
            return turn.reply(f"Of course, take your time. {wait} You've finished the routine. Say start over to go "
                              "through it again, or stop if that's all for today.",
                              "Say start over to go again, or stop to finish.")
        return turn.reply(f"Of course, take your time. {wait} Say start when you're ready.", REPROMPT_START)
