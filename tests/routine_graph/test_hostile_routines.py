"""Routine files written to hurt: each case here was found by a fault-injection pass and must stay a
located error (`file:line:col: field: problem`, exit 2) that costs milliseconds and megabytes."""
from __future__ import annotations

import copy
import json
import re
import tracemalloc
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from back_routine.cli import main
from routine_graph import RoutineError, expand, load_routine
from routine_graph.limits import MAX_SECONDS, MAX_STEPS
from routine_graph.model import Routine
from routine_graph.size import expansion_size, size_bound
from routine_graph.timeline_view import clock
from routine_graph.yaml_compose import MAX_ALIAS_VALUES, MAX_ALIASES, MAX_DEPTH

from tests.routine_strategies import routines

SEED = Path(__file__).resolve().parents[2] / "routines" / "back-pain.yaml"
LOCATED = re.compile(r":\d+(:\d+)?: ")


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """'Billion laughs': each level lists the one before it `width` times (9**9 values in ~350 bytes)."""
    names = "abcdefghijklmnop"
    lines = [f'{names[0]}: &{names[0]} [{", ".join(["x"] * width)}]']
    for i in range(1, levels):
        lines.append(f"{names[i]}: &{names[i]} [{', '.join(['*' + names[i - 1]] * width)}]")
    return "\n".join(lines) + "\n"


def enormous_routine(exercises: int = 100, sets: int = 20, reps: int = 100) -> str:
    """Valid, and about 100 KB: the seed's good morning a hundred times over, at the format's limits."""
    seed = SEED.read_text()
    rep = seed[seed.index("    rep:\n", seed.index("id: good-morning")):seed.index("\noutro:")].rstrip("\n")
    lines = ["title: Enormous", "safety: Stop if it hurts.", "exercises:"]
    for i in range(exercises):
        lines += [f"  - id: exercise-{i}", f"    name: Exercise number {i}", f"    sets: {sets}", f"    reps: {reps}", rep]
    return "\n".join(lines) + "\n"


def problems_of(path: Path):
    with pytest.raises(RoutineError) as info:
        load_routine(path)
    return info.value.problems


def measured_load(path: Path) -> tuple[RoutineError | None, int]:
    """(error or None, peak bytes of Python allocations) of loading `path`. Memory, not time: the
    bound is on the work done, which a loaded machine cannot make flaky (scripts/bench_hostile.py
    prints the times)."""
    tracemalloc.start()
    error = None
    try:
        load_routine(path)
    except RoutineError as exc:
        error = exc
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return error, peak


def validate(*paths: Path):
    return CliRunner(mix_stderr=False).invoke(main, ["validate", *map(str, paths)])


# -- 1. YAML that expands without end -------------------------------------------------------------

def test_alias_bomb_is_a_located_error_in_a_few_megabytes(write_routine):
    path = write_routine(alias_bomb())
    assert len(path.read_bytes()) < 400
    error, peak = measured_load(path)
    assert error is not None and peak < 20_000_000
    (problem,) = error.problems
    assert (problem.line, problem.field) == (5, "e[0]")  # the first alias past the budget, where it is used
    assert f"past {MAX_ALIAS_VALUES:,} repeated values" in problem.message
    result = validate(path)
    assert result.exit_code == 2 and f"{path}:5:8: e[0]: alias *d" in result.stderr


def test_a_few_small_aliases_are_fine(write_routine):
    text = """\
title: Aliases
safety: Stop.
exercises:
  - id: a
    name: A
    sets: 2
    reps: 3
    rep: &steps
      - say: Lift.
      - hold: 2
  - id: b
    name: B
    sets: 2
    reps: 3
    rep: *steps
"""
    routine = load_routine(write_routine(text))
    assert routine.exercises[1].rep == routine.exercises[0].rep


def test_too_many_aliases(write_routine):
    text = "x: &x 1\nlist: [" + ", ".join(["*x"] * (MAX_ALIASES + 1)) + "]\n"
    (problem,) = problems_of(write_routine(text))
    assert problem.line == 2 and f"more than {MAX_ALIASES} aliases" in problem.message


