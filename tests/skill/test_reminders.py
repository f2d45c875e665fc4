"""Reminders (issue 12, item 1): "remind me every day at 8 am", twice a day, "what reminders do I have",
"cancel my reminders", the permission asked for by voice, and the offer after a finished session.

The Alexa Reminders API and the UPS time zone endpoint are a mock server on loopback HTTPS (the
skill's API client refuses anything else, as Alexa's endpoints are HTTPS), named by each request's
context.System.apiEndpoint, trusted through REQUESTS_CA_BUNDLE. Requests are signed and go through the
served Flask endpoint, as a device's do. The exact bodies the skill sends are asserted, and every
failure path: 401/403 and no consent token (AskFor), 500, a timeout, a refused connection, and a
request without apiEndpoint or apiAccessToken.
"""
from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import json
import socket
import ssl
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.attributes_manager import AttributesManager
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from ask_sdk_model.services import ApiConfiguration, ServiceClientFactory
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from skill.builder import build_skill
from skill.handlers.base import STATE_KEY, Deps, Turn
from skill.handlers.reminder_offer import OFFER_DECLINED, reminder_offer
from skill.handlers.reminders import (ASK_PERMISSION, CANCEL_FAILED, CANCEL_NONE, DENIED, FAILED, NOT_ANSWERED,
                                      STILL_NOT_ALLOWED)
from skill.interaction_model import LOCALES, interaction_model, manifest
from skill.model_lint import check_package
from skill.persistence import SQLitePersistenceAdapter
from skill.reminders import REMINDER_TEXT, REMINDERS_SCOPE, TimedApiClient
from skill.routines import RoutineLibrary
from skill.session_state import QUESTION_REMINDER, Place, UserState
from skill.spoken_time import ClockTime, alexa_time_value, clock_time
from skill.speech import readable
from skill.utterance_matcher import UtteranceMatcher
from skill.verify import RequestVerifier
from skill.webapp import create_app

from tests.alexa_signing import DEVICE_ID, SKILL_ID, USER_ID, encode, make_envelope, pki
from tests.emulator_harness import fresh_model, node_skip_reason, run_driver, served_skill
from tests.skill_harness import NOW, Clock, stored_state

TOKEN = "test-api-access-token"
REMINDERS = "/v1/alerts/reminders"
TIME_ZONE = f"/v2/devices/{DEVICE_ID}/settings/System.timeZone"
SERVER_DEADLINE = 10  # seconds: the longest the mock holds a request it was told to delay
# 12:00 UTC on a Tuesday in March: 07:00 in New York (EST), 12:00 in London (GMT).
NOON_UTC = dt.datetime(2024, 3, 5, 12, 0, tzinfo=dt.timezone.utc)
ROOT = Path(__file__).resolve().parents[2]


# -- the mock Alexa API on loopback HTTPS ------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert file, key file)."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@dataclass
class Seen:
    method: str
    path: str
    authorization: str | None
    body: Any


@dataclass
class AlexaApi:
    """What the mock answers: reminders it holds (token -> alert), and per (method, path prefix) a
    status to fail with or seconds to wait first. Every request it gets is in `seen`."""

    time_zone: str | None = "America/New_York"
    alerts: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail: dict[tuple[str, str], int] = field(default_factory=dict)
    delay: dict[tuple[str, str], float] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    url: str = ""
    stop: threading.Event = field(default_factory=threading.Event)

    def reminder_calls(self) -> list[Seen]:
        return [s for s in self.seen if s.path.startswith(REMINDERS)]

    def created(self) -> list[dict[str, Any]]:
        return [s.body for s in self.seen if s.method == "POST"]

    def hold(self, alert_token: str, hour: int, minute: int = 0, daily: bool = True) -> None:
        """A reminder of the skill's that the API holds already (made earlier, maybe on another device)."""
        start = f"2024-03-01T{hour:02d}:{minute:02d}:00.000"
        trigger: dict[str, Any] = {"type": "SCHEDULED_ABSOLUTE", "scheduledTime": start, "timeZoneId": "America/New_York"}
        if daily:
            trigger["recurrence"] = {"startDateTime": start,
                                     "recurrenceRules": [f"FREQ=DAILY;BYHOUR={hour};BYMINUTE={minute};BYSECOND=0;INTERVAL=1;"]}
        self.alerts[alert_token] = _alert(alert_token, trigger)

    def answer(self, method: str, path: str, authorization: str | None, body: Any) -> tuple[int, Any]:
        self.seen.append(Seen(method, path, authorization, body))
        for (m, prefix), seconds in self.delay.items():
            if m == method and path.startswith(prefix):
                self.stop.wait(min(seconds, SERVER_DEADLINE))
        for (m, prefix), status in self.fail.items():
            if m == method and path.startswith(prefix):
                return status, {"code": "ERROR", "message": f"mock {status}"}
        if authorization != f"Bearer {TOKEN}":
            return 401, {"code": "UNAUTHORIZED", "message": "no token"}
        if method == "GET" and path == TIME_ZONE:
            return (200, self.time_zone) if self.time_zone else (204, None)
        if method == "GET" and path == REMINDERS:
            return 200, {"totalCount": str(len(self.alerts)), "alerts": list(self.alerts.values()), "links": None}
        if method == "POST" and path == REMINDERS:
            token = f"alert-{uuid.uuid4()}"
            self.alerts[token] = _alert(token, body["trigger"])
            return 200, {"alertToken": token, "createdTime": "2024-03-05T12:00:00.000Z",
                         "updatedTime": "2024-03-05T12:00:00.000Z", "status": "ON", "version": "1",
                         "href": f"{REMINDERS}/{token}"}
        if method == "DELETE" and path.startswith(REMINDERS + "/"):
            token = path.rsplit("/", 1)[1]
            if self.alerts.pop(token, None) is None:
                return 404, {"code": "NOT_FOUND", "message": "no such reminder"}
            return 200, None
        return 404, {"code": "NOT_FOUND", "message": path}


