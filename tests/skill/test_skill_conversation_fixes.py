"""Conversations that once went wrong for a new user trying the skill, now fixed.

Each test is a signed conversation through POST /alexa (tests/skill_harness.py), as in
test_skill_conversation.py: carrying on in the same session, breaks, "okay" and "I'm ready", the
introduction and safety notice for new and returning users, "it hurts" wherever it is said, and
which runs count as sessions.
"""
from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from skill.session_state import EARLIER_SESSION, UserState
from skill.speech import MAX_AUDIO_SECONDS, MAX_BREAK_SECONDS, audio_seconds, break_seconds

from tests.alexa_signing import SKILL_ID
from tests.checkin_harness import without_checkin
from tests.skill_harness import Clock, Conversation, make_app, stored_state

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "routines" / "back-pain.yaml"
SAFETY = "doctor or physiotherapist"
SAFETY_NOTICE = "This routine is not medical advice."


@pytest.fixture
def served(tmp_path):
    """The voice skill over a copy of the seed routine (no audio build, unlike tests/skill/conftest.py's)."""
    folder = tmp_path / "routines"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    app, adapter = make_app(folder, tmp_path / "progress.sqlite3", Clock(), logging.getLogger("test.skill"))
    yield app, adapter
    adapter.close()


@pytest.fixture
def user(served) -> Conversation:
    without_checkin(served[1])  # the guide itself: tests/skill/test_checkin.py covers the check-in
    return Conversation(served[0].test_client())


def other_user(served, n: int) -> Conversation:
    user_id = f"amzn1.ask.account.OTHER{n:04d}"
    without_checkin(served[1], user_id)
    return Conversation(served[0].test_client(), user_id=user_id)


def resolved(said: str, value_id: str, slot_type: str) -> dict:
    """A slot as Alexa sends it when the words matched one of the model's values or synonyms."""
    return {"value": said, "source": "USER", "resolutions": {"resolutionsPerAuthority": [{
        "authority": f"amzn1.er-authority.echo-sdk.{SKILL_ID}.{slot_type}", "status": {"code": "ER_SUCCESS_MATCH"},
        "values": [{"value": {"name": value_id, "id": value_id}}]}]}}


def into_set_one(user: Conversation):
    """A new user: open, start (intro), next (setup), next (set one). Returns set one's reply."""
    user.launch()
    user.say("StartRoutineIntent")
    user.say("AMAZON.NextIntent")
    reply = user.say("AMAZON.NextIntent")
    assert reply.text.startswith("Set one of three.")
    return reply


# -- 1. carrying on in the same session, and after pause or stop ----------------------------------------


def test_continue_in_the_session_goes_on_and_never_replays_the_set_just_done(user, served):
    into_set_one(user)
    # (Going on within a session, the rest between sets may open the next part: hence "in".)
    resumed = user.say("AMAZON.ResumeIntent")  # "continue", "keep going"
    assert resumed.text.startswith("Let's carry on.") and "Set two of three." in resumed.text
    assert "Set one of three." not in resumed.text
    again = user.say("AMAZON.ResumeIntent")
    assert again.text.startswith("Let's carry on.") and "Set three of three." in again.text
    # "start" after "when you're in position, say next to start set one" starts set one
    assert "Hip lift on all fours" in user.say("AMAZON.NextIntent").text  # exercise two's setup
    started = user.say("StartRoutineIntent")
    assert started.text.startswith("Set one of three.") and stored_state(served[1])["place"]["block"] == 6


@pytest.mark.parametrize("leave", ["AMAZON.PauseIntent", "AMAZON.StopIntent", "AMAZON.CancelIntent", "exit"])
def test_leaving_right_after_a_part_comes_back_to_the_next_part(user, served, leave):
    into_set_one(user)
    if leave == "exit":  # "Alexa, exit": the session ends with a SessionEndedRequest
        user.end_session("USER_INITIATED")
    else:
        goodbye = user.say(leave)
        assert goodbye.ended and "saved your place" in goodbye.text
    assert stored_state(served[1])["place"] == {"block": 2, "part": 0, "done": True, "finished": False}
    welcome = user.launch()
    assert "Last time you finished Lean straight and bend, set one of three" in welcome.text
    assert "carry on with Lean straight and bend, set two of three" in welcome.text
    assert user.say("AMAZON.YesIntent").text.startswith("Good. Let's carry on. Set two of three.")


