"""Whole conversations through POST /alexa with signed requests and verification on."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest

from routine_graph import expand, load_routine
from skill.routines import RoutineLibrary

from tests.alexa_signing import encode, make_envelope, pki
from tests.checkin_harness import without_checkin
from tests.skill_harness import NOW, Clock, Conversation, make_app, stored_state

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "routines" / "back-pain.yaml"



@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def served(routines, tmp_path, clock):
    """The voice skill over the seed routine, on the test's own `clock` (no audio build, unlike the conftest's)."""
    app, adapter = make_app(routines, tmp_path / "progress.sqlite3", clock, logging.getLogger("test.skill"))
    yield app, adapter
    adapter.close()


@pytest.fixture
def user(served) -> Conversation:
    without_checkin(served[1])  # the guide itself: tests/skill/test_checkin.py covers the check-in
    return Conversation(served[0].test_client())


def total_parts(routines: Path, level=None, pace=None) -> int:
    course = RoutineLibrary(routines).course("back-pain", level, pace)
    return sum(len(course.chunks(b)) for b in range(len(course.graph.blocks)))


# -- the main paths -----------------------------------------------------------------------------------


def test_new_user_hears_what_how_long_safety_and_how_to_start(user, routines):
    reply = user.launch()
    graph = expand(load_routine(SEED))
    minutes = round(graph.total_seconds / 60)
    assert "Three exercises for back pain" in reply.text
    assert "lean straight and bend, hip lift on all fours, and good morning" in reply.text
    assert f"about {('thirty' if minutes == 30 else '')}" in reply.text and "minutes" in reply.text
    assert "not medical advice" in reply.text
    assert "say start" in reply.text
    assert not reply.ended and reply.reprompt


def test_saying_next_until_the_end_completes_the_seed_routine(user, routines, served):
    user.launch()
    first = user.say("AMAZON.NextIntent")
    assert first.text.startswith("Welcome. Let's move your back gently today.")
    replies = [first]
    while not replies[-1].ended:
        replies.append(user.say("AMAZON.NextIntent"))
        assert len(replies) < 200
    assert len(replies) == total_parts(routines)
    texts = [r.text for r in replies]
    for exercise in ("Lean straight and bend", "Hip lift on all fours", "Good morning"):
        assert sum(f"of three: {exercise}." in t for t in texts) == 1
        for n in ("one", "two", "three"):
            # sets two and three open with the rest before them (see test_skill_voice_flow.py)
            assert any(f"Set {n} of three." in t for t in texts), (exercise, n)
    assert "Rest for thirty seconds" in " ".join(texts) and "three [pause" in " ".join(texts)
    assert texts[2].startswith("Set one of three.")
    assert texts[2].endswith("say next, and we'll rest for thirty seconds before set two.")
    assert texts[3].startswith("Well done. Rest for thirty seconds.")
    assert "That's your first session this week." in texts[-1]
    # each chunk but the last says how to go on, and reprompts
    assert all("say next" in r.text.lower() and r.reprompt for r in replies[:-1])
    state = stored_state(served[1])
    assert state["place"]["finished"] is True and len(state["history"]) == 1
    assert state["history"][0]["routine"] == "back-pain"
    # next at the very end: a helpful answer, nothing replayed
    after = user.say("AMAZON.NextIntent")
    assert "You've finished the routine" in after.text and not after.ended


def test_pause_end_session_come_back_and_resume_after_the_part_heard(user, served):
    user.launch()
    for _ in range(4):  # intro, setup, set 1 ...
        last = user.say("AMAZON.NextIntent")
    assert "Set two of three." in last.text
    paused = user.say("AMAZON.PauseIntent")
    assert paused.ended and "Lean straight and bend, set two of three" in paused.text
    user.end_session()
    place = stored_state(served[1])["place"]
    assert place["block"] == 3 and place["done"] is True  # set two was given in the session that paused

    welcome = user.launch()  # a new session, days later as far as the skill knows
    assert "Welcome back" in welcome.text
    assert "Last time you finished Lean straight and bend, set two of three" in welcome.text
    assert "carry on with Lean straight and bend, set three of three" in welcome.text
    resumed = user.say("AMAZON.YesIntent")
    assert resumed.text.startswith("Good. Let's carry on. Set three of three.")
    assert "Exercise two of three" in user.say("AMAZON.NextIntent").text


def test_resume_intent_in_a_new_session_and_no_offers_start_over(user):
    user.launch()
    user.say("AMAZON.NextIntent")
    setup = user.say("AMAZON.NextIntent")
    user.say("AMAZON.StopIntent")
    assert "Let's carry on" in user.say("AMAZON.ResumeIntent").text
    user.say("AMAZON.StopIntent")
    user.launch()
    no = user.say("AMAZON.NoIntent")
    assert "start the routine from the beginning" in no.text
    again = user.say("AMAZON.YesIntent")
    # They heard the introduction in an earlier session: the one-line reminder stands in for it.
    assert again.text.startswith("Let's begin.") and "hear the introduction" in again.text
    assert "Exercise one of three" in setup.text


def test_session_timing_out_after_the_reprompt_resumes_with_the_next_chunk(user):
    user.launch()
    user.say("AMAZON.NextIntent")
    user.say("AMAZON.NextIntent")  # the setup of exercise one
    user.end_session("EXCEEDED_MAX_REPROMPTS")  # they heard it all, then walked away
    welcome = user.launch()
    assert "Last time you finished the start of exercise one" in welcome.text
    assert "carry on with Lean straight and bend, set one of three" in welcome.text
    assert user.say("AMAZON.YesIntent").text.startswith("Good. Let's carry on. Set one of three.")


def test_history_is_used_in_speech(user, clock):
    def run_through():
        user.launch()
        user.say("AMAZON.StartOverIntent")
        user.say("SkipExerciseIntent")  # to exercise one
        user.say("AMAZON.NextIntent")  # one set: skipping every exercise would not count as a session
        reply = None
        for _ in range(3):
            reply = user.say("SkipExerciseIntent")
        assert reply.ended
        return reply

    assert "your first session this week" in run_through().text
    clock.advance(hours=8)
    assert "your second session this week" in run_through().text
    assert "You've done two sessions this week" in user.launch().text
    clock.advance(days=8)
    assert "your first session this week" in run_through().text


# -- the other intents --------------------------------------------------------------------------------


def test_navigation_intents(user):
    user.launch()
    assert "We haven't started yet" in user.say("AMAZON.PreviousIntent").text
    intro = user.say("AMAZON.NextIntent")
    at_start = user.say("AMAZON.PreviousIntent")
    assert "very beginning" in at_start.text and not at_start.ended
    assert user.say("AMAZON.RepeatIntent").ssml.replace("Once more. ", "") == intro.ssml
    skipped = user.say("SkipExerciseIntent")
    assert "straight to the first exercise" in skipped.text and "Exercise one of three" in skipped.text
    skipped = user.say("SkipExerciseIntent")
    assert "skip Lean straight and bend" in skipped.text and "Exercise two of three" in skipped.text
    back = user.say("AMAZON.PreviousIntent")
    assert back.text.startswith("Going back. Set three of three.")
    by_number = user.say("GoToExerciseIntent", number="3")
    assert "Exercise three of three: Good morning" in by_number.text
    by_name = user.say("GoToExerciseIntent", exercise="hip lifts")
    assert "Exercise two of three: Hip lift on all fours" in by_name.text
    over = user.say("AMAZON.StartOverIntent")
    assert over.text.startswith("Okay, from the beginning. Welcome.")


def test_where_am_i_and_how_to(user):
    user.launch()
    assert "We haven't started yet" in user.say("WhereAmIIntent").text
    user.say("GoToExerciseIntent", number="2")
    user.say("AMAZON.NextIntent")
    where = user.say("WhereAmIIntent")
    assert "exercise two of three, Hip lift on all fours, set one of three" in where.text
    assert "minutes left" in where.text
    how = user.say("HowToIntent")
    assert "Here's how to do Hip lift on all fours" in how.text and "hands and knees" in how.text
    other = user.say("HowToIntent", exercise="good mornings")
    assert "Here's how to do Good morning" in other.text
    unknown = user.say("HowToIntent", exercise="cartwheel")
    assert "couldn't find an exercise called cartwheel" in unknown.text


def test_pace_and_level_are_remembered_across_sessions(user, served):
    user.launch()
    assert "slow down" in user.say("SlowerIntent").text
    assert stored_state(served[1])["pace"] == 1.25
    for _ in range(5):
        last = user.say("SlowerIntent")
    assert "already the slowest" in last.text and stored_state(served[1])["pace"] == 2.0
    assert "gentle level: five reps" in user.say("EasierIntent").text
    assert "already at the gentlest" in user.say("EasierIntent").text
    user.say("AMAZON.StopIntent")
    user.launch()
    user.say("GoToExerciseIntent", number="1")
    set_one = user.say("AMAZON.NextIntent")
    assert "Rep four." in set_one.text and "Last one." in set_one.text and "Rep five" not in set_one.text
    assert "[pause 6 s] Hold. [pause 4 s]" in set_one.text  # moves and holds at pace 2
    assert "full level: seven reps" in (user.say("HarderIntent"), user.say("HarderIntent"))[1].text
    assert "already at the hardest" in user.say("HarderIntent").text
    for _ in range(7):
        last = user.say("FasterIntent")
    assert "already the quickest" in last.text and stored_state(served[1])["pace"] == 0.5


def test_it_hurts_stops_advises_offers_skip_and_is_recorded(user, served):
    user.launch()
    user.say("GoToExerciseIntent", number="1")
    user.say("AMAZON.NextIntent")
    hurt = user.say("HurtsIntent")
    assert "stop this exercise" in hurt.text and "doctor or physiotherapist" in hurt.text
    assert "skip this exercise" in hurt.text and not hurt.ended
    events = stored_state(served[1])["events"]
    assert events[-1]["kind"] == "hurt" and events[-1]["where"] == "Lean straight and bend, set 1 of 3"
    skipped = user.say("AMAZON.YesIntent")
    assert "leave that one for today" in skipped.text and "Exercise two of three" in skipped.text
    user.say("HurtsIntent")
    ended = user.say("AMAZON.NoIntent")
    assert ended.ended and "stop here for today" in ended.text
    assert len(stored_state(served[1])["events"]) == 2


def test_help_stop_cancel_home_fallback(user):
    assert "Say start" in user.say("AMAZON.HelpIntent").text
    user.launch()
    user.say("AMAZON.NextIntent")
    assert "slower or faster" in user.say("AMAZON.HelpIntent").text
    assert "didn't catch that" in user.say("AMAZON.FallbackIntent").text
    for intent in ("AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent"):
        user.launch()
        user.say("AMAZON.YesIntent")
        reply = user.say(intent)
        assert reply.ended and "saved your place" in reply.text


def test_session_ended_and_exception_encountered_get_empty_answers(user, served):
    assert user.end_session("ERROR").response == {}
    reply = user._post("System.ExceptionEncountered", request_type="System.ExceptionEncountered",
                       request_fields={"error": {"type": "INVALID_RESPONSE", "message": "bad"},
                                       "cause": {"requestId": "amzn1.echo-api.request.x"}})
    assert reply.response == {} or "outputSpeech" not in reply.response


# -- edge cases ---------------------------------------------------------------------------------------


def test_unknown_intent_and_empty_or_unmatched_slots(user):
    user.launch()
    assert "can't do that here" in user.say("OrderPizzaIntent").text
    empty = user.say("GoToExerciseIntent")
    assert "This routine has three exercises" in empty.text and not empty.ended
    assert "There's no exercise nine" in user.say("GoToExerciseIntent", number="9").text
    assert "This routine has three exercises" in user.say("GoToExerciseIntent", number="?").text
    assert "couldn't find an exercise called banana" in user.say("GoToExerciseIntent", exercise="banana").text
    odd = user.say("StartRoutineIntent", routine="yoga for cats")
    assert "don't know a routine called yoga for cats" in odd.text and "Three exercises for back pain" in odd.text
    named = user.say("StartRoutineIntent", routine="back pain")
    assert named.text.startswith("Welcome. Let's move your back gently today.")
    assert user.say("AMAZON.YesIntent").text.startswith("Exercise one of three")  # a yes that answers nothing: go on


def test_a_routine_deleted_while_the_user_is_in_it(user, routines, served):
    second = routines / "morning-stretch.yaml"
    second.write_text(SEED.read_text().replace("title: Three exercises for back pain", "title: Morning stretch"))
    user.launch()
    started = user.say("StartRoutineIntent", routine="morning stretch")
    assert "Let's begin Morning stretch" in started.text
    user.say("AMAZON.NextIntent")
    second.unlink()
    reply = user.say("AMAZON.NextIntent")
    assert "The routine you were doing, Morning stretch, isn't available any more" in reply.text
    assert "set you up with Three exercises for back pain" in reply.text and not reply.ended
    assert stored_state(served[1])["routine"] == "back-pain"
    assert user.say("AMAZON.NextIntent").text.startswith("Welcome. Let's move")


def test_a_launch_after_the_routine_file_was_removed_and_none_left(user, routines):
    user.launch()
    user.say("AMAZON.NextIntent")
    (routines / SEED.name).unlink()
    reply = user.launch()
    assert "isn't available any more" in reply.text and "can't find any routines" in reply.text and reply.ended


def test_a_routine_edited_under_the_user_keeps_a_valid_place(user, routines):
    user.launch()
    for _ in range(12):
        user.say("AMAZON.NextIntent")
    path = routines / SEED.name
    text = path.read_text()
    start = text.index("  - id: hip-lift")
    path.write_text(text[:start] + text[text.index("  - id: good-morning"):])  # drop an exercise
    reply = user.say("AMAZON.RepeatIntent")
    assert reply.status == 200 and reply.text.startswith("Once more.")


def test_an_unexpected_error_apologises_and_keeps_the_place(user, served, monkeypatch):
    from skill.handlers.routine import NextHandler

    user.launch()
    user.say("AMAZON.NextIntent")
    before = stored_state(served[1])
    monkeypatch.setattr(NextHandler, "respond", lambda self, turn: 1 / 0)
    reply = user.say("AMAZON.NextIntent")
    assert "something went wrong on my side" in reply.text and not reply.ended
    assert stored_state(served[1]) == before
    monkeypatch.undo()
    assert user.say("AMAZON.NextIntent").text.startswith("Exercise one of three")


def test_bad_signatures_are_refused_before_the_skill(served):
    client = served[0].test_client()
    body = encode(make_envelope(timestamp=NOW))
    headers = {"Content-Type": "application/json", **pki().good.sign(body + b" ")}
    assert client.post("/alexa", data=body, headers=headers).status_code == 400


def test_a_timeout_on_the_resume_question_does_not_skip_anything(user):
    user.launch()
    for _ in range(3):
        set_one = user.say("AMAZON.NextIntent")
    assert set_one.text.startswith("Set one of three.")
    user.say("AMAZON.PauseIntent")  # after set one: coming back offers set two
    user.launch()  # "shall we carry on?" ... and the user walks away
    user.end_session("EXCEEDED_MAX_REPROMPTS")
    assert "carry on with Lean straight and bend, set two of three" in user.launch().text
    resumed = user.say("AMAZON.NextIntent")  # "next" to the offer means carry on, not skip ahead
    assert resumed.text.startswith("Let's carry on. Set two of three.")