def _alert(token: str, trigger: dict[str, Any]) -> dict[str, Any]:
    return {"alertToken": token, "createdTime": "2024-03-01T12:00:00.000Z", "updatedTime": "2024-03-01T12:00:00.000Z",
            "trigger": trigger, "status": "ON", "version": "1",
            "alertInfo": {"spokenInfo": {"content": [{"locale": "en-US", "text": REMINDER_TEXT}]}},
            "pushNotification": {"status": "ENABLED"}}


class _Handler(http.server.BaseHTTPRequestHandler):
    api: AlexaApi

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        status, answer = self.server.api.answer(self.command, self.path, self.headers.get("Authorization"), body)
        data = b"" if answer is None else json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = do_PUT = _serve

    def log_message(self, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # a client that gave up (the timeout test) leaves a broken pipe: expected


@pytest.fixture
def alexa_api(tls, monkeypatch):
    """The mock API on https://127.0.0.1:<port>, trusted by `requests` for this test."""
    cert_file, key_file = tls
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_file))
    api = AlexaApi()
    server = _Server(("127.0.0.1", 0), _Handler)
    server.api = api
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    api.url = f"https://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        api.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert not thread.is_alive()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"https://127.0.0.1:{port}"  # nothing listens there now: connection refused


# -- a device talking to the served skill ----------------------------------------------------------------


@dataclass
class Reply:
    document: dict[str, Any]

    @property
    def response(self) -> dict[str, Any]:
        return self.document.get("response", {})

    @property
    def text(self) -> str:
        return readable((self.response.get("outputSpeech") or {}).get("ssml", ""))

    @property
    def ended(self) -> bool:
        return self.response.get("shouldEndSession") is True

    @property
    def directives(self) -> list[dict[str, Any]]:
        return self.response.get("directives") or []

    @property
    def card(self) -> dict[str, Any] | None:
        return self.response.get("card")


@dataclass
class Device:
    """One user's Echo: signed requests with the API endpoint, token and consent it is given."""

    client: Any
    endpoint: str | None
    token: str | None = TOKEN
    consent: bool = True
    locale: str = "en-US"
    session_id: str | None = None

    def envelope(self, **kwargs: Any) -> dict[str, Any]:
        new = self.session_id is None
        if new:
            self.session_id = f"amzn1.echo-api.session.{uuid.uuid4()}"
        envelope = make_envelope(timestamp=NOW, session_id=self.session_id, new_session=new, locale=self.locale, **kwargs)
        system = envelope["context"]["System"]
        for key, value in (("apiEndpoint", self.endpoint), ("apiAccessToken", self.token)):
            if value is None:
                system.pop(key, None)
            else:
                system[key] = value
        if self.consent:
            system["user"]["permissions"] = {"consentToken": "test-consent-token"}
        return envelope

    def send(self, **kwargs: Any) -> Reply:
        body = encode(self.envelope(**kwargs))
        response = self.client.post("/alexa", data=body, headers={"Content-Type": "application/json", **pki().good.sign(body)})
        assert response.status_code == 200, response.get_data(as_text=True)
        reply = Reply(response.get_json())
        if reply.ended:
            self.session_id = None
        return reply

    def say(self, intent: str, **slots: Any) -> Reply:
        return self.send(intent=intent, slots=slots or None)

    def launch(self) -> Reply:
        self.session_id = None
        return self.send()

    def permission_answer(self, status: str, code: str = "200") -> Reply:
        """Alexa's Connections.Response to our AskFor."""
        return self.send(request_type="Connections.Response", request_fields={
            "name": "AskFor", "status": {"code": code, "message": "OK"}, "token": "back-routine-reminders",
            "payload": {"permissionScope": REMINDERS_SCOPE, "status": status}})


