"""The routine file format: what people write by hand in routines/*.yaml.

These pydantic models are the single source of truth for the format: validation, defaults and the
JSON Schema that `back-routine schema` prints all come from here.
"""
from __future__ import annotations

import re
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, WithJsonSchema, field_validator

from .limits import PACE_RANGE

# At least one character that is not a space: a blank cue cannot be spoken, and would stop a build
# half way instead of here.
Text = Annotated[str, Field(min_length=1, max_length=600, pattern=r"\S")]
# Holds and moves longer than ten minutes are almost certainly a typo (seconds vs minutes).
Seconds = Annotated[float, Field(gt=0, le=600, description="Seconds, more than 0 and at most 600.")]
RestSeconds = Annotated[float, Field(ge=0, le=1800, description="Seconds of rest, 0 to 1800.")]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", description="Lowercase letters, digits and dashes.")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SayStep(_Strict):
    """Speak a cue. `first_rep` replaces the text on the first rep of each set, so the full
    instruction is heard once and later reps get the short reminder."""

    say: Text
    first_rep: Text | None = None


class MoveStep(_Strict):
    """Time to move into position, in silence, measured from the end of the cue before it."""

    move: Seconds | Literal["default"] = Field(
        "default", description='Seconds, or "default" for defaults.move_seconds.')


class HoldStep(_Strict):
    """Stay still, in silence, measured from the end of the cue before it."""

    hold: Seconds
    count: Literal["auto", "up", "down", "off"] = Field(
        "auto", description='Count the seconds aloud inside the hold. "auto" counts down only for holds '
        "of at least defaults.count_holds_from seconds, so short holds stay quiet.")
    tone: Literal["auto", "on", "off"] = Field(
        "auto", description='A soft tone as the hold starts and just before it ends (audio only). "auto" '
        "plays them only for holds of at least defaults.tone_holds_from seconds.")

    # YAML 1.1 reads a bare on/off/yes/no as true/false: take those as the words people meant.
    @field_validator("count", mode="before")
    @classmethod
    def _count_bool(cls, value: object) -> object:
        return {True: "down", False: "off"}.get(value, value) if isinstance(value, bool) else value

    @field_validator("tone", mode="before")
    @classmethod
    def _tone_bool(cls, value: object) -> object:
        return {True: "on", False: "off"}.get(value, value) if isinstance(value, bool) else value


class PauseStep(_Strict):
    """Plain silence (for example between intro sentences)."""

    pause: Seconds


class SwitchSideStep(_Strict):
    """Alternate sides inside a rep; the text is spoken and every later step is on the next side."""

    switch_side: Text = "Switch sides."


def _step_kind(value: object) -> str | None:
    if isinstance(value, dict):
        for key in ("say", "move", "hold", "pause", "switch_side"):
            if key in value:
                return key
        return None
    if isinstance(value, BaseModel):
        return next((k for k in ("say", "move", "hold", "pause", "switch_side") if k in type(value).model_fields), None)
    return None


STEP_KINDS = ("say", "move", "hold", "pause", "switch_side")

Step = Annotated[
    Union[
        Annotated[SayStep, Tag("say")],
        Annotated[MoveStep, Tag("move")],
        Annotated[HoldStep, Tag("hold")],
        Annotated[PauseStep, Tag("pause")],
        Annotated[SwitchSideStep, Tag("switch_side")],
    ],
    Discriminator(
        _step_kind,
        custom_error_type="step_kind",
        custom_error_message="a step needs exactly one of: say, move, hold, pause, switch_side",
    ),
]


class RepRange(_Strict):
    low: int = Field(ge=1, le=100)
    high: int = Field(ge=1, le=100)

    def __str__(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}-{self.high}"


def _parse_reps(value: object) -> object:
    if isinstance(value, bool):
        return value  # let pydantic reject it
    if isinstance(value, int):
        return {"low": value, "high": value}
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-|to|–)\s*(\d+)\s*", value)
        if match:
            return {"low": int(match[1]), "high": int(match[2])}
        if value.strip().isdigit():
            return {"low": int(value), "high": int(value)}
        raise ValueError(f'reps must be a number like 6 or a range like "5-7", not {value!r}')
    return value


