"""Loop and shuffle: Alexa sends them to audio skills whether or not they apply, in either mode.

"loop on" plays the session again when it ends (the one case where we ENQUEUE: playback.py);
shuffle is declined politely, because the exercises build on each other.
"""
from __future__ import annotations

from ask_sdk_model import Response

from .audio_flow import audio_in_charge, playing_now, respond
from .audio_resume import REPROMPT_AUDIO
from .base import IntentHandler, Turn


class LoopOnHandler(IntentHandler):
    """'loop on': play the session again when it ends (the one case where we ENQUEUE)."""

    intent_name = "AMAZON.LoopOnIntent"

    def respond(self, turn: Turn) -> Response:
        audio = turn.state.audio
        if audio is None or not audio_in_charge(turn.handler_input):
            return _not_in_voice(turn, "Looping works with the audio version: say play the audio version first.")
        turn.state.audio = audio.moved(loop=True)
        return _audio_answer(turn, "Okay, I'll play the session again when it ends.")


class LoopOffHandler(IntentHandler):
    intent_name = "AMAZON.LoopOffIntent"

    def respond(self, turn: Turn) -> Response:
        audio = turn.state.audio
        if audio is not None and audio.loop:
            turn.state.audio = audio.moved(loop=False)
        if audio is None or not audio_in_charge(turn.handler_input):
            return _not_in_voice(turn, "Okay, looping is off.")
        return _audio_answer(turn, "Okay, the session will play once.")


class ShuffleHandler(IntentHandler):
    """Shuffle on or off: nothing changes, `text` says why. One class per intent below."""

    text = ""

    def respond(self, turn: Turn) -> Response:
        if audio_in_charge(turn.handler_input):
            return _audio_answer(turn, self.text)
        return _not_in_voice(turn, self.text)


class ShuffleOnHandler(ShuffleHandler):
    intent_name = "AMAZON.ShuffleOnIntent"
    text = "The exercises build on each other, so I keep them in order."


class ShuffleOffHandler(ShuffleHandler):
    intent_name = "AMAZON.ShuffleOffIntent"
    text = "Okay. The routine always plays in order."


def _audio_answer(turn: Turn, text: str) -> Response:
    if playing_now(turn.handler_input):
        return respond(turn, None, text)  # no directive: the stream carries on after the answer
    return turn.reply(f"{text} Say resume to carry on listening.", REPROMPT_AUDIO)


def _not_in_voice(turn: Turn, text: str) -> Response:
    if turn.state.in_progress:
        return turn.reply(f"{text} Say next to carry on.", "Say next to carry on, or help to hear what you can say.")
    return turn.reply(f"{text} Say start to begin the routine.", "Say start to begin, or help to hear what you can say.")