@pytest.fixture
def skill_app(routines, tmp_path):
    """(make(clock, api_client) -> Flask test client, adapter): the production assembly per test."""
    adapter = SQLitePersistenceAdapter(tmp_path / "progress.sqlite3")
    verifier = RequestVerifier(SKILL_ID, trusted_roots=pki().trusted_roots, fetcher=pki().fetcher(), clock=lambda: NOW)

    def make(clock: Clock | None = None, api_client: TimedApiClient | None = None):
        skill = build_skill(routines, adapter, clock or Clock(NOON_UTC), api_client=api_client)
        return create_app(skill, verifier).test_client()

    yield make, adapter
    adapter.close()


def ask_for_directive(reply: Reply) -> dict[str, Any]:
    (directive,) = [d for d in reply.directives if d.get("type") == "Connections.SendRequest"]
    return directive


# -- setting a reminder: the exact request ------------------------------------------------------------------


def test_every_day_at_8_am_sends_a_daily_rule_in_the_users_time_zone_and_locale(skill_app, alexa_api):
    make, adapter = skill_app
    device = Device(make(), alexa_api.url, locale="en-GB")
    device.launch()
    reply = device.say("SetReminderIntent", time="08:00", what="my back routine")

    assert alexa_api.created() == [{
        "requestTime": "2024-03-05T12:00:00",
        "trigger": {
            "type": "SCHEDULED_ABSOLUTE",
            "scheduledTime": "2024-03-05T08:00:00",  # 07:00 in New York now: today's 08:00 is still ahead
            "timeZoneId": "America/New_York",
            "recurrence": {"startDateTime": "2024-03-05T08:00:00",
                           "recurrenceRules": ["FREQ=DAILY;BYHOUR=8;BYMINUTE=0;BYSECOND=0;INTERVAL=1;"]},
        },
        "alertInfo": {"spokenInfo": {"content": [
            {"locale": "en-GB", "text": "Time for your back routine. Say: Alexa, open my back routine."}]}},
        "pushNotification": {"status": "ENABLED"},
    }]
    assert {s.authorization for s in alexa_api.seen} == {f"Bearer {TOKEN}"}
    assert reply.text.startswith("Done. I'll remind you every day at eight in the morning.")
    assert not reply.ended
    assert stored_state(adapter)["reminders"] == list(alexa_api.alerts)


def test_twice_a_day_at_8_and_6_is_two_reminders_morning_and_evening(skill_app, alexa_api):
    make, adapter = skill_app
    device = Device(make(), alexa_api.url)
    # Alexa resolves "six" to 06:00; twice a day means the second one later in the day.
    reply = device.say("SetReminderIntent", time="08:00", second_time="06:00")
    bodies = alexa_api.created()
    assert [b["trigger"]["recurrence"]["recurrenceRules"] for b in bodies] == [
        ["FREQ=DAILY;BYHOUR=8;BYMINUTE=0;BYSECOND=0;INTERVAL=1;"],
        ["FREQ=DAILY;BYHOUR=18;BYMINUTE=0;BYSECOND=0;INTERVAL=1;"]]
    assert [b["trigger"]["scheduledTime"] for b in bodies] == ["2024-03-05T08:00:00", "2024-03-05T18:00:00"]
    assert "every day at eight in the morning and at six in the evening" in reply.text
    assert len(stored_state(adapter)["reminders"]) == 2


def test_a_time_already_past_today_starts_tomorrow(skill_app, alexa_api):
    make, _ = skill_app
    device = Device(make(Clock(dt.datetime(2024, 3, 5, 18, 20, tzinfo=dt.timezone.utc))), alexa_api.url)  # 13:20 EST
    device.say("SetReminderIntent", time="13:30")  # ten minutes away: too soon to be the first
    device.say("SetReminderIntent", time="07:15")
    starts = [b["trigger"]["recurrence"]["startDateTime"] for b in alexa_api.created()]
    assert starts == ["2024-03-06T13:30:00", "2024-03-06T07:15:00"]


