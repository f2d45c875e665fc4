"""Expand a routine, for one level and pace, into the routine graph."""
from __future__ import annotations

from functools import partial
from itertools import accumulate
from typing import Callable, NamedTuple

from .errors import UnknownLevelError
from .gc_pause import gc_paused
from .graph import Block, BlockKind, ExerciseInfo, Graph, Position, Step
from .limits import PACE_RANGE
from .model import Exercise, HoldStep, MoveStep, RepRange, Routine, SayStep, SwitchSideStep, level_fraction
from .progression import Rules
from .words import number_words, seconds_words

SpeechSeconds = Callable[[str], float]


def estimate_speech_seconds(words_per_minute: float) -> SpeechSeconds:
    def estimate(text: str) -> float:
        return max(0.5, len(text.split()) * 60.0 / words_per_minute)

    return estimate


def reps_for_level(reps: RepRange, spec: str | float) -> int:
    fraction = level_fraction(spec)
    # Round half down so "middle" of 5-8 is 6: the gentler choice when in doubt.
    span = (reps.high - reps.low) * fraction
    return reps.low + int(span) if span - int(span) <= 0.5 else reps.low + int(span) + 1


def fill(template: str, **values: object) -> str:
    return template.format_map(values)


class PlannedStep(NamedTuple):
    """One step of a rep's plan: a Step without the index, position and block that each rep gives it
    (`side` picks the position)."""

    side: str | None
    kind: str
    text: str | None
    seconds: float
    count: str | None = None
    gap_after: float = 0.0
    tone: bool = False


# A Step from its fields in order, made in C. Step(...) runs the Python-level __new__ that NamedTuple
# generates: for the rep steps (nearly all of a long routine's), expanding then takes a quarter longer.
_new_step = partial(tuple.__new__, Step)


class _Builder:
    """Accumulates steps and blocks; each block is one user-paced chunk of the routine."""

    def __init__(self, speech_seconds: SpeechSeconds, gap: float):
        self._speech_seconds = speech_seconds
        self._gap = gap
        self._spoken: dict[str, float] = {}  # the same cues recur on every rep
        self.steps: list[Step] = []
        self.blocks: list[Block] = []
        self._open: tuple[BlockKind, str, int | None, int | None, int] | None = None

    def open_block(self, kind: BlockKind, title: str, exercise: int | None = None, set_: int | None = None) -> None:
        self.close_block()
        self._open = (kind, title, exercise, set_, len(self.steps))

    def close_block(self) -> None:
        if self._open is None:
            return
        kind, title, exercise, set_, first = self._open
        if len(self.steps) > first:
            self.blocks.append(Block(len(self.blocks), kind, title, exercise, set_, first, len(self.steps)))
        self._open = None

    def speech_seconds(self, text: str) -> float:
        seconds = self._spoken.get(text)
        if seconds is None:
            seconds = self._spoken[text] = round(self._speech_seconds(text), 3)
        return seconds

    def speak(self, text: str, position: Position, kind: str = "speak") -> None:
        seconds = self.speech_seconds(text)
        steps = self.steps
        if steps and steps[-1].text is not None:
            # A cue followed directly by another cue gets a breath of silence after it; a cue
            # followed by a hold gets none: the hold itself is measured from the end of the cue.
            steps[-1] = steps[-1]._replace(gap_after=self._gap)
        steps.append(Step(len(steps), kind, position, len(self.blocks), text, seconds))

    def silence(self, kind: str, seconds: float, position: Position, count=None, countdown: int = 0,
                tone: bool = False) -> None:
        if seconds > 0:
            self.steps.append(Step(len(self.steps), kind, position, len(self.blocks), None, round(seconds, 3), 0.0,
                                   count, countdown, tone))

    def add_rep(self, announce: str, side: str | None, plan: list[PlannedStep], positions: dict) -> None:
        """Append one rep: its announcement ("Rep two."), then the steps of its plan, at `positions`
        (this rep's Position on each side). The hot loop of a long routine: see _new_step."""
        steps = self.steps
        if steps and steps[-1].text is not None:
            steps[-1] = steps[-1]._replace(gap_after=self._gap)
        append = steps.append
        n = len(steps)
        block = len(self.blocks)
        gap = self._gap if plan and plan[0].text is not None else 0.0
        announced = (n, "speak", positions[side], block, announce, self.speech_seconds(announce), gap, None, 0, False)
        append(_new_step(announced))
        for step_side, kind, text, seconds, count, gap_after, tone in plan:  # PlannedStep's fields
            n += 1
            append(_new_step((n, kind, positions[step_side], block, text, seconds, gap_after, count, 0, tone)))