class Exercise(_Strict):
    id: Slug
    name: Text
    synonyms: list[Text] = Field(default_factory=list, description="Other names people may say for it (Alexa slot synonyms).")
    about: Text | None = Field(None, description="One sentence on what the exercise is good for.")
    setup: list[Step] = Field(default_factory=list, description="Said once before the first set: how to get into position.")
    sets: int = Field(ge=1, le=20)
    reps: Annotated[RepRange, WithJsonSchema({
        "oneOf": [{"type": "integer", "minimum": 1, "maximum": 100},
                  {"type": "string", "pattern": r"^\s*\d+\s*(-|to|–)\s*\d+\s*$"},
                  {"type": "object", "additionalProperties": False, "required": ["low", "high"],
                   "properties": {"low": {"type": "integer", "minimum": 1, "maximum": 100},
                                  "high": {"type": "integer", "minimum": 1, "maximum": 100}}}]}, mode="validation")] = Field(description='Reps per set (per side): a number, or a range like "5-7" that levels pick from.')
    sides: list[Text] = Field(default_factory=list, description="Empty, or two side names (e.g. [left, right]): every set is done on each side in turn.")
    rep: list[Step] = Field(min_length=1, description="The steps of one repetition.")
    rest_between_sets: RestSeconds | None = Field(None, description="Overrides defaults.rest_between_sets.")
    rest_after: RestSeconds | None = Field(None, description="Rest after this exercise; overrides defaults.rest_between_exercises.")

    @field_validator("reps", mode="before")
    @classmethod
    def _reps(cls, value: object) -> object:
        return _parse_reps(value)

    @field_validator("reps")
    @classmethod
    def _reps_order(cls, value: RepRange) -> RepRange:
        if value.low > value.high:
            raise ValueError(f"range {value.low}-{value.high} is reversed; write {value.high}-{value.low}")
        return value

    @field_validator("sides")
    @classmethod
    def _two_sides(cls, value: list[str]) -> list[str]:
        if value and (len(value) != 2 or value[0].lower() == value[1].lower()):
            raise ValueError("sides must be empty or two different names, e.g. [left, right]")
        return value


LevelSpec = Annotated[
    Union[Literal["low", "middle", "high"], Annotated[float, Field(ge=0, le=1)]],
    Field(description='Where in each rep range this level sits: "low", "middle", "high", or a fraction 0..1.'),
]


class Defaults(_Strict):
    move_seconds: Seconds = 3
    rest_between_sets: RestSeconds = 30
    rest_between_exercises: RestSeconds = 45
    rest_countdown: int = Field(3, ge=0, le=10, description="Count down aloud over the last N seconds of a rest.")
    count_holds_from: float = Field(5, ge=0, le=600, description='Holds this long or longer are counted aloud when count is "auto".')
    tone_holds_from: float = Field(5, ge=0, le=600, description='Holds this long or longer get tones when tone is "auto".')
    cue_gap: float = Field(0.6, ge=0, le=5, description="Breathing room after a cue that is followed by another cue.")
    pace: float = Field(1.0, ge=PACE_RANGE[0], le=PACE_RANGE[1], description="Multiplier on hold and move times: 1.25 is a quarter slower.")
    words_per_minute: float = Field(140, ge=60, le=300, description="Speaking speed used to estimate durations before audio exists.")


class CueTemplates(_Strict):
    """Cues the routine speaks between your own steps. Numbers are filled in as words."""

    exercise_start: Text = "Exercise {number} of {count}: {name}."
    set_start: Text = "Set {set} of {sets}."
    side_start: Text = "{Side} side."
    rep_start: Text = "Rep {rep}."
    rep_last: Text = "Last one."
    switch_side: Text = "Now switch to your {side} side."
    rest_sets: Text = "Well done. Rest for {seconds} seconds. Breathe slowly."
    rest_exercises: Text = "That's {name} done. Rest for {seconds} seconds before the next exercise."


