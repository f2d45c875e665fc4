"""Loading and validating routine files: good files load, bad files say where and what."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from routine_graph import RoutineError, load_routine
from routine_graph.cli import schema  # noqa: F401  (the command must import cleanly)

MINIMAL = """\
title: Tiny
safety: Stop if it hurts.
exercises:
  - id: one
    name: One
    sets: 2
    reps: 2-4
    rep:
      - say: Lift.
      - hold: 2
"""


def problems_of(path):
    with pytest.raises(RoutineError) as info:
        load_routine(path)
    return info.value.problems


def test_seed_routine_loads_with_every_article_instruction(seed_path):
    routine = load_routine(seed_path)
    assert routine.id == "back-pain"
    assert [e.id for e in routine.exercises] == ["lean-and-bend", "hip-lift", "good-morning"]
    for exercise in routine.exercises:
        assert (exercise.reps.low, exercise.reps.high, exercise.sets) == (5, 7, 3)
    text = seed_path.read_text().lower()
    for phrase in ("safe", "breathe slowly", "straight elbows", "without looking up", "breathe out",
                   "relax your waist", "upper body", "shoulder-width", "like a squat", "straightening your knees",
                   "not medical advice", "twice a day"):
        assert phrase in text, phrase
    ex1, ex2, ex3 = routine.exercises
    assert [s.hold for s in ex1.rep if hasattr(s, "hold")] == [2, 2]
    assert ex2.sides == ["left", "right"]
    assert [s.hold for s in ex3.rep if hasattr(s, "hold")] == [1, 1, 1, 1]


def test_minimal_file_gets_defaults(write_routine):
    routine = load_routine(write_routine(MINIMAL))
    assert routine.id == "test-routine"
    assert routine.levels == {"gentle": "low", "standard": "middle", "full": "high"}
    assert routine.defaults.rest_between_sets == 30


@pytest.mark.parametrize("reps, expected", [(6, (6, 6)), ("5-7", (5, 7)), ("5 to 7", (5, 7)), ("4", (4, 4))])
def test_reps_number_or_range(write_routine, reps, expected):
    routine = load_routine(write_routine(MINIMAL.replace("reps: 2-4", f"reps: {reps!r}" if isinstance(reps, str) else f"reps: {reps}")))
    assert (routine.exercises[0].reps.low, routine.exercises[0].reps.high) == expected


def test_yaml_syntax_error_names_line(write_routine):
    (problem,) = problems_of(write_routine("title: x\nexercises:\n  - id: a\n    name: [unclosed\n"))
    assert problem.line == 5 and "YAML syntax" in problem.message


def test_empty_file(write_routine):
    (problem,) = problems_of(write_routine("   \n"))
    assert "empty" in problem.message


def test_non_utf8_file(tmp_path):
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"title: caf\xe9\n")
    (problem,) = problems_of(path)
    assert "UTF-8" in problem.message and problem.line == 1


def test_file_over_one_megabyte(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("title: " + "x" * 1_000_001)
    (problem,) = problems_of(path)
    assert "limited to 1,000,000 bytes" in problem.message


def test_not_a_mapping(write_routine):
    (problem,) = problems_of(write_routine("- just\n- a list\n"))
    assert "mapping" in problem.message


def test_all_problems_reported_at_once_with_lines_and_fields(write_routine):
    text = """\
title: Test
safty: oops
exercises:
  - id: a
    name: A
    sets: 3
    reps: 7-5
    rep:
      - hold: -2
      - mvoe: 3
      - say: Lift your {side} leg
  - id: a
    name: B
    sets: 300
    reps: 5
    rep:
      - move: forever
      - hold: 99999
