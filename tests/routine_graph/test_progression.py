"""Progression: the routine's `progression:` rules, validated with located errors, carried by the graph,
and applied to any history by `suggest` (checked against the rules worked out event by event)."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from routine_graph import RoutineError, expand, load_routine
from routine_graph.progression import DownRule, Rules, SessionOutcome, Suggestion, UpRule, pain_held, suggest
from routine_graph.words import number_words

from tests.conftest import SEED

ORDER = ("gentle", "standard", "full")
T0 = datetime(2025, 3, 3, 8, 0, tzinfo=timezone.utc)
NOW = T0 + timedelta(days=30)
SEED_RULES = Rules(UpRule(4, True), DownRule(2, 7))


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def sessions_at(level: str, *ratings: tuple[int | None, int | None], start: float = 0, every: float = 12):
    return [SessionOutcome(at(start + i * every), level, a, b) for i, (a, b) in enumerate(ratings)]


def expected(rules: Rules, order, current, sessions, reports, now) -> Suggestion | None:
    """The rules as docs/routine-format.md states them, worked out event by event with filters (not
    by slicing a sorted history, as `suggest` does)."""
    if current not in order:
        return None
    past = [s for s in sessions if s.finished_at <= now]
    said = [r for r in reports if r <= now]
    elsewhere = [s.finished_at for s in past if s.level != current]
    changed = max(elsewhere) if elsewhere else None
    here = sorted((s for s in past if s.level == current and (changed is None or s.finished_at > changed)),
                  key=lambda s: s.finished_at)
    i = order.index(current)
    if rules.move_down:
        window_start = now - timedelta(days=rules.move_down.within_days)
        hurts = [r for r in said if r > window_start and (changed is None or r > changed)]
        if len(hurts) >= rules.move_down.after_hurts:
            if i == 0:
                return None
            recent = [s for s in here if s.finished_at > window_start]
            return Suggestion("easier", current, order[i - 1], len(recent), len(hurts), rules.move_down.within_days,
                              pain_judged=False)
    up = rules.move_up
    if not up or i == len(order) - 1 or len(here) < up.after_sessions:
        return None
    counted = here[len(here) - up.after_sessions:]
    earlier = [s.finished_at for s in past if s.finished_at < counted[0].finished_at]
    hurts = len([r for r in said if not earlier or r > max(earlier)])
    if up.pain_not_rising:
        if hurts:
            return None
        for s in counted:
            if s.pain_start is not None and s.pain_end is not None and s.pain_end > s.pain_start:
                return None
        starts = [s.pain_start for s in counted if s.pain_start is not None]
        if starts and starts[-1] > starts[0]:
            return None
    days = max(1, math.ceil((now - counted[0].finished_at).total_seconds() / 86400))
    return Suggestion("harder", current, order[i + 1], up.after_sessions, hurts, days, up.pain_not_rising)


SPAN = 21 * 24 * 60  # minutes: as long as the longest window tried, so windows both hold and miss sessions
rating = st.one_of(st.none(), st.integers(0, 10))
rules_strategy = st.builds(
    Rules,
    st.one_of(st.none(), st.builds(UpRule, st.integers(1, 6), st.booleans())),
    st.one_of(st.none(), st.builds(DownRule, st.integers(1, 4), st.integers(1, 14))),
)


@st.composite
def histories(draw):
    """(current level, sessions, hurt reports, now): whole-minute times over three weeks, some after now,
    mostly at the current level, ratings often missing; no two sessions finish at the same minute."""
    current = draw(st.sampled_from(ORDER))
    minutes = draw(st.lists(st.integers(0, SPAN), unique=True, max_size=14))
    sessions = [SessionOutcome(T0 + timedelta(minutes=m), draw(st.sampled_from((current,) * 3 + ORDER)),
                               draw(rating), draw(rating)) for m in minutes]
    # Reports may fall on a session's very minute: the boundaries are part of the rule.
    report_minutes = draw(st.lists(st.one_of(st.sampled_from(minutes or [0]), st.integers(0, SPAN)),
                                   max_size=6))
    reports = [T0 + timedelta(minutes=m) for m in report_minutes]
    now = T0 + timedelta(minutes=draw(st.integers(0, SPAN)))
    return current, sessions, reports, now


@settings(max_examples=400, deadline=None)
@given(rules_strategy, histories(), st.randoms(use_true_random=False))
def test_any_history_gets_the_suggestion_its_rules_justify(rules, history, shuffle):
    current, sessions, reports, now = history
    want = expected(rules, ORDER, current, sessions, reports, now)
    shuffle.shuffle(sessions)  # the caller's order is no concern of the rules
    got = suggest(rules, ORDER, current, sessions, reports, now)
    assert got == want
    if got is not None:
        step = 1 if got.direction == "harder" else -1
        assert ORDER.index(got.to_level) == ORDER.index(current) + step
        text = got.sentence()
        assert got.to_level in text and text.endswith("next time?")
        assert (number_words(got.sessions) if got.direction == "harder" else "hurts") in text


@settings(max_examples=200, deadline=None)
@given(rules_strategy, histories())
def test_more_pain_never_makes_harder_more_likely(rules, history):
    """One more "it hurts" now, or a latest session whose pain rose, never turns no suggestion or an
    easier one into a harder one."""
    current, sessions, reports, now = history
    before = suggest(rules, ORDER, current, sessions, reports, now)
    after_hurt = suggest(rules, ORDER, current, sessions, reports + [now], now)
    worse = sessions + [SessionOutcome(now, current, 2, 5)]
    after_rise = suggest(rules, ORDER, current, worse, reports, now)
    for after in (after_hurt, after_rise):
        assert after is None or not after.pain_judged
    if before is not None and before.direction == "easier":
        # The new report counts unless a session at another level finished at that very moment.
        assert after_hurt.direction == "easier" and after_hurt.to_level == before.to_level
        assert after_hurt.hurts in (before.hurts, before.hurts + 1)


# -- the rules, case by case -------------------------------------------------------------------------

def test_four_calm_sessions_suggest_the_next_level_in_the_brief_s_words():
    history = sessions_at("standard", (4, 3), (4, 4), (3, 3), (3, 2))
    got = suggest(SEED_RULES, ORDER, "standard", history, [], at(48))
    assert got == Suggestion("harder", "standard", "full", 4, 0, 2)
    assert got.sentence() == ("You've done four sessions at the standard level without more pain. "
                              "Want to try the full level next time?")


def test_two_hurts_in_a_week_suggest_the_easier_level_in_the_brief_s_words():
    history = sessions_at("standard", (4, 3), (4, 4), (3, 3), (3, 2))
    got = suggest(SEED_RULES, ORDER, "standard", history, [at(1), at(30)], at(48))
    assert got == Suggestion("easier", "standard", "gentle", 4, 2, 7, pain_judged=False)  # easier wins over harder
    assert got.sentence() == "You've said it hurts twice this week. Want to try the gentle level next time?"


def test_no_suggestion_beyond_either_end():
    calm = sessions_at("full", *[(3, 3)] * 10)
    assert suggest(SEED_RULES, ORDER, "full", calm, [], at(200)) is None
    calm = sessions_at("gentle", *[(3, 3)] * 10)
    # At the gentlest level two hurts mean no suggestion at all: never harder for someone it hurts.
    assert suggest(SEED_RULES, ORDER, "gentle", calm, [at(100), at(101)], at(120)) is None
    # One hurt is not a pattern; said before the four sessions counted (72 h on), it does not hold back.
    assert suggest(SEED_RULES, ORDER, "gentle", calm, [at(50)], at(120)).to_level == "standard"


def test_only_the_latest_run_at_the_current_level_counts():
    history = (sessions_at("standard", (3, 3), (3, 3), (3, 3)) + sessions_at("gentle", (3, 3), start=36)
               + sessions_at("standard", (3, 3), (3, 3), (3, 3), start=48))
    assert suggest(SEED_RULES, ORDER, "standard", history, [], at(80)) is None  # three since the change
    history += sessions_at("standard", (3, 3), start=90)
    assert suggest(SEED_RULES, ORDER, "standard", history, [], at(100)).sessions == 4
    # Just moved up, no session there yet: nothing to judge.
    assert suggest(SEED_RULES, ORDER, "full", history, [], at(100)) is None


def test_hurts_before_the_level_changed_do_not_count_against_the_new_level():
    history = sessions_at("standard", (3, 3), (3, 3)) + sessions_at("gentle", (3, 3), start=30)
    hurts = [at(5), at(20)]  # said at the standard level; the user then took the gentle level
    assert suggest(SEED_RULES, ORDER, "standard", history[:2], hurts, at(25)).to_level == "gentle"
    assert suggest(SEED_RULES, ORDER, "gentle", history, hurts, at(40)) is None
    assert suggest(SEED_RULES, ORDER, "full", history, hurts + [at(41)], at(42)) is None  # one at full so far


def test_hurts_older_than_the_window_do_not_count():
    history = sessions_at("standard", (3, 3))
    # The session at 0 h is older than the week: the sentence's numbers are the week's.
    got = suggest(SEED_RULES, ORDER, "standard", history, [at(1), at(2)], at(7 * 24))
    assert got == Suggestion("easier", "standard", "gentle", 0, 2, 7, pain_judged=False)
    assert suggest(SEED_RULES, ORDER, "standard", history, [at(1), at(2)], at(1 + 7 * 24)) is None  # at(1) is out


@pytest.mark.parametrize("ratings, suggested", [
    ([(None, None)] * 4, True),            # check-in off: no evidence of a rise
    ([(3, None), (None, 2), (None, None), (3, None)], True),
    ([(3, 3), (3, 4), (3, 3), (3, 3)], False),  # one session ended worse than it began
    ([(2, 2), (None, None), (3, 3), (None, 1)], False),  # the latest start (3) is above the first (2)
    ([(None, None), (4, 4), (None, None), (4, 2)], True),
    ([(6, 5), (5, 4), (5, 5), (4, 4)], True),
])
def test_missing_ratings_are_no_evidence_of_a_rise(ratings, suggested):
    history = sessions_at("standard", *ratings)
    assert pain_held(history) is suggested
    got = suggest(SEED_RULES, ORDER, "standard", history, [], at(60))
    assert (got is not None and got.direction == "harder") is suggested


def test_an_it_hurts_in_or_after_the_counted_sessions_holds_the_user_back():
    history = sessions_at("standard", (3, 3), (3, 3), (3, 3), (3, 3), (3, 3), start=0)
    # The counted four are the last four (12 h .. 48 h); a report after the first session (0 h) is in them.
    assert suggest(SEED_RULES, ORDER, "standard", history, [at(6)], at(60)) is None
    assert suggest(SEED_RULES, ORDER, "standard", history, [at(55)], at(60)) is None  # since the latest
    assert suggest(SEED_RULES, ORDER, "standard", history, [at(-1)], at(60)).to_level == "full"
    assert suggest(SEED_RULES, ORDER, "standard", history, [at(0)], at(60)).to_level == "full"  # with the one before
    # Without "pain not rising", the count alone decides and the sentence does not claim calm.
    rules = Rules(UpRule(4, pain_not_rising=False))
    got = suggest(rules, ORDER, "standard", sessions_at("standard", *[(2, 7)] * 4), [at(6)], at(60))
    assert got == Suggestion("harder", "standard", "full", 4, 1, 3, pain_judged=False)
    assert got.sentence() == "You've done four sessions at the standard level. Want to try the full level next time?"


def test_no_rules_unknown_level_and_the_future_give_nothing():
    history = sessions_at("standard", *[(3, 3)] * 6)
    assert suggest(Rules(), ORDER, "standard", history, [at(1)] * 5, at(100)) is None
    assert suggest(SEED_RULES, ORDER, "beginner", history, [], at(100)) is None
    # Sessions and reports after `now` are not yet history.
    assert suggest(SEED_RULES, ORDER, "standard", history, [], at(30)) is None
    assert suggest(SEED_RULES, ORDER, "standard", history[:2], [at(70), at(71)], at(30)) is None


def test_sentences_say_numbers_and_periods_as_words():
    assert Suggestion("harder", "level-1", "level-2", 1, 0, 1).sentence() == (
        "You've done one session at the level 1 level without more pain. Want to try the level 2 level next time?")
    cases = {(1, 1): "once in the last day", (3, 14): "three times in the last two weeks",
             (21, 10): "twenty-one times in the last ten days"}
    for (hurts, days), words in cases.items():
        assert f"it hurts {words}." in Suggestion("easier", "full", "standard", 0, hurts, days).sentence()


def test_bad_input_says_what_to_fix():
    with pytest.raises(ValueError, match="pain_end must be a whole number from 0 to 10"):
        SessionOutcome(T0, "standard", 3, 11)
    with pytest.raises(ValueError, match="pain_start"):
        SessionOutcome(T0, "standard", True, 1)
    naive = [SessionOutcome(datetime(2025, 3, 3, 8), "standard")]
    with pytest.raises(ValueError, match="time zone"):
        suggest(SEED_RULES, ORDER, "standard", naive, [], NOW)


# -- the routine file ---------------------------------------------------------------------------------

def test_the_seed_validates_and_its_rules_reach_the_graph():
    written = yaml.safe_load(SEED.read_text())["progression"]
    routine = load_routine(SEED)
    for level in routine.levels:
        graph = expand(routine, level=level)
        assert graph.levels == ORDER
        up, down = graph.progression.move_up, graph.progression.move_down
        assert (up.after_sessions, up.pain_not_rising) == (written["move_up"]["after_sessions"],
                                                            written["move_up"]["pain_not_rising"])
        assert (down.after_hurts, down.within_days) == (written["move_down"]["after_hurts"],
                                                         written["move_down"]["within_days"])
    text = SEED.read_text()
    block = text[text.index("progression:"):text.index("\nintro:")]
    assert block.count("# Choice:") >= 4  # each rule marked as the project's choice


MINIMAL = """\
title: Tiny
safety: Stop if it hurts.
levels: {full: high, gentle: low, mid: 0.4}
exercises:
  - id: one
    name: One
    sets: 2
    reps: 2-4
    rep:
      - say: Lift.
