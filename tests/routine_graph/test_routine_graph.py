"""Expanding routines into the graph (navigating it: test_navigation.py)."""
from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routine_graph import UnknownLevelError, expand, load_routine, reps_for_level
from routine_graph.model import RepRange

from tests.routine_strategies import routines

fast = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reps_in(graph, exercise, set_no, side=None):
    return {s.position.rep for s in graph.steps
            if s.position.exercise == exercise and s.position.set == set_no and s.position.rep is not None
            and (side is None or s.position.side == side)}


@pytest.mark.parametrize("level, reps", [("gentle", 5), ("standard", 6), ("full", 7)])
def test_seed_levels_pick_5_6_7(seed_path, level, reps):
    graph = expand(load_routine(seed_path), level)
    for ex in (1, 3):
        for set_no in (1, 2, 3):
            assert reps_in(graph, ex, set_no) == set(range(1, reps + 1))
    for set_no in (1, 2, 3):  # exercise 2 is done on each side in every set
        for side in ("left", "right"):
            assert reps_in(graph, 2, set_no, side) == set(range(1, reps + 1))


def test_seed_timing_follows_the_article(seed_path):
    graph = expand(load_routine(seed_path), "standard")
    ex1_holds = [s.seconds for s in graph.steps if s.kind == "hold" and s.position.exercise == 1]
    assert ex1_holds == [2.0] * (2 * 6 * 3)  # two 2-second holds per rep, 6 reps, 3 sets
    ex3_holds = [s.seconds for s in graph.steps if s.kind == "hold" and s.position.exercise == 3]
    assert ex3_holds == [1.0] * (4 * 6 * 3)  # each motion stops for 1 second
    assert all(s.count is None for s in graph.steps if s.kind == "hold")  # short holds stay quiet
    rests = [(s.position.exercise, s.seconds) for s in graph.steps if s.kind == "rest"]
    assert rests == [(1, 30), (1, 30), (1, 45), (2, 30), (2, 30), (2, 45), (3, 45), (3, 45)]
    # Every hold is right after a cue: a hold is measured from the end of the cue that starts it.
    for before, step in zip(graph.steps, graph.steps[1:]):
        if step.kind == "hold":
            assert before.kind in ("speak", "move") and before.gap_after == 0
    texts = [s.text for s in graph.steps if s.text]
    assert texts[0].startswith("Welcome") and "not medical advice" in " ".join(texts[:10])
    assert any("breathe out" in t.lower() for t in texts if t)
    assert "Now switch to your right side." in texts


def test_pace_scales_holds_and_moves_only(seed_path):
    routine = load_routine(seed_path)
    normal, slow = expand(routine, pace=1.0), expand(routine, pace=1.5)
    for a, b in zip(normal.steps, slow.steps):
        factor = 1.5 if a.kind in ("hold", "move") else 1.0
        assert b.seconds == pytest.approx(a.seconds * factor)


def test_unknown_level_lists_levels(seed_path):
    with pytest.raises(UnknownLevelError, match="gentle, standard, full"):
        expand(load_routine(seed_path), "extreme")


def test_measured_speech_replaces_estimates(seed_path):
    graph = expand(load_routine(seed_path), speech_seconds=lambda text: 1.0)
    assert {s.seconds for s in graph.steps if s.kind == "speak"} == {1.0}


@pytest.mark.parametrize("spec, expected", [("low", 5), ("middle", 6), ("high", 7), (0.0, 5), (1.0, 7), (0.66, 6), (0.8, 7)])
def test_reps_for_level(spec, expected):
    assert reps_for_level(RepRange(low=5, high=7), spec) == expected


def test_middle_of_even_range_rounds_down():
    assert reps_for_level(RepRange(low=5, high=8), "middle") == 6


@fast
@given(routines(), st.sampled_from(["gentle", "standard", "full", "two-thirds"]), st.sampled_from([0.5, 1.0, 1.25]))
def test_each_set_has_the_levels_reps(routine, level, pace):
    graph = expand(routine, level, pace)
    for number, exercise in enumerate(routine.exercises, start=1):
        reps = reps_for_level(exercise.reps, routine.levels[level])
        assert graph.exercises[number - 1].reps == reps
        sides = exercise.sides if exercise.sides and not any("switch_side" in type(s).model_fields for s in exercise.rep) else [None]
        for set_no in range(1, exercise.sets + 1):
            for side in sides:
                assert reps_in(graph, number, set_no, side) == set(range(1, reps + 1))


@fast
@given(routines())
def test_durations_add_up(routine):
    graph = expand(routine)
    assert math.isclose(sum(s.duration for s in graph.steps), graph.total_seconds)
    assert math.isclose(sum(graph.block_seconds(b.index) for b in graph.blocks), graph.total_seconds)
    assert all(graph.starts[i + 1] == pytest.approx(graph.starts[i] + graph.steps[i].duration) for i in range(len(graph.steps) - 1))
    assert all(s.duration >= 0 for s in graph.steps)


@fast
@given(routines())
def test_blocks_tile_the_steps(routine):
    graph = expand(routine)
    assert graph.blocks[0].first_step == 0 and graph.blocks[-1].end_step == len(graph.steps)
    for a, b in zip(graph.blocks, graph.blocks[1:]):
        assert a.end_step == b.first_step
    for step in graph.steps:
        block = graph.blocks[step.block]
        assert block.first_step <= step.index < block.end_step
