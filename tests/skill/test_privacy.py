"""Privacy (issue 12, item 5): "forget my progress" deletes everything after a yes, disabling the skill
deletes it too, the privacy page is served and linked from the manifest, and the logs never hold a
user id or what was said."""
from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import boto3
import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from skill.builder import build_skill
from skill.dynamodb import dynamodb_adapter
from skill.envelope_check import envelope_problem
from skill.handlers.privacy import ASK_FORGET, FORGOTTEN, FORGOTTEN_WITH_REMINDERS, KEPT
from skill.interaction_model import LOCALES, manifest, privacy_url_for, read_package
from skill.model_lint import SMAPI_MANIFEST, check_package, smapi_problems
from skill.phrases import intent_samples
from skill.routines import RoutineLibrary
from skill.user_ref import user_ref
from skill.utterance_matcher import UtteranceMatcher
from skill.verify import RequestVerifier
from skill.webapp import create_app

from tests.alexa_signing import SKILL_ID, USER_ID, alexa_timestamp, encode, make_envelope, pki
from tests.skill_harness import NOW, Clock, Conversation, make_app, stored_state

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "routines" / "back-pain.yaml"
OTHER_USER = "amzn1.ask.account.OTHERUSER000000000000000000000000000000000000000"
REGION, TABLE = "us-east-1", "back-routine-privacy-test"



@pytest.fixture
def served(routines, tmp_path):
    """The voice skill over a copy of the seed routine (no audio build, unlike tests/skill/conftest.py's)."""
    app, adapter = make_app(routines, tmp_path / "progress.sqlite3", Clock(), logging.getLogger("test.skill"))
    yield app, adapter
    adapter.close()



def sqlite_ids(db: Path) -> set[str]:
    with sqlite3.connect(db) as connection:
        return {row[0] for row in connection.execute("SELECT id FROM persistent_attributes")}


def make_progress(user: Conversation) -> None:
    """A user with a place, a pace, a finished-or-not run and a pain report with what was said."""
    user.launch()
    user.say("StartRoutineIntent")
    user.say("AMAZON.NextIntent")
    user.say("SlowerIntent")
    user.say("SensationIntent", words="calf is really sore")


def skill_disabled_envelope(user_id: str = USER_ID) -> dict:
    """AlexaSkillEvent.SkillDisabled as Alexa sends it: no session, no device, no locale."""
    stamp = alexa_timestamp(NOW)
    envelope = make_envelope(request_type="AlexaSkillEvent.SkillDisabled", user_id=user_id, timestamp=NOW,
                             with_session=False, supported_interfaces={})
    envelope["context"]["System"].pop("device")
    envelope["request"].pop("locale")
    envelope["request"].update(eventCreationTime=stamp, eventPublishingTime=stamp,
                               body={"userInformationPersistenceStatus": "NOT_PERSISTED"})
    return envelope


def post_signed(client, envelope: dict):
    body = encode(envelope)
    return client.post("/alexa", data=body, headers={"Content-Type": "application/json", **pki().good.sign(body)})


# -- "forget my progress" ------------------------------------------------------------------------------


def test_forget_asks_first_and_yes_deletes_the_row(served, tmp_path):
    app, adapter = served
    user, other = Conversation(app.test_client()), Conversation(app.test_client(), user_id=OTHER_USER)
    make_progress(user)
    make_progress(other)
    assert stored_state(adapter)["events"][0]["said"] == "calf is really sore"

    asked = user.say("ForgetProgressIntent")
    assert asked.text == ASK_FORGET and not asked.ended and asked.reprompt
    assert stored_state(adapter)["place"] is not None  # asking deletes nothing

    done = user.say("AMAZON.YesIntent")
    assert done.text == FORGOTTEN and done.ended
    assert sqlite_ids(tmp_path / "progress.sqlite3") == {OTHER_USER}  # the row is gone, not emptied
    assert stored_state(adapter) == {}
    assert stored_state(adapter, OTHER_USER)["events"]  # nobody else's

    welcome = user.launch()  # a new user again
    assert "carry on" not in welcome.text.lower()
    assert sqlite_ids(tmp_path / "progress.sqlite3") == {OTHER_USER, USER_ID}
    assert stored_state(adapter).get("events") == [] and stored_state(adapter).get("history") == []


