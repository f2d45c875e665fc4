"""What is said inside a silence: a hold's count and a rest's countdown, decided once, here.

The audio builder places these words in the track (audio_builder/timeline.py) and the skill places
them between SSML breaks (skill/step_atoms.py). Both say every mark, at its offset; neither chooses,
moves or drops a word.

The rule, as a physiotherapist counts:

- count="up" (a hold): the seconds gone, each second up to ten, then every five seconds ("one, two,
  ... ten, fifteen, twenty, twenty-five" in a 30 s hold).
- count="down" (a hold): the seconds left, on the multiples of five while more than ten are left,
  then each second over the last ten ("twenty-five, twenty, fifteen, ten, nine, ... one").
- countdown=N (a rest): the seconds left over each of its last N seconds ("three, two, one").
- Every word sits on a second mark: a count up a whole number of seconds after the silence starts,
  a count down (and a countdown) a whole number of seconds before it ends, so "one" is said with one
  second left even in a silence of 4.5 s.
- No word in the first second (the cue that starts the silence lands first), and every word has
  the time of its step to itself before the next word or the end: a second for the words said each
  second (at most "ten": the routine model caps a countdown at ten), five seconds for the words said
  every five. So marks are at least a second apart, nothing is said at the very start or at or
  after the end, a silence shorter than two seconds is quiet, and a count up says its last
  five-second mark only with five seconds to go ("twenty" in a 27 s hold, then quiet). Every word
  fits its slot in any voice, with no guess at how long a word takes.
- Tones (Step.tone) are not words and stay the audio builder's: the start tone sounds in the first
  second, which no word uses; the end tone in the last few tenths of a second, after the last word.

`count` wins over `countdown` should a step carry both (the graph never makes one that does).
"""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from .graph import Step
from .words import number_words

LANDING_SECONDS = 1.0  # nothing is said this soon after a silence starts
EVERY_SECOND_UP_TO = 10  # beyond this, counts are said every five seconds
_EPS = 1e-6  # graph seconds are rounded to milliseconds


class Mark(NamedTuple):
    """One word said inside a silence."""

    offset: float  # seconds from the start of the silence
    number: int
    word: str  # number_words(number)
    until: float  # the next mark's offset, or the silence's length: the word is said by then


def spoken_marks(step: Step) -> tuple[Mark, ...]:
    """The words said inside `step` (a hold, a rest, ...), in order; () for a cue or a quiet silence."""
    if not (step.count or step.countdown) or not step.silent:
        return ()
    return marks_in(step.seconds, step.count, step.countdown)


@lru_cache(maxsize=1024)
def marks_in(seconds: float, count: str | None = None, countdown: int = 0) -> tuple[Mark, ...]:
    """The marks of a silence of `seconds` counted `count` ("up", "down") or counted down over its
    last `countdown` seconds. Cached: a routine has thousands of silences but few distinct ones."""
    first = LANDING_SECONDS - _EPS
    if count == "up":
        placed = [(float(n), n) for n in range(1, int(seconds) + 1) if n >= first]
    elif count == "down" or countdown > 0:
        top = int(seconds - first)  # the most seconds left once the cue has landed
        if count != "down":
            top = min(top, countdown)
        placed = [(float(round(seconds - n, 3)), n) for n in range(top, 0, -1)]
    else:
        return ()
    if count:
        placed = [(offset, n) for offset, n in placed if _said(n)]
    placed = [(offset, n) for offset, n in placed if offset + _slot(n) <= seconds + _EPS]
    ends = [offset for offset, _ in placed[1:]] + [float(seconds)]
    return tuple(Mark(offset, n, number_words(n), until) for (offset, n), until in zip(placed, ends))


def _said(n: int) -> bool:
    """Counted each second up to ten, then every five seconds."""
    return n <= EVERY_SECOND_UP_TO or n % 5 == 0


def _slot(n: int) -> float:
    """The time the word for `n` has to itself: the step of the count it belongs to."""
    return 1.0 if n <= EVERY_SECOND_UP_TO else 5.0