"""
    found = {(p.line, p.field): p.message for p in problems_of(write_routine(text))}
    assert found[(1, "safety")] == "required field is missing"
    assert "did you mean 'safety'" in found[(2, "safty")]
    assert "reversed" in found[(7, "exercises[0].reps")]
    assert "greater than 0" in found[(9, "exercises[0].rep[0].hold")]
    assert "did you mean 'move'" in found[(10, "exercises[0].rep[1]")]
    assert "{side}" in found[(11, "exercises[0].rep[2].say")]
    assert "duplicate exercise id" in found[(12, "exercises[1].id")]
    assert "20" in found[(14, "exercises[1].sets")]
    assert "seconds" in found[(17, "exercises[1].rep[0].move")]
    assert "600" in found[(18, "exercises[1].rep[1].hold")]
    assert len(found) == 10


def test_duplicate_yaml_key(write_routine):
    (problem,) = problems_of(write_routine("title: a\ntitle: b\nsafety: s\nexercises: []\n"))
    assert (problem.line, problem.field, problem.message) == (2, "title", "duplicate key")


def test_unknown_default_level(write_routine):
    problems = problems_of(write_routine(MINIMAL + "default_level: hard\n"))
    assert [(p.field, p.line) for p in problems] == [("default_level", 11)]
    assert "gentle, standard, full" in problems[0].message


def test_bad_level_spec(write_routine):
    problems = problems_of(write_routine(MINIMAL + "levels:\n  easy: lowest\n"))
    assert problems[0].field == "levels.easy" and '"low"' in problems[0].message


def test_unknown_template_placeholder(write_routine):
    problems = problems_of(write_routine(MINIMAL + "cues:\n  set_start: Set {number}.\n"))
    assert problems[0].field == "cues.set_start" and "{sets}" in problems[0].message


def test_error_format_names_file_line_column(write_routine):
    path = write_routine(MINIMAL.replace("sets: 2", "sets: -1"))
    with pytest.raises(RoutineError) as info:
        load_routine(path)
    assert str(info.value).startswith(f"{path}:6:11: exercises[0].sets:")


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "back_routine", *args], capture_output=True, text=True, cwd=cwd)


def test_cli_validate_reports_and_exits_2_without_traceback(write_routine, tmp_path):
    bad = write_routine("title: [\n", name="bad.yaml")
    good = write_routine(MINIMAL, name="good.yaml")
    result = run_cli("validate", str(good), str(bad))
    assert result.returncode == 2
    assert "good.yaml: ok" in result.stdout
    assert f"{bad}:2" in result.stderr and "Traceback" not in result.stderr


def test_cli_validate_default_folder(seed_path):
    result = run_cli("validate", cwd=seed_path.parent.parent)
    assert result.returncode == 0 and "back-pain.yaml: ok" in result.stdout


def test_cli_schema_is_valid_json_schema_that_accepts_the_seed(seed_path):
    import jsonschema
    import yaml

    result = run_cli("schema")
    document = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(document)
    jsonschema.validate(yaml.safe_load(seed_path.read_text()), document)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"title": "x", "safety": "s", "exercises": [], "bogus": 1}, document)


def test_cli_preview_table_and_json(seed_path):
    table = run_cli("preview", str(seed_path), "--level", "gentle")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].startswith("Three exercises for back pain  (level gentle, pace 1")
    assert "exercise 1, set 1, rep 1" in table.stdout and "[hold 2 s]" in table.stdout
    assert lines[-1].startswith("total ")
    data = json.loads(run_cli("preview", "back-pain", "--json", "--pace", "1.5", cwd=seed_path.parent.parent).stdout)
    assert data["level"] == "standard" and data["pace"] == 1.5
    step = data["steps"][12]
    assert {"start", "kind", "seconds", "text", "exercise", "set", "rep", "side"} <= set(step)
    assert data["total_seconds"] == pytest.approx(sum(s["duration"] for s in data["steps"]), abs=0.01)
    holds = [s for s in data["steps"] if s["kind"] == "hold" and s["exercise"] == 1]
    assert {s["seconds"] for s in holds} == {3.0}  # 2 s holds at pace 1.5


def test_cli_preview_unknown_level_and_routine(seed_path):
    bad_level = run_cli("preview", str(seed_path), "--level", "extreme")
    assert bad_level.returncode == 2 and "gentle, standard, full" in bad_level.stderr
    missing = run_cli("preview", "nope", cwd=seed_path.parent.parent)
    assert missing.returncode == 2 and "available: back-pain" in missing.stderr and "Traceback" not in missing.stderr
