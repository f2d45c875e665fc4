"""What is said inside a silence is decided once, by the graph (routine_graph/counting.py), and the
audio track and the voice both say exactly that: the same words at the same offsets."""
from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audio_builder.mp3 import EncodedPiece
from audio_builder.timeline import build_timeline, cue_texts
from routine_graph.catalog import routine_files
from routine_graph.counting import marks_in, spoken_marks
from routine_graph.expansion import expand
from routine_graph.graph import Position, Step
from routine_graph.loader import load_routine
from routine_graph.words import number_words
from skill.speech import step_atoms

ROOT = Path(__file__).resolve().parents[2]
RATE, FRAME, LEAD = 24000, 576, 1105

ONES = "one two three four five six seven eight nine ten".split()


def said(seconds, count=None, countdown=0):
    return [(m.offset, m.word) for m in marks_in(seconds, count, countdown)]


# -- 1. the rule ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seconds, count, countdown, expected", [
    # Nothing in the first second, and every word has a second to itself: short silences are quiet.
    (1.0, "up", 0, []),
    (1.5, "down", 0, []),
    (1.99, "up", 0, []),
    (2.0, "up", 0, [(1, "one")]),
    (2.0, "down", 0, [(1, "one")]),
    # Up: the seconds gone. Down: the seconds left, "one" with one second to go.
    (5.0, "up", 0, [(1, "one"), (2, "two"), (3, "three"), (4, "four")]),
    (5.0, "down", 0, [(1, "four"), (2, "three"), (3, "two"), (4, "one")]),
    (10.0, "up", 0, list(zip(range(1, 10), ONES[:9]))),
    (10.0, "down", 0, list(zip(range(1, 10), ONES[8::-1]))),
    (12.0, "up", 0, list(zip(range(1, 11), ONES))),
    (12.0, "down", 0, list(zip(range(2, 12), ONES[::-1]))),  # eleven is neither in the last ten nor a five
    # Long holds: every five seconds, each second only up to ten (up) or over the last ten (down).
    (30.0, "up", 0, [*zip(range(1, 11), ONES), (15, "fifteen"), (20, "twenty"), (25, "twenty-five")]),
    (30.0, "down", 0, [(5, "twenty-five"), (10, "twenty"), (15, "fifteen"), *zip(range(20, 30), ONES[::-1])]),
    # A count up says a five-second mark only with five seconds to go: every word has its step's time.
    (11.0, "up", 0, list(zip(range(1, 11), ONES))),
    (16.0, "up", 0, list(zip(range(1, 11), ONES))),
    (27.0, "up", 0, [*zip(range(1, 11), ONES), (15, "fifteen"), (20, "twenty")]),
    (32.0, "down", 0, [(2, "thirty"), (7, "twenty-five"), (12, "twenty"), (17, "fifteen"),
                       *zip(range(22, 32), ONES[::-1])]),
    # A rest counts down its last N seconds, whatever its length.
    (30.0, None, 3, [(27, "three"), (28, "two"), (29, "one")]),
    (45.0, None, 5, [(40, "five"), (41, "four"), (42, "three"), (43, "two"), (44, "one")]),
    (4.0, None, 3, [(1, "three"), (2, "two"), (3, "one")]),
    (3.0, None, 3, [(1, "two"), (2, "one")]),  # "three" would be at the very start
    (5.0, None, 5, [(1, "four"), (2, "three"), (3, "two"), (4, "one")]),
    # Fractional seconds (a slower pace): up on whole seconds gone, down on whole seconds left.
    (4.5, "up", 0, [(1, "one"), (2, "two"), (3, "three")]),
    (4.5, "down", 0, [(1.5, "three"), (2.5, "two"), (3.5, "one")]),
    (12.5, "down", 0, list(zip([x + 0.5 for x in range(2, 12)], ONES[::-1]))),
    (30.5, None, 3, [(27.5, "three"), (28.5, "two"), (29.5, "one")]),
    (2.6, None, 3, [(1.6, "one")]),
    # Counting wins over a countdown; nothing to count is quiet.
    (5.0, "up", 3, [(1, "one"), (2, "two"), (3, "three"), (4, "four")]),
    (30.0, None, 0, []),
])
def test_the_rule(seconds, count, countdown, expected):
    assert said(seconds, count, countdown) == [(float(at), word) for at, word in expected]


def test_each_mark_says_when_its_word_must_be_done():
    marks = marks_in(30.0, "up")
    assert [m.until for m in marks] == [m.offset for m in marks[1:]] + [30.0]
    assert marks[-1].number == 25 and marks[-1].until - marks[-1].offset == 5.0
    assert marks_in(116.0, "up")[-1].word == "one hundred and ten"  # "and fifteen" would not fit its second


def step(kind, seconds, count=None, countdown=0, text=None):
    return Step(0, kind, Position("intro"), 0, text=text, seconds=seconds, count=count, countdown=countdown)


def test_marks_come_from_the_steps_fields():
    assert spoken_marks(step("hold", 12.0, "down")) == marks_in(12.0, "down")
    assert spoken_marks(step("rest", 30.0, countdown=3)) == marks_in(30.0, None, 3)
    assert spoken_marks(step("hold", 12.0)) == ()  # a quiet hold
    assert spoken_marks(step("speak", 3.0, text="Hold.")) == ()  # a cue's seconds are its speech