def test_forgetting_a_user_with_reminders_says_where_the_reminders_are(served):
    """The reminders are in the user's Alexa account, not in what we delete: the reply says how to stop them."""
    app, adapter = served
    user = Conversation(app.test_client())
    make_progress(user)
    attributes = stored_state(adapter)
    attributes["reminders"] = ["alert-token-1"]
    request = DefaultSerializer().deserialize(json.dumps(make_envelope(user_id=USER_ID)), RequestEnvelope)
    adapter.save_attributes(request, attributes)
    user.say("ForgetProgressIntent")
    done = user.say("AMAZON.YesIntent")
    assert done.text == FORGOTTEN_WITH_REMINDERS and "cancel my reminders" in done.text and done.ended
    assert stored_state(adapter) == {}


def test_no_keeps_everything_and_says_so(served):
    app, adapter = served
    user = Conversation(app.test_client())
    make_progress(user)
    before = stored_state(adapter)
    user.say("ForgetProgressIntent")
    kept = user.say("AMAZON.NoIntent")
    assert kept.text.startswith(KEPT) and not kept.ended
    after = stored_state(adapter)
    assert after["place"] == before["place"] and after["events"] == before["events"] and after["pace"] == before["pace"]
    assert after["question"] is None
    user.say("AMAZON.YesIntent")  # the question was answered: a later yes deletes nothing
    assert stored_state(adapter)["events"] == before["events"]


def test_a_yes_in_another_session_deletes_nothing(served):
    app, adapter = served
    user = Conversation(app.test_client())
    make_progress(user)
    user.say("ForgetProgressIntent")
    user.end_session()
    user.launch()
    user.say("AMAZON.YesIntent")
    assert stored_state(adapter)["events"]


def test_forget_over_dynamodb_deletes_the_item(aws, routines):
    adapter = dynamodb_adapter(TABLE, region=REGION, create_table=True)
    skill = build_skill(routines, adapter, Clock())
    verifier = RequestVerifier(SKILL_ID, trusted_roots=pki().trusted_roots, fetcher=pki().fetcher(), clock=lambda: NOW)
    client = create_app(skill, verifier).test_client()
    table = boto3.resource("dynamodb", region_name=REGION).Table(TABLE)
    user, other = Conversation(client), Conversation(client, user_id=OTHER_USER)
    make_progress(user)
    make_progress(other)
    assert "Item" in table.get_item(Key={"id": USER_ID})
    user.say("ForgetProgressIntent")
    assert user.say("AMAZON.YesIntent").text == FORGOTTEN
    assert "Item" not in table.get_item(Key={"id": USER_ID})
    assert "Item" in table.get_item(Key={"id": OTHER_USER})

    post_signed(client, skill_disabled_envelope(OTHER_USER))
    assert table.scan()["Items"] == []


def test_forget_phrases_are_heard_as_the_intent_and_the_model_passes_the_lint(routines):
    samples = set(intent_samples()["ForgetProgressIntent"])
    for said in ("forget my progress", "delete my data", "erase my history", "forget everything about me",
                 "reset my progress", "wipe my data", "delete me"):
        assert said in samples, said
    for builtin in ("start over", "reset everything", "forget it", "cancel"):
        assert builtin not in samples
    library = RoutineLibrary(routines)
    from skill.interaction_model import interaction_model
    models = {locale: interaction_model(library, locale) for locale in LOCALES}
    assert check_package(manifest(library), models) == []
    matcher = UtteranceMatcher(models["en-US"])
    assert matcher.match("delete my data").intent == "ForgetProgressIntent"
    assert matcher.match("reset everything").intent == "AMAZON.StartOverIntent"


# -- the skill is disabled -----------------------------------------------------------------------------


def test_skill_disabled_deletes_the_users_data_and_answers_empty(served, tmp_path):
    app, adapter = served
    client = app.test_client()
    make_progress(Conversation(client))
    make_progress(Conversation(client, user_id=OTHER_USER))
    envelope = skill_disabled_envelope()
    assert envelope_problem(envelope) is None
    reply = post_signed(client, envelope)
    assert reply.status_code == 200
    assert reply.get_json()["response"] in ({}, None) or "outputSpeech" not in reply.get_json()["response"]
    assert sqlite_ids(tmp_path / "progress.sqlite3") == {OTHER_USER}
    # Disabling again (nothing stored) is fine, and writes nothing back.
    assert post_signed(client, envelope).status_code == 200
    assert sqlite_ids(tmp_path / "progress.sqlite3") == {OTHER_USER}