def test_without_a_time_zone_alexa_uses_the_devices_and_the_first_is_tomorrow(skill_app, alexa_api):
    make, _ = skill_app
    alexa_api.fail[("GET", TIME_ZONE)] = 500
    reply = Device(make(), alexa_api.url).say("SetReminderIntent", time="20:30")
    (body,) = alexa_api.created()
    assert "timeZoneId" not in body["trigger"]
    assert body["trigger"]["scheduledTime"] == "2024-03-06T20:30:00"
    assert "half past eight in the evening" in reply.text


def test_a_time_the_user_already_has_is_not_set_twice(skill_app, alexa_api):
    make, adapter = skill_app
    alexa_api.hold("alert-earlier", 8)
    reply = Device(make(), alexa_api.url).say("SetReminderIntent", time="08:00")
    assert alexa_api.created() == []
    assert reply.text.startswith("You already have a reminder every day at eight in the morning.")
    assert stored_state(adapter)["reminders"] == ["alert-earlier"]  # ours, though made elsewhere


def test_no_time_said_asks_for_one_and_a_part_of_the_day_asks_which_time(skill_app, alexa_api):
    make, _ = skill_app
    device = Device(make(), alexa_api.url)
    asked = device.say("SetReminderIntent", what="my exercises")
    assert asked.text.startswith("What time shall I remind you each day?") and not asked.ended
    evening = device.say("SetReminderIntent", time="EV")
    assert evening.text.startswith("What time in the evening?")
    done = device.say("SetReminderIntent", time="18:45")
    assert "every day at quarter to seven in the evening" in done.text
    assert len(alexa_api.created()) == 1


# -- permission -------------------------------------------------------------------------------------------------


def test_no_consent_token_asks_by_voice_and_accepted_sets_what_was_asked(skill_app, alexa_api):
    make, adapter = skill_app
    device = Device(make(), alexa_api.url, consent=False)
    device.launch()
    asked = device.say("SetReminderIntent", time="07:30")
    assert asked.text == ASK_PERMISSION
    assert ask_for_directive(asked) == {
        "type": "Connections.SendRequest", "name": "AskFor", "token": "back-routine-reminders",
        "payload": {"@type": "AskForPermissionsConsentRequest", "@version": "1", "permissionScope": REMINDERS_SCOPE}}
    assert "shouldEndSession" not in asked.response and "reprompt" not in asked.response
    assert alexa_api.reminder_calls() == []  # nothing asked of the API without consent
    assert stored_state(adapter)["reminder_wanted"] == ["07:30"]

    device.consent = True
    done = device.permission_answer("ACCEPTED")
    (body,) = alexa_api.created()
    assert body["trigger"]["recurrence"]["recurrenceRules"] == ["FREQ=DAILY;BYHOUR=7;BYMINUTE=30;BYSECOND=0;INTERVAL=1;"]
    assert done.text.startswith("Done. I'll remind you every day at half past seven in the morning.")
    state = stored_state(adapter)
    assert state["reminder_wanted"] == [] and state["reminders"] == list(alexa_api.alerts)


@pytest.mark.parametrize("status, call", [(401, ("GET", REMINDERS)), (403, ("POST", REMINDERS))])
def test_401_or_403_from_the_api_asks_for_the_permission(skill_app, alexa_api, status, call):
    make, adapter = skill_app
    alexa_api.fail[call] = status
    reply = Device(make(), alexa_api.url).say("SetReminderIntent", time="08:00")
    assert reply.text == ASK_PERMISSION and ask_for_directive(reply)["name"] == "AskFor"
    assert stored_state(adapter)["reminder_wanted"] == ["08:00"]
    assert alexa_api.alerts == {}


@pytest.mark.parametrize("status, line", [("DENIED", DENIED), ("NOT_ANSWERED", NOT_ANSWERED)])
def test_denied_or_not_answered_sends_the_card_and_says_so(skill_app, alexa_api, status, line):
    make, adapter = skill_app
    device = Device(make(), alexa_api.url, consent=False)
    device.launch()
    device.say("SetReminderIntent", time="08:00")
    reply = device.permission_answer(status)
    assert reply.text.startswith(line)
    assert reply.card == {"type": "AskForPermissionsConsent", "permissions": [REMINDERS_SCOPE]}
    assert not reply.directives
    assert alexa_api.reminder_calls() == []
    assert stored_state(adapter)["reminder_wanted"] == []


