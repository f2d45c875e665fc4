"""Flask front door for the Alexa skill: POST /alexa, GET /healthz and GET /privacy.

`create_app(skill, verifier)` builds a fresh app (no module-level state); the Alexa endpoint itself is
a blueprint (`alexa_blueprint`) so the web player and audio routes can be registered on the same app.

Status codes follow what Alexa expects: anything wrong with the *request* (too big, not JSON, not an
Alexa envelope, failed verification, malformed for the handlers, not deserializable) is a 4xx with a
one-line log of the reason; a bug in our handlers is logged with its traceback and answered 200 with a
short spoken apology, so the user hears something sensible and no stack trace ever leaves the server.
A response over Alexa's 24 KB is replaced by a short one that keeps the session open
(skill/response_guard.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope, ResponseEnvelope
from flask import Blueprint, Flask, Response, request

from skill.envelope_check import envelope_problem
from skill.privacy_page import PRIVACY_HTML
from skill.response_guard import MAX_RESPONSE_BYTES, fit_response, speakable
from skill.verify import RequestVerifier, VerificationError

__all__ = ["APOLOGY", "MAX_RESPONSE_BYTES", "Invokable", "alexa_blueprint", "create_app"]

APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment."
DEFAULT_MAX_BODY_BYTES = 64 * 1024


class Invokable(Protocol):
    """What the endpoint needs from a skill: ask_sdk_core's CustomSkill satisfies it."""

    def invoke(self, request_envelope: RequestEnvelope, context: Any) -> ResponseEnvelope: ...


def create_app(
    skill: Invokable,
    verifier: RequestVerifier | None,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    logger: logging.Logger | None = None,
) -> Flask:
    """A Flask app serving `skill` at POST /alexa plus GET /healthz and the privacy page at GET /privacy.

    `verifier=None` turns request verification off (local testing only; Amazon requires it for any
    published web-service skill), which is logged loudly once here.
    """
    log = logger or logging.getLogger(__name__)
    app = Flask(__name__)
    app.register_blueprint(alexa_blueprint(skill, verifier, max_body_bytes=max_body_bytes, logger=log))

    @app.get("/healthz")
    def healthz() -> Response:
        return _json({"status": "ok"}, 200)

    @app.get("/privacy")
    def privacy() -> Response:
        # The privacy policy skill.json links to (skill/privacy_page.py).
        return Response(PRIVACY_HTML, status=200, mimetype="text/html")

    return app


def alexa_blueprint(
    skill: Invokable,
    verifier: RequestVerifier | None,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    logger: logging.Logger | None = None,
    name: str = "alexa",
) -> Blueprint:
    """The POST /alexa endpoint as a blueprint, for mounting on an existing app."""
    log = logger or logging.getLogger(__name__)
    if verifier is None:
        log.warning(
            "!!! ALEXA REQUEST VERIFICATION IS OFF: any client can call /alexa as any user. "
            "Never expose this app to the internet without a RequestVerifier. !!!"
        )
    endpoint = _AlexaEndpoint(skill, verifier, max_body_bytes, log, DefaultSerializer())
    blueprint = Blueprint(name, __name__)
    blueprint.add_url_rule("/alexa", "alexa", endpoint.handle, methods=["POST"])
    return blueprint