def test_pausing_when_only_asked_whether_to_carry_on_skips_nothing(user):
    into_set_one(user)
    user.say("AMAZON.PauseIntent")
    user.launch()  # offers set two
    user.say("AMAZON.PauseIntent")  # nothing was given in this session
    assert "carry on with Lean straight and bend, set two of three" in user.launch().text
    assert user.say("AMAZON.ResumeIntent").text.startswith("Let's carry on. Set two of three.")


def test_pause_says_how_to_come_back_and_ends_the_session(user):
    into_set_one(user)
    paused = user.say("AMAZON.PauseIntent")
    assert paused.ended and "Alexa, open my back routine" in paused.text and "saved your place" in paused.text


# -- 2. a break -----------------------------------------------------------------------------------------


def _check_wait(reply):
    breaks = break_seconds(reply.ssml)
    assert breaks and max(breaks) <= MAX_BREAK_SECONDS
    assert 50 <= sum(breaks) <= 70  # about a minute of quiet
    assert audio_seconds(reply.ssml) < MAX_AUDIO_SECONDS
    assert not reply.ended and reply.reprompt


@pytest.mark.parametrize("then", ["AMAZON.NextIntent", "ReadyIntent", "AMAZON.ResumeIntent"])
def test_a_break_waits_quietly_keeps_the_place_and_then_goes_on(user, served, then):
    into_set_one(user)
    rest = user.say("BreakIntent")
    assert rest.text.startswith("Of course. Take a breather, I'll wait. [pause 60 s] Ready when you are.")
    assert rest.text.endswith("Say next to carry on.")
    _check_wait(rest)
    assert stored_state(served[1])["place"]["block"] == 2
    after = user.say(then).text
    # The break was their rest: set two starts straight away, without another thirty seconds.
    assert after.removeprefix("Let's carry on. ").startswith("Set two of three.") and "Rest for" not in after


def test_a_break_before_starting_waits_then_says_how_to_start(user):
    user.launch()
    rest = user.say("BreakIntent")
    assert rest.text.startswith("Of course, take your time. [pause 60 s] Say start when you're ready.")
    _check_wait(rest)
    assert user.say("ReadyIntent").text.startswith("Welcome. Let's move your back gently today.")


def test_walking_away_after_a_break_comes_back_to_the_next_part(user):
    into_set_one(user)
    user.say("BreakIntent")
    user.end_session("EXCEEDED_MAX_REPROMPTS")
    assert "carry on with Lean straight and bend, set two of three" in user.launch().text


# -- 3. "okay", "yes" and "I'm ready" ---------------------------------------------------------------------


def test_okay_after_in_position_moves_on_and_still_answers_questions(user):
    user.launch()
    assert user.say("AMAZON.YesIntent").text.startswith("Welcome.")  # answers "say start when you're ready"
    setup = user.say("AMAZON.NextIntent")
    assert setup.text.endswith("When you're in position, say next to start set one.")
    assert user.say("AMAZON.YesIntent").text.startswith("Set one of three.")  # "okay" (nothing was asked)
    user.say("AMAZON.PauseIntent")
    user.launch()
    assert user.say("AMAZON.YesIntent").text.startswith("Good. Let's carry on. Set two of three.")


def test_okay_before_anything_has_started_says_how_to_start(user):
    reply = user.say("AMAZON.YesIntent")  # "ask my back routine okay": no question, no run
    assert "Say start to begin" in reply.text and not reply.ended


