"""How big a routine's expansion is, worked out without expanding it.

A valid file of 82 KB (100 exercises of 20 sets of 100 reps) expands to millions of steps and
hundreds of hours: expanding it to find out takes gigabytes. Here the counts come from the model, a
set and a side at a time (reps within a set differ only in their announcement), so the answer costs
microseconds whatever the routine's size. `expand` follows the same rules; a test checks that both
agree step for step and second for second.
"""
from __future__ import annotations

from typing import NamedTuple

from .expansion import (PlannedStep, SpeechSeconds, _Builder, _rep_plan, _silence_of, estimate_speech_seconds,
                        exercise_cue, rep_announcements, reps_for_level, rest_after_set, set_cue, set_sides, side_cue)
from .errors import RoutineTooLargeError
from .limits import MAX_STEPS
from .model import Routine, SayStep, SwitchSideStep, level_fraction


class Run(NamedTuple):
    """A stretch of consecutive steps: how many, their seconds, and whether it starts and ends with a
    cue (two cues in a row get the routine's cue_gap between them)."""

    steps: int = 0
    seconds: float = 0.0
    gaps: int = 0
    first_cue: bool = False
    last_cue: bool = False

    def __add__(self, other: "Run") -> "Run":  # type: ignore[override]
        if not self.steps:
            return other
        if not other.steps:
            return self
        return Run(self.steps + other.steps, self.seconds + other.seconds,
                   self.gaps + other.gaps + (self.last_cue and other.first_cue), self.first_cue, other.last_cue)

    def times(self, n: int) -> "Run":
        if n <= 0 or not self.steps:
            return Run()
        return Run(self.steps * n, self.seconds * n, self.gaps * n + (n - 1) * (self.last_cue and self.first_cue),
                   self.first_cue, self.last_cue)


class Size(NamedTuple):
    steps: int
    seconds: float
    # Steps and seconds of each part ("intro", then each exercise with the rests after its sets,
    # then "outro"), to say which part makes a routine too big.
    parts: tuple[tuple[tuple, int, float], ...]

    def biggest(self, by_steps: bool) -> tuple[tuple, int, float]:
        return max(self.parts, key=lambda part: part[1] if by_steps else part[2])


def expansion_size(routine: Routine, level: str, pace: float | None = None,
                   speech_seconds: SpeechSeconds | None = None) -> Size:
    """Steps and seconds of `expand(routine, level, pace, speech_seconds)`."""
    defaults = routine.defaults
    pace = defaults.pace if pace is None else pace
    b = _Builder(speech_seconds or estimate_speech_seconds(defaults.words_per_minute), defaults.cue_gap)
    cues = routine.cues
    count = len(routine.exercises)

    def cue(text: str) -> Run:
        return Run(1, b.speech_seconds(text), 0, True, True)

    def silence(seconds: float) -> Run:
        return Run(1, round(seconds, 3)) if seconds > 0 else Run()

    def plain(steps) -> Run:
        run = Run()
        for step in steps:
            run += cue(step.say) if isinstance(step, SayStep) else silence(_silence_of(step, routine, pace)[1])
        return run

    def plan_run(plan: list[PlannedStep]) -> Run:
        if not plan:
            return Run()
        cues = [planned.text is not None for planned in plan]
        return Run(len(plan), sum(planned.seconds for planned in plan), sum(map(bool.__and__, cues, cues[1:])), cues[0],
                   cues[-1])

    gap = defaults.cue_gap
    total = intro = plain(routine.intro) + cue(routine.safety)
    parts = [(("intro",), intro.steps, intro.seconds + intro.gaps * gap)]
    for number, exercise in enumerate(routine.exercises, start=1):
        reps = reps_for_level(exercise.reps, routine.levels[level])
        announces = rep_announcements(cues, reps)
        spoken = sum(b.speech_seconds(text) for text in announces)
        run = cue(exercise_cue(cues, number, count, exercise.name)) + plain(exercise.setup)
        sides = set_sides(exercise)
        # One side's reps: the first rep's plan, then the same plan for the others. Announcements
        # are counted as zero-second cues here and their speech added once per side below.
        side_reps = []
        for side in sides:
            announce = Run(1, 0.0, 0, True, True)
            first = announce + plan_run(_rep_plan(b, routine, exercise, side, True, pace))
            rest = announce + plan_run(_rep_plan(b, routine, exercise, side, False, pace))
            side_reps.append(first + rest.times(reps - 1))
        for set_no in range(1, exercise.sets + 1):
            run += cue(set_cue(cues, set_no, exercise.sets))
            for side_no, side in enumerate(sides):
                if side is not None:
                    run += cue(side_cue(cues, side_no, side))
                run += side_reps[side_no]
            rest = rest_after_set(routine, number, set_no)
            if rest is not None:
                run += cue(rest[0]) + silence(rest[1])
        run = run._replace(seconds=run.seconds + spoken * exercise.sets * len(sides))
        parts.append((("exercises", number - 1), run.steps, run.seconds + run.gaps * gap))
        total += run
    outro = plain(routine.outro)
    parts.append((("outro",), outro.steps, outro.seconds + outro.gaps * gap))
    total += outro
    return Size(total.steps, total.seconds + total.gaps * gap, tuple(parts))


