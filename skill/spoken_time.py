"""Times of day in words, both ways: what Alexa puts in an AMAZON.TIME slot, and a time said back.

Alexa resolves the words of an AMAZON.TIME slot itself and sends "HH:MM" (24-hour), or "MO", "AF",
"EV", "NI" for a part of the day with no time. `alexa_time_value` plays that resolution for the
exact-match rule (skill/utterance_matcher.py, docs/architecture.md "Alexa's matching"): it knows the
usual ways to say a time ("eight", "8 am", "six thirty in the evening", "half past six", "quarter to
nine", "noon") and nothing looser, so a line it accepts is one a device resolves. `clock_time` reads a
slot: "HH:MM" as Alexa sends it, or the words themselves, which is what Bespoken's virtual-alexa sends
(it leaves AMAZON.TIME unresolved). `said` is the way back, as a physiotherapist would say it: "eight
in the morning", "half past six in the evening".

A time said without a part of the day is taken as said ("eight" is 08:00), as Alexa does; the
reminder handlers decide what "at eight and six" means (skill/handlers/reminders.py).
"""
from __future__ import annotations

import re
from typing import NamedTuple

from routine_graph.words import number_words

# Alexa's values for a part of the day said without a time.
PARTS_OF_DAY = {"MO": "morning", "AF": "afternoon", "EV": "evening", "NI": "night"}

_HOUR_WORDS = {number_words(n): n for n in range(0, 24)}
_MINUTE_WORDS = {number_words(n).replace("-", " "): n for n in range(0, 60)}
_MINUTE_WORDS.update({f"oh {number_words(n)}": n for n in range(1, 10)})
_PAST_TO = {"five": 5, "ten": 10, "quarter": 15, "a quarter": 15, "twenty": 20, "twenty five": 25, "half": 30}
_MORNING = ("am", "a m", "in the morning", "this morning", "of the morning")
_LATER = ("pm", "p m", "in the afternoon", "this afternoon", "in the evening", "this evening", "tonight")
_NIGHT = ("at night",)
_VAGUE = {"morning": "MO", "the morning": "MO", "in the morning": "MO", "afternoon": "AF", "the afternoon": "AF",
          "in the afternoon": "AF", "evening": "EV", "the evening": "EV", "in the evening": "EV", "night": "NI",
          "at night": "NI", "tonight": "NI"}
_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


class ClockTime(NamedTuple):
    """A time of day in the user's own time zone."""

    hour: int
    minute: int

    @property
    def value(self) -> str:
        """As Alexa sends it, and as the state keeps it: "08:00"."""
        return f"{self.hour:02d}:{self.minute:02d}"

    @property
    def said(self) -> str:
        """"eight in the morning", "half past six in the evening", "midday"."""
        if (self.hour, self.minute) == (12, 0):
            return "midday"
        if (self.hour, self.minute) == (0, 0):
            return "midnight"
        shown = self.hour + 1 if self.minute == 45 else self.hour
        twelve = number_words(shown % 12 or 12)
        if self.minute == 0:
            words = twelve
        elif self.minute in (15, 30):
            words = f"{'quarter' if self.minute == 15 else 'half'} past {twelve}"
        elif self.minute == 45:
            words = f"quarter to {twelve}"
        else:
            minutes = number_words(self.minute).replace("-", " ")
            words = f"{number_words(self.hour % 12 or 12)} {'oh ' if self.minute < 10 else ''}{minutes}"
        return f"{words} {_part_of_day(self.hour)}"


def _part_of_day(hour: int) -> str:
    if 5 <= hour < 12:
        return "in the morning"
    if 12 <= hour < 17:
        return "in the afternoon"
    if 17 <= hour < 21:
        return "in the evening"
    return "at night"


def parse_clock(value: str | None) -> ClockTime | None:
    """"HH:MM" (what Alexa sends and the state keeps) as a ClockTime; None for anything else."""
    match = _CLOCK.fullmatch(value.strip()) if isinstance(value, str) else None
    return ClockTime(int(match.group(1)), int(match.group(2))) if match else None


