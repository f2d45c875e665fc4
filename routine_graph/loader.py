"""Load a routine file into a validated `Routine`, reporting every problem with file:line:column."""
from __future__ import annotations

import difflib
import string
from pathlib import Path
from typing import Any, Callable

from pydantic import ValidationError

from .advice import advise
from .errors import Problem, RoutineError, format_path
from .gc_pause import gc_paused
from .model import DEFAULT_LEVELS, STEP_KINDS, CueTemplates, Routine, field_homes, known_field_names
from .limits import MAX_SECONDS, MAX_STEPS
from .size import clock, expansion_size, longest_level, size_bound
from .yaml_source import KEY, Locations, read_yaml

TEMPLATE_FIELDS: dict[str, set[str]] = {
    "exercise_start": {"number", "count", "name"},
    "set_start": {"set", "sets"},
    "side_start": {"side", "Side"},
    "rep_start": {"rep", "reps"},
    "rep_last": {"rep", "reps"},
    "switch_side": {"side", "Side"},
    "rest_sets": {"seconds", "name"},
    "rest_exercises": {"seconds", "name"},
}
assert set(TEMPLATE_FIELDS) == set(CueTemplates.model_fields)


def load_routine(file: str | Path) -> Routine:
    with gc_paused():
        return _load(Path(file))


def _load(file: Path) -> Routine:
    data, locations = read_yaml(file)
    if not isinstance(data, dict):
        line, col = locations.get((), (1, 1))
        what = {str: "a line of text", int: "a number", float: "a number", bool: "true or false", list: "a list"}.get(
            type(data), type(data).__name__)
        raise RoutineError(file, [Problem(line, col, "", f"a routine file is a mapping of keys (title: ..., exercises: "
                                                         f"...), one per line; this file is {what}")])
    # The id is the file name, so a routine's outputs can be found without parsing it.
    stem = file.stem if file.suffix in (".yaml", ".yml") else None
    if stem and data.get("id", stem) != stem:
        line, col = _locate(("id",), locations)
        raise RoutineError(file, [Problem(line, col, "id", f"id {data['id']!r} must match the file name ({stem!r}); rename the file or remove the id")])
    data.setdefault("id", stem)
    # Cross-field checks run on the raw data too, so one run reports them alongside type errors.
    problems = _cross_field_problems(data, locations)
    try:
        routine = Routine.model_validate(data)
    except ValidationError as exc:
        problems += _problems(exc, locations, data)
        routine = None
    if routine is not None and not problems:
        problems = _size_problems(routine, locations)
    if problems:
        problems.sort(key=lambda p: (p.line or 0, p.column or 0))
        raise RoutineError(file, problems)
    return routine


def _clean_loc(loc: tuple, data: Any) -> tuple:
    """Drop what pydantic adds to locations for unions (step tags, alternative types) so the path
    matches the file. The data is walked alongside: a key the file really has is never dropped,
    however odd (`"rep:[title"`, `str`)."""
    out: list = []
    node = data
    for i, part in enumerate(loc):
        if isinstance(part, str):
            after_index = i > 0 and isinstance(loc[i - 1], int)
            if after_index and part in STEP_KINDS and i < len(loc) - 1:
                continue  # the step's union tag (the key itself comes next; a key that ends the path is a real one)
            is_key = isinstance(node, dict) and part in node
            if not is_key and ("[" in part or part in ("constrained-float", "float", "int", "str", "bool")
                               or part.startswith("function-")):
                continue  # an alternative of a union, e.g. "literal['default']"
        out.append(part)
        node = _lookup(node, (part,))
    return tuple(out)


def _locate(path: tuple, locations: Locations, key: bool = False) -> tuple[int | None, int | None]:
    if key and path + (KEY,) in locations:
        return locations[path + (KEY,)]
    while path:
        if path in locations:
            return locations[path]
        path = path[:-1]
    return locations.get((), (None, None))


