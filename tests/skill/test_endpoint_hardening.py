"""Hostile envelopes at POST /alexa and on Lambda, all signed with the local test PKI, so each one gets
past verification and tests what comes after it: the envelope check (skill/envelope_check.py), the
bounded quoting of slot values (Turn.reply), the session attributes the skill does not echo, and the
24 KB response limit (skill/response_guard.py). Ends with a property-based fuzz of the envelope.
"""
from __future__ import annotations

import copy
import json
import logging
import shutil
from pathlib import Path

import pytest
from ask_sdk_core.exceptions import AskSdkException
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.utils import is_intent_name, is_request_type
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import skill.lambda_handler as lambda_module
from back_routine.cli import main
from skill.config import SkillConfig
from skill.envelope_check import MAX_DEPTH, MAX_SESSION_ATTRIBUTES_BYTES, MAX_SLOT_CHARS, envelope_problem
from skill.handlers.base import QUOTE_CHARS, quote
from skill.response_guard import MAX_RESPONSE_BYTES, TOO_LONG
from skill.speech import readable
from skill.verify import RequestVerifier
from skill.webapp import create_app

from tests.alexa_signing import SKILL_ID, encode, make_envelope, pki
from tests.skill_harness import NOW, Clock, make_app

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "routines" / "back-pain.yaml"
LOGGER = "test.hardening"


@pytest.fixture(scope="module")
def routines(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hardening") / "routines"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    return folder


@pytest.fixture(scope="module")
def served(routines, tmp_path_factory):
    """The real voice skill (seed routine, no audio build) behind the real endpoint; module-wide, so the fuzz
    builds it once, unlike the per-test stores of tests/skill/conftest.py's `served`."""
    app, adapter = make_app(routines, tmp_path_factory.mktemp("db") / "progress.sqlite3", Clock(),
                            logging.getLogger(LOGGER))
    yield app
    adapter.close()


@pytest.fixture
def client(served):
    return served.test_client()


def envelope(**kwargs) -> dict:
    kwargs.setdefault("timestamp", NOW)
    return make_envelope(**kwargs)


def post(client, document, *, sign: bool = True):
    body = document if isinstance(document, bytes) else encode(document)
    headers = {"Content-Type": "application/json"}
    if sign:
        headers.update(pki().good.sign(body, legacy_sha1=False))
    return client.post("/alexa", data=body, headers=headers)


def speech(response) -> str:
    output = response.get_json()["response"].get("outputSpeech") or {}
    return readable(output.get("ssml") or output.get("text") or "")


def nested(depth: int) -> dict:
    top = current = {}
    for _ in range(depth - 1):
        current["a"] = {}
        current = current["a"]
    return top


def _without(*path):
    def mutate(document):
        *parents, last = path
        for key in parents:
            document = document[key]
        del document[last]

    return mutate


def _set(*path, value):
    def mutate(document):
        *parents, last = path
        for key in parents:
            document = document[key]
        document[last] = copy.deepcopy(value)

    return mutate


def _both(*mutations):
    def mutate(document):
        for one in mutations:
            one(document)

    return mutate


NEXT = {"intent": "AMAZON.NextIntent"}
# name: (envelope kwargs, mutation); every one signed, every one a 400 before the SDK sees it.
MALFORMED = {
    # What the fault-injection pass found: each used to be an apology with a traceback in the log.
    "intent_request_without_intent": (NEXT, _without("request", "intent")),
    "session_attributes_600_deep": ({**NEXT, "session_attributes": nested(600)}, None),
    "number_slot_5000_digits": ({"intent": "GoToExerciseIntent", "slots": {"number": "9" * 5000}}, None),
    "routine_slot_60_kb": ({"intent": "StartRoutineIntent", "slots": {"routine": "x" * 60_000}}, None),
    "session_attributes_50_kb": ({"session_attributes": {"junk": "y" * 50_000}}, None),
    "no_user_id_anywhere": ({}, _both(_without("context", "System", "user"), _without("session", "user"))),
    # The rest of what the handlers rely on.
    "intent_without_name": (NEXT, _without("request", "intent", "name")),
    "intent_not_an_object": (NEXT, _set("request", "intent", value="AMAZON.NextIntent")),
    "intent_name_empty": (NEXT, _set("request", "intent", "name", value="")),
    "slots_a_list": (NEXT, _set("request", "intent", "slots", value=[{"name": "number", "value": "1"}])),
    "slot_a_string": (NEXT, _set("request", "intent", "slots", value={"number": "1"})),
    "resolution_id_too_long": ({"intent": "StartRoutineIntent", "slots": {"routine": {
        "value": "back", "resolutions": {"resolutionsPerAuthority": [{
            "authority": "amzn1.er-authority.echo-sdk.x.RoutineName", "status": {"code": "ER_SUCCESS_MATCH"},
            "values": [{"value": {"name": "back", "id": "r" * (MAX_SLOT_CHARS + 1)}}]}]}}}}, None),
    "slot_one_over_the_limit": ({"intent": "StartRoutineIntent", "slots": {"routine": "x" * (MAX_SLOT_CHARS + 1)}},
                                None),
    "no_request_id": ({}, _without("request", "requestId")),
    "request_id_a_number": ({}, _set("request", "requestId", value=12345)),
    "request_type_empty_after_verification": ({}, _set("request", "type", value="   ")),
    "version_blank": ({}, _set("version", value=" ")),
    "user_id_empty": ({}, _set("context", "System", "user", "userId", value="")),
    # The store keys progress by context.System.user.userId; session.user alone cannot find it.
    "user_only_in_session": ({}, _without("context", "System", "user")),
    "context_deeply_nested": ({}, _set("context", "Extra", value=nested(MAX_DEPTH + 1))),
    "array_nesting_in_the_request": ({}, _set("request", "extra", value=json.loads("[" * 40 + "]" * 40))),
    "session_not_an_object": ({}, _set("session", value="amzn1.echo-api.session.x")),
    "session_attributes_a_list": ({"session_attributes": {}}, _set("session", "attributes", value=[1, 2])),
    "session_attributes_over_8_kb": ({"session_attributes": {"k": "v" * MAX_SESSION_ATTRIBUTES_BYTES}}, None),
}


def malformed(name: str) -> dict:
    kwargs, mutation = MALFORMED[name]
    document = envelope(**kwargs)
    if mutation:
        mutation(document)
    return document


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_envelopes_are_400_before_the_skill_runs(client, caplog, name):
    with caplog.at_level(logging.INFO):
        response = post(client, malformed(name))
    assert response.status_code == 400, response.data[:300]
    assert response.get_json() == {"error": "malformed_envelope"}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info], caplog.text
    rejected = [r for r in caplog.records if "rejected" in r.getMessage()]
    assert len(rejected) == 1 and "reason=malformed_envelope" in rejected[0].getMessage()
    assert post(client, envelope()).status_code == 200  # and the server keeps serving