@pytest.mark.parametrize("text, line, words", [
    ("a: &a [*a]\n", 1, "inside the value it names"),
    ("a: &a\n  b: *a\n", 2, "inside the value it names"),
    ("a: &a {<<: *a}\n", 1, "inside the value it names"),
    ("a: *nowhere\n", 1, "has no anchor"),
    ("a: &x 1\nb: &x 2\n", 2, "defined twice"),
])
def test_recursive_undefined_and_duplicate_aliases(write_routine, text, line, words):
    (problem,) = problems_of(write_routine(text))
    assert problem.line == line and words in problem.message


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 100_000])
def test_deep_flow_nesting(write_routine, depth):
    # 100,000 levels crashed the interpreter (libyaml's composer recursing in C); 500 was a RecursionError.
    error, peak = measured_load(write_routine("title: " + "[" * depth + "]" * depth + "\n"))
    (problem,) = error.problems
    assert problem.line == 1 and f"more than {MAX_DEPTH} levels" in problem.message and peak < 20_000_000


@pytest.mark.parametrize("text", [
    "title: " + "[" * 40 + "]" * 40 + "\n",
    "x: &x 1\ny: *x\ntitle: " + "[" * 40 + "]" * 40 + "\n",
    "title: x\n---\ntitle: y\n",
    "x: &x 1\ny: *x\ntitle: x\n---\ntitle: y\n",
    "a: &x 1\nb: &x 2\n",
    "a: &x 1\nb: &x 2\nc: *x\n",
])
def test_both_composers_say_the_same(write_routine, text):
    """Files without an alias that cannot nest deep are composed by libyaml (faster), the others
    here: the reader cannot tell which."""
    from routine_graph.yaml_compose import ComposeError, compose_document
    from routine_graph.yaml_source import _Loader

    (problem,) = problems_of(write_routine(text))
    loader = _Loader(text)
    try:
        with pytest.raises(ComposeError) as info:
            node = compose_document(loader)
            # compose_document leaves nothing to refuse but depth, which the tree walk refuses
            from routine_graph.yaml_source import _to_python
            _to_python(loader, node, (), {}, [])
    finally:
        loader.dispose()
    assert (problem.line, problem.column, problem.message) == (info.value.line, info.value.column, info.value.message)


def test_deep_block_nesting(write_routine):
    text = "".join(f"{'  ' * i}k{i}:\n" for i in range(600)) + "  " * 600 + "end\n"
    (problem,) = problems_of(write_routine(text))
    assert problem.line == MAX_DEPTH + 1 and "levels deep" in problem.message


def test_five_thousand_digit_integer(write_routine):
    path = write_routine(SEED.read_text().replace("    sets: 3\n", "    sets: " + "9" * 5000 + "\n", 1))
    (problem,) = problems_of(path)
    assert problem.field == "exercises[0].sets" and "number is too large" in problem.message
    assert problem.line is not None and problem.column is not None


@pytest.mark.parametrize("value, words", [
    ("2024-13-45", "cannot be read as a date"),
    ("!!int twelve", "cannot be read as a whole number"),
    ("!!int", "cannot be read as a whole number"),
    ("!!bool maybe", "cannot be read as true or false"),
    ("!shout hello", "unknown tag"),
])
def test_values_yaml_cannot_convert(write_routine, value, words):
    (problem,) = problems_of(write_routine(f"title: {value}\n"))
    assert (problem.line, problem.field) == (1, "title") and words in problem.message


def test_control_character_and_second_document(write_routine):
    (problem,) = problems_of(write_routine("title: x\nsafety: a\x01b\n"))
    assert problem.line == 2 and "U+0001" in problem.message
    (problem,) = problems_of(write_routine("title: x\n---\ntitle: y\n"))
    assert problem.line == 2 and "one YAML document" in problem.message


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n", "~\n"])
def test_empty_files_are_located_at_line_one(write_routine, text):
    (problem,) = problems_of(write_routine(text))
    assert problem.line == 1 and "empty" in problem.message


# -- 2. Valid but enormous ------------------------------------------------------------------------

def test_enormous_routine_is_refused_before_expanding(write_routine):
    path = write_routine(enormous_routine())
    assert 70_000 < len(path.read_bytes()) < 120_000
    error, peak = measured_load(path)
    assert peak < 100_000_000  # expanding it took 16 GiB
    steps, hours = error.problems
    assert steps.field == hours.field == "exercises[0]" and (steps.line, steps.column) == (4, 5)
    assert f"the limit is {MAX_STEPS:,}" in steps.message and "(20 sets of 100 reps)" in steps.message
    assert f"the limit is {MAX_SECONDS // 3600} hours" in hours.message


def test_few_steps_but_days_long(write_routine):
    text = SEED.read_text().replace("    sets: 3\n", "    sets: 20\n").replace("hold: 2", "hold: 600").replace("reps: 5-7", "reps: 100")
    (problem,) = problems_of(write_routine(text))
    assert "lasts" in problem.message and "Lean straight and bend" in problem.message
    assert problem.field == "exercises[0]"


