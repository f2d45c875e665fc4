"""A block of the routine graph (a user-paced chunk) as one or more SSML responses with timed silences.

What Alexa allows in one response (docs/architecture.md, "Platform facts"): a <break> of at most 10 s, under
8000 characters of speech, at most 240 s of audio, 24 KB in all. Holds, moves and rests become
chains of breaks with the graph's counts inside them (skill/step_atoms.py); a rest between two
blocks is said at the start of what it leads into, so its countdown leads straight in. A block
that would not fit one response is split into parts (sub-chunks) between the sides of a set (reps,
only when one side alone is too long: skill/chunk_packing.py), so the user just says "next" to
carry on.

Durations here are estimates (the graph's words-per-minute estimate for speech, exact for breaks);
the budgets leave room for a voice that speaks more slowly than the estimate.

The SSML pieces and atoms this module builds on are re-exported here, where the handlers, the
console and the tests import them from.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from routine_graph.graph import Graph, Step

from .chunk_packing import Packer, pack
from .ssml import (MAX_AUDIO_SECONDS, MAX_BREAK_SECONDS, MAX_SPEECH_CHARS, audio_seconds, break_seconds,  # noqa: F401
                   break_tag, esc, readable, spoken_text)
from .step_atoms import Atom, AtomKind, counted_atoms, silence_atoms, step_atoms, word_seconds  # noqa: F401

__all__ = [
    "MAX_AUDIO_SECONDS", "MAX_BREAK_SECONDS", "MAX_SPEECH_CHARS", "BODY_AUDIO_BUDGET", "BODY_CHAR_BUDGET",
    "SLOW_VOICE_WPM", "REST_CEILING_SECONDS", "REST_CEILING_CHARS", "Atom", "AtomKind", "Chunk", "audio_seconds",
    "break_seconds", "break_tag", "counted_atoms", "esc", "plan_block", "readable", "silence_atoms", "spoken_text",
    "step_atoms", "word_seconds",
]

# Budgets for the routine part of a response. The lines around it (what comes next, the lead-in)
# add up to a few hundred characters and seconds; the rest is margin for slow voices.
BODY_AUDIO_BUDGET = 200.0
BODY_CHAR_BUDGET = 6500
# A part with a rest in it may go past the body budget rather than split a set or a rest: a rest is
# silence, exact whatever the voice, so it is measured as it is, and only the words get room for a
# slower voice. The lines around such a part are short (the user has just said next).
SLOW_VOICE_WPM = 130.0
REST_CEILING_SECONDS = MAX_AUDIO_SECONDS - 20.0
REST_CEILING_CHARS = 7000


@dataclass(frozen=True)
class Chunk:
    """One response's worth of a block."""

    block: int
    part: int  # 0-based
    parts: int  # how many parts the block has
    ssml: str  # without <speak>
    seconds: float  # estimated audio, speech plus breaks
    first_step: int  # the first of the block's own steps in this part (a rest before it is not the block's)
    cut: str | None  # the kind of silent step this part stops inside ("hold", "rest", ...), if any
    opens_with_rest: bool = False  # begins with the rest between the previous block and this one
    ends_with_rest: bool = False  # ends with the rest before the next block (all of it but the countdown)

    @property
    def last(self) -> bool:
        return self.part == self.parts - 1


def _units(steps: Sequence[Step]) -> list[tuple[str | None, list[Step]]]:
    """A block's steps as reps, each with the cues that open it ("Set two of three.", "Left side."),
    so that no part ends on an announcement of what the next part does. Each rep comes with the side
    it is on (None when reps alternate sides inside themselves: then a rep is as small as a side gets).

    Steps outside any rep with nothing after them (the intro, a setup) are one unit."""
    sides_per_rep: dict[int, set[str]] = {}
    for step in steps:
        if step.position.rep is not None and step.position.side is not None:
            sides_per_rep.setdefault(step.position.rep, set()).add(step.position.side)
    alternating = any(len(sides) > 1 for sides in sides_per_rep.values())
    units: list[tuple[str | None, list[Step]]] = []
    opening: list[Step] = []
    current_rep: int | None = None
    for step in steps:
        rep = step.position.rep
        if rep is None:
            opening.append(step)
            current_rep = None
            continue
        side = None if alternating else step.position.side
        if opening or rep != current_rep or not units or units[-1][0] != side:
            units.append((side, opening + [step]))
            opening = []
        else:
            units[-1][1].append(step)
        current_rep = rep
    if opening:
        units.append((None, opening))
    return units


def _groups(steps: Sequence[Step]) -> list[list[list[Atom]]]:
    """The places a block may be split, coarse to fine: groups (one side of a set; the whole set
    when it has no sides), each a list of units (reps), each a list of atoms.

    A whole side is the smallest piece a long set is split into: someone half-way through their
    left-side reps should not have to stop and say "next", while the switch to the other side is a
    natural moment to speak. Only a side too long for one response falls back to rep boundaries
    (and a rep too long for one response to the silences inside it: chunk_packing.Packer.add_unit)."""
    groups: list[list[list[Atom]]] = []
    previous_side: object = object()
    for side, unit_steps in _units(steps):
        atoms = [atom for step in unit_steps for atom in step_atoms(step)]
        if groups and side == previous_side:
            groups[-1].append(atoms)
        else:
            groups.append([atoms])
        previous_side = side
    return groups


