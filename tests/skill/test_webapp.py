"""POST /alexa end to end through Flask's test client, with a tiny hello skill and the local PKI."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging

import pytest
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.utils import is_intent_name, is_request_type
from flask import Blueprint

from skill.verify import RequestVerifier
from skill.webapp import APOLOGY, create_app

from tests.alexa_signing import CERT_URL, SKILL_ID, encode, make_envelope, pki

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
LOGGER = "test.webapp"


def hello_skill():
    builder = SkillBuilder()

    @builder.request_handler(can_handle_func=is_request_type("LaunchRequest"))
    def launch(handler_input):
        return handler_input.response_builder.speak("Hello from Back Routine").set_should_end_session(False).response

    @builder.request_handler(can_handle_func=is_intent_name("CrashIntent"))
    def crash(handler_input):
        raise RuntimeError("handler bug: secret internals")

    @builder.request_handler(can_handle_func=is_request_type("AudioPlayer.PlaybackStarted"))
    def playback_started(handler_input):
        raise RuntimeError("handler bug in an AudioPlayer event")

    return builder.create()


@pytest.fixture
def fetcher():
    return pki().fetcher()


@pytest.fixture
def app(fetcher):
    verifier = RequestVerifier(SKILL_ID, trusted_roots=pki().trusted_roots, fetcher=fetcher, clock=lambda: NOW)
    return create_app(hello_skill(), verifier, logger=logging.getLogger(LOGGER))


@pytest.fixture
def client(app):
    return app.test_client()


def signed(identity=None, **envelope_kwargs):
    envelope_kwargs.setdefault("timestamp", NOW)
    body = encode(make_envelope(**envelope_kwargs))
    return body, {"Content-Type": "application/json", **(identity or pki().good).sign(body)}


def post(client, body: bytes, headers: dict[str, str]):
    return client.post("/alexa", data=body, headers=headers)


def assert_still_serving(client) -> None:
    response = post(client, *signed())
    assert response.status_code == 200, response.get_json()
    assert "Hello from Back Routine" in response.get_json()["response"]["outputSpeech"]["ssml"]


# -- success ------------------------------------------------------------------------------------------


def test_valid_signed_request_gets_speech(client):
    response = post(client, *signed())
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document = response.get_json()
    assert document["version"] == "1.0"
    assert document["response"]["outputSpeech"]["ssml"] == "<speak>Hello from Back Routine</speak>"
    assert document["response"]["shouldEndSession"] is False


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_cert_chain_fetched_once_for_repeated_requests(client, fetcher):
    for _ in range(5):
        assert post(client, *signed()).status_code == 200
    assert fetcher.calls == [CERT_URL]


def test_other_blueprints_can_join_the_app(app):
    player = Blueprint("player", __name__)
    player.add_url_rule("/player", "index", lambda: "player page")
    app.register_blueprint(player)
    client = app.test_client()
    assert client.get("/player").data == b"player page"
    assert_still_serving(client)


def test_only_post(client):
    assert client.get("/alexa").status_code == 405


# -- rejections: every one a 4xx with one log line, and the server keeps serving -------------------


def _tampered():
    body, headers = signed()
    return body.replace(b"en-US", b"en-GB"), headers


def _bad_signature():
    body, headers = signed()
    headers["Signature-256"] = pki().self_signed.sign(body)["Signature-256"]
    return body, headers


def _with_cert_url(url):
    def build():
        body, headers = signed()
        headers["SignatureCertChainUrl"] = url
        return body, headers

    return build


def _without(header):
    def build():
        body, headers = signed()
        del headers[header]
        return body, headers

    return build


REJECTIONS = {
    "bad_signature": (_bad_signature, "signature_invalid"),
    "tampered_body": (_tampered, "signature_invalid"),
    "expired_cert": (lambda: signed(pki().expired), "cert_expired"),
    "wrong_san": (lambda: signed(pki().wrong_san), "cert_san_mismatch"),
    "self_signed": (lambda: signed(pki().self_signed), "cert_chain_untrusted"),
    "untrusted_root": (lambda: signed(pki().untrusted_root), "cert_chain_untrusted"),
    "url_http": (_with_cert_url("http://s3.amazonaws.com/echo.api/echo-api-cert-test.pem"), "cert_url_scheme"),
    "url_wrong_host": (_with_cert_url("https://s3.example.com/echo.api/echo-api-cert-test.pem"), "cert_url_host"),
    "url_bad_path": (_with_cert_url("https://s3.amazonaws.com/EcHo.aPi/echo-api-cert-test.pem"), "cert_url_path"),
    "url_dotdot": (_with_cert_url("https://s3.amazonaws.com/echo.api/../x"), "cert_url_path"),
    "url_port_8443": (_with_cert_url("https://s3.amazonaws.com:8443/echo.api/echo-api-cert-test.pem"),
                      "cert_url_port"),
    "timestamp_plus_151": (lambda: signed(timestamp=NOW + dt.timedelta(seconds=151)), "timestamp_out_of_range"),
    "timestamp_minus_151": (lambda: signed(timestamp=NOW - dt.timedelta(seconds=151)), "timestamp_out_of_range"),
    "wrong_application_id": (lambda: signed(application_id="amzn1.ask.skill.other"), "application_id_mismatch"),
    "missing_signature": (_without("Signature-256"), "signature_missing"),
    "missing_cert_url": (_without("SignatureCertChainUrl"), "cert_url_missing"),
    "malformed_json": (lambda: (b'{"version": "1.0", "request": ', {}), "malformed_json"),
    "not_utf8": (lambda: (b"\xff\xfe{}", {}), "malformed_json"),
    "deeply_nested": (lambda: (b"[" * 30000 + b"]" * 30000, {}), "malformed_json"),
    "json_array": (lambda: (b"[1, 2, 3]", {}), "not_alexa_request"),
    "json_not_alexa": (lambda: (json.dumps({"hello": "world"}).encode(), {}), "not_alexa_request"),
    "no_timestamp": (lambda: (json.dumps({"version": "1.0", "request": {"type": "LaunchRequest"},
                                          "session": {}}).encode(), {}), "not_alexa_request"),
    "empty_body": (lambda: (b"", {}), "malformed_json"),
}


@pytest.mark.parametrize("case", sorted(REJECTIONS))
def test_rejections_are_400_and_logged_once(client, caplog, case):
    build, reason = REJECTIONS[case]
    body, headers = build()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        response = post(client, body, headers)
    assert response.status_code == 400
    assert response.get_json() == {"error": reason}
    rejected = [r for r in caplog.records if "rejected" in r.getMessage()]
    assert len(rejected) == 1 and f"reason={reason}" in rejected[0].getMessage()
    assert_still_serving(client)


def test_timestamp_149_seconds_off_is_accepted(client):
    for offset in (149, -149):
        body, headers = signed(timestamp=NOW + dt.timedelta(seconds=offset))
        assert post(client, body, headers).status_code == 200


def test_signed_but_undeserializable_request_is_400(client):
    # Authentic, but a request type this ask-sdk-model does not know: still the caller's problem.
    body, headers = signed(request_type="Some.FutureRequest")
    response = post(client, body, headers)
    assert response.status_code == 400
    assert response.get_json() == {"error": "deserialization_failed"}


# -- size limits ----------------------------------------------------------------------------------


def test_oversized_body_is_413(client):
    body, headers = signed(session_attributes={"padding": "x" * (64 * 1024)})
    response = post(client, body, headers)
    assert response.status_code == 413
    assert response.get_json() == {"error": "body_too_large"}
    assert_still_serving(client)


def test_oversized_chunked_body_without_content_length_is_413(client):
    body, headers = signed(session_attributes={"padding": "x" * (64 * 1024)})
    response = client.post(
        "/alexa",
        input_stream=io.BytesIO(body),
        headers={**headers, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert_still_serving(client)


def test_limit_is_configurable(fetcher):
    verifier = RequestVerifier(SKILL_ID, trusted_roots=pki().trusted_roots, fetcher=fetcher, clock=lambda: NOW)
    client = create_app(hello_skill(), verifier, max_body_bytes=100).test_client()
    assert post(client, *signed()).status_code == 413


# -- handler bugs ---------------------------------------------------------------------------------


def test_handler_bug_gets_a_spoken_apology_not_a_stack_trace(client, caplog):
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        response = post(client, *signed(intent="CrashIntent"))
    assert response.status_code == 200
    document = response.get_json()
    assert document["response"]["outputSpeech"] == {"type": "PlainText", "text": APOLOGY}
    assert document["response"]["shouldEndSession"] is True
    assert b"secret internals" not in response.data and b"Traceback" not in response.data
    assert "secret internals" in caplog.text  # the traceback is in the log instead
    assert_still_serving(client)


def test_unhandled_request_type_gets_an_apology(client):
    response = post(client, *signed(intent="AMAZON.HelpIntent"))  # no handler in the hello skill
    assert response.status_code == 200
    assert response.get_json()["response"]["outputSpeech"]["text"] == APOLOGY


@pytest.mark.parametrize(
    "kwargs",
    [
        {"request_type": "AudioPlayer.PlaybackStarted", "token": "t", "offset_ms": 0},  # handler raises
        {"request_type": "AudioPlayer.PlaybackNearlyFinished", "token": "t", "offset_ms": 0},  # no handler
        {"request_type": "SessionEndedRequest"},
    ],
)
def test_failures_on_requests_that_cannot_speak_get_an_empty_response(client, kwargs):
    response = post(client, *signed(**kwargs))
    assert response.status_code == 200
    assert response.get_json() == {"version": "1.0", "response": {}}


# -- verification off -----------------------------------------------------------------------------


def test_verification_off_warns_loudly_once_and_serves_unsigned(caplog):
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        client = create_app(hello_skill(), None, logger=logging.getLogger(LOGGER)).test_client()
        for _ in range(3):
            response = client.post("/alexa", data=encode(make_envelope()))
            assert response.status_code == 200
    warnings = [r for r in caplog.records if "VERIFICATION IS OFF" in r.getMessage()]
    assert len(warnings) == 1


def test_verification_off_still_rejects_non_alexa_input():
    client = create_app(hello_skill(), None).test_client()
    assert client.post("/alexa", data=b"nope").status_code == 400
    assert client.post("/alexa", data=b'{"version": "1.0"}').status_code == 400


def test_body_arriving_in_small_pieces_is_read_whole(client):
    class Trickle(io.BytesIO):
        """A socket-like stream whose reads return at most 100 bytes."""

        def read(self, size: int | None = -1) -> bytes:
            return super().read(100 if size is None or size < 0 else min(size, 100))

    body, headers = signed()
    response = client.post(
        "/alexa",
        input_stream=Trickle(body),
        headers={**headers, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 200
