"""Navigation (routine_graph/navigation.py): moves over blocks and their parts, as the skill makes them."""
from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routine_graph import expand, load_routine
from routine_graph.navigation import Cursor, Route, goto_exercise, skip_exercise, where
from skill.routines import RoutineLibrary

from tests.routine_strategies import routines

from tests.alexa_signing import make_envelope
from tests.skill_harness import Conversation, make_app, stored_state

fast = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "routines" / "back-pain.yaml"


@dataclass(frozen=True)
class SplitRoute(Route):
    """A route whose block b is said in `parts[b]` parts (1 if not given; at most one a step)."""

    parts: dict[int, int] = field(default_factory=dict, compare=False)

    def part_starts(self, block: int) -> tuple[int, ...]:
        b = self.graph.blocks[block]
        size = b.end_step - b.first_step
        count = min(self.parts.get(block, 1), size)
        return tuple(b.first_step + i * size // count for i in range(count))


def walk(route: Route) -> list[Cursor]:
    """Every place "next" goes through, from the start."""
    places, at = [], Cursor(0, 0)
    while at is not None:
        places.append(at)
        at = route.next_place(*at)
    return places


def split_route(routine, data) -> SplitRoute:
    graph = expand(routine)
    parts = data.draw(st.dictionaries(st.integers(0, len(graph.blocks) - 1), st.integers(1, 4)))
    return SplitRoute(graph, parts)


def seed_block(graph, title: str) -> int:
    return next(b.index for b in graph.blocks if b.title == title)


def without_exercise(text: str, exercise_id: str, following_id: str | None) -> str:
    """Routine YAML with one exercise cut out (up to the next one, or to the outro)."""
    start = text.index(f"  - id: {exercise_id}")
    end = text.index(f"  - id: {following_id}") if following_id else text.index("\noutro:") + 1
    return text[:start] + text[end:]


# -- over any routine, in any parts ---------------------------------------------------------------------


@fast
@given(routines(), st.data())
def test_next_goes_through_every_part_of_every_block_once_in_order(routine, data):
    route = split_route(routine, data)
    graph = route.graph
    assert walk(route) == [Cursor(b.index, p) for b in graph.blocks for p in range(len(route.part_starts(b.index)))]


@fast
@given(routines(), st.data())
def test_previous_goes_back_a_part_or_to_the_start_of_the_block_before(routine, data):
    route = split_route(routine, data)
    for at in walk(route):
        back = route.previous_place(*at)
        if at.part > 0:
            assert back == (at.block, at.part - 1)
        elif at.block > 0:
            assert back == (at.block - 1, 0)
        else:
            assert back is None
        assert route.repeat(*at) == at


@fast
@given(routines(), st.data())
def test_time_left_runs_down_from_the_whole_routine(routine, data):
    route = split_route(routine, data)
    graph = route.graph
    left = [route.seconds_from(*at) for at in walk(route)]
    assert left[0] == pytest.approx(graph.total_seconds)
    assert all(a >= b - 1e-6 for a, b in zip(left, left[1:])) and left[-1] >= 0
    last_part_start = route.part_starts(len(graph.blocks) - 1)[-1]
    assert left[-1] == pytest.approx(sum(step.duration for step in graph.steps[last_part_start:]))


@fast
@given(routines(), st.data())
def test_skip_exercise_lands_on_the_next_exercise_or_the_finish(routine, data):
    graph = expand(routine)
    block = data.draw(st.integers(0, len(graph.blocks) - 1))
    target = skip_exercise(graph, block)
    current = graph.blocks[block]
    has_outro = graph.blocks[-1].kind == "outro"
    if current.kind == "outro" or (current.exercise == len(graph.exercises) and not has_outro):
        assert target is None
        return
    landed = graph.blocks[target]
    if current.exercise is None:
        assert (landed.exercise, landed.kind) == (1, "setup")
    elif current.exercise < len(graph.exercises):
        assert (landed.exercise, landed.kind) == (current.exercise + 1, "setup")
    else:
        assert landed.kind == "outro"


@fast
@given(routines())
def test_every_exercise_is_reached_by_going_to_it_and_where_names_it(routine):
    graph = expand(routine)
    for info in graph.exercises:
        start = graph.blocks[goto_exercise(graph, info.number)]
        assert (start.exercise, start.kind) == (info.number, "setup")
    for block in graph.blocks:
        here = where(graph, block.index)
        assert here.block == block and here.exercise_count == len(graph.exercises)
        assert here.exercise == (graph.exercises[block.exercise - 1] if block.exercise else None)


# -- the seed routine ---------------------------------------------------------------------------------------


def test_next_and_previous_across_parts_and_blocks(seed_path):
    graph = expand(load_routine(seed_path))
    set_one = seed_block(graph, "Lean straight and bend, set 1 of 3")
    route = SplitRoute(graph, {set_one: 3})
    assert route.next_place(set_one - 1) == (set_one, 0)
    assert route.next_place(set_one, 0) == (set_one, 1)
    assert route.next_place(set_one, 2) == (set_one + 1, 0)
    assert route.previous_place(set_one, 2) == (set_one, 1)
    assert route.previous_place(set_one + 1, 0) == (set_one, 0)  # back to the start of the set
    assert route.previous_place(set_one, 0) == (set_one - 1, 0)
    assert route.previous_place(0, 0) is None
    assert route.next_place(len(graph.blocks) - 1) is None
    assert route.repeat(set_one, 1) == (set_one, 1)


def test_skip_from_the_intro_mid_exercise_and_the_last_exercise(seed_path, write_routine):
    graph = expand(load_routine(seed_path))
    setups = {b.exercise: b.index for b in graph.blocks if b.kind == "setup"}
    assert skip_exercise(graph, 0) == setups[1]  # from the intro: the first exercise
    assert skip_exercise(graph, seed_block(graph, "Hip lift on all fours, set 2 of 3")) == setups[3]
    outro = len(graph.blocks) - 1
    assert graph.blocks[outro].kind == "outro"
    assert skip_exercise(graph, setups[3]) == outro and skip_exercise(graph, outro - 1) == outro
    assert skip_exercise(graph, outro) is None
    text = seed_path.read_text()
    no_outro = expand(load_routine(write_routine(text[:text.index("\noutro:") + 1])))
    assert no_outro.blocks[-1].kind == "set" and skip_exercise(no_outro, len(no_outro.blocks) - 1) is None


def test_go_to_an_exercise_and_where(seed_path):
    graph = expand(load_routine(seed_path))
    assert graph.blocks[goto_exercise(graph, 2)].title == "Hip lift on all fours"
    assert goto_exercise(graph, 4) is None and goto_exercise(graph, 0) is None
    here = where(graph, seed_block(graph, "Hip lift on all fours, set 2 of 3"))
    assert (here.block.kind, here.block.set, here.exercise.name, here.exercise.sets, here.exercise_count) == \
        ("set", 2, "Hip lift on all fours", 3, 3)
    assert where(graph, 0).exercise is None and where(graph, 0).block.kind == "intro"


def test_a_place_saved_beyond_the_end_of_a_shorter_routine_is_clamped(seed_path, write_routine):
    longer = expand(load_routine(seed_path))
    shorter = expand(load_routine(write_routine(without_exercise(seed_path.read_text(), "hip-lift", "good-morning"))))
    assert len(shorter.blocks) < len(longer.blocks)
    route = SplitRoute(shorter, {len(shorter.blocks) - 2: 2})
    saved = Cursor(len(longer.blocks) - 1, 3)  # the finish of the longer routine, in a part it no longer has
    last = len(shorter.blocks) - 1
    assert route.clamp(*saved) == (last, 0) and route.repeat(*saved) == (last, 0)
    assert route.next_place(*saved) is None
    assert route.previous_place(*saved) == (last - 1, 0)
    assert route.seconds_from(*saved) == pytest.approx(shorter.block_seconds(last))
    assert route.clamp(last - 1, 9) == (last - 1, 1) and route.clamp(-3, -1) == (0, 0)


# -- the skill's Course: a route whose parts are the chunks it says -----------------------------------------


def test_a_course_moves_over_the_chunks_it_says():
    course = RoutineLibrary(ROOT / "routines").course("back-pain", "full", 2.0)
    graph = course.graph
    for block in range(len(graph.blocks)):
        assert course.part_starts(block) == tuple(chunk.first_step for chunk in course.chunks(block))
    split = next(b for b in range(len(graph.blocks)) if len(course.chunks(b)) > 1)
    parts = len(course.chunks(split))
    assert course.next_place(split, 0) == (split, 1) and course.next_place(split, parts - 1) == (split + 1, 0)
    assert course.previous_place(split, 1) == (split, 0) and course.previous_place(split + 1, 0) == (split, 0)
    assert course.clamp(split, 99) == (split, parts - 1)
    assert course.seconds_from(0, 0) == pytest.approx(graph.total_seconds)
    heard = course.seen_from(split, parts - 1)  # having heard the last part, next opens with the rest
    assert heard.onward(split + 1) and not heard.onward(split) and not course.onward(split + 1)


def test_progress_saved_beyond_the_end_of_an_edited_routine_still_loads(tmp_path):
    """Attributes as an older version saved them (a place without a part) in a set of the last
    exercise, for a routine that has since lost an exercise: the place is beyond its end, so the
    skill brings it back to the finish and carries on from there."""
    routines = tmp_path / "routines"
    routines.mkdir()
    shutil.copy(SEED, routines / SEED.name)
    app, adapter = make_app(routines, tmp_path / "progress.sqlite3", logger=logging.getLogger("test.skill"))
    try:
        longer = RoutineLibrary(routines).course("back-pain").graph
        envelope = DefaultSerializer().deserialize(json.dumps(make_envelope()), RequestEnvelope)
        adapter.save_attributes(envelope, {"v": 1, "routine": "back-pain", "place": {"block": len(longer.blocks) - 2},
                                           "run_started": "2026-01-01T08:00:00+00:00"})
        (routines / SEED.name).write_text(without_exercise(SEED.read_text(), "hip-lift", "good-morning"))
        finish = len(RoutineLibrary(routines).course("back-pain").graph.blocks) - 1
        assert finish < len(longer.blocks) - 2
        user = Conversation(app.test_client())
        assert "Last time you stopped at the end of the routine. Shall we carry on" in user.launch().text
        assert stored_state(adapter)["place"] == {"block": finish, "part": 0, "done": False, "finished": False}
        assert user.say("WhereAmIIntent").text.startswith("We're at the very end")
        assert user.say("AMAZON.NextIntent").text.startswith("Let's carry on. That's all three exercises.")
        assert stored_state(adapter)["place"]["finished"] is True
    finally:
        adapter.close()