def expand(routine: Routine, level: str | None = None, pace: float | None = None,
           speech_seconds: SpeechSeconds | None = None) -> Graph:
    # Steps are plain tuples without reference cycles: pausing the cycle collector while making
    # hundreds of thousands of them halves the time and frees nothing less.
    with gc_paused():
        return _expand(routine, level, pace, speech_seconds)


def _expand(routine: Routine, level: str | None, pace: float | None, speech_seconds: SpeechSeconds | None) -> Graph:
    level = level or routine.level_default
    if level not in routine.levels:
        raise UnknownLevelError(level, list(routine.levels))
    defaults = routine.defaults
    pace = defaults.pace if pace is None else pace
    if not PACE_RANGE[0] <= pace <= PACE_RANGE[1]:
        raise ValueError(f"pace must be between {PACE_RANGE[0]:g} and {PACE_RANGE[1]:g}, not {pace:g}")
    from .size import check_steps  # size builds on this module's helpers

    check_steps(routine, level)
    b = _Builder(speech_seconds or estimate_speech_seconds(defaults.words_per_minute), defaults.cue_gap)
    cues = routine.cues
    count = len(routine.exercises)

    b.open_block("intro", "Introduction")
    intro = Position("intro")
    _plain_steps(b, routine.intro, intro, routine, pace)
    b.speak(routine.safety, intro)

    infos = []
    for number, exercise in enumerate(routine.exercises, start=1):
        reps = reps_for_level(exercise.reps, routine.levels[level])
        infos.append(_exercise_info(number, exercise, reps))
        where = Position("exercise", number)
        b.open_block("setup", exercise.name, number)
        b.speak(exercise_cue(cues, number, count, exercise.name), where)
        _plain_steps(b, exercise.setup, where, routine, pace)
        # A rep's steps depend only on its side and whether it is a set's first rep: planned once.
        announces = rep_announcements(cues, reps)
        plans = {(side, first): _rep_plan(b, routine, exercise, side, first, pace)
                 for side in set_sides(exercise) for first in (True, False)}
        for set_no in range(1, exercise.sets + 1):
            b.open_block("set", f"{exercise.name}, set {set_no} of {exercise.sets}", number, set_no)
            _one_set(b, routine, exercise, number, set_no, announces, plans)
            rest = rest_after_set(routine, number, set_no)
            if rest is not None:
                text, seconds = rest
                rest_at = Position("exercise", number, set_no)
                b.speak(text, rest_at)
                b.silence("rest", seconds, rest_at, countdown=min(defaults.rest_countdown, int(seconds) - 1) if seconds > 1 else 0)

    b.open_block("outro", "Finish")
    _plain_steps(b, routine.outro, Position("outro"), routine, pace)
    b.close_block()

    steps = b.steps
    durations = (step.seconds + step.gap_after for step in steps)  # Step.duration, without a property call each
    starts = tuple(accumulate(durations, initial=0.0))[:-1]
    return Graph(routine_id=routine.id or "routine", title=routine.title, level=level, pace=pace,
                 safety=routine.safety, steps=tuple(steps), blocks=tuple(b.blocks), exercises=tuple(infos),
                 starts=starts, levels=routine.levels_easiest_first, progression=Rules.of(routine.progression))


def rest_after_set(routine: Routine, number: int, set_no: int) -> tuple[str, float] | None:
    """(cue, seconds) of the rest after set `set_no` of exercise `number` (1-based), or None: none
    after the routine's last set, nor when the rest is 0 s."""
    exercise = routine.exercises[number - 1]
    defaults, cues = routine.defaults, routine.cues
    if set_no < exercise.sets:
        seconds = defaults.rest_between_sets if exercise.rest_between_sets is None else exercise.rest_between_sets
        template = cues.rest_sets
    elif number < len(routine.exercises):
        seconds = defaults.rest_between_exercises if exercise.rest_after is None else exercise.rest_after
        template = cues.rest_exercises
    else:
        return None
    if seconds <= 0:
        return None
    return fill(template, seconds=seconds_words(seconds), name=exercise.name), seconds


def set_sides(exercise: Exercise) -> list[str | None]:
    """The sides a set goes through in turn: both, or only the first when the rep itself switches
    sides, or [None] for a one-sided exercise."""
    alternates_inside = any(isinstance(s, SwitchSideStep) for s in exercise.rep)
    return list(exercise.sides[:1] if alternates_inside else exercise.sides) or [None]


def side_cue(cues, side_no: int, side: str) -> str:
    template = cues.side_start if side_no == 0 else cues.switch_side
    return fill(template, side=side, Side=side.capitalize())


def set_cue(cues, set_no: int, sets: int) -> str:
    return fill(cues.set_start, set=number_words(set_no), sets=number_words(sets))