def test_validate_preview_and_build_refuse_it_the_same_way(tmp_path):
    folder = tmp_path / "routines"
    folder.mkdir()
    path = folder / "enormous.yaml"
    path.write_text(enormous_routine())
    runner = CliRunner(mix_stderr=False)
    expected = str(RoutineError(path, problems_of(path))).splitlines()
    out = tmp_path / "out"
    for args in (["validate", str(path)], ["preview", str(path)], ["preview", str(path), "--json"],
                 ["build", "enormous", "--routines", str(folder), "--engine", "espeak", "--out", str(out),
                  "--cache-dir", str(tmp_path / "cache")]):
        result = runner.invoke(main, args)
        assert result.exit_code == 2, (args, result.output, result.stderr)
        for line in expected:
            assert line in result.stderr, (args, result.stderr)
    assert not out.exists()


def test_routines_made_in_code_are_guarded_too():
    data = yaml.safe_load(enormous_routine())
    data["id"] = "enormous"
    with pytest.raises(ValueError, match="the limit is 200,000"):
        expand(Routine.model_validate(data))


@settings(max_examples=150, deadline=None)
@given(routines(), st.sampled_from(["gentle", "standard", "full", "two-thirds"]), st.sampled_from([0.25, 0.8, 1, 4]))
def test_size_is_what_expansion_makes(routine, level, pace):
    """The check counts without expanding; it must count exactly what expanding makes."""
    graph, size = expand(routine, level, pace), expansion_size(routine, level, pace)
    assert size.steps == len(graph.steps)
    assert size.seconds == pytest.approx(graph.total_seconds, rel=1e-9, abs=1e-6)
    # The cheaper bound that spares most routines the exact count is a bound.
    steps, seconds = size_bound(routine, level)
    exact = expansion_size(routine, level)
    assert steps >= exact.steps and seconds >= exact.seconds


def test_size_of_the_seed():
    routine = load_routine(SEED)
    for level in routine.levels:
        graph, size = expand(routine, level), expansion_size(routine, level)
        assert (size.steps, round(size.seconds, 6)) == (len(graph.steps), round(graph.total_seconds, 6))


# -- 4. Messages that say what to do ----------------------------------------------------------------

def seed_with(old: str, new: str, count: int = 1) -> str:
    text = SEED.read_text()
    assert old in text
    return text.replace(old, new, count)


@pytest.mark.parametrize("old, new, field, message", [
    ("hold: 2", "hold: two seconds", "exercises[0].rep[3].hold", "a number of seconds, e.g. `hold: 2`"),
    ("sides: [left, right]", "sides: left, right", "exercises[1].sides", "a list: write `sides: [left, right]`"),
    ("    sets: 3\n", "    sets: three\n", "exercises[0].sets", "a whole number, e.g. `sets: 3`"),
    ("pause: 2", 'pause: "2 s"', "exercises[0].setup[1].pause", "a number of seconds, e.g. `pause: 2`"),
    ("- say: Hold.", "- say: '  '", "exercises[0].rep[2].say", "is blank; write the words to say"),
    ("id: hip-lift", "id: Hip_Lift", "exercises[1].id", "lowercase letters, digits and dashes, e.g. 'hip-lift'"),
    ("name: Good morning", "name: yes", "exercises[2].name", "put it in quotes"),
    ("  - say: Lift your {side} leg", "  - say: Lift your {side:>9} leg", "exercises[1].rep[0].say",
     "is not a plain name like {side}"),
])
def test_messages_say_what_to_write(write_routine, old, new, field, message):
    problems = problems_of(write_routine(seed_with(old, new)))
    assert [(p.field, message in p.message) for p in problems] == [(field, True)], problems


def test_a_known_key_in_the_wrong_place_says_where_it_belongs(write_routine):
    (problem,) = problems_of(write_routine(seed_with("    sets: 3\n", "    sets: 3\n    hold: 2\n")))
    assert problem.message == "'hold' does not go here; it belongs in a step (check its indentation)"
    (problem,) = problems_of(write_routine(seed_with("      - hold: 2\n", "      - hold: 2\n        say: Hold.\n")))
    assert "a step has one kind" in problem.message


