"""Pure navigation over the routine graph's blocks (the user-paced chunks).

A cursor is a block index. Every function takes the graph and a cursor and returns a new cursor (or
None when there is nowhere to go), so the skill and tests can reason about moves without state.
"""
from __future__ import annotations

from dataclasses import dataclass

from .graph import Graph, Position


def first(graph: Graph) -> int:
    return 0


def next_block(graph: Graph, cursor: int) -> int | None:
    return cursor + 1 if cursor + 1 < len(graph.blocks) else None


def previous_block(graph: Graph, cursor: int) -> int | None:
    return cursor - 1 if cursor > 0 else None


def repeat(graph: Graph, cursor: int) -> int:
    return cursor


def skip_exercise(graph: Graph, cursor: int) -> int | None:
    """The first block after the current exercise (the next exercise's setup, or the finish);
    from the intro, the first exercise."""
    current = graph.blocks[cursor].exercise
    for block in graph.blocks[cursor + 1:]:
        if block.exercise != current and (block.exercise is not None or block.kind == "outro"):
            return block.index
    return None


def goto_exercise(graph: Graph, number: int) -> int | None:
    """The setup block of exercise `number` (1-based), or None if there is no such exercise."""
    blocks = graph.exercise_blocks(number)
    return blocks[0].index if blocks else None


def goto_set(graph: Graph, number: int, set_no: int) -> int | None:
    return next((b.index for b in graph.exercise_blocks(number) if b.set == set_no), None)


def locate(graph: Graph, position: Position) -> int:
    """The block that holds a position: the most specific block whose steps include it."""
    for step in graph.steps:
        if step.position == position:
            return step.block
    raise LookupError(f"no step at {position.label()}")


def clamp(graph: Graph, cursor: int) -> int:
    """Keep a saved cursor valid after the routine changed under it."""
    return max(0, min(cursor, len(graph.blocks) - 1))


@dataclass(frozen=True)
class Where:
    block_kind: str
    exercise: int | None
    exercise_name: str | None
    exercise_count: int
    set: int | None
    sets: int | None
    seconds_done: float
    seconds_left: float  # including the current block
    blocks_left: int  # including the current block
    exercises_left: int  # exercises not yet finished, including the current one

    @property
    def fraction_done(self) -> float:
        total = self.seconds_done + self.seconds_left
        return self.seconds_done / total if total else 1.0


def where(graph: Graph, cursor: int) -> Where:
    block = graph.blocks[cursor]
    done = sum(graph.block_seconds(i) for i in range(cursor))
    left = sum(graph.block_seconds(i) for i in range(cursor, len(graph.blocks)))
    info = graph.exercises[block.exercise - 1] if block.exercise else None
    if block.kind == "intro":
        exercises_left = len(graph.exercises)
    elif block.kind == "outro":
        exercises_left = 0
    else:
        exercises_left = len(graph.exercises) - block.exercise + 1
    return Where(block.kind, block.exercise, info.name if info else None, len(graph.exercises), block.set,
                 info.sets if info else None, done, left, len(graph.blocks) - cursor, exercises_left)