@pytest.mark.parametrize("name", ["intent_request_without_intent", "no_user_id_anywhere", "slots_a_list"])
def test_unsigned_malformed_envelopes_get_the_same_400_as_any_unsigned_request(client, name):
    response = post(client, malformed(name), sign=False)
    assert response.status_code == 400
    assert response.get_json() == {"error": "cert_url_missing"}


@pytest.mark.parametrize("body", [b"[1, 2, 3]", b'"an alexa request"', b"42", b"null", b"true", b"{}"])
def test_signed_json_that_is_not_an_object_is_400(client, body):
    response = post(client, body)
    assert response.status_code == 400
    assert response.get_json() == {"error": "not_alexa_request"}


@pytest.mark.parametrize("request_type", [
    "Some.FutureRequest", "CanFulfillIntentRequest", "Connections.Response", "Messaging.MessageReceived",
    "Alexa.Presentation.APL.LoadIndexListData", "Dialog.API.Invoked", "GameEngine.InputHandlerEvent",
    "System.ExceptionEncountered", "AudioPlayer.PlaybackFailed", "Alexa.Presentation.APL.UserEvent",
])
def test_request_types_the_skill_does_not_handle_are_never_a_5xx(client, caplog, request_type):
    with caplog.at_level(logging.ERROR):
        response = post(client, envelope(request_type=request_type))
    assert response.status_code in (200, 400), response.data[:300]
    assert b"Traceback" not in response.data
    if response.status_code == 200:
        assert len(response.data) <= MAX_RESPONSE_BYTES
        assert "went wrong" not in json.dumps(response.get_json())


def test_what_alexa_really_sends_still_passes(client):
    edge = envelope(intent="StartRoutineIntent", slots={"routine": "x" * MAX_SLOT_CHARS},
                    session_attributes={"k": "v" * (MAX_SESSION_ATTRIBUTES_BYTES - 100)})
    edge["context"]["Extra"] = nested(MAX_DEPTH - 2)  # with context and Extra: exactly MAX_DEPTH
    assert envelope_problem(edge) is None
    assert post(client, edge).status_code == 200
    for kwargs in ({}, NEXT, {"request_type": "SessionEndedRequest"},
                   {"request_type": "AudioPlayer.PlaybackStarted", "token": "t", "offset_ms": 0}):
        assert envelope_problem(envelope(**kwargs)) is None, kwargs
    epoch_ms = envelope()
    epoch_ms["request"]["timestamp"] = int(NOW.timestamp() * 1000)  # some event types send numbers
    assert envelope_problem(epoch_ms) is None


