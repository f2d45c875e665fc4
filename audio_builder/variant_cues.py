"""The cues a build makes ahead so that a variant at any pace of the grid (paces.py) can be assembled
without synthesizing: the count words that a slower pace makes a hold long enough to say.

Only holds and moves scale with the pace (routine_graph/expansion.py); cues, pauses and rests do not,
so the words a pace adds are the counts of the routine's holds at that pace. They are found from the
routine's steps through expansion's own reading of a silent step and counting.py's marks, so the rule
of what is counted stays the graph's (docs/architecture.md, "Counting inside a silence"), in
microseconds instead of the half second that expanding every level at every pace takes on the seed.
tests/audio_builder/test_variants.py checks the two against each other.
"""
from __future__ import annotations

from typing import Iterable

from routine_graph.counting import marks_in
from routine_graph.expansion import _silence_of  # the graph's reading of a silent step (kind, seconds, count, tone)
from routine_graph.model import HoldStep, Routine

from .paces import GRID


def ahead_texts(routine: Routine, paces: Iterable[float] = GRID) -> list[str]:
    """Every count word a hold of `routine` says at some pace in `paces`, in a stable order (numbers
    are cheap to synthesize: the seed needs none beyond its own, the test routine four)."""
    holds = [step for step in _steps(routine) if isinstance(step, HoldStep)]
    words: dict[str, None] = {}
    for pace in paces:
        for step in holds:
            _kind, seconds, count, _tone = _silence_of(step, routine, pace)
            # The graph rounds a step's seconds to the millisecond (expansion._Builder.silence).
            for mark in marks_in(round(seconds, 3), count):
                words.setdefault(mark.word)
    return list(words)


def _steps(routine: Routine):
    yield from routine.intro
    yield from routine.outro
    for exercise in routine.exercises:
        yield from exercise.setup
        yield from exercise.rep
