"""The same place in another variant of a track: "slower" while listening carries on where it was.

Two variants of a routine (another pace, or another level) have the same chapters, one per routine-graph
block (docs/architecture.md, "Navigation": blocks are the same at every level and pace). Inside a
chapter a track is a row of steps: spoken cues and silences (holds, moves, rests, pauses), with counts
and tones inside the silences. Another pace changes only the silences' lengths and the counts in them;
another level may add or drop reps. So the place is found step by step:

- the chapter of the same block;
- in it, the same step: the steps of both chapters are matched in order by what they are (a cue by its
  words, a silence by its kind), which also lines up the reps two levels share;
- in a silence, the same fraction of it (a hold half done at one pace is half done at the other);
  in a cue, its start, so the instruction is heard whole rather than from its middle;
- a step the other variant does not have (a rep the easier level drops): the last matched step
  before it, else the chapter's start.

Standard library only (difflib): the skill on Lambda follows published variants with it too.
"""
from __future__ import annotations

from difflib import SequenceMatcher
from typing import NamedTuple

from audio_builder.manifest import Chapter, Track

__all__ = ["Step", "same_place", "steps"]

INSIDE_SILENCES = ("count", "tone")  # cue kinds a silence holds: they change with the pace


class Step(NamedTuple):
    start_ms: int
    end_ms: int
    what: tuple[str, str]  # ("say", words) or ("silence", kind)
    silence: bool


def steps(track: Track, chapter: Chapter) -> list[Step]:
    """The chapter's steps in order: its spoken cues (not the counts and tones inside silences) and its
    silences."""
    found = [Step(c.start_ms, c.end_ms, ("say", c.text), False) for c in track.cues
             if c.kind not in INSIDE_SILENCES and chapter.start_ms <= c.start_ms < chapter.end_ms]
    found += [Step(s.start_ms, s.end_ms, ("silence", s.kind), True) for s in track.silences
              if chapter.start_ms <= s.start_ms < chapter.end_ms]
    return sorted(found, key=lambda step: (step.start_ms, step.silence))


def same_place(old: Track, new: Track, offset_ms: int) -> int:
    """The offset in `new` of the step playing at `offset_ms` in `old` (see the module notes)."""
    if not old.chapters or not new.chapters:
        return 0
    offset_ms = max(0, min(int(offset_ms), max(0, old.duration_ms - 1)))
    was = old.chapter_at(offset_ms)
    now = _same_chapter(new, was)
    before, after = steps(old, was), steps(new, now)
    at = next((i for i in range(len(before) - 1, -1, -1) if before[i].start_ms <= offset_ms), None)
    if at is None:
        return now.start_ms
    matched = _matches([s.what for s in before], [s.what for s in after])
    here = next((i for i in range(at, -1, -1) if i in matched), None)
    if here is None:
        return now.start_ms
    step, there = before[here], after[matched[here]]
    if here != at or not step.silence:
        return there.start_ms
    fraction = min(1.0, (offset_ms - step.start_ms) / max(1, step.end_ms - step.start_ms))
    inside = there.start_ms + round(fraction * (there.end_ms - there.start_ms))
    return min(inside, max(there.start_ms, there.end_ms - 1))


def _same_chapter(track: Track, chapter: Chapter) -> Chapter:
    if chapter.block is not None:
        same = next((c for c in track.chapters if c.block == chapter.block), None)
        if same is not None:
            return same
    return track.find_chapter(chapter.title, chapter.index)


def _matches(a: list, b: list) -> dict[int, int]:
    """Index in `a` -> index in `b` of the steps the two rows share, in order."""
    pairs: dict[int, int] = {}
    for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
        pairs.update((block.a + k, block.b + k) for k in range(block.size))
    return pairs