@pytest.mark.parametrize("state", ["new", "start pending", "in a set", "resume pending", "finished"])
def test_ready_does_exactly_what_next_does(served, state):
    def prepare(u: Conversation):
        if state == "start pending":
            u.launch()
        elif state == "in a set":
            into_set_one(u)
        elif state == "resume pending":
            into_set_one(u)
            u.say("AMAZON.StopIntent")
            u.launch()
        elif state == "finished":
            u.launch()
            u.say("GoToExerciseIntent", number="3")
            while not u.say("AMAZON.NextIntent").ended:
                pass

    by_next, by_ready = other_user(served, 1), other_user(served, 2)
    prepare(by_next)
    prepare(by_ready)
    a, b = by_next.say("AMAZON.NextIntent"), by_ready.say("ReadyIntent")
    assert a.ssml == b.ssml and a.ended == b.ended and a.reprompt == b.reprompt


# -- 4. the introduction, and the safety notice once a session ---------------------------------------------


def test_a_new_user_hears_the_safety_notice_once(user):
    replies = [user.launch(), user.say("StartRoutineIntent"), user.say("AMAZON.NextIntent")]
    assert SAFETY_NOTICE in replies[0].text
    assert replies[1].text.startswith("Welcome. Let's move your back gently today.")
    assert sum(SAFETY_NOTICE in r.text for r in replies) == 1
    again = user.say("AMAZON.StartOverIntent")  # the same session: the full introduction, no second notice
    assert "Welcome. Let's move" in again.text and SAFETY_NOTICE not in again.text


def test_a_returning_user_gets_a_short_reminder_and_can_ask_for_the_introduction(user, served):
    into_set_one(user)
    user.say("AMAZON.StopIntent")
    user.launch()
    user.say("AMAZON.NoIntent")  # not carrying on...
    short = user.say("AMAZON.YesIntent")  # ...but starting from the beginning
    assert short.text.startswith("Let's begin. Remember: move slowly, within a range that feels safe")
    assert "hear the introduction" in short.text and "When you're ready for the first exercise, say next." in short.text
    assert "Welcome. Let's move" not in short.text and SAFETY_NOTICE not in short.text
    full = user.say("IntroIntent")
    assert full.text.startswith("Welcome. Let's move your back gently today.") and SAFETY_NOTICE in full.text
    assert full.text.endswith("When you're ready for the first exercise, say next.")
    assert user.say("AMAZON.NextIntent").text.startswith("Exercise one of three")


def test_a_returning_user_can_skip_the_introduction(user):
    into_set_one(user)
    user.say("AMAZON.StopIntent")
    user.launch()
    user.say("AMAZON.NoIntent")
    user.say("AMAZON.YesIntent")  # the short reminder
    skipped = user.say("SkipExerciseIntent")  # "skip the intro"
    assert skipped.text.startswith("Okay, straight to the first exercise. Exercise one of three")


def test_skip_the_intro_before_starting_goes_to_exercise_one(user):
    user.launch()
    skipped = user.say("SkipExerciseIntent")
    assert skipped.text.startswith("Okay, straight to the first exercise. Exercise one of three")


def test_the_introduction_mid_routine_is_an_aside_that_keeps_the_place(user, served):
    into_set_one(user)
    before = stored_state(served[1])["place"]
    intro = user.say("IntroIntent")  # "tell me the safety advice again"
    assert "Welcome. Let's move your back gently today." in intro.text and SAFETY_NOTICE in intro.text
    assert "We were at Lean straight and bend, set one of three. Say next to carry on from there." in intro.text
    assert not intro.ended and intro.reprompt
    assert stored_state(served[1])["place"] == before
    assert "Set two of three." in user.say("AMAZON.NextIntent").text


def test_the_introduction_before_starting_starts_with_it(user):
    user.launch()
    intro = user.say("IntroIntent")
    assert intro.text.startswith("Welcome. Let's move") and SAFETY_NOTICE in intro.text  # asked for: said again
    assert user.say("AMAZON.NextIntent").text.startswith("Exercise one of three")