DEFAULT_LEVELS = {"gentle": "low", "standard": "middle", "full": "high"}
LEVEL_FRACTIONS = {"low": 0.0, "middle": 0.5, "high": 1.0}


def level_fraction(spec: str | float) -> float:
    """Where a level (a LevelSpec: "low", "middle", "high" or a fraction) sits in each rep range, 0 to
    1: what picks its reps (expansion.reps_for_level) and orders levels from gentlest to hardest."""
    return LEVEL_FRACTIONS[spec] if isinstance(spec, str) else float(spec)


class MoveUp(_Strict):
    """When to suggest the next harder level (docs/routine-format.md, progression)."""

    after_sessions: int = Field(strict=True, ge=1, le=100, description="Finished sessions in a row at the current level.")
    pain_not_rising: bool = Field(True, strict=True, description="Only when pain did not rise over those sessions: no "
                                  "finish rating above its start rating, the latest start rating not above the first, "
                                  'and no "it hurts" during them.')


class MoveDown(_Strict):
    """When to suggest the next easier level."""

    after_hurts: int = Field(strict=True, ge=1, le=50, description='"It hurts" reports at the current level, within '
                             "within_days days.")
    within_days: int = Field(7, strict=True, ge=1, le=60, description='Days over which "it hurts" reports are counted.')


class Progression(_Strict):
    """The author's rules for suggesting another level; the user decides. No rules, no suggestions."""

    move_up: MoveUp | None = None
    move_down: MoveDown | None = None


class Routine(_Strict):
    id: Slug | None = Field(None, description="Defaults to the file name without .yaml.")
    title: Text
    description: Text | None = None
    source: Text | None = None
    safety: Text = Field(description="Spoken before the first exercise and at the start of the skill.")
    defaults: Defaults = Field(default_factory=Defaults)
    # Every level is built and offered; ten is more than anyone can tell apart.
    levels: dict[Slug, LevelSpec] = Field(default_factory=lambda: dict(DEFAULT_LEVELS), min_length=1, max_length=10)
    default_level: Slug | None = Field(None, description='Defaults to "standard" if there is such a level, else the first.')
    cues: CueTemplates = Field(default_factory=CueTemplates)
    intro: list[Step] = Field(default_factory=list)
    exercises: list[Exercise] = Field(min_length=1, max_length=100)
    outro: list[Step] = Field(default_factory=list)
    progression: Progression | None = Field(None, description="When to suggest a harder or an easier level.")

    @property
    def level_default(self) -> str:
        if self.default_level:
            return self.default_level
        return "standard" if "standard" in self.levels else next(iter(self.levels))

    @property
    def levels_easiest_first(self) -> tuple[str, ...]:
        """The levels from gentlest to hardest (the file may list them in any order; a tie keeps the
        file's order): the order "easier", "harder" and progression move along."""
        return tuple(sorted(self.levels, key=lambda name: level_fraction(self.levels[name])))


def known_field_names() -> set[str]:
    """Every key the format accepts, for did-you-mean suggestions."""
    names: set[str] = set()
    for model in (SayStep, MoveStep, HoldStep, PauseStep, SwitchSideStep, Exercise, Defaults, CueTemplates, Routine,
                  Progression, MoveUp, MoveDown):
        names.update(model.model_fields)
    return names


def field_homes() -> dict[str, list[str]]:
    """Where each key of the format goes, for "does not go here" messages."""
    homes: dict[str, list[str]] = {}
    for model, where in ((Routine, "the top level"), (Exercise, "an exercise"), (Defaults, "defaults"),
                         (CueTemplates, "cues"), (SayStep, "a step"), (MoveStep, "a step"), (HoldStep, "a step"),
                         (PauseStep, "a step"), (SwitchSideStep, "a step"), (Progression, "progression"),
                         (MoveUp, "progression.move_up"), (MoveDown, "progression.move_down")):
        for name in model.model_fields:
            if where not in homes.setdefault(name, []):
                homes[name].append(where)
    return homes
