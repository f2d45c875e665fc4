"""The pieces under the conversation: user state, the routine library, speech rendering."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from pathlib import Path

import pytest

from routine_graph.expansion import expand
from routine_graph.loader import load_routine
from skill.routines import PACES, RoutineLibrary, faster, find_exercise, levels_easiest_first, slower
from skill.session_state import MAX_HISTORY, Completed, Place, UserState
from skill.speech import break_tag, esc, plan_block, readable, silence_atoms

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "routines" / "back-pain.yaml"
NOW = dt.datetime(2024, 5, 6, 12, 0, tzinfo=dt.timezone.utc)


def test_state_round_trips_through_attributes():
    state = UserState(routine="back-pain", routine_title="Three", place=Place(3, 1, done=True), levels={"back-pain": "full"},
                      pace=1.25, run_started="2024-05-06T11:00:00+00:00")
    state.ask("resume", "session-1")
    state.record_completion("back-pain", "full", 1.25, NOW)
    state.record_event("hurt", "back-pain", "exercise 1, set 2", NOW)
    again = UserState.from_attributes(state.to_attributes())
    assert again == state
    assert again.pending_question("session-1") == "resume" and again.pending_question("session-2") is None


@pytest.mark.parametrize("garbage", [None, [], "x", {"place": "nope", "history": [1, {"routine": 3}], "pace": "fast",
                                                      "levels": [1], "question": "launch the rockets",
                                                      "events": [{"kind": "hurt"}], "v": 99},
                                     {"place": {"block": -4}}, {"place": {"block": True}}, {"pace": float("nan")}])
def test_damaged_attributes_never_lock_a_user_out(garbage):
    state = UserState.from_attributes(garbage)
    assert state.place is None and state.history == [] and state.question is None
    assert state.pace is None and state.levels == {}


def test_history_counts_sessions_in_a_window():
    state = UserState()
    for days in (10, 6, 2, 0):
        state.record_completion("back-pain", "standard", 1.0, NOW - dt.timedelta(days=days))
    assert state.sessions_since(NOW - dt.timedelta(days=7)) == 3
    state.history = state.history + [Completed("x", "2024-05-06T12:00:00+00:00", "a", 1.0)] * (MAX_HISTORY + 100)
    assert len(state.to_attributes()["history"]) == MAX_HISTORY == 1000  # the user with 1,000 sessions


def test_pace_ladder_and_levels():
    assert slower(1.0) == 1.25 and faster(1.0) == 0.8
    assert slower(PACES[-1]) is None and faster(PACES[0]) is None
    assert slower(1.1) == 1.25 and faster(1.1) == 1.0  # a routine's own default off the ladder
    pace, seen = 1.0, []
    while pace is not None:
        seen.append(pace)
        pace = slower(pace)
    assert seen == [1.0, 1.25, 1.56, 2.0] and all(0.5 <= p <= 2 for p in PACES)
    assert all(1.2 <= b / a <= 1.3 for a, b in zip(PACES, PACES[1:]))
    assert levels_easiest_first(load_routine(SEED)) == ["gentle", "standard", "full"]


def test_library_reloads_changed_files_and_forgets_deleted_ones(tmp_path, caplog):
    shutil.copy(SEED, tmp_path / "back-pain.yaml")
    library = RoutineLibrary(tmp_path)
    assert library.ids() == ["back-pain"]
    course = library.course("back-pain")
    assert library.course("back-pain") is course  # cached
    assert library.find("back pain") == library.find("Three exercises for back pain") == "back-pain"
    assert library.find("the back pain routine") == "back-pain" and library.find("tai chi") is None
    path = tmp_path / "back-pain.yaml"
    path.write_text(path.read_text().replace("title: Three exercises for back pain", "title: Edited"))
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert library.course("back-pain").graph.title == "Edited"
    path.write_text("title: [broken")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 2 * 10**9))
    assert library.get("back-pain") is None and library.ids() == []
    assert "does not load" in caplog.text
    path.unlink()
    assert library.course("back-pain") is None and library.default_id() is None


def test_course_navigation_over_parts():
    library = RoutineLibrary(ROOT / "routines")
    course = library.course("back-pain", "full", 2.0)
    parts = len(course.chunks(2))
    assert parts > 1
    assert course.next_place(2, 0) == (2, 1)
    assert course.next_place(2, parts - 1) == (3, 0)
    assert course.previous_place(2, 1) == (2, 0) and course.previous_place(3, 0) == (2, 0)
    assert course.previous_place(0, 0) is None and course.next_place(len(course.graph.blocks) - 1, 0) is None
    assert course.clamp(99, 99) == (len(course.graph.blocks) - 1, 0)
    assert find_exercise(course.graph, "the hip lifts").id == "hip-lift"
    assert find_exercise(course.graph, "Good Morning exercise").id == "good-morning"
    assert find_exercise(course.graph, "handstand") is None


def test_ssml_pieces():
    assert break_tag(2) == '<break time="2s"/>' and break_tag(0.6) == '<break time="600ms"/>'
    assert [a.ssml for a in silence_atoms(25, 0)] == ['<break time="10s"/>'] * 2 + ['<break time="5s"/>']
    assert esc("Hips & <knees>") == "Hips &amp; &lt;knees&gt;"
    assert readable('Hold.<break time="10s"/><break time="2500ms"/>And &amp; up.') == "Hold. [pause 12.5 s] And & up."


def test_hold_counting_inside_the_hold_in_the_ssml(write_routine):
    path = write_routine("""\
title: Counted
safety: Careful.
exercises:
  - id: plank
    name: Plank
    sets: 1
    reps: 1
    rep:
      - say: Hold it.
      - hold: 7
        count: down
      - say: Rest.
""")
    graph = expand(load_routine(path))
    text = readable(plan_block(graph, 2)[0].ssml)
    assert "Hold it. [pause 1 s] six [pause 0.7 s] five [pause 0.7 s] four [pause 0.7 s] three [pause 0.6 s] two " \
           "[pause 0.7 s] one [pause 0.7 s] Rest." in text
