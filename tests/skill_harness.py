"""Test helper: talk to the whole skill through the Flask endpoint with signed requests.

`Conversation` plays a user on a device: every request is a real envelope (tests/alexa_signing.py),
signed by the local test PKI and checked by the real RequestVerifier, so the tests cover the same
path a request from Alexa takes. Progress lives in a SQLite file under the test's tmp_path.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skill.builder import build_skill
from skill.persistence import SQLitePersistenceAdapter
from skill.speech import readable
from skill.verify import RequestVerifier
from skill.webapp import create_app

from tests.alexa_signing import SKILL_ID, USER_ID, encode, make_envelope, pki

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


class Clock:
    """A settable clock for the skill's history ("third session this week")."""

    def __init__(self, now: dt.datetime = NOW):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class Reply:
    status: int
    document: dict[str, Any]

    @property
    def response(self) -> dict[str, Any]:
        return self.document.get("response", {})

    @property
    def ssml(self) -> str:
        return (self.response.get("outputSpeech") or {}).get("ssml", "")

    @property
    def text(self) -> str:
        return readable(self.ssml)

    @property
    def reprompt(self) -> str:
        return readable(((self.response.get("reprompt") or {}).get("outputSpeech") or {}).get("ssml", ""))

    @property
    def ended(self) -> bool:
        return self.response.get("shouldEndSession") is True


@dataclass
class Conversation:
    """One user talking to a skill served by a Flask test client."""

    client: Any
    user_id: str = USER_ID
    session_id: str | None = None
    log: list[tuple[str, Reply]] = field(default_factory=list)

    def _post(self, label: str, **envelope_kwargs: Any) -> Reply:
        envelope_kwargs.setdefault("timestamp", NOW)
        body = encode(make_envelope(user_id=self.user_id, **envelope_kwargs))
        headers = {"Content-Type": "application/json", **pki().good.sign(body)}
        response = self.client.post("/alexa", data=body, headers=headers)
        reply = Reply(response.status_code, response.get_json())
        assert reply.status == 200, (label, reply.document)
        self.log.append((label, reply))
        return reply

    def launch(self) -> Reply:
        self.session_id = f"amzn1.echo-api.session.{uuid.uuid4()}"
        reply = self._post("launch", session_id=self.session_id, new_session=True)
        if reply.ended:
            self.session_id = None
        return reply

    def say(self, intent: str, **slots: Any) -> Reply:
        """An intent in the open session, or (like 'Alexa, ask my back routine to ...') a new one."""
        new = self.session_id is None
        if new:
            self.session_id = f"amzn1.echo-api.session.{uuid.uuid4()}"
        reply = self._post(intent, intent=intent, slots=slots or None, session_id=self.session_id, new_session=new)
        if reply.ended:
            self.session_id = None
        return reply

    def end_session(self, reason: str = "USER_INITIATED") -> Reply:
        session = self.session_id or f"amzn1.echo-api.session.{uuid.uuid4()}"
        reply = self._post("SessionEndedRequest", request_type="SessionEndedRequest", session_id=session,
                           new_session=False, request_fields={"reason": reason})
        self.session_id = None
        return reply


def make_app(routines_dir: Path, db: Path, clock: Clock | None = None, logger: logging.Logger | None = None):
    """The production assembly (skill + SQLite + verifier + Flask), trusting only the test CA."""
    adapter = SQLitePersistenceAdapter(db)
    skill = build_skill(routines_dir, adapter, clock or Clock())
    verifier = RequestVerifier(SKILL_ID, trusted_roots=pki().trusted_roots, fetcher=pki().fetcher(), clock=lambda: NOW)
    return create_app(skill, verifier, logger=logger), adapter


def stored_state(adapter: SQLitePersistenceAdapter, user_id: str = USER_ID) -> dict[str, Any]:
    """The persistent attributes saved for a user, read straight from the store."""
    envelope = make_envelope(user_id=user_id)
    from ask_sdk_core.serialize import DefaultSerializer
    from ask_sdk_model import RequestEnvelope

    request = DefaultSerializer().deserialize(json.dumps(envelope), RequestEnvelope)
    return adapter.get_attributes(request)