def test_accepted_but_still_refused_sends_the_card_and_never_asks_again(skill_app, alexa_api):
    make, _ = skill_app
    device = Device(make(), alexa_api.url, consent=False)
    device.say("SetReminderIntent", time="08:00")
    device.consent = True
    alexa_api.fail[("GET", REMINDERS)] = 401
    reply = device.permission_answer("ACCEPTED")
    assert reply.text.startswith(STILL_NOT_ALLOWED)
    assert reply.card["type"] == "AskForPermissionsConsent" and not reply.directives


def test_a_failed_connections_response_counts_as_not_answered(skill_app, alexa_api):
    make, _ = skill_app
    device = Device(make(), alexa_api.url, consent=False)
    device.say("SetReminderIntent", time="08:00")
    reply = device.permission_answer("ACCEPTED", code="500")
    assert reply.text.startswith(NOT_ANSWERED) and alexa_api.created() == []


# -- failures: a calm line, nothing changed, never a 500 -------------------------------------------------------


@pytest.mark.parametrize("call", [("GET", REMINDERS), ("POST", REMINDERS)])
def test_server_errors_get_a_calm_line(skill_app, alexa_api, call):
    make, adapter = skill_app
    device = Device(make(), alexa_api.url)
    device.launch()
    alexa_api.fail[call] = 500
    reply = device.say("SetReminderIntent", time="08:00")
    assert reply.text.startswith(FAILED) and not reply.ended and not reply.directives
    assert stored_state(adapter)["reminders"] == []


def test_a_slow_api_times_out_with_a_short_deadline(skill_app, alexa_api):
    make, adapter = skill_app
    alexa_api.delay[("GET", REMINDERS)] = SERVER_DEADLINE
    reply = Device(make(api_client=TimedApiClient(timeout=0.3)), alexa_api.url).say("SetReminderIntent", time="08:00")
    assert reply.text.startswith(FAILED)
    assert alexa_api.created() == [] and stored_state(adapter).get("reminders", []) == []


def test_a_refused_connection_gets_a_calm_line(skill_app):
    make, _ = skill_app
    reply = Device(make(), closed_port_url()).say("SetReminderIntent", time="08:00")
    assert reply.text.startswith(FAILED)


@pytest.mark.parametrize("missing", ["token", "endpoint"])
def test_a_request_that_cannot_reach_the_api_says_so_and_asks_nothing(skill_app, alexa_api, missing):
    make, adapter = skill_app
    device = Device(make(), None if missing == "endpoint" else alexa_api.url, token=None if missing == "token" else TOKEN)
    device.launch()
    reply = device.say("SetReminderIntent", time="08:00")
    assert reply.text.startswith("I can't set reminders on this device. You can set one in the Alexa app, "
                                 "for every day at eight in the morning.")
    assert not reply.directives and not reply.ended
    assert alexa_api.seen == []
    listed = device.say("ListRemindersIntent")
    assert listed.text.startswith("I can't check reminders on this device.")
    cancelled = device.say("CancelRemindersIntent")
    assert cancelled.text.startswith("I can't change reminders on this device.")
    assert alexa_api.seen == [] and stored_state(adapter)["reminders"] == []


def test_failures_log_neither_the_user_nor_a_reminder_token(skill_app, alexa_api, caplog):
    make, _ = skill_app
    device = Device(make(api_client=TimedApiClient(timeout=0.3)), alexa_api.url)
    device.say("SetReminderIntent", time="08:00")
    token = next(iter(alexa_api.alerts))
    alexa_api.delay[("DELETE", REMINDERS)] = SERVER_DEADLINE
    with caplog.at_level("DEBUG", logger="skill"):
        assert device.say("CancelRemindersIntent").text.startswith(CANCEL_FAILED)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "skill")
    assert "delete: no answer" in logged
    assert token not in logged and USER_ID not in logged


# -- listing and cancelling ------------------------------------------------------------------------------------------


def test_what_reminders_do_i_have_lists_the_skills_reminders_and_forgets_deleted_ones(skill_app, alexa_api):
    make, adapter = skill_app
    device = Device(make(), alexa_api.url)
    device.say("SetReminderIntent", time="08:00")
    mine = list(alexa_api.alerts)
    alexa_api.alerts.clear()  # deleted in the Alexa app
    alexa_api.hold("alert-other-device", 18, 30)
    reply = device.say("ListRemindersIntent")
    assert reply.text.startswith("I'll remind you every day at half past six in the evening.")
    assert stored_state(adapter)["reminders"] == ["alert-other-device"] and mine[0] not in stored_state(adapter)["reminders"]
    alexa_api.alerts.clear()
    assert device.say("ListRemindersIntent").text.startswith("You have no reminders from me.")


