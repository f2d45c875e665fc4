"""The pain check-in's rules and words: when a rating needs the safety advice, how a spoken number
becomes a rating, and what is asked and said around it.

Pure (no ask-sdk): the handlers (skill/handlers/checkin.py, flow.py) decide when to ask; this module
holds the one rule for when a rating is worrying, so every place that reacts to a rating agrees.
"""
from __future__ import annotations

from collections.abc import Sequence

from routine_graph.words import number_words

from .session_state import MAX_RATING, MIN_RATING, CheckIn

# A rating at or above SAFETY_RATING, or SAFETY_RISE or more above the user's previous rating, gets
# the safety advice before anything else (issue 12: "8 or more, or a jump of 3 or more").
SAFETY_RATING = 8
SAFETY_RISE = 3

_WORDS = {number_words(n): n for n in range(MIN_RATING, 21)} | {"no": 0, "none": 0, "nought": 0, "oh": 0}

ASK_START = "Before we start, how is your back today, from zero to ten? Zero is no pain."
ASK_FINISH = "How is your back now, from zero to ten?"
ASK_AGAIN = ("Sorry, I need a number from zero to ten. Zero is no pain, and ten is the worst pain you can imagine. "
             "How is your back?")
REPROMPT_START = "Say a number from zero to ten, or say skip to start straight away."
REPROMPT_FINISH = "Say a number from zero to ten, or say skip."
GO_ON_WITHOUT = "No matter. We'll go on without it."
SKIPPED = "Okay, no rating today."
TURNED_OFF = "Okay, I won't ask how your back is any more. If you'd like it back, say turn on the check-in."
TURNED_ON = "Okay. I'll ask how your back is at the start and at the end of each session."
ALREADY_ON = "The check-in is already on: I ask how your back is at the start and at the end of each session."
ALREADY_OFF = "The check-in is already off. If you'd like it back, say turn on the check-in."

# The safety advice, in the words of skill/handlers/safety.py: gentle movement is fine, sharp or
# spreading pain is not, and a professional decides when it does not settle.
START_ADVICE = ("Gentle movement often helps a sore back. But if the pain is sharp, or spreads down your leg, "
                "please rest today, and talk to a doctor or physiotherapist.")
FINISH_ADVICE = ("Please rest now, and take it easy for the rest of the day. If the pain is sharp, or spreads down "
                 "your leg, or it hasn't settled in a day or two, talk to a doctor or physiotherapist before you "
                 "do the routine again.")


def parse_rating(said: str | None) -> int | None:
    """The number in an AMAZON.NUMBER slot (Alexa sends digits; a typed line may send words), or
    None when there is none. Out-of-range numbers are returned as they are: `valid` says."""
    if not said:
        return None
    text = said.strip().lower()
    if text.isdecimal() and len(text) <= 4:  # isdecimal: '²' is a digit that int() refuses
        return int(text)
    return _WORDS.get(text)


def valid(rating: int | None) -> bool:
    return rating is not None and MIN_RATING <= rating <= MAX_RATING


def previous_rating(checkins: Sequence[CheckIn]) -> int | None:
    """The user's last rating given, of any moment: what a new one is compared with."""
    return checkins[-1].rating if checkins else None


def needs_safety(rating: int, previous: int | None) -> bool:
    """Is this rating worrying enough for the safety advice first?"""
    return rating >= SAFETY_RATING or (previous is not None and rating - previous >= SAFETY_RISE)


def why_worrying(rating: int, previous: int | None, since: str = "than last time") -> str:
    """The sentence that opens the advice: what about the rating made us stop (`since`: when the
    previous rating was given, "than at the start")."""
    if rating >= SAFETY_RATING or previous is None:
        return f"{_a(rating).capitalize()} is a lot of pain."
    return f"That's {number_words(rating - previous)} more {since}."


def noted(rating: int) -> str:
    return f"Thank you. I've noted {_a(rating)}."


def _a(rating: int) -> str:
    word = number_words(rating)
    return f"{'an' if word.startswith('e') else 'a'} {word}"