@pytest.mark.parametrize("old, new, words", [
    ("    sets: 3\n", "     sets: 3\n", "the indentation of line {line} doesn't match the lines around it; indent with "
                                       "spaces, two per level"),
    ("    sets: 3\n", "\tsets: 3\n", "line {line} is indented with a tab"),
    ("    name: Good morning\n", "    name: Good morning: the squat\n", 'name: "Good morning: the squat"'),
    ("title: Three exercises for back pain\n", "title Three exercises for back pain\n", "line {line} has no `key: value` colon"),
    ("say: That's all", 'say: "That\'s all', "the quote opened on line {line} is never closed"),
])
def test_yaml_mistakes_in_plain_words(write_routine, old, new, words):
    seed = SEED.read_text()
    line = seed[:seed.index(old)].count("\n") + 1  # where the seed has it, so editing the seed moves it
    (problem,) = problems_of(write_routine(seed_with(old, new)))
    assert words.format(line=line) in problem.message and problem.line in (line, line + 1), problem
    assert "while parsing" not in problem.message and "expected <block end>" not in problem.message


def test_unknown_routine_name_suggests_the_nearest(seed_path):
    result = CliRunner(mix_stderr=False).invoke(main, ["preview", "backpain", "--routines", str(seed_path.parent)])
    assert result.exit_code == 2 and "did you mean back-pain?" in result.stderr
    result = CliRunner(mix_stderr=False).invoke(main, ["build", "back-pian", "--routines", str(seed_path.parent)])
    assert result.exit_code == 2 and "did you mean back-pain?" in result.stderr


# -- 5. preview -----------------------------------------------------------------------------------

def test_clock_carries_seconds_into_minutes_and_hours():
    assert clock(59.96) == "1:00.0"
    assert clock(59.94) == "0:59.9"
    assert clock(3599.96) == "1:00:00.0"
    assert clock(125.25) == "2:05.2"


def test_preview_table_stays_aligned_with_long_labels(write_routine):
    long_side = "the side nearest the window of the room"
    path = write_routine(seed_with("sides: [left, right]", f"sides: [{long_side}, right]"))
    result = CliRunner(mix_stderr=False).invoke(main, ["preview", str(path), "--out", str(path.parent / "none")])
    assert result.exit_code == 0, result.stderr
    lines = result.output.splitlines()[1:-1]
    header = lines[0]
    column = header.index("what")
    for line in lines[1:]:
        if long_side in line:
            continue  # a label too long for the column has the line to itself; its text is on the next
        assert line[column - 1] == " " and line[column] != " ", line


def fake_manifest(out: Path, routine_id: str, level: str, seconds: dict[str, float]) -> Path:
    folder = out / routine_id
    folder.mkdir(parents=True)
    cues, at = [], 0
    for text, length in seconds.items():
        cues.append({"start_ms": at, "end_ms": at + round(length * 1000), "text": text, "kind": "speak"})
        at += 10_000
    manifest = {"format": 1, "routine": routine_id, "levels": {level: {"tracks": [{"kind": "full", "cues": cues}]}}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder / "manifest.json"


def test_preview_json_marks_measured_and_estimated_speech(tmp_path, seed_path):
    welcome = "Welcome. Let's move your back gently today."
    source = fake_manifest(tmp_path / "out", "back-pain", "standard", {welcome: 2.345})
    args = ["preview", str(seed_path), "--json", "--out", str(tmp_path / "out")]
    data = json.loads(CliRunner(mix_stderr=False).invoke(main, args).output)
    first = data["steps"][0]
    assert (first["text"], first["seconds"], first["timing"]) == (welcome, 2.345, "measured")
    spoken = [s for s in data["steps"] if s["text"]]
    assert all(s["timing"] == "estimated" for s in spoken[1:])
    assert all("timing" not in s for s in data["steps"] if not s["text"])
    assert data["speech"] == {"measured": 1, "estimated": len(spoken) - 1, "measured_in": str(source)}
    table = CliRunner(mix_stderr=False).invoke(main, args[:2] + args[3:]).output.splitlines()[0]
    assert "measured in" in table and "the rest estimated" in table
    # Without a build (or with one of another routine), every cue is an estimate, and says so.
    nothing = json.loads(CliRunner(mix_stderr=False).invoke(main, args[:3] + ["--out", str(tmp_path)]).output)
    assert {s["timing"] for s in nothing["steps"] if s["text"]} == {"estimated"}


# -- 6. Fuzzing: any text gives a routine or a located error ---------------------------------------

TOKENS = ["title: ", "safety: ", "exercises:", "- ", "  ", "    ", "\n", "\n", ":", ": ", "[", "]", "{", "}", ",",
          "&a ", "*a", "&b ", "*b", "<<: ", "!!int ", "!!bool ", "!!timestamp ", "!x ", "'", '"', "#", "---\n",
          "...\n", "hold: ", "say: ", "move: ", "pause: ", "sets: ", "reps: ", "5-7", "{side}", "0", "7", "1e999",
          "-1", "9" * 40, "\t", "\x00", "\x07", "é", "?", "|", ">", "id: ", "name: ", "rep:", "setup:", "sides: ",
          "levels:", "default_level: ", "cues:", "rep_start: ", "{rep!r}", "{rep:>9}", "~", "=", "2001-13-45", "yes",
          "null", ".inf", "0x1F", "1:30", "%", "@", "`", "\r", "\ufeff", "x" * 50]
yamlish = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join) | st.text(max_size=200)