def test_cancel_deletes_ours_and_those_the_api_lists_and_stops_the_offer(skill_app, alexa_api):
    make, adapter = skill_app
    device = Device(make(), alexa_api.url)
    device.say("SetReminderIntent", time="08:00", second_time="18:00")
    ours = list(alexa_api.alerts)
    alexa_api.alerts.pop(ours[0])  # gone already (deleted in the app): its 404 counts as done
    alexa_api.hold("alert-forgotten", 12)
    reply = device.say("CancelRemindersIntent")
    assert reply.text.startswith("Done. I've cancelled your reminders, and I won't remind you any more.")
    deleted = sorted(s.path.rsplit("/", 1)[1] for s in alexa_api.seen if s.method == "DELETE")
    assert deleted == sorted([*ours, "alert-forgotten"])
    assert alexa_api.alerts == {}
    state = stored_state(adapter)
    assert state["reminders"] == [] and state["reminder_offer_declined"] is True
    assert device.say("CancelRemindersIntent").text.startswith(CANCEL_NONE)


def test_a_failed_delete_keeps_the_token_to_try_again(skill_app, alexa_api):
    make, adapter = skill_app
    device = Device(make(), alexa_api.url)
    device.say("SetReminderIntent", time="08:00")
    alexa_api.fail[("DELETE", REMINDERS)] = 500
    reply = device.say("CancelRemindersIntent")
    assert reply.text.startswith(CANCEL_FAILED)
    assert stored_state(adapter)["reminders"] == list(alexa_api.alerts)
    del alexa_api.fail[("DELETE", REMINDERS)]
    assert device.say("CancelRemindersIntent").text.startswith("Done. I've cancelled your reminder,")
    assert alexa_api.alerts == {}


# -- the offer after a finished session ----------------------------------------------------------------------------


def finished_turn(adapter, routines: Path, device: Device, clock: Clock, api_client=None) -> tuple[Turn, AttributesManager]:
    """A Turn for a request in `device`'s open session, just after the routine's last part was given."""
    envelope = device.envelope(intent="AMAZON.NextIntent")
    request = DefaultSerializer().deserialize(json.dumps(envelope), RequestEnvelope)
    manager = AttributesManager(request_envelope=request, persistence_adapter=adapter)
    factory = None
    if device.endpoint and device.token:
        factory = ServiceClientFactory(ApiConfiguration(serializer=DefaultSerializer(), api_client=api_client or TimedApiClient(),
                                                        authorization_value=device.token, api_endpoint=device.endpoint))
    handler_input = HandlerInput(request_envelope=request, attributes_manager=manager, service_client_factory=factory)
    state = UserState.from_attributes(manager.persistent_attributes)
    library = RoutineLibrary(routines)
    state.routine = library.default_id()
    state.place = Place(len(library.course(state.routine).graph.blocks) - 1, 0, finished=True)
    state.played_in = device.session_id
    manager.request_attributes[STATE_KEY] = state
    return Turn(handler_input, Deps(library=library, clock=clock)), manager


def save(turn: Turn, manager: AttributesManager) -> None:
    manager.persistent_attributes = turn.state.to_attributes()
    manager.save_persistent_attributes()


def test_the_offer_says_the_local_time_and_yes_sets_a_daily_reminder_from_tomorrow(skill_app, alexa_api, routines):
    make, adapter = skill_app
    alexa_api.time_zone = "Europe/London"
    clock = Clock(dt.datetime(2024, 3, 5, 18, 28, 40, tzinfo=dt.timezone.utc))
    device = Device(make(clock), alexa_api.url)
    device.launch()
    turn, manager = finished_turn(adapter, routines, device, clock)
    offer = reminder_offer(turn)
    assert offer == "Shall I remind you tomorrow at half past six in the evening, and every day at that time?"
    assert turn.state.pending_question(device.session_id) == QUESTION_REMINDER
    save(turn, manager)

    reply = device.say("AMAZON.YesIntent")
    (body,) = alexa_api.created()
    assert body["trigger"]["timeZoneId"] == "Europe/London"
    assert body["trigger"]["recurrence"] == {"startDateTime": "2024-03-06T18:30:00",
                                             "recurrenceRules": ["FREQ=DAILY;BYHOUR=18;BYMINUTE=30;BYSECOND=0;INTERVAL=1;"]}
    assert reply.text == ("Done. I'll remind you every day at half past six in the evening. "
                          "Take care, and see you next time.")
    assert reply.ended
    # With a reminder of ours, no more offers.
    turn, _ = finished_turn(adapter, routines, device, clock)
    assert reminder_offer(turn) is None


