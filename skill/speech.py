"""SSML for the routine graph: each block (a user-paced chunk) as speech with timed silences.

What Alexa allows in one response (docs/architecture.md, "Platform facts"): a <break> of at most 10 s, under
8000 characters of speech, at most 240 s of audio, 24 KB in all. Holds, moves and rests become
chains of breaks; counting inside a hold is placed on the second marks inside it and never makes it
longer; a rest ends with a spoken countdown, said at the start of what it counts down to. A block
that would not fit one response is split into parts (sub-chunks) between the sides of a set (reps,
only when one side alone is too long), so the user just says "next" to carry on.

Durations here are estimates (the graph's words-per-minute estimate for speech, exact for breaks);
the budgets leave room for a voice that speaks more slowly than the estimate.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Literal, Sequence

from routine_graph.graph import Graph, Step
from routine_graph.words import number_words

MAX_BREAK_SECONDS = 10.0  # Alexa's limit for one <break>
MAX_SPEECH_CHARS = 8000  # Alexa's limit for outputSpeech
MAX_AUDIO_SECONDS = 240.0  # Alexa's limit for audio in one response
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

_MIN_BREAK = 0.05  # shorter silences are not worth a tag
_MIN_COUNT_START = 0.9  # a count word no sooner than this after the hold starts: the cue must land first

AtomKind = Literal["speech", "silence", "count"]


@dataclass(frozen=True)
class Atom:
    """The smallest piece of SSML: one cue, one break, or one counted number."""

    kind: AtomKind
    ssml: str
    seconds: float
    step: int  # index of the graph step it comes from


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


# --------------------------------------------------------------------------------------------------
# Small SSML pieces
# --------------------------------------------------------------------------------------------------


def esc(text: str) -> str:
    """Text made safe for SSML (routine files are free text)."""
    return html.escape(text, quote=False)


def break_tag(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    return f'<break time="{ms // 1000}s"/>' if ms % 1000 == 0 else f'<break time="{ms}ms"/>'


def silence_atoms(seconds: float, step: int) -> list[Atom]:
    """A silence as a chain of breaks, none longer than Alexa's 10 s."""
    atoms: list[Atom] = []
    left = round(seconds, 3)
    while left >= _MIN_BREAK:
        piece = min(left, MAX_BREAK_SECONDS)
        atoms.append(Atom("silence", break_tag(piece), round(piece, 3), step))
        left = round(left - piece, 3)
    return atoms


def word_seconds(word: str) -> float:
    """How long a single counted number takes to say (generous: a word that does not fit its second
    is dropped rather than allowed to push the hold longer)."""
    return 0.1 + 0.06 * len(word)


def count_marks(seconds: float, count: str, last: int | None = None) -> list[tuple[float, str]]:
    """(time into the silence, word) for counting aloud inside it.

    count="down": say the seconds left at each whole second before the end ("four ... one");
    count="up": say the seconds gone at each whole second ("one ... four");
    `last`: count down only over the last N seconds (a rest's countdown).
    Long silences are counted every five seconds, then every second over the last ten, as a
    physiotherapist would; a word that would overlap the previous one or the end is left out.
    """
    marks: list[tuple[float, int]] = []
    whole = int(seconds + 1e-9)
    if count == "down" or last is not None:
        top = whole if last is None else min(last, whole)
        for left in range(top, 0, -1):
            at = seconds - left
            if at >= _MIN_COUNT_START - 1e-9 or last is not None and at > 0:
                if left <= 10 or left % 5 == 0:
                    marks.append((at, left))
    else:
        for gone in range(1, whole + 1):
            if gone < seconds - 1e-9 and (gone <= 10 or gone % 5 == 0):
                marks.append((float(gone), gone))
    placed: list[tuple[float, str]] = []
    free_from = 0.0
    for at, n in marks:
        word = number_words(n)
        if at + 1e-9 >= free_from and at + word_seconds(word) <= seconds + 1e-9:
            placed.append((at, word))
            free_from = at + word_seconds(word) + 0.1
    return placed


def counted_atoms(seconds: float, marks: Sequence[tuple[float, str]], step: int) -> list[Atom]:
    atoms: list[Atom] = []
    position = 0.0
    for at, word in marks:
        atoms += silence_atoms(at - position, step)
        spoken = word_seconds(word)
        atoms.append(Atom("count", word, spoken, step))
        position = at + spoken
    atoms += silence_atoms(seconds - position, step)
    return atoms


def step_atoms(step: Step) -> list[Atom]:
    if step.text is not None:
        atoms = [Atom("speech", esc(step.text), step.seconds, step.index)]
        return atoms + silence_atoms(step.gap_after, step.index)
    if step.kind == "hold" and step.count:
        return counted_atoms(step.seconds, count_marks(step.seconds, step.count), step.index)
    if step.kind == "rest" and step.countdown:
        return counted_atoms(step.seconds, count_marks(step.seconds, "down", last=step.countdown), step.index)
    return silence_atoms(step.seconds, step.index)