# -- what is quoted back, and what is echoed ------------------------------------------------------------


def test_a_long_routine_name_is_quoted_back_short(client):
    said = " ".join(["lovely"] * 140)  # 979 characters: inside the envelope limit
    response = post(client, envelope(intent="StartRoutineIntent", slots={"routine": said}))
    assert response.status_code == 200
    text = speech(response)
    assert "I don't know a routine called lovely" in text
    quoted = text.split("a routine called ", 1)[1].split(".")[0]
    assert len(quoted) <= QUOTE_CHARS and said.startswith(quoted)
    assert len(response.data) < 2_000


def test_a_long_resolved_id_is_quoted_back_short(client):
    long_id = "z" * MAX_SLOT_CHARS
    slot = {"resolutions": {"resolutionsPerAuthority": [{
        "authority": "amzn1.er-authority.echo-sdk.x.RoutineName", "status": {"code": "ER_SUCCESS_MATCH"},
        "values": [{"value": {"name": "z", "id": long_id}}]}]}}
    response = post(client, envelope(intent="StartRoutineIntent", slots={"routine": slot}))
    assert response.status_code == 200
    assert "z" * QUOTE_CHARS in speech(response) and "z" * (QUOTE_CHARS + 1) not in speech(response)


def test_long_pain_words_are_read_whole_though_never_quoted(client):
    # The red flag comes after the first QUOTE_CHARS characters: cutting the slot itself would miss it.
    words = "lower back has been fine all morning while I was doing the stretches but now it is numb"
    assert len(words) > QUOTE_CHARS
    post(client, envelope())  # a session, so the pain advice has a routine to refer to
    response = post(client, envelope(intent="SensationIntent", slots={"words": words}, new_session=False))
    assert response.status_code == 200
    assert "doctor or physiotherapist" in speech(response)


def test_quote_cuts_between_words():
    assert quote("short") == "short"
    assert quote("a" * 100) == "a" * QUOTE_CHARS
    cut = quote("the quick brown fox jumps over the lazy dog " * 5)
    assert len(cut) <= QUOTE_CHARS and not cut.endswith(" ") and ("the quick brown fox " * 5).startswith(cut[:20])
    assert quote("one  two\n three", 9) == "one two"


def test_session_attributes_are_not_echoed_back(client):
    response = post(client, envelope(session_attributes={"caller": "y" * 4_000, "nested": {"a": [1, 2]}}))
    assert response.status_code == 200
    assert response.get_json().get("sessionAttributes") in (None, {})
    assert b"yyyy" not in response.data


# -- the 24 KB limit --------------------------------------------------------------------------------------


def chatty_skill():
    builder = SkillBuilder()

    @builder.request_handler(can_handle_func=is_intent_name("ChattyIntent"))
    def chatty(handler_input):
        return handler_input.response_builder.speak("blah " * 6_000).ask("More?").response

    @builder.request_handler(can_handle_func=is_request_type("AudioPlayer.PlaybackStarted"))
    def started(handler_input):
        return handler_input.response_builder.speak("x" * 30_000).response

    @builder.request_handler(can_handle_func=is_request_type("LaunchRequest"))
    def launch(handler_input):
        return handler_input.response_builder.speak("Hello").ask("Hello?").response

    return builder.create()


@pytest.fixture
def chatty_client():
    verifier = RequestVerifier(SKILL_ID, trusted_roots=pki().trusted_roots, fetcher=pki().fetcher(), clock=lambda: NOW)
    return create_app(chatty_skill(), verifier, logger=logging.getLogger(LOGGER)).test_client()


def test_an_oversize_response_becomes_a_short_apology_that_keeps_the_session(chatty_client, caplog):
    with caplog.at_level(logging.ERROR):
        response = post(chatty_client, envelope(intent="ChattyIntent"))
    assert response.status_code == 200
    assert len(response.data) <= MAX_RESPONSE_BYTES
    reply = response.get_json()["response"]
    assert reply["outputSpeech"] == {"type": "PlainText", "text": TOO_LONG}
    assert reply["shouldEndSession"] is False and reply["reprompt"]["outputSpeech"]["text"]
    assert "over Alexa's" in caplog.text
    assert "Hello" in speech(post(chatty_client, envelope()))