def test_state_saved_before_these_fields_existed_counts_as_returning():
    old = {"v": 1, "routine": "back-pain", "place": {"block": 3, "part": 0}, "run_started": "2024-05-06T11:00:00+00:00"}
    state = UserState.from_attributes(old)
    assert state.intro_heard_in == EARLIER_SESSION and state.is_returning("any session")
    assert state.run_exercised  # a run under way counts, as it did before
    fresh = UserState.from_attributes({"v": 1, "routine": "back-pain"})
    assert not fresh.is_returning("s") and not fresh.run_exercised
    assert UserState.from_attributes(state.to_attributes()) == state


# -- 5. "it hurts", wherever it is said --------------------------------------------------------------------


def test_it_hurts_before_starting_advises_and_offers_to_start_gently(user, served):
    user.launch()
    hurt = user.say("HurtsIntent")
    assert SAFETY in hurt.text and "stop this exercise" not in hurt.text
    assert "start gently" in hurt.text and not hurt.ended
    assert stored_state(served[1])["events"][-1]["where"] == "not started"
    started = user.say("AMAZON.YesIntent")
    assert started.text.startswith("Okay. Go gently, and only as far as feels comfortable. Welcome.")


def test_it_hurts_before_starting_and_no_rests_today(user):
    user.launch()
    user.say("HurtsIntent")
    no = user.say("AMAZON.NoIntent")
    assert no.ended and "Rest today" in no.text


def test_it_hurts_in_the_introduction(user):
    user.launch()
    user.say("StartRoutineIntent")
    hurt = user.say("HurtsIntent")
    assert "haven't started the exercises" in hurt.text and SAFETY in hurt.text
    assert "stop this exercise" not in hurt.text and "stop for today" in hurt.text and not hurt.ended
    assert "carry on gently" in user.say("AMAZON.NoIntent").text


def test_it_hurts_in_the_setup(user):
    user.launch()
    user.say("StartRoutineIntent")
    user.say("AMAZON.NextIntent")
    hurt = user.say("HurtsIntent")
    assert "Let's not do this exercise for now" in hurt.text and "If you're already in position" in hurt.text
    assert SAFETY in hurt.text and "skip this exercise" in hurt.text
    assert "Exercise two of three" in user.say("AMAZON.YesIntent").text


def test_it_hurts_in_the_rest_after_a_set(user):
    into_set_one(user)
    hurt = user.say("HurtsIntent")
    assert "stop this exercise here" in hurt.text and "If you're still in position" in hurt.text
    assert SAFETY in hurt.text and "skip this exercise" in hurt.text and not hurt.ended


def test_it_hurts_when_only_asked_whether_to_carry_on(user):
    into_set_one(user)
    user.say("AMAZON.StopIntent")
    user.launch()
    hurt = user.say("HurtsIntent")
    assert "stop this exercise" not in hurt.text and SAFETY in hurt.text and "carry on gently" in hurt.text
    assert user.say("AMAZON.YesIntent").text.startswith("Okay. Go gently, and only as far as feels comfortable. Set two")


@pytest.mark.parametrize("feeling", ["sharp", "tingling", "numb", "spreading", "burning"])
def test_red_flag_feelings_stop_for_today_and_send_to_a_doctor(user, served, feeling):
    into_set_one(user)
    hurt = user.say("HurtsIntent", feeling=resolved(f"a bit {feeling}", feeling, "PAIN_FEELING"))
    assert hurt.ended and "please stop now" in hurt.text and "don't carry on with the exercises today" in hurt.text
    assert f"{SAFETY} soon" in hurt.text and "skip this exercise" not in hurt.text
    event = stored_state(served[1])["events"][-1]
    assert event["feeling"] == feeling and event["feeling_said"] == f"a bit {feeling}" and "body_part" not in event


def test_pain_spreading_down_the_leg_is_named_and_recorded(user, served):
    into_set_one(user)
    hurt = user.say("HurtsIntent", body_part=resolved("thigh", "leg", "BODY_PART"),
                    feeling=resolved("shooting", "spreading", "PAIN_FEELING"))
    assert "With pain that spreads down your leg, please stop now" in hurt.text and hurt.ended
    event = stored_state(served[1])["events"][-1]
    assert (event["body_part"], event["body_part_said"], event["feeling"], event["feeling_said"]) == \
        ("leg", "thigh", "spreading", "shooting")
    assert event["where"] == "Lean straight and bend, set 1 of 3"