def clock_time(slot_value: str | None) -> ClockTime | None:
    """The time in an AMAZON.TIME slot: Alexa's "HH:MM", or the spoken words (virtual-alexa); None when
    the slot is empty, holds only a part of the day, or is not a time."""
    if not slot_value:
        return None
    exact = parse_clock(slot_value)
    if exact is not None:
        return exact
    return parse_clock(alexa_time_value(slot_value))


def part_of_day(slot_value: str | None) -> str | None:
    """"morning" when the slot holds only a part of the day (Alexa's "MO", or the words)."""
    if not slot_value:
        return None
    code = slot_value.strip() if slot_value.strip() in PARTS_OF_DAY else alexa_time_value(slot_value)
    return PARTS_OF_DAY.get(code or "")


def alexa_time_value(words: str) -> str | None:
    """What Alexa would send in an AMAZON.TIME slot for these spoken words, or None when they are not a
    time it resolves. "eight" -> "08:00", "6 pm" -> "18:00", "half past six in the evening" -> "18:30",
    "noon" -> "12:00", "the evening" -> "EV"."""
    text = " ".join(re.sub(r"[^a-z0-9' ]+", " ", words.lower().replace("-", " ")).split())
    text = re.sub(r"^(?:at|about|around) ", "", text)
    if text in _VAGUE:
        return _VAGUE[text]
    if text in ("noon", "midday", "twelve noon", "12 noon"):
        return "12:00"
    if text in ("midnight", "twelve midnight", "12 midnight"):
        return "00:00"
    text, period = _split_period(text)
    time = _hour_and_minutes(text)  # minutes from the hour said: "quarter to nine" is (9, -15)
    if time is None:
        return None
    hour, minute = divmod(time[0] * 60 + time[1], 60)  # (9, -15) for "quarter to nine": 8:45
    if hour == 0 and time[1] < 0:
        hour = 12  # "quarter to one" is 12:45 on the twelve-hour clock it was said on
    if period is not None:
        if hour > 12 or hour == 0:
            return None  # "eighteen pm" is nobody's time
        if period == "am":
            hour %= 12
        elif period == "pm" and hour != 12:
            hour += 12
        elif period == "night":
            hour = hour + 12 if 7 <= hour < 12 else hour % 12
    return ClockTime(hour, minute).value


def _split_period(text: str) -> tuple[str, str | None]:
    for endings, period in ((_MORNING, "am"), (_LATER, "pm"), (_NIGHT, "night")):
        for ending in endings:
            if text.endswith(" " + ending):
                return text[: -len(ending) - 1], period
    return text, None


def _hour_and_minutes(text: str) -> tuple[int, int] | None:
    text = re.sub(r" o'?clock$", "", text)
    m = re.fullmatch(r"(.+) (past|to|after) (.+)", text)
    if m:
        minutes = _PAST_TO.get(m.group(1)) or _minute(m.group(1).removesuffix(" minutes"))
        hour = _hour(m.group(3))
        if not minutes or hour is None or minutes >= 60 or not 1 <= hour <= 12:
            return None
        return hour, (-minutes if m.group(2) == "to" else minutes)
    hour = _hour(text)
    if hour is not None:
        return hour, 0
    digits = re.fullmatch(r"(\d{1,2}) ?(\d{2})", text)
    if digits:
        hour, minute = int(digits.group(1)), int(digits.group(2))
        return (hour, minute) if hour < 24 and minute < 60 else None
    for split in range(1, len(text.split())):
        words = text.split()
        hour, minute = _hour(" ".join(words[:split])), _minute(" ".join(words[split:]))
        if hour is not None and minute is not None and minute > 0:
            return hour, minute
    return None


def _hour(text: str) -> int | None:
    if text.isdigit():
        return int(text) if int(text) < 24 else None
    return _HOUR_WORDS.get(text)


def _minute(text: str) -> int | None:
    if text.isdigit():
        return int(text) if len(text) == 2 and int(text) < 60 else None
    return _MINUTE_WORDS.get(text)