"""


def test_no_section_means_no_rules_and_levels_go_gentlest_first(write_routine):
    graph = expand(load_routine(write_routine(MINIMAL)))
    assert graph.progression == Rules() and graph.levels == ("gentle", "mid", "full")
    graph = expand(load_routine(write_routine(MINIMAL + "progression:\n  move_down:\n    after_hurts: 3\n")))
    assert graph.progression == Rules(None, DownRule(3, 7))


def problems_of(path):
    with pytest.raises(RoutineError) as info:
        load_routine(path)
    return info.value.problems


@pytest.mark.parametrize("section, line, field, words", [
    ("  move_up:\n    after_sessions: 0\n", 13, "progression.move_up.after_sessions",
     "a whole number of finished sessions from 1 to 100, e.g. `after_sessions: 4`"),
    ("  move_up:\n    after_sessions: 101\n", 13, "progression.move_up.after_sessions", "from 1 to 100"),
    ("  move_up:\n    after_sessions: four\n", 13, "progression.move_up.after_sessions", "e.g. `after_sessions: 4`"),
    ("  move_up:\n    after_sessions: 2.5\n", 13, "progression.move_up.after_sessions", "a whole number"),
    ("  move_up:\n    after_sessions: 4\n    pain_not_rising: maybe\n", 14, "progression.move_up.pain_not_rising",
     "true or false, e.g. `pain_not_rising: true`"),
    ("  move_up:\n    after_sesions: 4\n", 13, "progression.move_up.after_sesions", "did you mean 'after_sessions'?"),
    ("  move_up:\n    pain_not_rising: true\n", 12, "progression.move_up.after_sessions", "required field is missing"),
    ("  move_down:\n    after_hurts: 51\n", 13, "progression.move_down.after_hurts",
     'a whole number of "it hurts" reports from 1 to 50, e.g. `after_hurts: 2`'),
    ("  move_down:\n    after_hurts: 2\n    within_days: 61\n", 14, "progression.move_down.within_days",
     "a whole number of days from 1 to 60, e.g. `within_days: 7`"),
    ("  move_down:\n    after_hurts: 2\n    within_days: a week\n", 14, "progression.move_down.within_days",
     "e.g. `within_days: 7`"),
    ("  move_down:\n    after_hurts: 2\n    pain_not_rising: true\n", 14, "progression.move_down.pain_not_rising",
     "'pain_not_rising' does not go here; it belongs in progression.move_up"),
    ("  move_dwn:\n    after_hurts: 2\n", 12, "progression.move_dwn", "did you mean 'move_down'?"),
    ("  move_up: 4\n", 12, "progression.move_up", "e.g. `move_up:` then `  after_sessions: 4`"),
])
def test_bad_progression_is_a_located_error(write_routine, section, line, field, words):
    problems = problems_of(write_routine(MINIMAL + "progression:\n" + section))
    found = {(p.line, p.field): p.message for p in problems}
    assert words in found[(line, field)], problems
    assert all(p.line and p.column and p.field.startswith("progression") for p in problems), problems


def test_misplaced_and_impossible_progression(write_routine):
    (problem,) = problems_of(write_routine(MINIMAL + "after_hurts: 2\n"))
    assert (problem.line, problem.message) == (
        11, "'after_hurts' does not go here; it belongs in progression.move_down (check its indentation)")
    (problem,) = problems_of(write_routine(MINIMAL + "progression: yes\n"))
    assert problem.field == "progression" and "`progression:` then `  move_up:`" in problem.message
    one_level = MINIMAL.replace("{full: high, gentle: low, mid: 0.4}", "{only: middle}")
    (problem,) = problems_of(write_routine(one_level + "progression:\n  move_up:\n    after_sessions: 3\n"))
    assert (problem.line, problem.field) == (11, "progression") and "only one" in problem.message
    # An empty section, or one level without rules, is fine: no rules, no suggestions.
    assert load_routine(write_routine(one_level + "progression:\n")).progression is None
    assert load_routine(write_routine(MINIMAL + "progression: {}\n")).progression.move_up is None


def test_validate_exits_2_naming_file_line_and_field(write_routine):
    bad = write_routine(MINIMAL + "progression:\n  move_down:\n    after_hurts: 0\n", name="bad.yaml")
    result = subprocess.run([sys.executable, "-m", "back_routine", "validate", str(bad)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert f"{bad}:13:18: progression.move_down.after_hurts: a whole number" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_schema_knows_the_section():
    import jsonschema

    result = subprocess.run([sys.executable, "-m", "back_routine", "schema"], capture_output=True, text=True,
                            timeout=120)
    document = json.loads(result.stdout)
    routine = yaml.safe_load(SEED.read_text())
    jsonschema.validate(routine, document)
    for bad in ({"move_up": {"after_sessions": 0}}, {"move_up": {"after_sessions": 4, "bogus": 1}},
                {"move_down": {"after_hurts": 2, "within_days": 61}}, {"move_down": {}}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**routine, "progression": bad}, document)
