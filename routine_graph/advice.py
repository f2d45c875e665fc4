"""What to write instead: pydantic's type errors turned into advice for someone editing a routine.

"Input should be a valid number, unable to parse string as a number" is true of `hold: two seconds`
but does not say what would work; the messages here show the field written the way it should be,
using the person's own words where they can be kept.
"""
from __future__ import annotations

import re
from typing import Any

SECONDS_KEYS = {"hold": 2, "pause": 1, "move": 3, "move_seconds": 3, "rest_between_sets": 30,
                "rest_between_exercises": 45, "rest_after": 45, "count_holds_from": 5, "tone_holds_from": 5,
                "cue_gap": 0.6}
OTHER_NUMBERS = {"pace": "a number, e.g. `pace: 1.25` (1 is as written, more is slower)",
                 "words_per_minute": "a number of words per minute, e.g. `words_per_minute: 140`"}
WHOLE_NUMBERS = {"sets": 3, "rest_countdown": 3, "low": 5, "high": 7}
# progression's counts: (what is counted, lowest, highest, example); the ranges are model.MoveUp's and MoveDown's.
COUNTS = {"after_sessions": ("finished sessions", 1, 100, 4), "after_hurts": ('"it hurts" reports', 1, 50, 2),
          "within_days": ("days", 1, 60, 7)}
RULE_EXAMPLES = {"progression": "move_up:", "move_up": "after_sessions: 4", "move_down": "after_hurts: 2"}
STEP_LISTS = ("intro", "outro", "setup", "rep")
WORD_LISTS = ("sides", "synonyms")
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"


def advise(kind: str, loc: tuple, value: Any, ctx: dict | None) -> str | None:
    """A better message for pydantic error `kind` at `loc` about `value`, or None to keep pydantic's."""
    key = next((part for part in reversed(loc) if isinstance(part, str)), "")
    if key in COUNTS and (kind.startswith("int_") or kind in ("greater_than_equal", "less_than_equal")):
        what, low, high, example = COUNTS[key]
        return f"a whole number of {what} from {low} to {high}, e.g. `{key}: {example}`"
    if kind in ("bool_type", "bool_parsing"):
        return f"true or false, e.g. `{key}: true`"
    if kind in ("float_parsing", "float_type"):
        if key in SECONDS_KEYS:
            return f"a number of seconds, e.g. `{key}: {_number_in(value, SECONDS_KEYS[key])}`"
        return OTHER_NUMBERS.get(key)
    if kind in ("int_parsing", "int_type", "int_from_float"):
        example = _number_in(value, WHOLE_NUMBERS.get(key, 3))
        return f"a whole number, e.g. `{key}: {int(float(example))}`"
    if kind == "list_type":
        return _list_advice(key, loc, value)
    if kind in ("dict_type", "model_type"):
        return _mapping_advice(key, loc, value)
    if kind == "string_pattern_mismatch" and (ctx or {}).get("pattern") == SLUG_PATTERN:
        name = "level names use" if len(loc) == 2 and loc[0] == "levels" else "use"
        return f"{name} lowercase letters, digits and dashes, e.g. {_slug(value)!r}"
    if kind == "string_pattern_mismatch" or kind == "string_too_short":
        return "is blank; write the words to say" if key in ("say", "first_rep", "switch_side") else "is blank; write some text"
    if kind == "string_type":
        return _text_advice(key, value)
    return None


def _number_in(value: Any, default: float) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value and abs(value) < 1e9:
        return f"{value:g}"
    match = re.search(r"\d+(?:\.\d+)?", value) if isinstance(value, str) else None
    return match[0] if match else f"{default:g}"


def _list_advice(key: str, loc: tuple, value: Any) -> str:
    if key in WORD_LISTS:
        if isinstance(value, str):
            words = [w.strip() for w in re.split(r",|\band\b", value) if w.strip()]
        else:
            words = ["left", "right"] if key == "sides" else ["another name"]
        return f"a list: write `{key}: [{', '.join(words)}]`"
    if key in STEP_LISTS:
        return "a list of steps, one per line starting with `- `, e.g. `- say: Lift.` then `- hold: 2`"
    if key == "exercises":
        return "a list of exercises, each starting with `- id: ...` on its own line"
    return "a list: one item per line starting with `- `, or [a, b] on one line"


def _mapping_advice(key: str, loc: tuple, value: Any) -> str | None:
    if key == "reps":
        return 'a number like 6 or a range like "5-7"'
    if key == "levels":
        return 'a mapping of level names to "low", "middle", "high" or a fraction, e.g. `levels: {gentle: low, full: high}`'
    if len(loc) == 2 and loc[0] in ("exercises",) and isinstance(loc[1], int):
        return "an exercise is a mapping of keys: id, name, sets, reps and rep (one per line)"
    if len(loc) >= 2 and isinstance(loc[-1], int) and loc[-2] in STEP_LISTS:
        return "a step is one key and its value, e.g. `- say: Lift.` or `- hold: 2`"
    if key in RULE_EXAMPLES:
        return f"{key} is a mapping of keys, one per line, e.g. `{key}:` then `  {RULE_EXAMPLES[key]}`"
    if key in ("defaults", "cues"):
        return f"{key} is a mapping of keys, one per line, e.g. `{key}:` then `  rest_between_sets: 30`" \
            if key == "defaults" else "cues is a mapping of cue names to text, e.g. `cues:` then `  rep_last: Last one.`"
    return None


def _text_advice(key: str, value: Any) -> str:
    if value is None:
        return "is empty; write the text after the colon"
    if isinstance(value, bool):
        return f"text; YAML reads a bare {'yes/true/on' if value else 'no/false/off'} as true or false, so put it in " \
               f"quotes, e.g. `{key}: \"{'yes' if value else 'no'}\"`"
    if isinstance(value, (int, float)):
        return f"text; YAML reads {value!r} as a number, so put it in quotes: `{key}: \"{value}\"`"
    if isinstance(value, (list, dict)):
        return f"text, not a {'list' if isinstance(value, list) else 'mapping'}; if the text has `: ` or starts " \
               "with [ or {, put it in quotes"
    return f"text, not {type(value).__name__}"


def _slug(value: Any) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip("-")[:63]
    return slug or "my-name"