def _own_steps(graph: Graph, block: int) -> tuple[Step, ...]:
    """The block's steps, less the rest that ends it when a block follows: that rest is said at the
    start of what it leads into (see plan_block)."""
    steps = graph.block_steps(block)
    if block + 1 < len(graph.blocks):
        steps = steps[:len(steps) - len(graph.trailing_rest(block))]
    return steps


def _body(graph: Graph, block: int, audio_budget: float, char_budget: int) -> list[list[Atom]]:
    """The block's own steps in parts: split at side boundaries, then reps, then atoms."""
    groups = _groups(_own_steps(graph, block))
    parts = pack(groups, audio_budget, char_budget)
    if len(parts) > 1:
        # Greedy packing leaves a short last part ("set two, 180 s; then 60 s"); even parts feel
        # more natural. Try tighter budgets that still give the same number of parts.
        total = sum(a.seconds for units in groups for unit in units for a in unit)
        for slack in (1.05, 1.15, 1.3, 1.5):
            tighter = pack(groups, min(audio_budget, total / len(parts) * slack), char_budget, audio_budget)
            if len(tighter) == len(parts):
                return tighter
    return parts


def _within_ceiling(atoms: Sequence[Atom]) -> bool:
    """Does a part with a rest in it fit a response, even in a slow voice?"""
    silence = sum(a.seconds for a in atoms if a.kind == "silence")
    words = sum(len(a.ssml.split()) for a in atoms if a.kind != "silence")
    return (silence + words * 60.0 / SLOW_VOICE_WPM <= REST_CEILING_SECONDS
            and sum(len(a.ssml) for a in atoms) <= REST_CEILING_CHARS)


def _rest_split(graph: Graph, block: int, opening: Sequence[Atom]) -> tuple[list[Atom], list[Atom]]:
    """The rest that ends `block`, as (head, tail), given the next block's first part (`opening`,
    planned without the rest, so that it is the same part either way). The tail opens it, so
    that the countdown leads straight into what it counts down to; the head ends this block.

    The whole rest is the tail when it fits with the next block's first part. When it does not
    (a set of nearly a response's length), the tail is the countdown alone: the user rests, says
    next when ready, and is counted into the set ("three, two, one. Set two of three."). A reply
    never starts with silence, and no set is split to make room for a rest."""
    if block + 1 >= len(graph.blocks):
        return [], []
    atoms = [atom for step in graph.trailing_rest(block) for atom in step_atoms(step)]
    if not atoms:
        return [], []
    if _within_ceiling([*atoms, *opening]):
        return [], atoms
    countdown = next((i for i, a in enumerate(atoms) if a.kind == "count"), len(atoms))
    return atoms[:countdown], atoms[countdown:]


def plan_block(graph: Graph, block: int, audio_budget: float = BODY_AUDIO_BUDGET,
               char_budget: int = BODY_CHAR_BUDGET, onward: bool = False) -> tuple[Chunk, ...]:
    """The block as one or more chunks, each within the budgets.

    The rest between two blocks is said at the start of the second one when the user moves on to
    it (`onward`: they said next after the first). Its countdown then leads straight into the set
    or exercise it counts down to, rather than into "say next"; and repeating a set, going back to
    it or carrying on another day gives the set without a rest nobody needs twice. Part numbers are
    the same either way: only the first part gains the rest.
    """
    parts = _body(graph, block, audio_budget, char_budget)
    lead = _rest_split(graph, block - 1, parts[0])[1] if block > 0 else []
    head, tail = [], []
    if graph.trailing_rest(block) and block + 1 < len(graph.blocks):
        head, tail = _rest_split(graph, block, _body(graph, block + 1, audio_budget, char_budget)[0])
    if head:
        # With the rest before this block too when this is its only part, so the parts are the same
        # for a user who arrives with it and one who does not.
        last = (lead if len(parts) == 1 else []) + parts[-1]
        if _within_ceiling(last + head):
            parts[-1] = parts[-1] + head
        else:
            packer = Packer(audio_budget, char_budget)
            packer.parts = parts
            packer.add_unit(head)
            packer.flush()
            parts = packer.parts
    if not onward:
        lead = []
    if lead:
        parts[0] = lead + parts[0]
    chunks = []
    for number, atoms in enumerate(parts):
        following = parts[number + 1][0] if number + 1 < len(parts) else None
        cut = None
        if atoms and following is not None and following.step == atoms[-1].step:
            cut = graph.steps[atoms[-1].step].kind
        elif following is None and head and tail:
            cut = "rest"  # the countdown is said at the start of the next block
        own = next((a.step for a in atoms if graph.steps[a.step].block == block), None)
        first = own if own is not None else graph.blocks[block].first_step
        chunks.append(Chunk(block, number, len(parts), _join(atoms), round(sum(a.seconds for a in atoms), 3), first, cut,
                            bool(lead) and number == 0, bool(head) and following is None))
    return tuple(chunks)


def _join(atoms: Sequence[Atom]) -> str:
    # Words need a space between them; break tags do not (and extra spaces cost characters).
    out: list[str] = []
    previous_text = False
    for atom in atoms:
        text = atom.kind != "silence"
        if text and previous_text:
            out.append(" ")
        out.append(atom.ssml)
        previous_text = text
    return "".join(out)