@st.composite
def seed_mutations(draw) -> str:
    """The seed routine with a few hand-editing slips: lines lost, doubled, swapped or re-indented,
    characters and tokens typed in, numbers and values changed, the file cut short."""
    lines = SEED.read_text().splitlines()
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["del", "dup", "swap", "indent", "dedent", "insert", "char", "cut", "number", "value"]))
        if op == "del":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "indent":
            lines[i] = " " * draw(st.integers(1, 3)) + lines[i]
        elif op == "dedent":
            lines[i] = lines[i][draw(st.integers(1, 3)):]
        elif op == "insert":
            k = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:k] + draw(st.sampled_from(TOKENS)) + lines[i][k:]
        elif op == "char" and lines[i]:
            k = draw(st.integers(0, len(lines[i]) - 1))
            lines[i] = lines[i][:k] + draw(st.characters()) + lines[i][k + 1:]
        elif op == "cut":
            lines = lines[:i]
        elif op == "number":
            number = draw(st.sampled_from([0, -3, 1, 20, 21, 100, 101, 600, 601, 10 ** 40]))
            lines[i] = re.sub(r"\d+", str(number), lines[i], count=1)
        elif op == "value" and ": " in lines[i]:
            lines[i] = lines[i].split(": ", 1)[0] + ": " + draw(st.sampled_from(TOKENS))
    return "\n".join(lines) + "\n"


_SEED_DATA = yaml.safe_load(SEED.read_text())
_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10 ** 6, 10 ** 6) | st.floats() | st.text(max_size=20)
    | st.sampled_from(["{side}", "{x}", "{side!r}", "{rep:d}", "5-7", "7-5", "default", " ", "left", "low", "0.5"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["say", "hold", "move", "pause", "switch_side", "count", "tone", "first_rep", "id", "name",
                         "sets", "reps", "sides", "rep", "x"]), inner, max_size=3),
    max_leaves=8)


@st.composite
def data_mutations(draw) -> str:
    """The seed's data with values swapped for others of any shape, written back as YAML: reaches
    the validation layer, which text slips mostly don't get past."""
    data = copy.deepcopy(_SEED_DATA)
    for _ in range(draw(st.integers(1, 3))):
        node, parent, key = data, None, None
        while isinstance(node, (dict, list)) and node and draw(st.booleans()):
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            parent, key = node, draw(st.sampled_from(keys))
            node = node[key]
        if parent is not None:
            parent[key] = draw(_values)
    return yaml.safe_dump(data, allow_unicode=True)


routine_texts = st.one_of(yamlish, seed_mutations(), data_mutations())


def check_in_process(path: Path, text: str) -> str:
    """'valid' or 'invalid'; anything else (a traceback, a problem without a line) fails."""
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        routine = load_routine(path)
    except RoutineError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.line is not None, (text, str(exc))
        for line in str(exc).splitlines():
            assert line.startswith(f"{path}:") and LOCATED.search(line), line
        return "invalid"
    for level in routine.levels:  # a routine that validates must also expand, within the limits
        assert len(expand(routine, level).steps) <= MAX_STEPS
    return "valid"


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(routine_texts)
def test_fuzz_loader_gives_a_routine_or_a_located_error(tmp_path_factory, text):
    check_in_process(tmp_path_factory.getbasetemp() / "fuzz.yaml", text)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(routine_texts)
def test_fuzz_validate_command_exits_0_or_2(tmp_path_factory, text):
    path = tmp_path_factory.getbasetemp() / "fuzz-cli.yaml"
    outcome = check_in_process(path, text)
    result = validate(path)
    assert result.exit_code == (0 if outcome == "valid" else 2), (text, result.output, result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.stderr