def _problems(exc: ValidationError, locations: Locations, data: dict) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple] = set()
    known = sorted(known_field_names())
    homes = field_homes()
    for error in exc.errors(include_url=False):
        raw_loc = error["loc"]
        loc = _clean_loc(raw_loc, data)
        kind = error["type"]
        message = error["msg"]
        if kind == "extra_forbidden":
            message = _misplaced(str(loc[-1]), loc, known, homes)
        elif kind == "step_kind":
            message = "a step needs one of: " + ", ".join(STEP_KINDS) + _step_guess(_lookup(data, loc))
        elif kind == "missing":
            message = "required field is missing"
        elif message.startswith("Value error, "):
            message = message[len("Value error, "):]
        else:
            message = advise(kind, loc, error.get("input"), error.get("ctx")) or message
        if loc != raw_loc[: len(loc)] or len(loc) < len(raw_loc):
            # One error per alternative of a union: say what any alternative would accept.
            if loc and loc[-1] == "move":
                message = 'a number of seconds, e.g. `move: 3`, or "default" (defaults.move_seconds)'
            elif loc and isinstance(loc[-2] if len(loc) > 1 else None, str) and loc[-2] == "levels":
                message = 'expected "low", "middle", "high" or a fraction from 0 to 1'
        if loc in seen:
            continue
        seen.add(loc)
        line, col = _locate(loc, locations, key=kind in ("extra_forbidden", "missing"))
        problems.append(Problem(line, col, format_path(loc), message))
    return problems


def _size_problems(routine: Routine, locations: Locations) -> list[Problem]:
    """A valid routine can still be far too big to expand (sets x reps x steps multiply): refuse it
    here, from counts worked out without expanding, naming the part that makes it so."""
    level = longest_level(routine)
    steps, seconds = size_bound(routine, level)
    if steps <= MAX_STEPS and seconds <= MAX_SECONDS:
        return []
    size = expansion_size(routine, level)
    problems = []
    if size.steps > MAX_STEPS:
        path, steps, _ = size.biggest(by_steps=True)
        problems.append(Problem(*_locate(path, locations), format_path(path),
                                f"the routine expands to {size.steps:,} steps at its longest level ({level}); the limit "
                                f"is {MAX_STEPS:,}. {_part_name(routine, path, level)} alone makes {steps:,}: use fewer "
                                "sets, reps or rep steps"))
    if size.seconds > MAX_SECONDS:
        path, _, seconds = size.biggest(by_steps=False)
        problems.append(Problem(*_locate(path, locations), format_path(path),
                                f"the routine lasts {clock(size.seconds)} at its longest level ({level}) and pace "
                                f"{routine.defaults.pace:g}; the limit is {MAX_SECONDS // 3600} hours. "
                                f"{_part_name(routine, path, level)} alone takes {clock(seconds)}: use fewer sets or "
                                "reps, or shorter holds and rests"))
    return problems


def _part_name(routine: Routine, path: tuple, level: str) -> str:
    if path[0] != "exercises":
        return f"The {path[0]}"
    from .expansion import reps_for_level

    exercise = routine.exercises[path[1]]
    sides = " on each side" if exercise.sides else ""
    return (f"Exercise {exercise.name!r} ({exercise.sets} sets of {reps_for_level(exercise.reps, routine.levels[level])} "
            f"reps{sides})")


def _misplaced(key: str, loc: tuple, known: list[str], homes: dict[str, list[str]]) -> str:
    in_step = len(loc) >= 3 and isinstance(loc[-2], int) and loc[-3] in ("intro", "outro", "setup", "rep")
    if in_step and key in STEP_KINDS:
        return f"a step has one kind; put `{key}` in a step of its own, on a new line starting with `- `"
    if key in homes:
        return f"{key!r} does not go here; it belongs in {' or '.join(homes[key])} (check its indentation)"
    guess = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f"unknown key {key!r}" + (f"; did you mean {guess[0]!r}?" if guess else "")


def _lookup(data: Any, loc: tuple) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _step_guess(step: Any) -> str:
    if not isinstance(step, dict):
        return f" (got {type(step).__name__} {step!r})"
    for key in step:
        guess = difflib.get_close_matches(str(key), STEP_KINDS, n=1, cutoff=0.6)
        if guess:
            return f"; {key!r} is unknown, did you mean {guess[0]!r}?"
    return f" (got keys {', '.join(map(str, step))})"


