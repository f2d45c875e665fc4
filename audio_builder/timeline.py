"""Walk the routine graph into a frame-exact timeline of cue pieces and silences.

Pure: it takes the graph and the encoded cue pieces and decides where every frame goes, so that
durations, chapter marks and caption times all come from the same frame counts (docs/architecture.md,
"MP3 and timing"). Writing the file is someone else's job (writer.py).

Times are in samples from the start of the track. A cue piece's voice starts `lead_samples` after
the piece starts (encoder + decoder delay) and lasts `audio_samples`; a hold is measured from the
end of that voice to the start of the next one, whatever the frames around it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal, Sequence

from routine_graph.counting import spoken_marks
from routine_graph.graph import Block, Graph, Step

from .mp3 import EncodedPiece
from .tones import TONE_END, TONE_SECONDS, TONE_START

# A count word must leave this much quiet before the next one (or the end), so counts stay distinct.
COUNT_MARGIN_S = 0.1
# Every track ends with this much quiet after its last voice (at least; whole frames), so a player
# does not cut the last word and the next track does not follow it in the same breath.
END_QUIET_S = 1.5


class TimelineError(ValueError):
    """A cue does not fit its slot (e.g. a count word longer than the second it has)."""


@dataclass(frozen=True)
class Clip:
    """One run of frames in the track: a cue piece (by text) or digital silence."""

    frames: int
    text: str | None = None  # None for silence


@dataclass(frozen=True)
class CueMark:
    start: int  # first sample of the voice
    end: int  # sample after the voice
    text: str
    kind: Literal["speak", "switch", "count", "tone"]
    step: int | None  # graph step index (None for counts inside holds and rests: see `parent`)
    parent: int | None = None


@dataclass(frozen=True)
class SilenceMark:
    start: int  # end of the voice before it
    end: int  # start of the voice after it (or the end of the track)
    kind: str  # hold, move, rest, pause
    step: int
    nominal: int  # the length the routine asked for, in samples


@dataclass(frozen=True)
class ChapterMark:
    start: int
    end: int
    title: str
    block: int


@dataclass
class Timeline:
    sample_rate: int
    frame_samples: int
    clips: list[Clip] = field(default_factory=list)
    cues: list[CueMark] = field(default_factory=list)
    silences: list[SilenceMark] = field(default_factory=list)
    chapters: list[ChapterMark] = field(default_factory=list)

    @property
    def total_frames(self) -> int:
        return sum(c.frames for c in self.clips)

    @property
    def total_samples(self) -> int:
        return self.total_frames * self.frame_samples

    @property
    def seconds(self) -> float:
        return self.total_samples / self.sample_rate

    def ms(self, samples: int) -> int:
        return round(samples * 1000 / self.sample_rate)


PieceFor = Callable[[str], EncodedPiece]


def cue_texts(graph: Graph) -> list[str]:
    """Every distinct text the audio of this graph speaks, in first-use order."""
    seen: dict[str, None] = {}
    for step in graph.steps:
        if step.text:
            seen.setdefault(step.text)
        for mark in spoken_marks(step):
            seen.setdefault(mark.word)
        if step.tone:
            seen.setdefault(TONE_START)
            seen.setdefault(TONE_END)
    return list(seen)


class _Walker:
    def __init__(self, rate: int, frame_samples: int, piece_for: PieceFor, context: str):
        self.t = Timeline(rate, frame_samples)
        self.rate = rate
        self.f = frame_samples
        self.piece_for = piece_for
        self.context = context
        self.pos = 0  # samples emitted so far (always whole frames)
        self.voice_end = 0  # end of the last voice
        self.piece_start = 0
        self.target = 0  # where the next voice should start
        self.open_silence: int | None = None  # index of a silence mark whose end is the next voice

    def silence_until(self, sample: int, rounding: Literal["nearest", "up"] = "nearest") -> None:
        gap = sample - self.pos
        if gap <= 0:
            return
        frames = -(-gap // self.f) if rounding == "up" else (gap + self.f // 2) // self.f
        if frames:
            self.t.clips.append(Clip(frames))
            self.pos += frames * self.f

    def cue(self, text: str, kind: str, step: int | None, parent: int | None = None) -> CueMark:
        piece = self.piece_for(text)
        # A voice that follows a hold, rest or pause never comes early: the silence before it is
        # rounded up to whole frames, so it is never shorter than the routine says (and less than a
        # frame longer). Counts and tones inside a hold sit on their marks, to the nearest frame.
        self.silence_until(self.target - piece.lead_samples, rounding="up" if kind in ("speak", "switch") else "nearest")
        self.piece_start = self.pos
        start = self.pos + piece.lead_samples
        self.t.clips.append(Clip(piece.n_frames, text))
        self.pos += piece.n_frames * self.f
        mark = CueMark(start, start + piece.audio_samples, "[tone]" if kind == "tone" else text, kind, step, parent)
        self.t.cues.append(mark)
        if self.open_silence is not None and kind in ("speak", "switch"):
            # Frame rounding moved the voice later by less than a frame: record where it really starts.
            s = self.t.silences[self.open_silence]
            self.t.silences[self.open_silence] = SilenceMark(s.start, start, s.kind, s.step, s.nominal)
            self.open_silence = None
        self.voice_end = self.target = mark.end
        return mark

    def seconds(self, s: float) -> int:
        return round(s * self.rate)


def build_timeline(graph: Graph, blocks: Sequence[Block], piece_for: PieceFor, sample_rate: int,
                   frame_samples: int) -> Timeline:
    """The timeline of `blocks` (consecutive blocks of `graph`), from cue pieces."""
    w = _Walker(sample_rate, frame_samples, piece_for, graph.routine_id)
    chapter_starts: list[tuple[int, Block]] = []
    for block in blocks:
        first = True
        for step in graph.steps[block.first_step:block.end_step]:
            if step.text:
                mark = w.cue(step.text, step.kind, step.index)
                if first:
                    # Seeking to a chapter lands at the start of its first cue's frames.
                    chapter_starts.append((w.piece_start, block))
                    first = False
                w.target = mark.end + w.seconds(step.gap_after)
                continue
            start = w.target
            if first:
                chapter_starts.append((start, block))
                first = False
            end = start + w.seconds(step.seconds)
            if step.tone:
                w.target = start
                w.cue(TONE_START, "tone", None, step.index)
            # What is said inside the silence is the graph's (routine_graph/counting.py): every
            # mark is said at its offset, and must be done before the next one (or the end).
            for count in spoken_marks(step):
                slot_end = start + w.seconds(count.until)
                w.target = start + w.seconds(count.offset)
                mark = w.cue(count.word, "count", None, step.index)
                if mark.end > slot_end - w.seconds(COUNT_MARGIN_S) or w.pos > slot_end + frame_samples:
                    raise TimelineError(
                        f"{graph.routine_id}: {_where(graph, step)}: the count {count.word!r} takes "
                        f"{(mark.end - mark.start) / sample_rate:.2f} s and does not fit its "
                        f"{count.until - count.offset:g}-second slot")
            if step.tone:
                # The end tone finishes just before the hold does: it never lengthens it.
                w.target = end - w.seconds(TONE_SECONDS + COUNT_MARGIN_S)
                mark = w.cue(TONE_END, "tone", None, step.index)
                if mark.start < w.t.cues[-2].end:
                    raise TimelineError(f"{graph.routine_id}: {_where(graph, step)}: the hold is too short for its "
                                        "tones and counting; turn the tone off or make the hold longer")
            w.target = end
            w.open_silence = len(w.t.silences)
            w.t.silences.append(SilenceMark(start, end, step.kind, step.index, w.seconds(step.seconds)))
    # Whatever the routine ends with (a pause, a rest), it is heard in full, and the last voice is
    # followed by at least END_QUIET_S of quiet.
    w.silence_until(max(w.target, w.voice_end + w.seconds(END_QUIET_S)), rounding="up")
    for i, (start, block) in enumerate(chapter_starts):
        end = chapter_starts[i + 1][0] if i + 1 < len(chapter_starts) else w.pos
        w.t.chapters.append(ChapterMark(start, end, block.title, block.index))
    return w.t


def _where(graph: Graph, step: Step) -> str:
    pos = step.position
    if not pos.exercise:
        return pos.label()
    info = graph.exercises[pos.exercise - 1]
    rest = pos.label().split(", ", 1)[1:]  # "set 1, left side, rep 2" without the exercise number
    return ", ".join([f"exercise {info.number} ({info.name})", *rest])
