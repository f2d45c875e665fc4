"""'It hurts': stop, give safety advice that fits the moment, offer what makes sense, and record it.

Every reply sends the user to a doctor or physiotherapist when the pain is the worrying kind; the
red flags (sharp, tingling, numb, spreading or burning pain, any chest pain, feeling faint or sick)
make it firmer: stop now, no more today, get advice soon (chest pain or feeling very unwell:
urgently), and the session ends.
"""
from __future__ import annotations

import re

from ask_sdk_model import Response

from ..pain_words import read as read_sensation
from ..routines import Course
from ..session_state import (MODE_VOICE, QUESTION_GENTLY, QUESTION_HURT, QUESTION_RESUME, QUESTION_RESUME_AUDIO,
                             QUESTION_START_OVER)
from .audio_flow import halt, playing_now
from .base import Turn
from .fallback import FallbackHandler
from .flow import CourseHandler

RED_FLAG_FEELINGS = ("sharp", "tingling", "numb", "spreading", "burning")
BODY_PARTS = ("chest", "back", "neck", "shoulder", "arm", "hip", "buttock", "leg", "knee", "foot", "stomach", "side")
FEELINGS = RED_FLAG_FEELINGS + ("sore", "twinge", "stiff", "cramp", "throbbing")
# Used only when Alexa sent the words but did not resolve them to a value (or a client sends plain
# words): a red flag must not be missed because it was put in other words, so they are looked for
# first. Keys are word beginnings; the model's own synonyms are Alexa's business.
_FEELING_WORDS = {
    "sharp": "sharp", "stabb": "sharp", "shooting": "spreading", "tingl": "tingling", "pins and needles": "tingling",
    "numb": "numb", "dead": "numb", "spread": "spreading", "radiat": "spreading", "down my leg": "spreading",
    "burn": "burning", "on fire": "burning", **{f: f for f in FEELINGS},
}
_BODY_WORDS = {"chest": "chest", "heart": "chest", **{b: b for b in BODY_PARTS}, "thigh": "leg", "calf": "leg",
               "feet": "foot", "bum": "buttock", "glute": "buttock"}

# Feeling faint or sick, or the heart racing, is not a pain to rest through: stop, sit down, and get
# help if it stays.
_UNWELL_WORDS = {w: "unwell" for w in ("dizz", "faint", "light headed", "lightheaded", "nause", "sick",
                                       "short of breath", "breathless", "can't breathe", "cannot breathe",
                                       "heart", "palpitat")}

_FEELING_NAMES = {"sharp": "sharp pain", "tingling": "tingling", "numb": "numbness", "spreading": "pain that spreads",
                  "burning": "a burning feeling"}

ROUTINE_ADVICE = ("A little discomfort when you move can be normal. But if the pain is sharp, or spreads down "
                  "your leg, please stop for today, and talk to a doctor or physiotherapist.")

# What fits the moment: where the user is decides what "stop" means.
_SITUATION = {
    "waiting": "Take a moment, and find a comfortable position. Breathe slowly.",
    "intro": "We haven't started the exercises yet. Find a comfortable position, and breathe slowly.",
    "setup": ("Let's not do this exercise for now. If you're already in position, come out of it slowly, "
              "and rest in whatever way feels comfortable. Breathe slowly."),
    "set": ("Let's stop this exercise now. Come out of the position slowly, and rest in whatever way feels "
            "comfortable. Breathe slowly."),
    # Just after a set: the user may still be in position, or already resting.
    "rest": ("Let's stop this exercise here. If you're still in position, come out of it slowly. Then rest in "
             "whatever way feels comfortable, and breathe slowly."),
    "outro": "The exercises are done. Rest in whatever way feels comfortable, and breathe slowly.",
}


class HurtsIntentHandler(CourseHandler):
    """'it hurts', 'my leg is tingling', 'sharp pain in my back' (slots body_part and feeling)."""

    intent_name = "HurtsIntent"

    def respond_with(self, turn: Turn, course: Course) -> Response:
        body_id, body_said = turn.slot("body_part")
        feeling_id, feeling_said = turn.slot("feeling")
        return pain_reply(turn, course, body_id or _match(body_said, _BODY_WORDS), body_said,
                          feeling_id or _match(feeling_said, _FEELING_WORDS) or _match(body_said, _FEELING_WORDS),
                          feeling_said)


class SensationHandler(CourseHandler):
    """'my {words}', 'ouch {words}': what someone says about their body that no HurtsIntent sample
    covers. Pain found in the words gets the same advice as HurtsIntent; anything else is a phrase
    we did not understand."""

    intent_name = "SensationIntent"

    def respond_with(self, turn: Turn, course: Course) -> Response:
        _, words = turn.slot("words")
        sensation = read_sensation(words)
        unwell = _match(words, _UNWELL_WORDS) is not None
        if not (sensation.pain or unwell):
            return FallbackHandler(turn.deps).respond(turn)
        feeling = sensation.feeling or _match(words, _FEELING_WORDS)
        if playing_now(turn.handler_input):  # as AudioHurtsHandler does for "it hurts"
            halt(turn)
            turn.state.mode = MODE_VOICE
        return pain_reply(turn, course, sensation.body_part, None, feeling, None, said=words, unwell=unwell)