def _cross_field_problems(data: dict[str, Any], locations: Locations) -> list[Problem]:
    problems: list[Problem] = []

    def add(path: tuple, message: str) -> None:
        problems.append(Problem(*_locate(path, locations), format_path(path), message))

    levels = data.get("levels", DEFAULT_LEVELS)
    default_level = data.get("default_level")
    if isinstance(levels, dict) and levels and isinstance(default_level, str) and default_level not in levels:
        add(("default_level",), f"{default_level!r} is not one of the levels: {', '.join(map(str, levels))}")

    rules = data.get("progression")
    if isinstance(rules, dict) and (rules.get("move_up") or rules.get("move_down")) and isinstance(levels, dict) \
            and len(levels) == 1:
        add(("progression",), "progression suggests another level, and this routine has only one; add levels "
                              "(e.g. `levels: {gentle: low, standard: middle}`) or remove progression")

    cues = data.get("cues")
    if isinstance(cues, dict):
        for name, allowed in TEMPLATE_FIELDS.items():
            if isinstance(cues.get(name), str):
                _check_fields(cues[name], allowed, ("cues", name), add)

    for section in ("intro", "outro"):
        for j, step in _items(data.get(section)):
            if "switch_side" in step:
                add((section, j, "switch_side"), f"switch_side belongs in rep steps, not {section}")
            _check_step_text(step, set(), (section, j), add)

    seen_ids: dict[str, int] = {}
    for i, exercise in _items(data.get("exercises")):
        ex_id = exercise.get("id")
        if isinstance(ex_id, str):
            if ex_id in seen_ids:
                add(("exercises", i, "id"), f"duplicate exercise id {ex_id!r} (also exercises[{seen_ids[ex_id]}])")
            else:
                seen_ids[ex_id] = i
        has_sides = bool(exercise.get("sides"))
        allowed = {"side", "Side"} if has_sides else set()
        for j, step in _items(exercise.get("rep")):
            if "switch_side" in step and not has_sides:
                add(("exercises", i, "rep", j, "switch_side"), "switch_side needs two sides on the exercise, e.g. sides: [left, right]")
            _check_step_text(step, allowed, ("exercises", i, "rep", j), add)
        for j, step in _items(exercise.get("setup")):
            if "switch_side" in step:
                add(("exercises", i, "setup", j, "switch_side"), "switch_side belongs in rep steps, not setup")
            _check_step_text(step, set(), ("exercises", i, "setup", j), add)
    return problems


def _items(value: Any):
    """(index, mapping) for each mapping in a list; anything else is left to the type checks."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict):
                yield i, item


def _check_step_text(step: dict, allowed: set[str], path: tuple, add: Callable) -> None:
    for key in ("say", "first_rep", "switch_side"):
        if isinstance(step.get(key), str):
            _check_fields(step[key], allowed, path + (key,), add)


def _check_fields(text: str, allowed: set[str], path: tuple, add: Callable) -> None:
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        add(path, f"bad braces in text ({exc}); write {{{{ and }}}} for literal braces")
        return
    # Only bare names: `{side!r}`, `{side:>9}` or `{side.upper}` would pass a check of the names
    # alone, then fail (or print Python internals) when the routine is expanded.
    odd = next((f"{{{name}{'!' + conv if conv else ''}{':' + spec if spec else ''}}}"
                for _, name, spec, conv in parsed if name is not None and (spec or conv or not name.isidentifier())),
               None)
    if odd is not None:
        add(path, f"placeholder {odd} is not a plain name like {{side}}; write {{{{ and }}}} for literal braces")
        return
    used = {name for _, name, _, _ in parsed if name is not None}
    unknown = used - allowed
    if unknown:
        choices = ", ".join("{" + f + "}" for f in sorted(allowed)) or "none here"
        add(path, f"unknown placeholder {{{sorted(unknown)[0]}}}; available: {choices}")
