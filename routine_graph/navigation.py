"""Navigation over the routine graph: where a user is, and where each move takes them.

A user goes through the graph's blocks (the intro, an exercise's setup, one set, the outro) in
order, and a block may be given in several parts. How a block is split is the voice guide's
decision, not the graph's: a part is what fits one Alexa reply (skill/speech.py splits a block at
its sides, then reps), while the audio version plays every block whole. A `Route` is the graph with
its parts (one a block unless a subclass says otherwise: the skill's Course), and a `Cursor` is a
place on it, (block, part).

Moves by one part (`next_place`, `previous_place`, `repeat`) and the time left from a place
(`seconds_from`) are Route methods: they need the parts. They take any (block, part), even one saved
against a longer version of the routine (`clamp` brings it back inside), and return a new Cursor, or
None when there is nowhere to go. Moves to an exercise (`skip_exercise`, `goto_exercise`) and what a
place is (`where`) need only the graph: they take it and a block, and a move lands on a block's first
part. Nothing is stored, so the skill's saved place and the tests reason about moves without state.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Sequence

from .graph import Block, ExerciseInfo, Graph


class Cursor(NamedTuple):
    """A place on a route: a block (an index into Graph.blocks) and one of its parts, both 0-based."""

    block: int
    part: int = 0


@dataclass(frozen=True)
class Route:
    """The graph as a user moves through it, each block in one part unless `part_starts` says
    otherwise."""

    graph: Graph

    def part_starts(self, block: int) -> Sequence[int]:
        """The step each part of `block` starts at, in order."""
        return (self.graph.blocks[block].first_step,)

    def clamp(self, block: int, part: int = 0) -> Cursor:
        """The nearest place that exists. A saved place may lie beyond the end after the routine
        changed, or beyond a block's parts after the level or pace changed how it is split."""
        block = max(0, min(block, len(self.graph.blocks) - 1))
        return Cursor(block, max(0, min(part, len(self.part_starts(block)) - 1)))

    def next_place(self, block: int, part: int = 0) -> Cursor | None:
        """The next part, or the next block's first; None after the last part of the last block."""
        block, part = self.clamp(block, part)
        if part + 1 < len(self.part_starts(block)):
            return Cursor(block, part + 1)
        if block + 1 < len(self.graph.blocks):
            return Cursor(block + 1)
        return None

    def previous_place(self, block: int, part: int = 0) -> Cursor | None:
        """The part before; from a block's first part, the block before from its start (going back to
        a set means doing the set again). None at the very beginning."""
        block, part = self.clamp(block, part)
        if part > 0:
            return Cursor(block, part - 1)
        if block > 0:
            return Cursor(block - 1)
        return None

    def repeat(self, block: int, part: int = 0) -> Cursor:
        """The same part again."""
        return self.clamp(block, part)

    def seconds_from(self, block: int, part: int = 0) -> float:
        """Estimated time from the start of this part to the end of the routine (the graph's
        estimate; the skill corrects it with a built track: skill/durations.py)."""
        block, part = self.clamp(block, part)
        first = self.part_starts(block)[part]
        steps, starts = self.graph.steps, self.graph.starts
        if len(starts) != len(steps):  # a graph made without its start times
            return sum(step.duration for step in steps[first:])
        return max(0.0, starts[-1] + steps[-1].duration - starts[first])


class Where(NamedTuple):
    """What a place is: its block, and the exercise it belongs to (None in the intro and outro)."""

    block: Block
    exercise: ExerciseInfo | None
    exercise_count: int


def where(graph: Graph, block: int) -> Where:
    b = graph.blocks[block]
    return Where(b, graph.exercises[b.exercise - 1] if b.exercise else None, len(graph.exercises))


def skip_exercise(graph: Graph, block: int) -> int | None:
    """The first block after the current exercise (the next exercise's setup, or the finish); from
    the intro, the first exercise. None from the finish, or from the last exercise when there is no
    finish."""
    current = graph.blocks[block].exercise
    for candidate in graph.blocks[block + 1:]:
        if candidate.exercise != current and (candidate.exercise is not None or candidate.kind == "outro"):
            return candidate.index
    return None


def goto_exercise(graph: Graph, number: int) -> int | None:
    """The setup block of exercise `number` (1-based), or None if there is no such exercise."""
    blocks = graph.exercise_blocks(number)
    return blocks[0].index if blocks else None
