"""The pain check-in through the whole skill (signed requests to the Flask endpoint, SQLite store):
"how is your back, from zero to ten?" at the start and the finish of a run, skipping it, turning it
off (remembered), the safety advice at 8 or a rise of 3, "how am I doing", the card and the progress
screen. What people say is matched to intents by the project's exact-match rule, as a device would.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from skill import pain_checkin
from skill.interaction_model import interaction_model
from skill.model_lint import lint_model
from skill.routines import RoutineLibrary
from skill.screen import PROGRESS_TOKEN, load_progress_document
from skill.session_state import MAX_CHECKINS, MAX_HISTORY, CheckIn, Completed, UserState
from skill.utterance_matcher import UtteranceMatcher

from tests.audio_harness import ECHO, ECHO_SHOW, Device, directives
from tests.skill_harness import Clock, Conversation, make_app, stored_state

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "data" / "mini.yaml"
RENDER = "Alexa.Presentation.APL.RenderDocument"
SAFETY = "doctor or physiotherapist"
ASK_START = "how is your back today, from zero to ten"
ASK_FINISH = "How is your back now, from zero to ten?"


@pytest.fixture
def mini_routines(tmp_path) -> Path:
    """The two-exercise mini routine (two levels): quick to walk to its finish."""
    folder = tmp_path / "mini-routines"
    folder.mkdir()
    shutil.copy(MINI, folder / "mini.yaml")
    return folder


@pytest.fixture
def app(mini_routines, tmp_path):
    clock = Clock()
    app, adapter = make_app(mini_routines, tmp_path / "progress.sqlite3", clock)
    yield app, adapter, clock
    adapter.close()


@pytest.fixture(scope="module")
def matcher() -> UtteranceMatcher:
    """The exact-match rule over the model made from the seed routine (the check-in's intents do
    not depend on which routines there are)."""
    return UtteranceMatcher(interaction_model(RoutineLibrary(ROOT / "routines")))


def say(user: Conversation, matcher: UtteranceMatcher, words: str):
    """What a person says, heard as a device would hear it (it must be understood)."""
    heard = matcher.match(words)
    assert heard.understood and heard.intent != "AMAZON.FallbackIntent", f"{words!r} was not understood"
    return user.say(heard.intent, **heard.slots)


def to_finish(user: Conversation):
    """'Next' until the reply that gives the outro (the check-in question, or the goodbye)."""
    for _ in range(40):
        reply = user.say("AMAZON.NextIntent")
        if reply.ended or ASK_FINISH in reply.text:
            return reply
    pytest.fail("the routine did not finish within 40 nexts")


def start_rated(user: Conversation, matcher: UtteranceMatcher, words: str):
    user.launch()
    asked = user.say("StartRoutineIntent")
    assert ASK_START in asked.text.lower() and not asked.ended
    return say(user, matcher, words)


# -- the start -----------------------------------------------------------------------------------


def test_start_asks_and_about_a_six_is_kept_with_the_run_then_the_introduction(app, matcher):
    client, adapter, _ = app
    user = Conversation(client.test_client())
    user.launch()
    asked = user.say("StartRoutineIntent")
    assert asked.text == pain_checkin.ASK_START and asked.reprompt == pain_checkin.REPROMPT_START
    assert stored_state(adapter)["place"] is None  # nothing is given before the answer
    reply = say(user, matcher, "about a six")
    assert reply.text.startswith("Thank you. I've noted a six.") and "Welcome." in reply.text
    state = UserState.from_attributes(stored_state(adapter))
    assert [(c.moment, c.rating, c.routine) for c in state.checkins] == [("start", 6, "mini")]
    assert state.checkins[0].run == state.run_started and state.place.block == 0


@pytest.mark.parametrize("words, rating", [("six", 6), ("it's a four", 4), ("six out of ten", 6),
                                           ("maybe a three", 3), ("zero", 0), ("no pain at all", 0), ("ten", 10),
                                           ("i'd say a two", 2)])
def test_everyday_ratings_are_heard_as_numbers(app, matcher, words, rating):
    client, adapter, _ = app
    user = Conversation(client.test_client())
    start_rated(user, matcher, words)
    assert [c["rating"] for c in stored_state(adapter)["checkins"]] == [rating]


@pytest.mark.parametrize("words", ["skip", "no", "not now", "next", "skip the question", "i'd rather not say"])
def test_skipping_goes_straight_on_and_stores_nothing(app, matcher, words):
    client, adapter, _ = app
    user = Conversation(client.test_client())
    reply = start_rated(user, matcher, words)
    assert "Welcome." in reply.text and not reply.ended
    assert stored_state(adapter)["checkins"] == []
    assert stored_state(adapter)["checkin_on"] is True  # skipped once, not turned off


def test_a_number_out_of_range_is_asked_once_more_then_we_go_on_without_it(app, matcher):
    client, adapter, _ = app
    user = Conversation(client.test_client())
    again = start_rated(user, matcher, "eleven")
    assert again.text == pain_checkin.ASK_AGAIN and not again.ended
    went_on = user.say("AMAZON.FallbackIntent")  # not heard either
    assert went_on.text.startswith(pain_checkin.GO_ON_WITHOUT) and "Welcome." in went_on.text
    assert stored_state(adapter)["checkins"] == []


def test_asked_again_a_good_answer_is_kept(app, matcher):
    client, adapter, _ = app
    user = Conversation(client.test_client())
    start_rated(user, matcher, "yes")  # a yes is no number
    reply = say(user, matcher, "a five")
    assert "noted a five" in reply.text and [c["rating"] for c in stored_state(adapter)["checkins"]] == [5]


def test_resuming_a_run_does_not_ask(app, matcher):
    client, _, _ = app
    user = Conversation(client.test_client())
    start_rated(user, matcher, "three")
    user.say("AMAZON.NextIntent")
    user.say("AMAZON.StopIntent")
    offer = user.launch()
    assert "Shall we carry on" in offer.text
    assert ASK_START not in user.say("AMAZON.YesIntent").text.lower()
    assert ASK_START not in user.say("StartRoutineIntent").text.lower()


def test_start_over_in_a_new_session_asks_but_not_twice_in_one_session(app, matcher):
    client, adapter, _ = app
    user = Conversation(client.test_client())
    start_rated(user, matcher, "three")
    again = user.say("AMAZON.StartOverIntent")  # the same session: they have just answered
    assert "from the beginning" in again.text and ASK_START not in again.text.lower()
    user.say("AMAZON.StopIntent")
    asked = user.say("AMAZON.StartOverIntent")  # "Alexa, ask my back routine to start over"
    assert asked.text.startswith("Okay, from the beginning.") and ASK_START in asked.text.lower()
    say(user, matcher, "four")
    assert [c["rating"] for c in stored_state(adapter)["checkins"]] == [3, 4]


def test_go_to_an_exercise_before_starting_asks_then_goes_there(app, matcher):
    client, _, _ = app
    user = Conversation(client.test_client())
    user.launch()
    asked = user.say("GoToExerciseIntent", number="2")
    assert asked.text.startswith("Okay, exercise two.") and ASK_START in asked.text.lower()
    reply = say(user, matcher, "a two")
    assert "Side hold" in reply.text or "side" in reply.text.lower()


def test_a_number_when_nothing_was_asked_gets_a_helpful_answer(app, matcher):
    client, _, _ = app
    user = Conversation(client.test_client())
    start_rated(user, matcher, "three")
    reply = say(user, matcher, "two")
    assert "say go to exercise two" in reply.text and "at the start and the end" in reply.text
    assert not reply.ended and "next" in reply.reprompt.lower()


# -- turning it off and on ---------------------------------------------------------------------------


def test_turn_off_the_check_in_is_remembered_across_sessions(app, matcher):
    client, adapter, _ = app
    user = Conversation(client.test_client())
    reply = start_rated(user, matcher, "turn off the check-in")
    assert reply.text.startswith(pain_checkin.TURNED_OFF) and "Welcome." in reply.text
    assert "turn on the check-in" in pain_checkin.TURNED_OFF
    assert stored_state(adapter)["checkin_on"] is False
    user.say("AMAZON.StopIntent")
    user.launch()
    started = user.say("AMAZON.StartOverIntent")
    assert ASK_START not in started.text.lower() and "Let's begin." in started.text  # the short introduction
    # ... and the finish is as it was before the check-in: the outro ends the session.
    finish = to_finish(user)
    assert finish.ended and ASK_FINISH not in finish.text and "session this week" in finish.text
    on = say(user, matcher, "turn on the check-in")
    assert on.text.startswith(pain_checkin.TURNED_ON) and stored_state(adapter)["checkin_on"] is True
    user.say("AMAZON.StopIntent")
    assert ASK_START in user.say("AMAZON.StartOverIntent").text.lower()


def test_stop_asking_me_about_pain_at_any_time(app, matcher):
    client, adapter, _ = app
    user = Conversation(client.test_client())
    user.launch()
    reply = say(user, matcher, "stop asking me about pain")
    assert reply.text.startswith(pain_checkin.TURNED_OFF) and "Say start" in reply.text
    assert stored_state(adapter)["checkin_on"] is False
    assert say(user, matcher, "stop asking me about pain").text.startswith(pain_checkin.ALREADY_OFF)


# -- the finish ----------------------------------------------------------------------------------------


def test_the_finish_asks_then_records_says_the_outcome_and_ends_with_a_card(app, matcher):
    client, adapter, _ = app
    user = Conversation(client.test_client())
    start_rated(user, matcher, "five")
    outro = to_finish(user)
    assert outro.text.endswith(ASK_FINISH) and "Done." in outro.text and not outro.ended
    assert outro.reprompt == pain_checkin.REPROMPT_FINISH
    assert not outro.response.get("card")  # the card comes with the goodbye, once the rating is in
    state = UserState.from_attributes(stored_state(adapter))
    assert len(state.history) == 1 and state.history[0].started_at == state.checkins[0].run
    bye = say(user, matcher, "about a three")
    assert bye.ended
    assert bye.text == ("Thank you. I've noted a three. That's better than when you started. "
                        "That's your first session this week. Take care, and see you next time.")
    card = bye.response["card"]
    assert card["type"] == "Simple" and card["title"] == "Your back routine"
    assert "Sessions this week: 1" in card["content"]
    state = UserState.from_attributes(stored_state(adapter))
    assert [(c.moment, c.rating) for c in state.checkins] == [("start", 5), ("finish", 3)]
    assert state.checkins[1].run == state.checkins[0].run == state.history[0].started_at


def test_skipping_the_finish_question_still_counts_the_session(app, matcher):
    client, adapter, _ = app
    user = Conversation(client.test_client())
    start_rated(user, matcher, "skip")
    to_finish(user)
    bye = say(user, matcher, "not now")
    assert bye.ended and bye.text == "Okay. That's your first session this week. Take care, and see you next time."
    assert stored_state(adapter)["checkins"] == [] and len(stored_state(adapter)["history"]) == 1


def test_the_finish_is_asked_once_more_then_says_goodbye(app, matcher):
    client, adapter, _ = app
    user = Conversation(client.test_client())
    start_rated(user, matcher, "skip")
    to_finish(user)
    assert user.say("RatingIntent", rating="42").text == pain_checkin.ASK_AGAIN
    bye = user.say("AMAZON.FallbackIntent")
    assert bye.ended and bye.text.startswith("No matter. That's your first session this week.")


def test_a_run_with_every_exercise_skipped_is_not_asked_at_the_finish(app, matcher):
    client, _, _ = app
    user = Conversation(client.test_client())
    start_rated(user, matcher, "two")
    user.say("AMAZON.NextIntent")  # exercise one's setup
    user.say("SkipExerciseIntent")  # to exercise two
    finish = user.say("SkipExerciseIntent")  # to the finish
    assert finish.ended and "won't count this one" in finish.text and ASK_FINISH not in finish.text


# -- safety ----------------------------------------------------------------------------------------------


def test_an_eight_at_the_start_gets_the_advice_first_and_the_run_waits(app, matcher):
    client, adapter, _ = app
    user = Conversation(client.test_client())
    user.launch()
    user.say("HarderIntent")  # the long level: the short one is gentler
    assert ASK_START in user.say("StartRoutineIntent").text.lower()
    reply = say(user, matcher, "it's an eight")
    assert reply.text.startswith("An eight is a lot of pain.") and SAFETY in reply.text
    assert "at the short level" in reply.text and not reply.ended
    assert stored_state(adapter)["place"] is None  # not started
    gently = user.say("AMAZON.YesIntent")
    assert "short level" in gently.text and "Welcome." in gently.text
    state = stored_state(adapter)
    assert state["levels"]["mini"] == "short" and state["place"]["block"] == 0
    assert [c["rating"] for c in state["checkins"]] == [8]


def test_a_high_rating_then_no_rests_today(app, matcher):
    client, adapter, _ = app
    user = Conversation(client.test_client())
    reply = start_rated(user, matcher, "nine")
    assert "level" not in reply.text  # already at the gentlest: only "start gently"
    rest = user.say("AMAZON.NoIntent")
    assert rest.ended and "Rest today" in rest.text and stored_state(adapter)["place"] is None


def test_seven_at_the_start_is_no_cause_for_advice(app, matcher):
    client, _, _ = app
    user = Conversation(client.test_client())
    reply = start_rated(user, matcher, "seven")
    assert SAFETY not in reply.text and reply.text.startswith("Thank you. I've noted a seven.")


def test_a_rise_of_three_since_last_time_gets_the_advice_and_two_does_not(app, matcher):
    client, _, clock = app
    user = Conversation(client.test_client())
    start_rated(user, matcher, "two")
    user.say("AMAZON.StopIntent")
    clock.advance(days=1)
    assert ASK_START in user.say("AMAZON.StartOverIntent").text.lower()
    plus_two = say(user, matcher, "four")  # 2 -> 4
    assert SAFETY not in plus_two.text
    user.say("AMAZON.StopIntent")
    clock.advance(days=1)
    assert ASK_START in user.say("AMAZON.StartOverIntent").text.lower()
    plus_three = say(user, matcher, "seven")  # 4 -> 7
    assert plus_three.text.startswith("That's three more than last time.") and SAFETY in plus_three.text


def test_a_rise_of_three_during_the_session_gets_the_advice_at_the_finish(app, matcher):
    client, _, _ = app
    user = Conversation(client.test_client())
    start_rated(user, matcher, "three")
    to_finish(user)
    bye = say(user, matcher, "six")
    assert bye.text.startswith("That's three more than at the start. Please rest now") and SAFETY in bye.text
    assert bye.text.index(SAFETY) < bye.text.index("session this week") and bye.ended


def test_two_more_at_the_finish_is_thanked(app, matcher):
    client, _, _ = app
    user = Conversation(client.test_client())
    start_rated(user, matcher, "three")
    to_finish(user)
    bye = say(user, matcher, "five")
    assert SAFETY not in bye.text and bye.text.startswith("Thank you. I've noted a five.")


@pytest.mark.parametrize("rating, previous, worrying", [
    (8, None, True), (7, None, False), (10, 10, True), (0, None, False),
    (5, 2, True), (4, 2, False), (7, 4, True), (6, 4, False), (3, 9, False),
])
def test_the_safety_rule(rating, previous, worrying):
    assert pain_checkin.needs_safety(rating, previous) is worrying


# -- how am I doing ----------------------------------------------------------------------------------------


def test_how_am_i_doing_after_three_sessions_with_ratings(app, matcher):
    client, _, clock = app
    user = Conversation(client.test_client())
    for rating in ("six", "five", "four"):
        start_rated(user, matcher, rating)
        to_finish(user)
        say(user, matcher, "skip")
        clock.advance(days=1)
    reply = say(user, matcher, "how am I doing")
    assert "three sessions this week" in reply.text
    assert "from six to four over your last three sessions" in reply.text
    assert reply.response["card"]["title"] == "Your back routine"
    assert "Pain (0 to 10): 6 to 4" in reply.response["card"]["content"]
    assert not reply.ended and "start" in reply.reprompt.lower()


def test_whats_my_streak_for_a_new_user(app, matcher):
    client, _, _ = app
    user = Conversation(client.test_client())
    reply = say(user, matcher, "what's my streak")  # "Alexa, ask my back routine what's my streak"
    assert reply.status == 200 and "haven't finished a session" in reply.text


# -- screens ---------------------------------------------------------------------------------------------


def test_the_progress_screen_on_a_show_and_none_on_a_speaker(app, matcher):
    client, _, _ = app
    show = Device(client.test_client()).on(ECHO_SHOW)
    start_rated(show, matcher, "five")
    outro = to_finish(show)
    bye = say(show, matcher, "four")
    rendered = directives(bye, RENDER)
    assert len(rendered) == 1 and rendered[0]["token"] == PROGRESS_TOKEN  # not the exercise screen too
    assert rendered[0]["document"] == load_progress_document()
    data = rendered[0]["datasources"]["progress"]
    assert len(data["days"]) == 14 and data["days"][-1]["count"] == 1 and data["days"][-1]["height"] == 100
    assert data["hasPain"] and data["painPath"].startswith("M") and data["week"] == "1 session this week"
    assert directives(outro, RENDER)[0]["token"] != PROGRESS_TOKEN  # the outro shows the exercise screen
    how = say(show, matcher, "how's my progress")
    assert [d["token"] for d in directives(how, RENDER)] == [PROGRESS_TOKEN]
    speaker = Device(client.test_client(), user_id="amzn1.ask.account.SPEAKER").on(ECHO)
    assert not directives(say(speaker, matcher, "how am I doing"), RENDER)


def test_the_progress_document_fits_apl_and_the_size_limit(app, matcher):
    document = load_progress_document()
    assert document["type"] == "APL" and document["mainTemplate"]["parameters"] == ["payload"]
    text = json.dumps(document)
    for field in ("title", "week", "streak", "pain", "days", "painPath", "hasPain", "daysLabel"):
        assert f"progress.{field}" in text
    assert document["graphics"]["painLine"]["type"] == "AVG"
    client, adapter, clock = app
    show = Device(client.test_client()).on(ECHO_SHOW)
    for _ in range(3):
        start_rated(show, matcher, "five")
        to_finish(show)
        bye = say(show, matcher, "four")
        clock.advance(hours=12)
    assert len(json.dumps(bye.document, separators=(",", ":")).encode()) < 24 * 1024


# -- the saved data -------------------------------------------------------------------------------------


def test_old_saves_without_the_new_fields_load():
    old = {"v": 1, "routine": "back-pain", "place": {"block": 2, "part": 0, "done": False, "finished": False},
           "history": [{"routine": "back-pain", "finished_at": "2024-05-01T08:00:00+00:00", "level": "standard",
                        "pace": 1.0}], "events": []}
    state = UserState.from_attributes(old)
    assert state.checkin_on is True and state.checkins == [] and state.history[0].started_at is None
    again = UserState.from_attributes(state.to_attributes())
    assert again.history == state.history and "started_at" not in state.to_attributes()["history"][0]


def test_checkins_read_forgivingly_and_round_trip():
    good = {"at": "2024-05-01T08:00:00+00:00", "routine": "r", "moment": "start", "rating": 4, "run": "2024-05-01T08:00:00+00:00"}
    entries = [good, {**good, "rating": 11}, {**good, "rating": -1}, {**good, "rating": True}, {**good, "rating": "4"},
               {**good, "moment": "middle"}, {**good, "at": "yesterday"}, {**good, "run": None, "moment": "finish"}, "x", None]
    state = UserState.from_attributes({"checkins": entries, "checkin_on": False})
    assert [(c.moment, c.rating, c.run) for c in state.checkins] == [("start", 4, good["run"]), ("finish", 4, None)]
    assert state.checkin_on is False
    assert UserState.from_attributes(state.to_attributes()) == state
    assert UserState.from_attributes({"checkin_on": "no"}).checkin_on is True  # only False turns it off


def test_a_thousand_sessions_are_kept_with_their_ratings(app):
    _, _, clock = app
    state = UserState()
    for n in range(MAX_HISTORY + 5):
        stamp = f"2024-01-01T00:00:{n % 60:02d}+00:00"
        state.record_completion("r", "standard", 1.0, clock.now, stamp)
        state.record_checkin("r", "start", n % 11, clock.now, stamp)
    assert len(state.history) == MAX_HISTORY == 1000 and len(state.checkins) == MAX_CHECKINS
    loaded = UserState.from_attributes(json.loads(json.dumps(state.to_attributes())))
    assert len(loaded.history) == 1000 and loaded.history[-1] == Completed("r", state.history[-1].finished_at,
                                                                            "standard", 1.0, state.history[-1].started_at)
    assert loaded.checkins[-1] == CheckIn(state.checkins[-1].at, "r", "start", (MAX_HISTORY + 4) % 11,
                                          state.checkins[-1].run)


def test_the_model_with_the_check_in_intents_passes_the_lint():
    problems = [p for p in lint_model(interaction_model(RoutineLibrary(ROOT / "routines")))
                if any(name in p for name in ("Rating", "CheckIn", "HowAmIDoing"))]
    assert not problems, problems
