"""The voice guide as a user hears it: where long sets are split, where rests go, how long things
take, and how the audio version names its place.

1. A set is split only between sides (reps only inside a side too long for one response).
2. A rest's countdown leads straight into the set or exercise it counts down to.
3. Every spoken length comes from one place: the built track when there is one.
4. In the audio version, "where am I" names the chapter as the voice guide names a place.
"""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings

from audio_builder.build import Builder, BuildSettings
from routine_graph.catalog import routine_files
from routine_graph.counting import spoken_marks
from routine_graph.expansion import expand
from routine_graph.loader import load_routine
from skill.audio_tracks import AudioCatalog, LocalManifests
from skill.course_words import minutes_phrase, next_line
from skill.durations import routine_seconds, seconds_left, track_seconds_left
from skill.routines import PACES, RoutineLibrary
from skill.speech import BODY_AUDIO_BUDGET, BODY_CHAR_BUDGET, plan_block, readable, step_atoms

from tests.audio_harness import PUBLIC_URL, Device, make_audio_app, play_of
from tests.routine_strategies import routines as generated_routines
from tests.checkin_harness import without_checkin
from tests.skill_harness import Clock, Conversation, make_app
from tests.skill.test_skill_limits import Walker

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "routines" / "back-pain.yaml"
MINI = ROOT / "tests" / "data" / "mini.yaml"

# Sides and many reps: at the high level a set of side lifts is several responses long, and each
# side alone is too (rep boundaries then); at the low level only the whole set is (side boundaries).
# The twist alternates sides inside every rep; the bridge has no sides and counts its holds down.
MANY_REPS = """\
title: Many reps with sides
safety: Stop if it hurts.
defaults: {rest_between_sets: 40, rest_between_exercises: 60, rest_countdown: 5, move_seconds: 2}
levels: {low: low, high: high}
intro:
  - say: Welcome.
exercises:
  - id: side-lift
    name: Side lift
    sets: 3
    reps: 8-30
    sides: [left, right]
    setup:
      - say: Lie on your side.
    rep:
      - say: Lift your {side} leg.
      - move: default
      - hold: 3
      - say: And lower it.
      - move: default
  - id: twist
    name: Twist
    sets: 2
    reps: 6-20
    sides: [left, right]
    rep:
      - say: Turn to the {side}.
      - move: default
      - switch_side: Now the other way.
      - move: default
  - id: bridge
    name: Bridge
    sets: 2
    reps: 5-25
    rep:
      - say: Lift your hips.
      - hold: 6
        count: down
      - say: Lower.
      - move: default
outro:
  - say: Done.
"""


