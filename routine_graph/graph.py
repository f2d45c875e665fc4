"""The routine graph: a routine expanded for one level and pace into ordered, positioned steps.

Both outputs read it: the audio builder walks `steps` into a timeline, the skill moves a cursor over
`blocks` (the user-paced chunks: intro, an exercise's setup, one set, outro).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from .progression import Rules

StepKind = Literal["speak", "move", "hold", "rest", "pause", "switch"]
BlockKind = Literal["intro", "setup", "set", "outro"]
SILENT_KINDS = ("move", "hold", "rest", "pause")


class Position(NamedTuple):
    """Where a step sits. exercise is 1-based; None in the intro and outro. set and rep are 1-based;
    None outside sets (setup) or outside reps (set announcements, rests)."""

    section: Literal["intro", "exercise", "outro"]
    exercise: int | None = None
    set: int | None = None
    side: str | None = None
    rep: int | None = None

    def label(self) -> str:
        if self.section != "exercise":
            return self.section
        parts = [f"exercise {self.exercise}"]
        if self.set is not None:
            parts.append(f"set {self.set}")
        if self.side:
            parts.append(f"{self.side} side")
        if self.rep is not None:
            parts.append(f"rep {self.rep}")
        return ", ".join(parts)


class Step(NamedTuple):
    # A NamedTuple, not a dataclass: a long routine has hundreds of thousands of steps and tuples
    # are several times cheaper to create, while staying immutable.
    index: int
    kind: StepKind
    position: Position
    block: int  # index into Graph.blocks
    text: str | None = None  # what is said (speak, switch)
    seconds: float = 0.0  # silence length (move, hold, rest, pause), or the estimated speech length
    gap_after: float = 0.0  # breathing room after a cue that is followed by another cue
    count: Literal["up", "down"] | None = None  # count seconds aloud inside a hold
    countdown: int = 0  # count down aloud over the last N seconds of a rest
    tone: bool = False  # a soft tone as a hold starts and just before it ends (audio only)

    @property
    def duration(self) -> float:
        return self.seconds + self.gap_after

    @property
    def silent(self) -> bool:
        return self.kind in SILENT_KINDS

    def to_dict(self) -> dict:
        data = self._asdict()
        data.update(data.pop("position")._asdict())
        data["duration"] = self.duration
        return data


@dataclass(frozen=True)
class Block:
    index: int
    kind: BlockKind
    title: str
    exercise: int | None  # 1-based
    set: int | None
    first_step: int
    end_step: int  # exclusive


@dataclass(frozen=True)
class ExerciseInfo:
    number: int  # 1-based
    id: str
    name: str
    sets: int
    reps: int  # per set (per side) at this level
    sides: tuple[str, ...]
    synonyms: tuple[str, ...]
    instructions: str  # every setup and first-rep cue, for "how do I do this"


@dataclass(frozen=True)
class Graph:
    routine_id: str
    title: str
    level: str
    pace: float
    safety: str
    steps: tuple[Step, ...]
    blocks: tuple[Block, ...]
    exercises: tuple[ExerciseInfo, ...]
    starts: tuple[float, ...] = field(repr=False, default=())  # start time of each step
    levels: tuple[str, ...] = ()  # every level of the routine, gentlest first (Routine.levels_easiest_first)
    progression: Rules = Rules()  # the routine's rules for suggesting another level (progression.suggest)

    @property
    def total_seconds(self) -> float:
        return sum(step.duration for step in self.steps)

    def block_steps(self, block: int) -> tuple[Step, ...]:
        b = self.blocks[block]
        return self.steps[b.first_step:b.end_step]

    def block_seconds(self, block: int) -> float:
        return sum(step.duration for step in self.block_steps(block))

    def exercise_blocks(self, number: int) -> list[Block]:
        return [b for b in self.blocks if b.exercise == number]

    def trailing_rest(self, block: int) -> tuple[Step, ...]:
        """The rest that ends `block` and leads into the next one (its cue, then its silence), or ()
        when the block does not end with a rest. A set's rest is part of the set here and in the
        audio; a voice guide may prefer to say it at the start of what it leads into."""
        steps = self.block_steps(block)
        if len(steps) < 2 or steps[-1].kind != "rest":
            return ()
        first = len(steps) - 1
        # The cue that announces the rest shares its position; the block's own opening cue ("Set
        # two of three.") does too, so the walk back never reaches the block's first step.
        while first > 1 and steps[first - 1].text is not None and steps[first - 1].position == steps[-1].position:
            first -= 1
        return steps[first:]