@settings(max_examples=300, deadline=None)
@given(seconds=st.floats(min_value=0.001, max_value=3600).map(lambda s: round(s, 3)),
       count=st.sampled_from(["up", "down", None]), countdown=st.integers(min_value=0, max_value=10))
def test_every_word_is_on_a_second_mark_with_a_second_to_itself(seconds, count, countdown):
    marks = marks_in(seconds, count, countdown)
    previous = 0.0
    for mark in marks:
        assert mark.word == number_words(mark.number)
        assert mark.offset >= 1.0 - 1e-9 and mark.offset >= previous + 1.0 - 1e-9  # after the cue; apart
        assert mark.until - mark.offset >= 1.0 - 1e-9 and mark.until <= seconds + 1e-9  # never at or after the end
        mark_from = mark.offset if count == "up" else seconds - mark.offset
        assert abs(mark_from - round(mark_from)) < 1e-6 and round(mark_from) == mark.number
        assert mark.number <= 10 or mark.number % 5 == 0 and mark.until - mark.offset >= 5.0 - 1e-9
        previous = mark.offset
    if marks:
        assert marks[-1].until == seconds
        if count != "up":
            assert marks[-1].number == 1  # a count down always reaches "one"
    if count is None and countdown:
        assert len(marks) == min(countdown, max(0, math.floor(seconds - 1 + 1e-6)))


# -- 2. two renderers, the same words at the same offsets --------------------------------------------------

LONG_HOLDS = """\
title: Long holds
safety: Stop if it hurts.
defaults: {rest_between_sets: 30, rest_between_exercises: 45, rest_countdown: 5, move_seconds: 1}
levels: {short: low, long: high}
intro:
  - say: Welcome.
exercises:
  - id: plank
    name: Plank
    sets: 2
    reps: 1-2
    rep:
      - say: Hold.
      - hold: 30
        count: up
        tone: on
      - say: Rest a moment, then hold again.
      - hold: 32
        count: down
      - say: Last one.
      - hold: 5
        count: down
        tone: on
outro:
  - say: Done.
"""


def piece(text: str) -> EncodedPiece:
    """A stand-in for a synthesized cue: a counted number takes 0.4 s, a cue 0.3 s a word."""
    audio = int(RATE * (0.25 if text.startswith("\0") else 0.4 if " " not in text else 0.3 * len(text.split())))
    return EncodedPiece(b"", n_frames=-(-(LEAD + audio + FRAME) // FRAME), lead_samples=LEAD, audio_samples=audio)


def audio_words(graph) -> dict[int, list[tuple[float, str]]]:
    """Per silent step: (offset from the silence's start, word) of each count the track says in it."""
    timeline = build_timeline(graph, graph.blocks, piece, RATE, FRAME)
    starts = {s.step: s.start for s in timeline.silences}
    words: dict[int, list[tuple[float, str]]] = {}
    for cue in timeline.cues:
        if cue.kind == "count":
            words.setdefault(cue.parent, []).append(((cue.start - starts[cue.parent]) / RATE, cue.text))
    return words


def voice_words(step) -> list[tuple[float, str]]:
    """(offset, word) of each count in the SSML the skill says for `step`."""
    at, words = 0.0, []
    for atom in step_atoms(step):
        if atom.kind == "count":
            words.append((at, atom.ssml))
        at += atom.seconds
    return words


def graphs():
    for path in routine_files(ROOT / "routines"):
        routine = load_routine(path)
        for level in routine.levels:
            for pace in (0.5, 1.0, 2.0):
                yield expand(routine, level, pace)


def check_same_words(graph) -> int:
    audio = audio_words(graph)
    counted = 0
    for s in graph.steps:
        marks = [(m.offset, m.word) for m in spoken_marks(s)]
        heard, spoken = audio.get(s.index, []), voice_words(s)
        where = (graph.routine_id, graph.level, graph.pace, s.index, s.kind, s.seconds)
        assert [w for _, w in heard] == [w for _, w in spoken] == [w for _, w in marks], where
        for (a, _), (v, _), (m, _) in zip(heard, spoken, marks):
            assert abs(a - m) <= FRAME / 2 / RATE + 1e-6, where  # the track: to the nearest frame
            assert abs(v - m) <= 1e-6, where  # the voice: to the millisecond of its breaks
        counted += len(marks)
    return counted


def test_the_seed_routine_says_the_same_words_at_the_same_offsets_in_the_track_and_the_voice():
    checked = [check_same_words(graph) for graph in graphs()]
    assert all(n > 0 for n in checked)  # every rest's countdown was compared


def test_long_counted_holds_say_the_same_words_in_the_track_and_the_voice(tmp_path):
    path = tmp_path / "long-holds.yaml"
    path.write_text(LONG_HOLDS)
    routine = load_routine(path)
    for level in routine.levels:
        for pace in (1.0, 1.25):
            graph = expand(routine, level, pace)
            assert check_same_words(graph) > 0
            assert {"twenty-five", "thirty", "fifteen"} <= set(cue_texts(graph))
            assert "twenty-nine" not in cue_texts(graph)  # thirty seconds are not counted every second