@pytest.fixture(scope="module")
def many_reps(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("many") / "many-reps.yaml"
    path.write_text(MANY_REPS)
    return path


def every_routine(many_reps: Path) -> list[Path]:
    return [*routine_files(ROOT / "routines"), MINI, many_reps]


# -- 1. long sets are split between sides ---------------------------------------------------------------


def sides(graph, block: int) -> list[list[int]]:
    """The sides of a block as lists of step indexes, each with the cues that open it ("Set two of
    three.", "Left side."). A set without sides is one side; where reps alternate sides inside
    themselves, a rep is as small as a side gets. The rest ending a block is no side."""
    steps = graph.block_steps(block)
    if block + 1 < len(graph.blocks):
        steps = steps[:len(steps) - len(graph.trailing_rest(block))]
    per_rep: dict[int, set] = {}
    for step in steps:
        if step.position.rep is not None:
            per_rep.setdefault(step.position.rep, set()).add(step.position.side)
    alternating = any(len(s) > 1 for s in per_rep.values())
    runs: list[tuple[object, list[int]]] = []
    opening: list[int] = []
    for step in steps:
        position = step.position
        if position.rep is None:
            opening.append(step.index)
            continue
        key = position.rep if alternating else position.side
        if runs and runs[-1][0] == key and not opening:
            runs[-1][1].append(step.index)
        else:
            runs.append((key, opening + [step.index]))
            opening = []
    return [indexes for _, indexes in runs]


def too_long_alone(graph, indexes: list[int]) -> bool:
    seconds = sum(graph.steps[i].duration for i in indexes)
    chars = sum(len(atom.ssml) for i in indexes for atom in step_atoms(graph.steps[i]))
    return seconds > BODY_AUDIO_BUDGET - 0.5 or chars > BODY_CHAR_BUDGET


def check_splits(graph) -> int:
    """No part starts inside a side that fits a response; returns how many splits were between sides."""
    between_sides = 0
    for block in range(len(graph.blocks)):
        runs = sides(graph, block)
        side_of = {i: n for n, indexes in enumerate(runs) for i in indexes}
        for onward in (False, True):
            chunks = plan_block(graph, block, onward=onward)
            assert len(chunks) == len(plan_block(graph, block, onward=not onward))  # same places either way
            for chunk in chunks[1:]:
                before, after = side_of.get(chunk.first_step - 1), side_of.get(chunk.first_step)
                if before is not None and before == after:
                    assert too_long_alone(graph, runs[before]), (graph.routine_id, graph.level, graph.pace,
                                                                 graph.blocks[block].title, chunk.part)
                elif before is not None and after is not None and not onward:
                    between_sides += 1
    return between_sides


def test_parts_of_a_set_start_between_sides_in_every_routine_level_and_pace(many_reps):
    between_sides = 0
    for path in every_routine(many_reps):
        routine = load_routine(path)
        for level in routine.levels:
            for pace in PACES:
                between_sides += check_splits(expand(routine, level, pace))
    assert between_sides > 10  # the check saw real splits between sides, not only sets that fit whole


def test_a_set_of_two_sides_too_long_together_is_split_where_the_sides_change():
    graph = expand(load_routine(SEED), "full", 1.25)  # about 105 s a side
    block = next(b.index for b in graph.blocks if b.title == "Hip lift on all fours, set 2 of 3")
    chunks = plan_block(graph, block)
    assert len(chunks) == 2
    assert readable(chunks[1].ssml).startswith("Now switch to your right side.")
    course = RoutineLibrary(ROOT / "routines").course("back-pain", "full", 1.25)
    assert next_line(course, course.chunk(block, 0)) == "When you're ready for your right side, say next."


def test_a_side_too_long_alone_falls_back_to_rep_boundaries(many_reps):
    graph = expand(load_routine(many_reps), "high", 2.0)
    block = next(b.index for b in graph.blocks if b.title == "Side lift, set 1 of 3")
    chunks = plan_block(graph, block)
    assert len(chunks) > 2
    rest = graph.trailing_rest(block)
    for chunk in chunks[1:]:
        step = graph.steps[chunk.first_step]
        if chunk.ends_with_rest and step == rest[0]:
            continue  # the rest before set two, too long to go with it (see the rest tests below)
        # a rep starts it ("Rep four."), or a side ("Now switch to your right side.")
        assert step.kind == "speak" and (step.position.rep is not None or step.position.side is not None)
        assert chunk.cut is None


@pytest.mark.parametrize("name", ["back-pain", "mini", "many-reps"])
def test_every_reply_of_every_routine_fits_alexas_limits(name, many_reps, tmp_path):
    """test_skill_limits's walk (next, and repeat of each part) over the routines split here."""
    path = {"back-pain": SEED, "mini": MINI, "many-reps": many_reps}[name]
    folder = tmp_path / "routines"
    folder.mkdir()
    (folder / path.name).write_text(path.read_text())
    walker = Walker(folder, tmp_path / "walk.sqlite3")
    routine = load_routine(path)
    for level in routine.levels:
        for pace in PACES:
            walker.walk(path.stem, level, pace)  # every reply is checked on the way


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(routine=generated_routines())
def test_generated_routines_split_only_between_sides(routine):
    for level in routine.levels:
        for pace in (PACES[0], 1.0, PACES[-1]):
            check_splits(expand(routine, level, pace))


# -- 2. a rest's countdown leads straight into what comes next ----------------------------------------------


def countdown_pattern(rest_step) -> str:
    words = [mark.word for mark in spoken_marks(rest_step)]
    return r" \[pause [\d.]+ s\] ".join(words)


def check_rests(graph) -> int:
    """Every countdown of a rest is followed, after at most a short pause, by the first words of the
    block it counts down to, in the same part; nothing else a user is given counts down to nothing."""
    checked = 0
    for block in range(1, len(graph.blocks)):
        rest = [s for s in graph.trailing_rest(block - 1) if s.kind == "rest"]
        first_words = re.escape(graph.steps[graph.blocks[block].first_step].text)
        plain = readable(plan_block(graph, block)[0].ssml)
        assert plain.startswith(graph.steps[graph.blocks[block].first_step].text)  # repeat, go back: no rest
        if not rest or not rest[0].countdown:
            continue
        for variant in (False, True):  # the countdown never ends the part before
            before = readable(plan_block(graph, block - 1, onward=variant)[-1].ssml)
            assert not re.search(countdown_pattern(rest[0]) + r"( \[pause [\d.]+ s\])?$", before)
        onward = readable(plan_block(graph, block, onward=True)[0].ssml)
        found = re.search(countdown_pattern(rest[0]) + r" \[pause ([\d.]+) s\] " + first_words, onward)
        assert found and float(found.group(1)) <= 1.5, (graph.routine_id, graph.blocks[block].title, onward[:300])
        assert onward.startswith(graph.steps[graph.trailing_rest(block - 1)[0].index].text) or found.start() == 0
        checked += 1
    return checked


def test_every_countdown_leads_into_the_next_set_or_exercise(many_reps):
    checked = 0
    for path in every_routine(many_reps):
        routine = load_routine(path)
        for level in routine.levels:
            for pace in PACES:
                checked += check_rests(expand(routine, level, pace))
    assert checked > 100


@pytest.fixture
def seed_user(tmp_path):
    folder = tmp_path / "routines"
    folder.mkdir()
    (folder / SEED.name).write_text(SEED.read_text())
    app, adapter = make_app(folder, tmp_path / "progress.sqlite3", Clock())
    without_checkin(adapter)  # the guide's own replies, in order
    yield Conversation(app.test_client())
    adapter.close()


def test_next_after_a_set_rests_then_counts_straight_into_the_next_set(seed_user):
    seed_user.launch()
    for _ in range(3):  # the introduction, the setup, set one
        set_one = seed_user.say("AMAZON.NextIntent")
    assert set_one.text.startswith("Set one of three.")
    assert set_one.text.endswith("When you're ready, say next, and we'll rest for thirty seconds before set two.")
    assert "Rest for" not in set_one.text
    set_two = seed_user.say("AMAZON.NextIntent")
    assert set_two.text.startswith("Well done. Rest for thirty seconds. Breathe slowly. [pause 27 s] three [pause")
    assert re.search(r" one \[pause 0\.\d s\] Set two of three\. \[pause", set_two.text)
    assert set_two.text.endswith("say next, and we'll rest for thirty seconds before set three.")
    # Repeating the set, or going back to one, gives the set: nobody has to sit through the rest again.
    again = seed_user.say("AMAZON.RepeatIntent")
    assert again.text.startswith("Once more. Set two of three.") and "Rest for" not in again.text
    back = seed_user.say("AMAZON.PreviousIntent")
    assert back.text.startswith("Going back. Set one of three.") and "Rest for" not in back.text
    assert seed_user.say("AMAZON.NextIntent").text == set_two.text  # and on again: the rest, then set two
    seed_user.say("AMAZON.NextIntent")  # set three
    exercise_two = seed_user.say("AMAZON.NextIntent")
    assert exercise_two.text.startswith("That's Lean straight and bend done. Rest for forty-five seconds")
    assert re.search(r" one \[pause 0\.\d s\] Exercise two of three: Hip lift on all fours\.", exercise_two.text)
    # Going straight to an exercise says nothing about having done the one before it.
    jumped = seed_user.say("GoToExerciseIntent", number="3")
    assert jumped.text.startswith("Okay, exercise three. Exercise three of three: Good morning.")


def test_coming_back_another_day_carries_on_without_the_rest(seed_user):
    seed_user.launch()
    for _ in range(3):
        seed_user.say("AMAZON.NextIntent")
    seed_user.say("AMAZON.StopIntent")
    seed_user.launch()
    carried_on = seed_user.say("AMAZON.YesIntent")
    assert "Set two of three." in carried_on.text and "Rest for" not in carried_on.text


def test_a_rest_too_long_to_go_with_its_set_is_said_before_it_and_the_countdown_leads_in():
    """Good morning at the standard level: a set is nearly a response long, so the rest before set two
    is a part of its own, and saying next is counted straight into the set."""
    course = RoutineLibrary(ROOT / "routines").course("back-pain", "standard", 1.0)
    graph = course.graph
    block = next(b.index for b in graph.blocks if b.title == "Good morning, set 1 of 3")
    rest_part = course.chunks(block)[-1]
    assert readable(rest_part.ssml).startswith("Well done. Rest for forty-five seconds.")
    assert rest_part.ends_with_rest and "three" not in readable(rest_part.ssml)
    onward = course.seen_from(block, rest_part.part).chunk(block + 1, 0)
    assert readable(onward.ssml).startswith("three [pause 0.6 s] two [pause 0.7 s] one [pause 0.7 s] Set two of three.")


def test_the_parts_of_a_routine_taken_in_order_hold_every_step_once(many_reps):
    """What "next" gives from start to end takes the routine's whole time: no rest lost or doubled."""
    for path in (SEED, many_reps):
        routine = load_routine(path)
        for level in routine.levels:
            for pace in (PACES[0], 1.0, PACES[-1]):
                course = RoutineLibrary(path.parent).course(path.stem, level, pace)
                place, total = (0, 0), 0.0
                while place is not None:
                    total += course.chunk(*place).seconds
                    course = course.seen_from(*place)
                    place = course.next_place(*place)
                graph = course.graph
                assert total == pytest.approx(graph.total_seconds, abs=0.01 * len(graph.steps))
                assert course.seconds_from(0, 0) == pytest.approx(graph.total_seconds)


# -- 3. one source of lengths -----------------------------------------------------------------------------

# Its estimate (60 words a minute) is far slower than any voice: only the built track says how long
# it really takes.
TALKATIVE = """\
title: Talkative routine
safety: Stop if it hurts.
defaults: {words_per_minute: 60, rest_between_sets: 4, rest_countdown: 2, move_seconds: 1}
levels: {short: low, long: high}
intro:
  - say: %(talk)s
exercises:
  - id: lift
    name: Lift
    sets: 2
    reps: 1-2
    rep:
      - say: Lift.
      - hold: 2
      - say: Down.
outro:
  - say: %(talk)s
""" % {"talk": "'" + ("Breathe in slowly, and let your shoulders drop as you breathe out. " * 6).strip() + "'"}


@pytest.fixture(scope="module")
def talkative(tmp_path_factory):
    root = tmp_path_factory.mktemp("talkative")
    routines = root / "routines"
    routines.mkdir()
    (routines / "talkative.yaml").write_text(TALKATIVE)
    Builder(root / "output", root / "cache", BuildSettings(engine="espeak")).build(routines / "talkative.yaml")
    return SimpleNamespace(routines=routines, output=root / "output")


def sources(built, public_url=PUBLIC_URL):
    return SimpleNamespace(audio=AudioCatalog(public_url, LocalManifests(built.output)),
                           library=RoutineLibrary(built.routines))


def test_a_built_track_is_the_length_the_voice_says_and_the_graph_estimate_without_one(talkative):
    built = sources(talkative)
    course = built.library.course("talkative", "short")
    track = built.audio.track("talkative", "short")
    assert routine_seconds(built, course) == pytest.approx(track.duration_ms / 1000)
    for chapter in track.chapters:
        assert seconds_left(built, course, chapter.block) == pytest.approx(track_seconds_left(track, chapter.start_ms))
    # the fixture tells the two apart: the estimate is minutes off
    assert minutes_phrase(course.graph.total_seconds) != minutes_phrase(routine_seconds(built, course))
    unbuilt = sources(talkative, public_url=None)
    assert routine_seconds(unbuilt, course) == pytest.approx(course.graph.total_seconds)
    # at another pace, the track's length plus what the pace changes (the silences it stretches)
    slow = built.library.course("talkative", "short", 2.0)
    stretch = slow.graph.total_seconds - course.graph.total_seconds
    assert stretch > 1 and routine_seconds(built, slow) == pytest.approx(track.duration_ms / 1000 + stretch)


def test_a_track_built_from_an_older_version_of_the_routine_is_not_believed(talkative, tmp_path):
    routines = tmp_path / "routines"
    routines.mkdir()
    (routines / "talkative.yaml").write_text(TALKATIVE.replace("sets: 2", "sets: 3"))
    edited = SimpleNamespace(audio=sources(talkative).audio, library=RoutineLibrary(routines))
    course = edited.library.course("talkative", "short")
    assert routine_seconds(edited, course) == pytest.approx(course.graph.total_seconds)


@pytest.fixture
def talkative_user(talkative, tmp_path):
    app, adapter = make_audio_app(talkative.routines, talkative.output, tmp_path / "p.sqlite3", Clock())
    without_checkin(adapter)
    yield Device(app.test_client())
    adapter.close()


def minutes_in(text: str) -> str:
    found = re.search(r"(about [\w-]+ minutes?|about a minute|less than a minute)", text, re.IGNORECASE)
    assert found, text
    return found.group(1).lower()


def test_voice_and_audio_announce_the_same_minutes(talkative, talkative_user):
    user = talkative_user
    track = sources(talkative).audio.track("talkative", "short")
    built = minutes_phrase(track.duration_ms / 1000)
    user.launch()
    assert minutes_in(user.say("WhereAmIIntent").text) == built  # "We haven't started yet. It takes ..."
    user.say("AMAZON.NextIntent")  # the introduction
    user.say("AMAZON.NextIntent")  # the exercise's setup
    voice_left = minutes_in(user.say("WhereAmIIntent").text)
    assert voice_left == minutes_phrase(track_seconds_left(track, track.chapters[1].start_ms))
    play = play_of(user.say("PlayAudioIntent"))  # from the same place
    assert play["offset"] == track.chapters[1].start_ms
    audio_left = minutes_in(user.say_while_playing("WhereAmIIntent", play["token"], play["offset"]).text)
    assert audio_left == voice_left
    newcomer = Device(user.client, user_id="amzn1.ask.account.NEWCOMER")
    newcomer.launch()
    assert minutes_in(newcomer.say("PlayAudioIntent").text) == built  # "Here's the audio version... It takes"


def test_opening_the_skill_says_the_built_length_too(talkative, talkative_user):
    track = sources(talkative).audio.track("talkative", "short")
    assert minutes_in(talkative_user.launch().text) == minutes_phrase(track.duration_ms / 1000)


# -- 4. "where am I" in the audio version -----------------------------------------------------------------


@pytest.fixture(scope="module")
def mini(built):
    """The session's build of tests/data/mini.yaml (tests/skill/conftest.py), only read here."""
    return built


@pytest.fixture
def listener(mini, tmp_path):
    app, adapter = make_audio_app(mini.routines, mini.output, tmp_path / "p.sqlite3", Clock())
    yield Device(app.test_client())
    adapter.close()


def test_where_am_i_while_listening_names_the_chapter_as_the_voice_guide_would(mini, listener):
    listener.launch()
    token = play_of(listener.say("PlayAudioIntent"))["token"]
    track = sources(SimpleNamespace(routines=mini.routines, output=mini.output)).audio.track("mini", "short")
    expected = {0: "The introduction", 1: "The start of exercise one, Lift", 3: "Lift, set two of two",
                5: "Side hold, set one of one", 6: "The end of the routine"}
    for index, where in expected.items():
        at = track.chapters[index].start_ms + 500
        left = minutes_phrase(track_seconds_left(track, at))
        reply = listener.say_while_playing("WhereAmIIntent", token, at)
        assert reply.text == f"{where}. {left[:1].upper()}{left[1:]} left."
        assert reply.ended and not reply.response.get("directives")  # the stream plays on
    listener.button("Pause", token, track.chapters[3].start_ms + 500)
    paused = listener.say("WhereAmIIntent")
    assert paused.text.startswith("We paused at Lift, set two of two. ") and "part" not in paused.text
    assert paused.text.endswith("left. Say resume to carry on listening.")