def pain_reply(turn: Turn, course: Course, body_id: str | None, body_said: str | None, feeling_id: str | None,
               feeling_said: str | None, said: str | None = None, unwell: bool = False) -> Response:
    """Record the report, then advise: firmly for a red flag (the session ends), otherwise with the
    offer that fits where the user is."""
    state = turn.state
    graph = course.graph
    where = graph.blocks[state.place.block].title if state.place is not None else "not started"
    # Kept so the user (or their physiotherapist) can look back at when it happened, and how.
    state.record_event("hurt", graph.routine_id, where, turn.now(), body_part=body_id, body_part_said=body_said,
                       feeling=feeling_id, feeling_said=feeling_said, said=said)
    running = state.in_progress and not turn.routine_changed
    situation = _situation(turn, course) if running else "waiting"
    sorry = f"I'm sorry your {body_id} hurts." if body_id and body_id != "chest" else "I'm sorry it hurts."

    if body_id == "chest":
        state.clear_question()
        return turn.reply(
            "I'm sorry. Pain in your chest needs checking straight away. Please stop now, and seek medical "
            "help urgently. If it's severe, or you feel unwell or short of breath, call the emergency services. "
            "Before you exercise again, talk to a doctor or physiotherapist.", end=True)
    if unwell:
        state.clear_question()
        return turn.reply(
            "Please stop now, and sit or lie down somewhere safe. Breathe slowly. If you feel very unwell, or it "
            "doesn't pass in a few minutes, get medical help urgently. Don't carry on with the exercises today, "
            "and talk to a doctor or physiotherapist before you do the routine again. Take care.", end=True)
    if feeling_id in RED_FLAG_FEELINGS:
        state.clear_question()
        named = _FEELING_NAMES[feeling_id]
        if body_id == "leg" and feeling_id == "spreading":
            named = "pain that spreads down your leg"
        elif body_id and feeling_id != "spreading":
            named += f" in your {body_id}"
        if running:
            firm = (f"With {named}, please stop now, and don't carry on with the exercises today. Talk to a "
                    "doctor or physiotherapist soon, before you do the routine again. I've kept your place "
                    "for when you're ready.")
        else:
            firm = (f"With {named}, please don't do the exercises today. Talk to a doctor or physiotherapist "
                    "soon, before you do the routine.")
        return turn.reply(f"{sorry} {_SITUATION[situation]} {firm} Take care.", end=True)

    if situation == "waiting":
        state.ask(QUESTION_GENTLY, turn.session_id)
        what = "carry on" if running else "start"
        return turn.reply(
            f"{sorry} {_SITUATION[situation]} Gentle movement often helps a sore back. But if the pain is sharp, "
            "or spreads down your leg, please rest today, and talk to a doctor or physiotherapist. "
            f"Would you like to {what} gently, going only as far as feels comfortable? "
            f"Say yes to {what}, or no to rest today.",
            f"Say yes to {what} gently, or no to rest today.")
    advice = f"{sorry} {_SITUATION[situation]} {ROUTINE_ADVICE}"
    block = graph.blocks[state.place.block]
    state.ask(QUESTION_HURT, turn.session_id)
    if block.exercise is None:
        return turn.reply(f"{advice} Would you like to stop for today? Say yes to stop, or no to carry on gently.",
                          "Say yes to stop for today, or no to carry on.")
    return turn.reply(f"{advice} Would you like to skip this exercise and go on to the next one? "
                      "Say yes to skip it, or no to stop for today.",
                      "Say yes to skip this exercise, or no to stop for today.")


def _situation(turn: Turn, course: Course) -> str:
    """Where a user in a run is, as far as what to do about pain goes."""
    state = turn.state
    if state.pending_question(turn.session_id) in (QUESTION_RESUME, QUESTION_START_OVER, QUESTION_RESUME_AUDIO):
        return "waiting"  # only asked whether to carry on: nothing is under way yet
    place = state.place
    kind = course.graph.blocks[place.block].kind
    if kind == "set":
        chunk = course.chunk(place.block, place.part)
        return "rest" if chunk.last or chunk.cut == "rest" else "set"
    return kind if kind in _SITUATION else "set"


def _match(said: str | None, words: dict[str, str]) -> str | None:
    if not said:
        return None
    text = " ".join(re.sub(r"[^a-z ]+", " ", said.lower()).split())
    return next((value for stem, value in words.items() if re.search(rf"\b{stem}", text)), None)