def test_red_flags_in_words_alexa_did_not_resolve_still_count(user, served):
    user.launch()
    hurt = user.say("HurtsIntent", body_part="leg", feeling="pins and needles")  # no resolutions
    assert hurt.ended and "With tingling in your leg, please don't do the exercises today" in hurt.text
    assert SAFETY in hurt.text
    event = stored_state(served[1])["events"][-1]
    assert event["feeling"] == "tingling" and event["feeling_said"] == "pins and needles"


def test_chest_pain_is_urgent(user):
    into_set_one(user)
    hurt = user.say("HurtsIntent", body_part=resolved("chest", "chest", "BODY_PART"))
    assert hurt.ended and "seek medical help urgently" in hurt.text and SAFETY in hurt.text


def test_ordinary_soreness_keeps_the_offer_to_skip(user, served):
    into_set_one(user)
    hurt = user.say("HurtsIntent", body_part=resolved("neck", "neck", "BODY_PART"),
                    feeling=resolved("aching", "sore", "PAIN_FEELING"))
    assert hurt.text.startswith("I'm sorry your neck hurts.") and SAFETY in hurt.text
    assert "skip this exercise" in hurt.text and not hurt.ended
    event = stored_state(served[1])["events"][-1]
    assert (event["body_part"], event["feeling"], event["feeling_said"]) == ("neck", "sore", "aching")


# -- 6. which runs count as sessions ------------------------------------------------------------------------


def test_skipping_every_exercise_is_not_a_session(user, served):
    user.launch()
    user.say("StartRoutineIntent")
    reply = None
    for _ in range(4):
        reply = user.say("SkipExerciseIntent")
    assert reply.ended and "won't count this one as a session" in reply.text and "session this week" not in reply.text
    assert stored_state(served[1])["history"] == []
    assert "this week" not in user.launch().text
    user.say("AMAZON.StartOverIntent")
    user.say("SkipExerciseIntent")
    user.say("AMAZON.NextIntent")  # one set of exercise one
    for _ in range(3):
        reply = user.say("SkipExerciseIntent")
    assert reply.ended and "That's your first session this week." in reply.text
    assert len(stored_state(served[1])["history"]) == 1


# -- pain in free words (SensationIntent: "my {words}", "ouch {words}") --------------------------------------


def test_pain_in_free_words_gets_the_same_advice_and_is_recorded_as_said(user, served):
    into_set_one(user)
    hurt = user.say("SensationIntent", words="calf is cramping up")
    assert hurt.text.startswith("I'm sorry your leg hurts.") and SAFETY in hurt.text
    assert "skip this exercise" in hurt.text and not hurt.ended
    event = stored_state(served[1])["events"][-1]
    assert (event["body_part"], event["feeling"], event["said"]) == ("leg", "cramp", "calf is cramping up")


def test_a_red_flag_in_free_words_stops_for_today(user):
    into_set_one(user)
    hurt = user.say("SensationIntent", words="foot has gone numb")
    assert hurt.ended and "With numbness in your foot, please stop now" in hurt.text and SAFETY in hurt.text


@pytest.mark.parametrize("words", ["dizzy", "a bit light headed", "heart is racing"])
def test_feeling_unwell_stops_now(user, words):
    into_set_one(user)
    reply = user.say("SensationIntent", words=words)
    assert reply.ended and "sit or lie down" in reply.text and "medical help urgently" in reply.text
    assert SAFETY in reply.text


def test_free_words_without_pain_are_not_understood_rather_than_made_into_pain(user, served):
    into_set_one(user)
    reply = user.say("SensationIntent", words="dog is barking")
    assert "didn't catch that" in reply.text and not reply.ended
    assert stored_state(served[1])["events"] == []