def size_bound(routine: Routine, level: str) -> tuple[int, float]:
    """(steps, seconds) that `expansion_size` (with estimated speech) cannot exceed, from counts and
    word counts alone, without writing a single cue: what settles nearly every routine, far from
    the limits, at a tenth of the cost of counting exactly. Every step is taken to have a gap after
    it, and every placeholder to stand for the longest words it can."""
    defaults = routine.defaults
    pace, gap, cues = defaults.pace, defaults.cue_gap, routine.cues
    per_word = 60.0 / defaults.words_per_minute

    def speech(text: str, fill_words: int = 0) -> float:
        return max(0.5, (len(text.split()) + text.count("{") * fill_words) * per_word) + gap + 0.001

    def plain(steps) -> float:
        return sum(speech(step.say) if isinstance(step, SayStep) else _silence_of(step, routine, pace)[1] + gap
                   for step in steps)

    steps = len(routine.intro) + 1 + len(routine.outro)
    seconds = plain(routine.intro) + speech(routine.safety) + plain(routine.outro)
    # Placeholders stand for at most: a count up to 100 in words, 2 ("one hundred"); seconds up
    # to 1800, 8 ("one thousand and eight hundred and a half"); a name or side, its own words.
    for exercise in routine.exercises:
        reps = reps_for_level(exercise.reps, routine.levels[level])
        sides = max(1, len(exercise.sides))
        name = len(exercise.name.split())
        side = max([1] + [len(s.split()) for s in exercise.sides])
        rep = speech(max(cues.rep_start, cues.rep_last, key=len), 2)
        for step in exercise.rep:
            if isinstance(step, SayStep):
                rep += max(speech(step.say, side), speech(step.first_rep or step.say, side))
            elif isinstance(step, SwitchSideStep):
                rep += speech(step.switch_side, side)
            else:
                rep += _silence_of(step, routine, pace)[1] + gap
        between = defaults.rest_between_sets if exercise.rest_between_sets is None else exercise.rest_between_sets
        after = defaults.rest_between_exercises if exercise.rest_after is None else exercise.rest_after
        one_set = speech(cues.set_start, 2) + sides * (speech(max(cues.side_start, cues.switch_side, key=len), side)
                                                      + reps * rep)
        rests = ((exercise.sets - 1) * (speech(cues.rest_sets, max(8, name)) + between + gap)
                 + speech(cues.rest_exercises, max(8, name)) + after + gap)
        seconds += speech(cues.exercise_start, max(2, name)) + plain(exercise.setup) + exercise.sets * one_set + rests
        steps += 1 + len(exercise.setup) + exercise.sets * (3 + sides * (1 + reps * (1 + len(exercise.rep))))
    return steps, seconds


def check_steps(routine: Routine, level: str) -> None:
    """Refuse (RoutineTooLargeError) to expand past MAX_STEPS. A routine from load_routine never is;
    this guards routines made in code. The bound usually settles it."""
    bound = len(routine.intro) + 1 + len(routine.outro)
    for exercise in routine.exercises:  # size_bound's count of steps, without its seconds
        reps = reps_for_level(exercise.reps, routine.levels[level])
        sides = max(1, len(exercise.sides))
        bound += 1 + len(exercise.setup) + exercise.sets * (3 + sides * (1 + reps * (1 + len(exercise.rep))))
    if bound <= MAX_STEPS:
        return
    steps = expansion_size(routine, level).steps
    if steps > MAX_STEPS:
        raise RoutineTooLargeError(f"routine {routine.id or routine.title!r} expands to {steps:,} steps at level "
                                   f"{level}; the limit is {MAX_STEPS:,}")


def longest_level(routine: Routine) -> str:
    """The level with the most reps in every exercise (reps grow with the level's place in the range)."""
    return max(routine.levels, key=lambda name: level_fraction(routine.levels[name]))


def clock(seconds: float) -> str:
    """4 h 05 min; 12 min 30 s; 45 s."""
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s" if secs else f"{minutes} min"
    return f"{secs} s"
