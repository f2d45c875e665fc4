"""SSML for the routine graph: each block (a user-paced chunk) as speech with timed silences.

What Alexa allows in one response (DESIGN.md, "Platform facts"): a <break> of at most 10 s, under
8000 characters of speech, at most 240 s of audio, 24 KB in all. Holds, moves and rests become
chains of breaks; counting inside a hold is placed on the second marks inside it and never makes it
longer; a rest ends with a spoken countdown. A block that would not fit one response is split into
parts (sub-chunks) at rep boundaries, so the user just says "next" to carry on.

Durations here are estimates (the graph's words-per-minute estimate for speech, exact for breaks);
the budgets leave room for a voice that speaks more slowly than the estimate.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Iterable, Literal, Sequence

from routine_graph.graph import Graph, Step
from routine_graph.words import number_words

MAX_BREAK_SECONDS = 10.0  # Alexa's limit for one <break>
MAX_SPEECH_CHARS = 8000  # Alexa's limit for outputSpeech
MAX_AUDIO_SECONDS = 240.0  # Alexa's limit for audio in one response
# Budgets for the routine part of a response. The lines around it (what comes next, the lead-in)
# add up to a few hundred characters and seconds; the rest is margin for slow voices.
BODY_AUDIO_BUDGET = 200.0
BODY_CHAR_BUDGET = 6500

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
    first_step: int
    cut: str | None  # the kind of silent step this part stops inside ("hold", "rest", ...), if any

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


def _units(steps: Iterable[Step]) -> list[list[Step]]:
    """Runs of steps at the same position (one rep on one side, a set announcement, a rest): the
    places where a long block may be split without cutting a rep in half."""
    units: list[list[Step]] = []
    for step in steps:
        if units and units[-1][-1].position == step.position:
            units[-1].append(step)
        else:
            units.append([step])
    return units


class _Packer:
    """Greedy packing of atoms into parts within the audio and character budgets."""

    def __init__(self, audio_budget: float, char_budget: int):
        self.audio_budget, self.char_budget = audio_budget, char_budget
        self.parts: list[list[Atom]] = []
        self.current: list[Atom] = []
        self.seconds = 0.0
        self.chars = 0

    def fits(self, atoms: Sequence[Atom]) -> bool:
        return (self.seconds + sum(a.seconds for a in atoms) <= self.audio_budget
                and self.chars + sum(len(a.ssml) for a in atoms) <= self.char_budget)

    def add(self, atoms: Sequence[Atom]) -> None:
        self.current.extend(atoms)
        self.seconds += sum(a.seconds for a in atoms)
        self.chars += sum(len(a.ssml) for a in atoms)

    def flush(self) -> None:
        if self.current:
            self.parts.append(self.current)
        self.current, self.seconds, self.chars = [], 0.0, 0

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


def _pack(units: list[list[Atom]], audio_budget: float, char_budget: int) -> list[list[Atom]]:
    packer = _Packer(audio_budget, char_budget)
    for atoms in units:
        packer.add_unit(atoms)
    packer.flush()
    return packer.parts or [[]]


def plan_block(graph: Graph, block: int, audio_budget: float = BODY_AUDIO_BUDGET,
               char_budget: int = BODY_CHAR_BUDGET) -> tuple[Chunk, ...]:
    """The block as one or more chunks, each within the budgets."""
    units = [[atom for step in unit for atom in step_atoms(step)] for unit in _units(graph.block_steps(block))]
    parts = _pack(units, audio_budget, char_budget)
    if len(parts) > 1:
        # Greedy packing leaves a short last part ("set two, 180 s; then 60 s"); even parts feel
        # more natural. Try tighter budgets that still give the same number of parts.
        total = sum(a.seconds for unit in units for a in unit)
        for slack in (1.05, 1.15, 1.3, 1.5):
            tighter = _pack(units, min(audio_budget, total / len(parts) * slack), char_budget)
            if len(tighter) == len(parts):
                parts = tighter
                break
    chunks = []
    for number, atoms in enumerate(parts):
        following = parts[number + 1][0] if number + 1 < len(parts) else None
        cut = None
        if atoms and following is not None and following.step == atoms[-1].step:
            cut = graph.steps[atoms[-1].step].kind
        first = atoms[0].step if atoms else graph.blocks[block].first_step
        chunks.append(Chunk(block, number, len(parts), _join(atoms), round(sum(a.seconds for a in atoms), 3), first, cut))
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