def exercise_cue(cues, number: int, count: int, name: str) -> str:
    return fill(cues.exercise_start, number=number_words(number), count=number_words(count), name=name)


def rep_announcements(cues, reps: int) -> list[str]:
    return [fill(cues.rep_last if rep == reps and reps > 1 else cues.rep_start, rep=number_words(rep),
                 reps=number_words(reps)) for rep in range(1, reps + 1)]


def _one_set(b: _Builder, routine: Routine, exercise: Exercise, number: int, set_no: int, announces: list[str],
             plans: dict[tuple[str | None, bool], list[PlannedStep]]) -> None:
    """One set: its cue, then on each side (with its cue) every rep, announced ("Rep two.") and
    planned by side and whether it is the first (`plans`)."""
    cues = routine.cues
    b.speak(set_cue(cues, set_no, exercise.sets), Position("exercise", number, set_no))
    for side_no, side in enumerate(set_sides(exercise)):
        if side is not None:
            b.speak(side_cue(cues, side_no, side), Position("exercise", number, set_no, side))
        first_plan, later_plan = plans[side, True], plans[side, False]
        sides = {side} | {planned.side for planned in first_plan + later_plan}  # a rep may switch sides
        for rep, announce in enumerate(announces, start=1):
            positions = {s: Position("exercise", number, set_no, s, rep) for s in sides}
            b.add_rep(announce, side, first_plan if rep == 1 else later_plan, positions)


def _rep_plan(b: _Builder, routine: Routine, exercise: Exercise, side: str | None, first: bool,
              pace: float) -> list[PlannedStep]:
    """One rep's steps: the same for every rep but the first, so worked out once per set and side."""
    plan: list[PlannedStep] = []
    current = side
    for step in exercise.rep:
        if isinstance(step, SayStep):
            text = fill(step.first_rep if (first and step.first_rep) else step.say, side=current or "",
                        Side=(current or "").capitalize())
            plan.append(PlannedStep(current, "speak", text, b.speech_seconds(text)))
        elif isinstance(step, SwitchSideStep):
            current = exercise.sides[1] if current == exercise.sides[0] else exercise.sides[0]
            text = fill(step.switch_side, side=current, Side=current.capitalize())
            plan.append(PlannedStep(current, "switch", text, b.speech_seconds(text)))
        else:
            kind, seconds, count, tone = _silence_of(step, routine, pace)
            if seconds > 0:
                plan.append(PlannedStep(current, kind, None, round(seconds, 3), count, tone=tone))
    # A cue followed directly by another cue gets a breath after it (as _Builder.speak gives).
    return [planned._replace(gap_after=routine.defaults.cue_gap)
            if planned.text is not None and following.text is not None else planned
            for planned, following in zip(plan, plan[1:])] + plan[-1:]


def _silence_of(step, routine: Routine, pace: float) -> tuple[str, float, str | None, bool]:
    """(kind, seconds, count, tone) of a silent step."""
    defaults = routine.defaults
    if isinstance(step, MoveStep):
        seconds = defaults.move_seconds if step.move == "default" else step.move
        return "move", seconds * pace, None, False
    if isinstance(step, HoldStep):
        seconds = step.hold * pace
        count = {"up": "up", "down": "down", "off": None}.get(step.count)
        if step.count == "auto":
            count = "down" if seconds >= defaults.count_holds_from else None
        tone = step.tone == "on" or (step.tone == "auto" and seconds >= defaults.tone_holds_from)
        return "hold", seconds, count, tone
    return "pause", step.pause, None, False


def _plain_steps(b: _Builder, steps, where: Position, routine: Routine, pace: float) -> None:
    for step in steps:
        if isinstance(step, SayStep):
            b.speak(step.say, where)
        else:
            _silent_step(b, step, where, routine, pace)


def _silent_step(b: _Builder, step, where: Position, routine: Routine, pace: float) -> None:
    kind, seconds, count, tone = _silence_of(step, routine, pace)
    b.silence(kind, seconds, where, count=count, tone=tone)


def _exercise_info(number: int, exercise: Exercise, reps: int) -> ExerciseInfo:
    lines = [s.say for s in exercise.setup if isinstance(s, SayStep)]
    for step in exercise.rep:
        if isinstance(step, SayStep):
            lines.append(fill(step.first_rep or step.say, side=exercise.sides[0] if exercise.sides else "",
                              Side=(exercise.sides[0] if exercise.sides else "").capitalize()))
    return ExerciseInfo(number, exercise.id, exercise.name, exercise.sets, reps, tuple(exercise.sides),
                        tuple(exercise.synonyms), " ".join(lines))