def test_no_to_the_offer_is_remembered_and_never_asked_again(skill_app, alexa_api, routines):
    make, adapter = skill_app
    clock = Clock(NOON_UTC)
    device = Device(make(clock), alexa_api.url)
    device.launch()
    turn, manager = finished_turn(adapter, routines, device, clock)
    assert reminder_offer(turn) == "Shall I remind you tomorrow at seven in the morning, and every day at that time?"
    save(turn, manager)
    reply = device.say("AMAZON.NoIntent")
    assert reply.text.startswith(OFFER_DECLINED) and reply.ended
    assert alexa_api.created() == []
    assert stored_state(adapter)["reminder_offer_declined"] is True
    device.launch()
    turn, _ = finished_turn(adapter, routines, device, clock)
    assert reminder_offer(turn) is None and turn.state.question != QUESTION_REMINDER


def test_yes_to_the_offer_without_consent_asks_for_the_permission_then_sets_it(skill_app, alexa_api, routines):
    make, adapter = skill_app
    clock = Clock(NOON_UTC)
    device = Device(make(clock), alexa_api.url, consent=False)
    device.launch()
    turn, manager = finished_turn(adapter, routines, device, clock)
    assert reminder_offer(turn) is not None
    save(turn, manager)
    asked = device.say("AMAZON.YesIntent")
    assert ask_for_directive(asked)["payload"]["permissionScope"] == REMINDERS_SCOPE
    device.consent = True
    device.permission_answer("ACCEPTED")
    (body,) = alexa_api.created()
    assert body["trigger"]["recurrence"]["startDateTime"] == "2024-03-06T07:00:00"


def test_no_offer_without_a_time_zone_or_without_the_api(skill_app, alexa_api, routines):
    make, adapter = skill_app
    clock = Clock(NOON_UTC)
    alexa_api.time_zone = None  # the settings API has none (204)
    device = Device(make(clock), alexa_api.url)
    turn, _ = finished_turn(adapter, routines, device, clock)
    assert reminder_offer(turn) is None and turn.state.question is None
    no_api = Device(make(clock), None)
    turn, _ = finished_turn(adapter, routines, no_api, clock)
    assert reminder_offer(turn) is None


def test_a_yes_in_another_session_does_not_set_a_reminder(skill_app, alexa_api, routines):
    make, adapter = skill_app
    clock = Clock(NOON_UTC)
    device = Device(make(clock), alexa_api.url)
    device.launch()
    turn, manager = finished_turn(adapter, routines, device, clock)
    reminder_offer(turn)
    save(turn, manager)
    device.launch()  # a new session
    device.say("AMAZON.YesIntent")
    assert alexa_api.created() == []


# -- state, times, the model ------------------------------------------------------------------------------------------


def test_reminder_fields_round_trip_and_read_forgivingly():
    state = UserState(reminders=["a1", "a2"], reminder_wanted=["08:00", "18:30"], reminder_offer_declined=True)
    state.ask(QUESTION_REMINDER, "s1")
    again = UserState.from_attributes(json.loads(json.dumps(state.to_attributes())))
    assert (again.reminders, again.reminder_wanted, again.reminder_offer_declined) == (["a1", "a2"], ["08:00", "18:30"], True)
    assert again.pending_question("s1") == QUESTION_REMINDER
    damaged = UserState.from_attributes({"reminders": ["ok", 3, None, ""], "reminder_wanted": ["25:00", "8 am", "07:05", 7],
                                         "reminder_offer_declined": "yes"})
    assert (damaged.reminders, damaged.reminder_wanted, damaged.reminder_offer_declined) == (["ok"], ["07:05"], False)
    old = UserState.from_attributes({"routine": "back-pain"})  # saved before reminders existed
    assert (old.reminders, old.reminder_wanted, old.reminder_offer_declined) == ([], [], False)


@pytest.mark.parametrize("words, value", [
    ("eight", "08:00"), ("8 am", "08:00"), ("8 a.m.", "08:00"), ("6 pm", "18:00"), ("six thirty in the evening", "18:30"),
    ("half past six", "06:30"), ("quarter to nine", "08:45"), ("twenty past seven", "07:20"), ("seven oh five", "07:05"),
    ("ten at night", "22:00"), ("noon", "12:00"), ("midnight", "00:00"), ("eight o'clock in the morning", "08:00"),
    ("the evening", "EV"), ("morning", "MO"), ("banana", None), ("thirteen pm", None), ("half past", None),
])
def test_spoken_times_resolve_as_alexa_sends_them(words, value):
    assert alexa_time_value(words) == value


