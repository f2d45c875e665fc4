"""Every response stays inside Alexa's limits: every chunk of every routine, at every level and every
pace a user can reach, plus a synthetic routine built to break them."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from hypothesis import given, settings
from hypothesis import strategies as st

from routine_graph.catalog import routine_files
from routine_graph.counting import spoken_marks
from routine_graph.expansion import expand
from routine_graph.graph import Position, Step
from routine_graph.loader import load_routine
from skill.builder import build_skill
from skill.persistence import SQLitePersistenceAdapter
from skill.routines import PACES, RoutineLibrary
from skill.speech import (MAX_AUDIO_SECONDS, MAX_BREAK_SECONDS, MAX_SPEECH_CHARS, audio_seconds, break_seconds,
                          plan_block, step_atoms)

from tests.alexa_signing import make_envelope

ROOT = Path(__file__).resolve().parents[2]
MAX_RESPONSE_BYTES = 24 * 1024
SLOW_VOICE_WPM = 130  # a voice slower than the graph's 140 wpm estimate must still fit

STRESS = """\
title: Stress routine for the limits
safety: Stop if anything hurts.
defaults: {rest_between_sets: 1800, rest_between_exercises: 600, rest_countdown: 10}
levels: {low: low, high: high}
intro:
  - say: %(long)s
  - pause: 600
  - say: %(long)s
exercises:
  - id: long-holds
    name: Long holds & <counted> seconds
    sets: 2
    reps: 2-6
    sides: [left, right]
    setup:
      - say: %(long)s
      - pause: 600
      - say: %(long)s
    rep:
      - say: %(long)s
      - hold: 300
        count: down
      - say: And up.
      - hold: 200
        count: up
  - id: many-reps
    name: Many quick reps
    sets: 1
    reps: 60-100
    rep:
      - say: %(long)s
      - move: 1
outro:
  - say: Done.
""" % {"long": "'" + ("Breathe in slowly and let your shoulders drop. " * 12).strip() + "'"}


class Walker:
    """Says next from the start to the end of a routine at one level and pace, checking every reply."""

    def __init__(self, routines: Path, db: Path):
        self.adapter = SQLitePersistenceAdapter(db)
        self.skill = build_skill(RoutineLibrary(routines), self.adapter)
        self.serializer = DefaultSerializer()
        self.checked = 0

    def invoke(self, user: str, **kwargs) -> dict:
        envelope = make_envelope(user_id=user, **kwargs)
        request = self.serializer.deserialize(json.dumps(envelope), RequestEnvelope)
        document = self.serializer.serialize(self.skill.invoke(request, None))
        check_response(document)
        self.checked += 1
        return document["response"]

    def walk(self, routine: str, level: str, pace: float) -> int:
        user = f"amzn1.ask.account.{routine}.{level}.{pace}"
        request = make_envelope(user_id=user)
        self.adapter.save_attributes(self.serializer.deserialize(json.dumps(request), RequestEnvelope),
                                     {"routine": routine, "levels": {routine: level}, "pace": pace,
                                      "checkin_on": False})  # next, next... to the goodbye, no questions
        self.invoke(user)
        replies = 0
        while True:
            response = self.invoke(user, intent="AMAZON.NextIntent", new_session=False)
            replies += 1
            # The longest lead-ins come from resuming and going back: check those replies too.
            self.invoke(user, intent="AMAZON.RepeatIntent", new_session=False)
            if response.get("shouldEndSession"):
                return replies
            assert replies < 5000


def check_response(document: dict) -> None:
    size = len(json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    assert size <= MAX_RESPONSE_BYTES, size
    response = document["response"]
    for speech in (response.get("outputSpeech"), (response.get("reprompt") or {}).get("outputSpeech")):
        if not speech:
            continue
        ssml = speech["ssml"]
        assert len(ssml) < MAX_SPEECH_CHARS, len(ssml)
        ET.fromstring(ssml)  # well-formed: routine text is escaped
        breaks = break_seconds(ssml)
        assert all(0 < b <= MAX_BREAK_SECONDS for b in breaks), max(breaks)
        assert audio_seconds(ssml, SLOW_VOICE_WPM) < MAX_AUDIO_SECONDS, audio_seconds(ssml, SLOW_VOICE_WPM)


@pytest.mark.parametrize("path", routine_files(ROOT / "routines"), ids=lambda p: p.stem)
def test_every_chunk_of_every_routine_at_every_level_and_pace_fits(path, tmp_path):
    walker = Walker(path.parent, tmp_path / "limits.sqlite3")
    routine = load_routine(path)
    for level in routine.levels:
        for pace in PACES:
            replies = walker.walk(path.stem, level, pace)  # every reply is checked on the way
            assert replies >= len(expand(routine, level, pace).blocks)
    assert walker.checked > 2 * len(routine.levels) * len(PACES) * 10


def test_a_routine_built_to_break_the_limits_is_split_to_fit(tmp_path):
    folder = tmp_path / "routines"
    folder.mkdir()
    (folder / "stress.yaml").write_text(STRESS)
    walker = Walker(folder, tmp_path / "stress.sqlite3")
    for level in ("low", "high"):
        for pace in (PACES[0], PACES[-1]):
            walker.walk("stress", level, pace)
    graph = expand(load_routine(folder / "stress.yaml"), "high", PACES[-1])
    chunks = [c for b in range(len(graph.blocks)) for c in plan_block(graph, b)]
    assert any(c.cut == "hold" for c in chunks) and any(c.cut == "rest" for c in chunks)
    # the parts together still hold every step's time, once: a rest goes with what it leads into
    # (what of it does not fit there stays at the end of its own block)
    planned = sum(c.seconds for b in range(len(graph.blocks)) for c in plan_block(graph, b, onward=True))
    assert planned == pytest.approx(graph.total_seconds, abs=0.01 * len(graph.steps))


def test_long_sets_of_the_seed_routine_are_split_at_rep_boundaries():
    graph = expand(load_routine(ROOT / "routines" / "back-pain.yaml"), "full", 2.0)
    split = [plan_block(graph, b) for b in range(len(graph.blocks))]
    assert any(len(parts) > 1 for parts in split)
    for parts in split:
        assert all(c.cut is None for c in parts)  # no rep cut in half
        for c in parts[1:]:
            assert graph.steps[c.first_step].position.rep != graph.steps[c.first_step - 1].position.rep or \
                graph.steps[c.first_step].position.side != graph.steps[c.first_step - 1].position.side


@settings(max_examples=200, deadline=None)
@given(seconds=st.floats(min_value=0.5, max_value=1200).map(lambda s: round(s, 3)),
       count=st.sampled_from(["up", "down", None]), countdown=st.integers(min_value=0, max_value=10))
def test_counting_stays_inside_the_silence(seconds, count, countdown):
    # What is counted is the graph's (tests/routine_graph/test_counting.py); the voice says each word at its mark
    # and never makes the silence longer.
    step = Step(0, "hold" if count else "rest", Position("intro"), 0, seconds=seconds, count=count,
                countdown=0 if count else countdown)
    atoms = step_atoms(step)
    assert sum(a.seconds for a in atoms) == pytest.approx(seconds, abs=0.05)  # breaks under 50 ms are left out
    at, said = 0.0, []
    for atom in atoms:
        if atom.kind == "count":
            said.append((at, atom.ssml))
        at += atom.seconds
    marks = spoken_marks(step)
    assert [word for _, word in said] == [m.word for m in marks]  # every word the graph places, none other
    for (at, _), mark in zip(said, marks):
        assert at == pytest.approx(mark.offset, abs=0.001)  # at its mark