class _Rejected(Exception):
    """Internal: stop processing and answer `status` because of `reason`."""

    def __init__(self, status: int, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.status, self.reason, self.detail = status, reason, detail


@dataclass(frozen=True)
class _AlexaEndpoint:
    skill: Invokable
    verifier: RequestVerifier | None
    max_body_bytes: int
    log: logging.Logger
    serializer: DefaultSerializer

    def handle(self) -> Response:
        payload: Mapping[str, Any] | None = None
        try:
            body = self._read_body()
            payload = self._parse(body)
            self._verify(body, payload)
            self._check(payload)
            envelope = self._deserialize(body)
        except _Rejected as rejected:
            self.log.warning(
                "alexa request rejected: status=%d reason=%s detail=%r request_id=%s remote=%s",
                rejected.status,
                rejected.reason,
                rejected.detail,
                _request_id(payload),
                request.remote_addr,
            )
            return _json({"error": rejected.reason}, rejected.status)
        return self._invoke(envelope, payload)

    # -- steps, each raising _Rejected ----------------------------------------------------------------

    def _read_body(self) -> bytes:
        declared = request.content_length
        if declared is not None and declared > self.max_body_bytes:
            raise _Rejected(413, "body_too_large", f"Content-Length {declared}")
        # Also cap the actual read: chunked bodies have no Content-Length to check up front.
        body = _read_at_most(request.stream, self.max_body_bytes + 1)
        if len(body) > self.max_body_bytes:
            raise _Rejected(413, "body_too_large", f"more than {self.max_body_bytes} bytes read")
        return body

    @staticmethod
    def _parse(body: bytes) -> Mapping[str, Any]:
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError) as exc:  # RecursionError: absurdly nested arrays
            raise _Rejected(400, "malformed_json", type(exc).__name__) from None
        problem = _envelope_problem(payload)
        if problem:
            raise _Rejected(400, "not_alexa_request", problem)
        return payload

    def _verify(self, body: bytes, payload: Mapping[str, Any]) -> None:
        if self.verifier is None:
            return
        try:
            self.verifier.verify(request.headers, body, payload)
        except VerificationError as exc:
            raise _Rejected(400, exc.reason, exc.detail) from None
        except Exception as exc:  # a verifier bug must still fail closed, and as a 400
            self.log.exception("request verifier crashed")
            raise _Rejected(400, "verification_error", type(exc).__name__) from None

    @staticmethod
    def _check(payload: Mapping[str, Any]) -> None:
        # After verification on purpose: an unsigned caller learns nothing here it could not before.
        problem = envelope_problem(payload)
        if problem:
            raise _Rejected(400, "malformed_envelope", problem)

    def _deserialize(self, body: bytes) -> RequestEnvelope:
        # DefaultSerializer's public API takes the JSON text, so the body is parsed a second time;
        # that costs ~5 µs against ~100 µs for building the model objects.
        try:
            envelope = self.serializer.deserialize(body.decode("utf-8"), RequestEnvelope)
        except Exception as exc:  # e.g. a request type unknown to this ask-sdk-model version
            raise _Rejected(400, "deserialization_failed", f"{type(exc).__name__}: {exc}"[:300]) from None
        if not isinstance(envelope, RequestEnvelope) or envelope.request is None:
            raise _Rejected(400, "deserialization_failed", "no request")
        return envelope

    # -- dispatch -------------------------------------------------------------------------------------

    def _invoke(self, envelope: RequestEnvelope, payload: Mapping[str, Any]) -> Response:
        try:
            response_envelope = self.skill.invoke(request_envelope=envelope, context=None)
            document = self.serializer.serialize(response_envelope)
            text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
        except Exception:
            # The request was valid, so this is our bug: keep the traceback in the log, give the user
            # a polite answer rather than Alexa's generic "problem with the skill's response".
            self.log.exception(
                "skill failed on %s request_id=%s", _request_type(payload), _request_id(payload)
            )
            return _json(_apology(payload), 200)
        fitted = fit_response(payload, document, text, self.log)
        if fitted is not document:
            return _json(fitted, 200)
        return Response(text, status=200, mimetype="application/json")


def _read_at_most(stream: Any, limit: int) -> bytes:
    # A single read() may return less than asked on a socket-backed stream; loop until EOF or limit.
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _envelope_problem(payload: Any) -> str | None:
    """Why `payload` is not an Alexa request envelope, or None if it looks like one.

    Only what verification reads; the full check (skill/envelope_check.py) runs after it.
    """
    if not isinstance(payload, dict):
        return "not an object"
    if not isinstance(payload.get("version"), str):
        return "no version"
    req = payload.get("request")
    if not isinstance(req, dict):
        return "no request"
    if not isinstance(req.get("type"), str) or not req["type"]:
        return "no request.type"
    if "timestamp" not in req:
        return "no request.timestamp"
    system = payload.get("context", {}).get("System") if isinstance(payload.get("context"), dict) else None
    if not isinstance(system, dict) and not isinstance(payload.get("session"), dict):
        return "neither context.System nor session"
    return None


def _apology(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A valid response for a request our code failed on; empty where speech is not allowed."""
    response: dict[str, Any] = {}
    if speakable(payload):
        response = {
            "outputSpeech": {"type": "PlainText", "text": APOLOGY},
            "shouldEndSession": True,
        }
    return {"version": "1.0", "response": response}


def _request_type(payload: Mapping[str, Any] | None) -> str | None:
    req = payload.get("request") if isinstance(payload, Mapping) else None
    return req.get("type") if isinstance(req, Mapping) else None


def _request_id(payload: Mapping[str, Any] | None) -> str | None:
    req = payload.get("request") if isinstance(payload, Mapping) else None
    return req.get("requestId") if isinstance(req, Mapping) else None


def _json(document: Any, status: int) -> Response:
    return Response(json.dumps(document, separators=(",", ":")), status=status, mimetype="application/json")