def test_an_oversize_response_without_a_session_becomes_an_empty_one(chatty_client):
    response = post(chatty_client, envelope(request_type="AudioPlayer.PlaybackStarted", token="t", offset_ms=0))
    assert response.status_code == 200
    assert response.get_json() == {"version": "1.0", "response": {}}


# -- the same on Lambda ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lambda_handler(routines, tmp_path_factory):
    db = tmp_path_factory.mktemp("lambda") / "lambda.sqlite3"
    return lambda_module.build_lambda_handler(SkillConfig.from_env({
        "BACK_ROUTINE_ROUTINES": str(routines), "BACK_ROUTINE_DB": str(db)}))


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_lambda_raises_on_malformed_envelopes_like_the_sdk_does(lambda_handler, caplog, name):
    with caplog.at_level(logging.WARNING), pytest.raises(lambda_module.MalformedRequest):
        lambda_handler(malformed(name), None)
    assert "malformed_envelope" in caplog.text
    assert issubclass(lambda_module.MalformedRequest, AskSdkException)


@pytest.mark.parametrize("event", [[1, 2], "text", None, {}])
def test_lambda_raises_on_events_that_are_not_envelopes(lambda_handler, event):
    with pytest.raises(lambda_module.MalformedRequest):
        lambda_handler(event, None)


def test_lambda_answers_good_envelopes_and_keeps_responses_under_24_kb(lambda_handler):
    assert "Welcome" in readable(lambda_handler(envelope(), None)["response"]["outputSpeech"]["ssml"])
    said = " ".join(["lovely"] * 140)
    reply = lambda_handler(envelope(intent="StartRoutineIntent", slots={"routine": said}, new_session=False), None)
    assert len(json.dumps(reply)) < 2_000
    huge = lambda_module.guarded(lambda event, context: {"version": "1.0", "response": {
        "outputSpeech": {"type": "PlainText", "text": "é" * 20_000}}})
    assert huge(envelope(), None)["response"]["outputSpeech"]["text"] == TOO_LONG


def test_a_superscript_number_slot_is_not_a_crash(client, caplog):
    with caplog.at_level(logging.ERROR):
        response = post(client, envelope(intent="GoToExerciseIntent", slots={"number": "²"}))
    assert response.status_code == 200
    assert "went wrong" not in speech(response) and not caplog.records


# -- the command line: bad input is exit 2 --------------------------------------------------------------


def test_talk_with_an_unknown_routine_exits_2(routines):
    result = CliRunner().invoke(main, ["talk", "no-such-routine", "--routines", str(routines)], input="quit\n")
    assert result.exit_code == 2, result.output
    assert "no routine 'no-such-routine'" in result.output and "back-pain" in result.output