@pytest.mark.parametrize("time, said", [
    ((8, 0), "eight in the morning"), ((18, 30), "half past six in the evening"), ((7, 15), "quarter past seven in the morning"),
    ((20, 45), "quarter to nine in the evening"), ((13, 0), "one in the afternoon"), ((22, 0), "ten at night"),
    ((12, 0), "midday"), ((0, 0), "midnight"), ((7, 5), "seven oh five in the morning"), ((9, 40), "nine forty in the morning"),
])
def test_times_are_said_back_naturally(time, said):
    assert ClockTime(*time).said == said


def test_every_time_said_back_reads_back_as_the_same_time():
    """What the skill says can be said to it: each time of day, said back, resolves to itself."""
    for minutes in range(0, 24 * 60, 5):
        time = ClockTime(*divmod(minutes, 60))
        assert clock_time(time.said) == time, time.said


def test_reminder_phrases_are_heard_with_their_times_and_the_package_passes_the_lint(routines):
    library = RoutineLibrary(routines)
    model = interaction_model(library)
    matcher = UtteranceMatcher(model)
    heard = matcher.match("remind me to do my back routine every day at 8 am")
    assert heard.intent == "SetReminderIntent"
    assert heard.slots["time"]["value"] == "08:00" and heard.slots["what"]["value"] == "my back routine"
    twice = matcher.match("ask my back routine to remind me twice a day at 8 and 6")
    assert twice.intent == "SetReminderIntent" and twice.new_session
    assert (twice.slots["time"]["value"], twice.slots["second_time"]["value"]) == ("08:00", "06:00")
    assert matcher.match("what reminders do I have").intent == "ListRemindersIntent"
    assert matcher.match("cancel my reminders").intent == "CancelRemindersIntent"
    assert matcher.match("remind me every day at lunch").intent == "AMAZON.FallbackIntent"  # not a time Alexa resolves
    package = manifest(library)
    assert {"name": REMINDERS_SCOPE} in package["manifest"]["permissions"]
    assert check_package(package, {locale: interaction_model(library, locale) for locale in LOCALES}) == []


def test_the_generated_skill_package_declares_the_permission():
    package = json.loads((ROOT / "skill-package" / "skill.json").read_text(encoding="utf-8"))
    assert package["manifest"]["permissions"] == [{"name": REMINDERS_SCOPE}]
    model = json.loads((ROOT / "skill-package" / "interactionModels" / "custom" / "en-US.json").read_text(encoding="utf-8"))
    names = {i["name"] for i in model["interactionModel"]["languageModel"]["intents"]}
    assert {"SetReminderIntent", "ListRemindersIntent", "CancelRemindersIntent"} <= names


# -- through Bespoken's virtual-alexa -------------------------------------------------------------------------------


@pytest.mark.skipif(node_skip_reason() is not None, reason=node_skip_reason() or "")
def test_a_conversation_through_the_emulator_reaches_the_reminder_intents(routines, tmp_path):
    """virtual-alexa maps the words through the generated model and posts to the served skill. It leaves
    AMAZON.TIME unresolved and sends no apiEndpoint, so the skill reads the spoken time itself and says
    this device cannot set the reminder, naming the time it heard."""
    model = fresh_model(routines, tmp_path)
    steps = ["open my back routine", "remind me to do my back routine every day at 8 am",
             "remind me twice a day at half past seven and six pm", "what reminders do I have", "cancel my reminders"]
    with served_skill(routines, tmp_path / "server") as url:
        (result,) = run_driver({"mode": "converse", "model": str(model), "skillURL": url,
                                "conversations": [{"userId": f"amzn1.ask.account.EMULATOR-{uuid.uuid4()}", "steps": steps}]},
                               timeout=60)
    launch, daily, twice, listed, cancelled = result["steps"]
    assert all("error" not in s for s in result["steps"]), result["steps"]
    assert launch["intent"] == "LaunchRequest"
    assert daily["intent"] == "SetReminderIntent" and daily["slots"]["time"] == "8 am"
    assert daily["slots"]["what"] == "my back routine"
    assert "for every day at eight in the morning" in readable(daily["ssml"])
    assert twice["intent"] == "SetReminderIntent"
    assert "every day at half past seven in the morning and at six in the evening" in readable(twice["ssml"])
    assert listed["intent"] == "ListRemindersIntent" and "check reminders" in readable(listed["ssml"])
    assert cancelled["intent"] == "CancelRemindersIntent" and not cancelled["ended"]