def test_the_skill_disabled_request_deserializes():
    envelope = DefaultSerializer().deserialize(json.dumps(skill_disabled_envelope()), RequestEnvelope)
    assert envelope.request.object_type == "AlexaSkillEvent.SkillDisabled" and envelope.session is None


# -- the privacy page and the manifest ------------------------------------------------------------------


def test_privacy_page_is_served(served):
    page = served[0].test_client().get("/privacy")
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    for sentence in ("What is stored", "user id", "your place in the routine", "your pace and level",
                     "history of your sessions", "pain reports", "health information", "For how long",
                     "Until you delete it", "ask my back routine to forget my progress", "Disabling the skill",
                     "No third parties"):
        assert sentence in text, sentence
    assert "<script" not in text


def test_manifest_links_the_privacy_page_and_says_what_is_used(routines):
    library = RoutineLibrary(routines)
    document = manifest(library, "https://back.example.org/alexa")
    assert smapi_problems(document, SMAPI_MANIFEST) == []
    privacy = document["manifest"]["privacyAndCompliance"]
    assert privacy["usesPersonalInfo"] is True and privacy["usesHealthInfo"] is True
    assert privacy["containsAds"] is False and privacy["allowsPurchases"] is False
    assert privacy["locales"] == {locale: {"privacyPolicyUrl": "https://back.example.org/privacy"} for locale in LOCALES}
    events = document["manifest"]["events"]
    assert events["subscriptions"] == [{"eventName": "SKILL_DISABLED"}]
    assert events["endpoint"] == document["manifest"]["apis"]["custom"]["endpoint"]

    assert privacy_url_for("https://h.example.org:8443/skill/alexa") == "https://h.example.org:8443/skill/privacy"
    lambda_manifest = manifest(library, "arn:aws:lambda:us-east-1:123456789012:function:back")
    assert "locales" not in lambda_manifest["manifest"]["privacyAndCompliance"]
    assert smapi_problems(lambda_manifest, SMAPI_MANIFEST) == []
    given = manifest(library, "arn:aws:lambda:us-east-1:123456789012:function:back", privacy_url="https://p.example/x")
    assert given["manifest"]["privacyAndCompliance"]["locales"]["en-GB"]["privacyPolicyUrl"] == "https://p.example/x"


def test_committed_package_links_the_privacy_page():
    package, _ = read_package(ROOT / "skill-package")
    privacy = package["manifest"]["privacyAndCompliance"]
    endpoint = package["manifest"]["apis"]["custom"]["endpoint"]["uri"]
    assert privacy["locales"]["en-US"]["privacyPolicyUrl"] == privacy_url_for(endpoint)
    assert {"eventName": "SKILL_DISABLED"} in package["manifest"]["events"]["subscriptions"]


# -- logs -----------------------------------------------------------------------------------------------


def test_a_conversation_logs_no_user_id_and_nothing_said(served, caplog):
    caplog.set_level(logging.DEBUG)
    app, adapter = served
    client = app.test_client()
    user = Conversation(client)
    make_progress(user)
    user.say("HurtsIntent", body_part="knee", feeling="tingling")
    user.say("GoToExerciseIntent", exercise="a routine nobody wrote")
    user.say("ForgetProgressIntent")
    user.say("AMAZON.YesIntent")
    # A damaged row is logged (and reset) by the store: by a hash, not the id.
    make_progress(Conversation(client, user_id=OTHER_USER))
    with sqlite3.connect(adapter.path) as connection:
        connection.execute("UPDATE persistent_attributes SET attributes = '[]' WHERE id = ?", (OTHER_USER,))
    Conversation(client, user_id=OTHER_USER).launch()
    post_signed(client, skill_disabled_envelope(OTHER_USER))

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert user_ref(USER_ID) in logged and user_ref(OTHER_USER) in logged  # the hashes are there...
    for secret in (USER_ID, OTHER_USER, "TESTUSER", "OTHERUSER", "calf is really sore", "tingling",
                   "a routine nobody wrote"):
        assert secret not in logged, secret  # ...and nothing else about the user
    assert user_ref(USER_ID) != user_ref(OTHER_USER) and len(user_ref(USER_ID)) == len("user:") + 12