@pytest.mark.parametrize("args, message", [
    (["--persistence", "dynamodb"], "needs a table"),
    (["--public-url", "http://insecure.example.com"], "https://"),
])
def test_serve_configuration_errors_exit_2(routines, tmp_path, monkeypatch, args, message):
    for name in ("BACK_ROUTINE_DYNAMODB_TABLE", "BACK_ROUTINE_PUBLIC_URL", "BACK_ROUTINE_PERSISTENCE"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(main, ["serve", "--routines", str(routines), "--db", str(tmp_path / "p.sqlite3"),
                                       "--output", str(tmp_path / "out"), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output


# -- fuzz -------------------------------------------------------------------------------------------------

INTENTS = ["StartRoutineIntent", "GoToExerciseIntent", "HurtsIntent", "SensationIntent", "AMAZON.NextIntent",
           "AMAZON.YesIntent", "AMAZON.NoIntent", "WhereAmIIntent", "HowToIntent", "PlayAudioIntent", "BreakIntent",
           "AMAZON.PauseIntent", "AMAZON.StopIntent", "AMAZON.FallbackIntent", "SlowerIntent", "HarderIntent",
           "SkipExerciseIntent", "IntroIntent", "ReadyIntent", "NoSuchIntent"]
SLOT_NAMES = ["routine", "exercise", "number", "body_part", "feeling", "words", "other"]
ODD_TYPES = ["IntentRequest", "LaunchRequest", "SessionEndedRequest", "AudioPlayer.PlaybackStarted",
             "AudioPlayer.PlaybackFailed", "PlaybackController.PauseCommandIssued", "System.ExceptionEncountered",
             "Alexa.Presentation.APL.UserEvent", "Connections.Response", "CanFulfillIntentRequest", "Nope", ""]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
                    st.text(max_size=20))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                            st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                           max_leaves=8)
slot_values = st.one_of(
    st.text(max_size=40), st.sampled_from(["?", "1", "2", "twelve", "١٢", "0", "-1", "99999999999999999999",
                                           "back pain", "my back is numb", "three exercises for back pain"]),
    st.integers(0, 2000).map(lambda n: "9" * n), st.integers(0, 1500).map(lambda n: "x " * n))
slots = st.dictionaries(st.sampled_from(SLOT_NAMES), st.one_of(
    slot_values.map(lambda v: {"value": v}), json_values), max_size=3)


def _base_envelopes(draw) -> dict:
    kind = draw(st.sampled_from(["launch", "intent", "ended", "audio", "apl"]))
    if kind == "launch":
        return envelope()
    if kind == "intent":
        named = draw(st.dictionaries(st.sampled_from(SLOT_NAMES), slot_values, max_size=2))
        return envelope(intent=draw(st.sampled_from(INTENTS)), slots=named or None, new_session=draw(st.booleans()))
    if kind == "ended":
        return envelope(request_type="SessionEndedRequest")
    if kind == "audio":
        return envelope(request_type=draw(st.sampled_from(["AudioPlayer.PlaybackStarted", "AudioPlayer.PlaybackStopped",
                                                           "PlaybackController.PlayCommandIssued"])),
                        token=draw(st.sampled_from(["t", "", "x" * 500])), offset_ms=draw(st.integers(-5, 10**7)))
    arguments = draw(st.lists(json_values, max_size=3))
    return envelope(request_type="Alexa.Presentation.APL.UserEvent",
                    request_fields={"token": "back-routine-exercise", "arguments": arguments})


def _paths(value, prefix=()):
    if isinstance(value, dict):
        for key, child in value.items():
            yield prefix + (key,)
            yield from _paths(child, prefix + (key,))


def _mutate(draw, document: dict) -> None:
    how = draw(st.sampled_from(["drop", "retype", "huge", "deep", "type", "slots", "attributes"]))
    if how in ("type", "slots") and not isinstance(document.get("request"), dict):
        how = "retype"
    if how == "type":
        document["request"]["type"] = draw(st.one_of(st.sampled_from(ODD_TYPES), st.text(max_size=30)))
        return
    if how == "slots":
        document["request"].setdefault("intent", {"name": draw(st.sampled_from(INTENTS))})
        if isinstance(document["request"]["intent"], dict):
            document["request"]["intent"]["slots"] = draw(slots)
        return
    if how == "attributes" and isinstance(document.get("session"), dict):
        document["session"]["attributes"] = draw(st.dictionaries(st.text(max_size=10), json_values, max_size=4))
        return
    paths = list(_paths(document))
    if not paths:
        return
    path = draw(st.sampled_from(paths))
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    if how == "drop":
        del parent[path[-1]]
    elif how == "retype":
        parent[path[-1]] = draw(json_values)
    elif how == "huge":
        parent[path[-1]] = draw(st.sampled_from(["x", "é", "9", "<speak>"])) * draw(st.integers(1_000, 70_000))
    else:
        parent[path[-1]] = nested(draw(st.integers(MAX_DEPTH - 5, 700)))


@st.composite
def hostile_envelopes(draw) -> dict:
    document = _base_envelopes(draw)
    for _ in range(draw(st.integers(1, 3))):
        _mutate(draw, document)
    return document


FUZZ = {"tried": 0, "answered": 0, "refused": 0, "too_large": 0}


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow, HealthCheck.data_too_large])
@given(document=hostile_envelopes())
def test_fuzzed_envelopes_never_5xx_never_leak_and_always_fit(client, document):
    response = post(client, document)
    FUZZ["tried"] += 1
    assert response.status_code < 500, response.data[:300]
    assert b"Traceback" not in response.data and b'File "' not in response.data
    if response.status_code == 200:
        FUZZ["answered"] += 1
        assert response.mimetype == "application/json"
        assert isinstance(response.get_json(), dict) and "response" in response.get_json()
        assert len(response.data) <= MAX_RESPONSE_BYTES
        # Stricter than "no 5xx": whatever passes the envelope check, the handlers must cope with.
        assert b"went wrong" not in response.data, document
    else:
        FUZZ["too_large" if response.status_code == 413 else "refused"] += 1
        assert response.status_code in (400, 413) and "error" in response.get_json()


def test_fuzz_ran():
    # Reports the spread of the fuzz above (run it with -s to see it); only meaningful after it ran.
    if FUZZ["tried"]:
        print(f"\nfuzzed envelopes: {FUZZ}")
        assert FUZZ["answered"] and FUZZ["refused"]