# --------------------------------------------------------------------------------------------------
# Blocks to chunks
# --------------------------------------------------------------------------------------------------


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
    (and a rep too long for one response to the silences inside it: _Packer.add_unit)."""
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


class _Packer:
    """Greedy packing of atoms into parts within the audio and character budgets.

    `whole_budget` is what a side must fit to be kept whole: packing for even parts uses a tighter
    `audio_budget`, but never splits a side that fits a response."""

    def __init__(self, audio_budget: float, char_budget: int, whole_budget: float | None = None):
        self.audio_budget, self.char_budget = audio_budget, char_budget
        self.whole_budget = audio_budget if whole_budget is None else whole_budget
        self.parts: list[list[Atom]] = []
        self.current: list[Atom] = []
        self.seconds = 0.0
        self.chars = 0

    def fits(self, atoms: Sequence[Atom], audio_budget: float | None = None) -> bool:
        budget = self.audio_budget if audio_budget is None else audio_budget
        return (self.seconds + sum(a.seconds for a in atoms) <= budget
                and self.chars + sum(len(a.ssml) for a in atoms) <= self.char_budget)

    def add(self, atoms: Sequence[Atom]) -> None:
        self.current.extend(atoms)
        self.seconds += sum(a.seconds for a in atoms)
        self.chars += sum(len(a.ssml) for a in atoms)

    def flush(self) -> None:
        if self.current:
            self.parts.append(self.current)
        self.current, self.seconds, self.chars = [], 0.0, 0

    def add_group(self, units: list[list[Atom]]) -> None:
        atoms = [atom for unit in units for atom in unit]
        if self.fits(atoms):
            self.add(atoms)
            return
        self.flush()
        if self.fits(atoms, self.whole_budget):
            self.add(atoms)
            return
        # This side alone is longer than a response: rep boundaries are the next best place.
        for unit in units:
            self.add_unit(unit)

    def add_unit(self, atoms: list[Atom]) -> None:
        if self.fits(atoms):
            self.add(atoms)
            return
        if self.current:
            self.flush()
            if self.fits(atoms):
                self.add(atoms)
                return
        # A single rep (or hold) longer than a response: split between atoms, but never leave a cue
        # at the end of a part when the silence it introduces ("Hold.") would start the next one.
        for atom in atoms:
            if not self.fits([atom]):
                carry: list[Atom] = []
                while self.current and self.current[-1].kind == "speech" and atom.kind != "speech" \
                        and len(self.current) > 1:
                    carry.insert(0, self.current.pop())
                self.seconds = sum(a.seconds for a in self.current)
                self.chars = sum(len(a.ssml) for a in self.current)
                self.flush()
                self.add(carry)
            self.add([atom])


def _pack(groups: list[list[list[Atom]]], audio_budget: float, char_budget: int,
          whole_budget: float | None = None) -> list[list[Atom]]:
    packer = _Packer(audio_budget, char_budget, whole_budget)
    for units in groups:
        packer.add_group(units)
    packer.flush()
    return packer.parts or [[]]


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
    parts = _pack(groups, audio_budget, char_budget)
    if len(parts) > 1:
        # Greedy packing leaves a short last part ("set two, 180 s; then 60 s"); even parts feel
        # more natural. Try tighter budgets that still give the same number of parts.
        total = sum(a.seconds for units in groups for unit in units for a in unit)
        for slack in (1.05, 1.15, 1.3, 1.5):
            tighter = _pack(groups, min(audio_budget, total / len(parts) * slack), char_budget, audio_budget)
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
            packer = _Packer(audio_budget, char_budget)
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


# --------------------------------------------------------------------------------------------------
# Reading SSML back (console, tests, limits)
# --------------------------------------------------------------------------------------------------

_BREAK = re.compile(r'<break\s+time="(\d+(?:\.\d+)?)(ms|s)"\s*/>')
_TAG = re.compile(r"<[^>]+>")
_BREAKS_RUN = re.compile(r'(?:\s*<break\s+time="[^"]+"\s*/>)+\s*')


def break_seconds(ssml: str) -> list[float]:
    return [float(v) / (1000 if unit == "ms" else 1) for v, unit in _BREAK.findall(ssml)]


def spoken_text(ssml: str) -> str:
    return html.unescape(" ".join(_TAG.sub(" ", ssml).split()))


def audio_seconds(ssml: str, words_per_minute: float = 140.0) -> float:
    """Estimated audio: every break plus the words at `words_per_minute`."""
    words = len(spoken_text(ssml).split())
    return sum(break_seconds(ssml)) + words * 60.0 / words_per_minute


def readable(ssml: str) -> str:
    """SSML as text with the silences marked: 'Hold. [pause 2 s] And lower it.'"""

    def pause(match: re.Match) -> str:
        seconds = sum(break_seconds(match.group(0)))
        shown = f"{seconds:.1f}".rstrip("0").rstrip(".")
        return f" [pause {shown} s] "

    text = _BREAKS_RUN.sub(pause, ssml)
    text = _TAG.sub(" ", text)
    return html.unescape(" ".join(text.split()))
