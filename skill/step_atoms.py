"""One graph step as SSML atoms: a cue, a silence as a chain of breaks, and the words the graph says
inside a silence (routine_graph/counting.py) rendered as breaks and words at their offsets.

The graph decides which words are said and when, and gives each at least a second to itself; this
module only renders them. Durations are estimates for speech (the graph's words-per-minute
estimate, a generous one for a counted number) and exact for breaks: a silence's atoms add up to
the silence's length, so counting never makes it longer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

from routine_graph.counting import Mark, spoken_marks
from routine_graph.graph import Step

from .ssml import MAX_BREAK_SECONDS, break_tag, esc

_MIN_BREAK = 0.05  # shorter silences are not worth a tag

AtomKind = Literal["speech", "silence", "count"]


@dataclass(frozen=True)
class Atom:
    """The smallest piece of SSML: one cue, one break, or one counted number."""

    kind: AtomKind
    ssml: str
    seconds: float
    step: int  # index of the graph step it comes from


def silence_atoms(seconds: float, step: int) -> list[Atom]:
    """A silence as a chain of breaks, none longer than Alexa's 10 s. The chain lasts the silence to
    the millisecond (a silence under 50 ms is left out): a long one never ends in a sliver too short
    for a tag, so what follows it (a count) is not early."""
    atoms: list[Atom] = []
    left = round(seconds, 3)
    while left >= _MIN_BREAK:
        piece = min(left, MAX_BREAK_SECONDS)
        if 0 < left - piece < _MIN_BREAK:
            piece = round(left - _MIN_BREAK, 3)
        atoms.append(Atom("silence", break_tag(piece), round(piece, 3), step))
        left = round(left - piece, 3)
    return atoms


def word_seconds(word: str) -> float:
    """About how long a single counted number takes to say (generous)."""
    return 0.1 + 0.06 * len(word)


def counted_atoms(seconds: float, marks: Sequence[Mark], step: int) -> list[Atom]:
    """A silence of `seconds` with each mark's word said at its offset. A word is given its estimate,
    at most the time its mark has (`until`), so the breaks after it keep the next mark on time."""
    atoms: list[Atom] = []
    position = 0.0
    for mark in marks:
        atoms += silence_atoms(mark.offset - position, step)
        spoken = round(min(word_seconds(mark.word), mark.until - mark.offset), 3)
        atoms.append(Atom("count", mark.word, spoken, step))
        position = mark.offset + spoken
    atoms += silence_atoms(seconds - position, step)
    return atoms


def step_atoms(step: Step) -> list[Atom]:
    if step.text is not None:
        atoms = [Atom("speech", esc(step.text), step.seconds, step.index)]
        return atoms + silence_atoms(step.gap_after, step.index)
    marks = spoken_marks(step)
    if marks:
        return counted_atoms(step.seconds, marks, step.index)
    return silence_atoms(step.seconds, step.index)
