"""The end of a finished session (skill/handlers/after_session.py): the routine's progression rule
suggests another level and the user decides, else a daily reminder is offered; one question a
session, and a "no" is not met with the same question next time.

Through the whole skill (signed requests to the Flask endpoint, SQLite store), with the mini routine
given progression rules. Users start with the check-in off unless a test is about it, so a run ends
on the outro's own reply.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from tests.alexa_signing import USER_ID, make_envelope
from tests.skill_harness import Clock, Conversation, make_app, stored_state

ROOT = Path(__file__).resolve().parents[2]
RULES = """
progression:
  move_up:
    after_sessions: 4
    pain_not_rising: true
  move_down:
    after_hurts: 2
    within_days: 7
"""
UP = "You've done four sessions at the short level without more pain. Want to try the long level next time?"
DOWN = "You've said it hurts twice this week. Want to try the short level next time?"
GOODBYE = "Take care, and see you next time."


@pytest.fixture
def app(tmp_path):
    folder = tmp_path / "routines"
    folder.mkdir()
    shutil.copy(ROOT / "tests" / "data" / "mini.yaml", folder / "mini.yaml")
    with open(folder / "mini.yaml", "a", encoding="utf-8") as f:
        f.write(RULES)
    clock = Clock()
    app, adapter = make_app(folder, tmp_path / "progress.sqlite3", clock)
    yield app, adapter, clock
    adapter.close()


def save(adapter, attributes: dict) -> None:
    request = DefaultSerializer().deserialize(json.dumps(make_envelope(user_id=USER_ID)), RequestEnvelope)
    adapter.save_attributes(request, attributes)


def sessions(clock: Clock, level: str, n: int) -> list[dict]:
    """`n` finished sessions of the mini routine at `level`, one a day, the latest yesterday."""
    return [{"routine": "mini", "finished_at": (clock() - dt.timedelta(days=n - i)).isoformat(), "level": level,
             "pace": 1.0} for i in range(n)]


def hurts(clock: Clock, n: int) -> list[dict]:
    return [{"kind": "hurt", "at": (clock() - dt.timedelta(days=1, hours=i)).isoformat(), "routine": "mini",
             "where": "exercise 1, set 1"} for i in range(n)]


def run_to_finish(user: Conversation):
    user.launch()
    reply = user.say("StartRoutineIntent")
    for _ in range(60):
        if reply.ended or "next time?" in reply.text or "remind you" in reply.text:
            return reply
        reply = user.say("AMAZON.NextIntent")
    pytest.fail("the run did not finish within 60 nexts")


def test_the_rule_met_suggests_the_harder_level_and_yes_takes_it_next_time(app):
    flask_app, adapter, clock = app
    save(adapter, {"checkin_on": False, "routine": "mini", "levels": {"mini": "short"},
                   "history": sessions(clock, "short", 3)})
    user = Conversation(flask_app.test_client())
    reply = run_to_finish(user)
    assert reply.text.endswith(UP) and not reply.ended
    assert "yes" in reply.reprompt.lower()
    reply = user.say("AMAZON.YesIntent")
    assert reply.ended and "Next time you'll do the long level" in reply.text and reply.text.endswith(GOODBYE)
    state = stored_state(adapter)
    assert state["levels"]["mini"] == "long" and state["question"] is None
    # Next time: the long level, and no suggestion (nothing has happened at it yet).
    clock.advance(days=1)
    reply = run_to_finish(user)
    assert reply.ended and "next time?" not in reply.text
    assert stored_state(adapter)["history"][-1]["level"] == "long"


def test_no_keeps_the_level_and_is_not_asked_again_until_the_rule_is_met_again(app):
    flask_app, adapter, clock = app
    save(adapter, {"checkin_on": False, "routine": "mini", "levels": {"mini": "short"},
                   "history": sessions(clock, "short", 3)})
    user = Conversation(flask_app.test_client())
    assert run_to_finish(user).text.endswith(UP)
    reply = user.say("AMAZON.NoIntent")
    assert reply.ended and "we'll stay with the short level" in reply.text
    assert stored_state(adapter)["levels"]["mini"] == "short"
    for _ in range(3):  # three more sessions: the count starts again after the answer
        clock.advance(days=1)
        reply = run_to_finish(user)
        assert reply.ended and "next time?" not in reply.text
    clock.advance(days=1)
    assert run_to_finish(user).text.endswith(UP)


def test_it_hurts_twice_in_a_week_suggests_the_easier_level(app):
    flask_app, adapter, clock = app
    save(adapter, {"checkin_on": False, "routine": "mini", "levels": {"mini": "long"},
                   "history": sessions(clock, "long", 6), "events": hurts(clock, 2)})
    user = Conversation(flask_app.test_client())
    reply = run_to_finish(user)
    assert reply.text.endswith(DOWN) and not reply.ended  # easier wins over the six calm sessions
    reply = user.say("AMAZON.YesIntent")
    assert reply.ended and "Next time you'll do the short level. When you feel ready, say harder." in reply.text
    assert stored_state(adapter)["levels"]["mini"] == "short"


def test_a_pain_rise_over_the_sessions_holds_the_harder_level_back(app):
    flask_app, adapter, clock = app
    history = sessions(clock, "short", 3)
    for i, done in enumerate(history):
        done["started_at"] = (dt.datetime.fromisoformat(done["finished_at"]) - dt.timedelta(minutes=20)).isoformat()
    checkins = [{"at": history[0]["started_at"], "routine": "mini", "moment": "start", "rating": 2,
                 "run": history[0]["started_at"]},
                {"at": history[-1]["started_at"], "routine": "mini", "moment": "start", "rating": 5,
                 "run": history[-1]["started_at"]}]
    save(adapter, {"checkin_on": False, "routine": "mini", "levels": {"mini": "short"}, "history": history,
                   "checkins": checkins})
    user = Conversation(flask_app.test_client())
    reply = run_to_finish(user)
    assert reply.ended and "next time?" not in reply.text and reply.text.endswith(GOODBYE)


def test_no_harder_level_is_suggested_while_the_latest_rating_gets_the_safety_advice(app):
    """A steady 8 is no rise in pain by the author's rule, but never a reason to suggest more."""
    flask_app, adapter, clock = app
    history = sessions(clock, "short", 3)
    for done in history:
        done["started_at"] = (dt.datetime.fromisoformat(done["finished_at"]) - dt.timedelta(minutes=20)).isoformat()
    checkins = [{"at": done["started_at"], "routine": "mini", "moment": "start", "rating": 8, "run": done["started_at"]}
                for done in history]
    save(adapter, {"checkin_on": False, "routine": "mini", "levels": {"mini": "short"}, "history": history,
                   "checkins": checkins})
    user = Conversation(flask_app.test_client())
    reply = run_to_finish(user)
    assert reply.ended and "next time?" not in reply.text and reply.text.endswith(GOODBYE)
    # The same history with a calmer latest rating does get the suggestion.
    checkins[-1]["rating"] = 4
    save(adapter, {**stored_state(adapter), "checkins": checkins})
    clock.advance(days=1)
    assert run_to_finish(user).text.endswith(UP)  # the rule counts the last four


def test_with_the_check_in_on_the_offer_follows_the_rating(app):
    flask_app, adapter, clock = app
    save(adapter, {"routine": "mini", "levels": {"mini": "short"}, "history": sessions(clock, "short", 3)})
    user = Conversation(flask_app.test_client())
    user.launch()
    assert "from zero to ten" in user.say("StartRoutineIntent").text
    reply = user.say("RatingIntent", rating="3")
    for _ in range(60):
        if "How is your back now" in reply.text:
            break
        reply = user.say("AMAZON.NextIntent")
    assert not reply.ended and "next time?" not in reply.text  # one question at a time: the rating first
    reply = user.say("RatingIntent", rating="2")
    assert reply.text.endswith(UP) and not reply.ended
    assert user.say("AMAZON.NoIntent").ended
