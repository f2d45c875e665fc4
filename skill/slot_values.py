"""The values of the interaction model's custom slot types, generated from the routines and phrases.yaml.

Routine titles and exercise names (with their synonyms, and "first exercise", "last one"...) become
the values of the ROUTINE and EXERCISE slot types, so a new routine file is speakable after
`back-routine skill-package` and a redeploy; BODY_PART, PAIN_FEELING and REMINDER_SUBJECT are
phrases.yaml's.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

from .phrases import slot_type_values
from .routines import RoutineLibrary, routine_synonyms

ROUTINE_TYPE = "ROUTINE"
EXERCISE_TYPE = "EXERCISE"
BODY_PART_TYPE = "BODY_PART"
PAIN_FEELING_TYPE = "PAIN_FEELING"
REMINDER_SUBJECT_TYPE = "REMINDER_SUBJECT"


def _spoken(text: str) -> str:
    """A name as a slot value: lowercase words (Alexa matches case-insensitively; lowercase keeps
    duplicates easy to spot)."""
    text = text.lower().replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9' .-]+", " ", text).split())


def _value(value_id: str, name: str, synonyms: Iterable[str]) -> dict[str, Any]:
    name = _spoken(name)
    seen = {name}
    unique = []
    for synonym in map(_spoken, synonyms):
        if synonym and synonym not in seen:
            seen.add(synonym)
            unique.append(synonym)
    body: dict[str, Any] = {"value": name}
    if unique:
        body["synonyms"] = unique
    return {"id": value_id, "name": body}


_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")


def _position_names(routines: list[Any]) -> dict[str, str]:
    """'first exercise', 'last exercise'... -> exercise id, where every routine agrees on the id
    (with several routines a name that points at different exercises is left out)."""
    names: dict[str, set[str]] = {}
    for routine in routines:
        count = len(routine.exercises)
        for n, exercise in enumerate(routine.exercises, start=1):
            said = [f"{_ORDINALS[n - 1]} exercise"] if n <= len(_ORDINALS) else []
            if n == count:
                said += ["last exercise", "final exercise", "last one", "final one"]
            for name in said:
                names.setdefault(name, set()).add(exercise.id)
    return {name: ids.pop() for name, ids in names.items() if len(ids) == 1}


def slot_types(library: RoutineLibrary) -> list[dict[str, Any]]:
    routines, exercises = [], {}
    loaded = [library.get(rid) for rid in library.ids()]
    by_position = _position_names(loaded)
    for rid, routine in zip(library.ids(), loaded):
        routines.append(_value(rid, routine.title, [rid.replace("-", " "), *routine_synonyms(routine)]))
        for exercise in routine.exercises:
            names = [exercise.id.replace("-", " "), *exercise.synonyms]
            names += [name for name, eid in by_position.items() if eid == exercise.id]
            if exercise.id in exercises:  # the same exercise in several routines: one value, all names
                first_name, known = exercises[exercise.id]
                exercises[exercise.id] = (first_name, known + [exercise.name, *names])
            else:
                exercises[exercise.id] = (exercise.name, names)
    exercise_values = [_value(eid, name, synonyms) for eid, (name, synonyms) in exercises.items()]
    # Alexa rejects a slot type without values; keep the model valid with no routines at all.
    return [
        {"name": ROUTINE_TYPE, "values": routines or [_value("none", "routine", [])]},
        {"name": EXERCISE_TYPE, "values": exercise_values or [_value("none", "exercise", [])]},
    ]


def phrase_slot_types() -> list[dict[str, Any]]:
    """BODY_PART and PAIN_FEELING: what people call where it hurts and how."""
    return [{"name": name, "values": [_value(vid, said[0], said[1:]) for vid, said in values.items()]}
            for name, values in slot_type_values().items()]
