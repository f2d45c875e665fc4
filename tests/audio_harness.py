"""Test helper for the skill's audio and screen modes: real built tracks of tests/data/mini.yaml, the
skill with its audio catalog behind the signed Flask endpoint, and a device that also sends
AudioPlayer events, PlaybackController commands and APL touch events.

Builds use the espeak engine (about a second); each test module builds once into its own folder.
"""
from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audio_builder.build import Builder, BuildSettings
from skill.audio_token import AudioToken
from skill.audio_tracks import AudioCatalog, LocalManifests
from skill.builder import build_skill
from skill.persistence import SQLitePersistenceAdapter
from skill.verify import RequestVerifier
from skill.webapp import create_app

from tests.alexa_signing import SKILL_ID, pki
from tests.skill_harness import NOW, Clock, Conversation, Reply

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "data" / "mini.yaml"
PUBLIC_URL = "https://audio.example.com/back-routine"
ECHO = {"AudioPlayer": {}}  # a speaker
ECHO_SHOW = {"AudioPlayer": {}, "Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.2"}}}
NO_AUDIO = {}  # e.g. a phone app without AudioPlayer


@dataclass
class Built:
    root: Path
    routines: Path
    output: Path
    cache: Path

    def manifest(self, routine: str = "mini") -> dict[str, Any]:
        return json.loads((self.output / routine / "manifest.json").read_text())

    def full_track(self, level: str | None = None, routine: str = "mini") -> dict[str, Any]:
        manifest = self.manifest(routine)
        level = level or manifest["default_level"]
        return next(t for t in manifest["levels"][level]["tracks"] if t["kind"] == "full")

    def rebuild(self, routine_text: str, routine: str = "mini") -> None:
        (self.routines / f"{routine}.yaml").write_text(routine_text)
        Builder(self.output, self.cache, BuildSettings(engine="espeak")).build(self.routines / f"{routine}.yaml")


def build_mini(root: Path) -> Built:
    routines = root / "routines"
    routines.mkdir(parents=True)
    shutil.copy(MINI, routines / "mini.yaml")
    built = Built(root, routines, root / "output", root / "cache")
    Builder(built.output, built.cache, BuildSettings(engine="espeak")).build(routines / "mini.yaml")
    return built


def make_audio_app(routines: Path, output: Path | None, db: Path, clock: Clock | None = None,
                   public_url: str | None = PUBLIC_URL, adapter: Any = None):
    """Skill + store + verifier + Flask as in production, with the audio version over `output`."""
    adapter = adapter or SQLitePersistenceAdapter(db)
    audio = AudioCatalog(public_url, LocalManifests(output) if output else None)
    skill = build_skill(routines, adapter, clock or Clock(), audio=audio, logger=logging.getLogger("test.skill"))
    verifier = RequestVerifier(SKILL_ID, trusted_roots=pki().trusted_roots, fetcher=pki().fetcher(), clock=lambda: NOW)
    return create_app(skill, verifier), adapter


class Device(Conversation):
    """A user on a device with given interfaces; also sends the requests that have no session."""

    interfaces: dict[str, Any] = ECHO

    def on(self, interfaces: dict[str, Any]) -> Device:
        self.interfaces = interfaces
        return self

    def _post(self, label: str, **envelope_kwargs: Any) -> Reply:
        envelope_kwargs.setdefault("supported_interfaces", self.interfaces)
        return super()._post(label, **envelope_kwargs)

    def say_while_playing(self, intent: str, token: str, offset_ms: int, activity: str = "PLAYING", **slots: Any) -> Reply:
        """An intent with the player's report in context ("Alexa, next" while listening: a new session)."""
        self.session_id = None
        return self._say(intent, slots, token=token, offset_ms=offset_ms, player_activity=activity)

    def _say(self, intent: str, slots: dict[str, Any], **context: Any) -> Reply:
        import uuid

        new = self.session_id is None
        if new:
            self.session_id = f"amzn1.echo-api.session.{uuid.uuid4()}"
        reply = self._post(intent, intent=intent, slots=slots or None, session_id=self.session_id, new_session=new,
                           **context)
        if reply.ended:
            self.session_id = None
        return reply

    def event(self, kind: str, token: str, offset_ms: int, activity: str = "PLAYING", **fields: Any) -> Reply:
        """AudioPlayer.<kind> about the stream `token` (no session, as from a real device)."""
        return self._post(kind, request_type=f"AudioPlayer.{kind}", token=token, offset_ms=offset_ms,
                          player_activity=activity, request_fields=fields or None)

    def button(self, command: str, token: str | None, offset_ms: int | None, activity: str = "PLAYING") -> Reply:
        """PlaybackController.<command>IssuedRequest: the device's own buttons."""
        return self._post(command, request_type=f"PlaybackController.{command}CommandIssued", token=token,
                          offset_ms=offset_ms, player_activity=activity)

    def touch(self, *arguments: str) -> Reply:
        """An APL UserEvent from the screen (a TouchWrapper's SendEvent)."""
        import uuid

        new = self.session_id is None
        if new:
            self.session_id = f"amzn1.echo-api.session.{uuid.uuid4()}"
        fields = {"token": "back-routine-exercise", "arguments": list(arguments),
                  "source": {"type": "TouchWrapper", "handler": "Press", "id": "nextButton"}}
        reply = self._post("touch", request_type="Alexa.Presentation.APL.UserEvent", session_id=self.session_id,
                           new_session=new, request_fields=fields)
        if reply.ended:
            self.session_id = None
        return reply


def directives(reply: Reply, kind: str | None = None) -> list[dict[str, Any]]:
    found = reply.response.get("directives") or []
    return [d for d in found if kind is None or d["type"] == kind]


def play_of(reply: Reply) -> dict[str, Any]:
    """The one AudioPlayer.Play directive of a reply, flattened: behavior, token, url, offset..."""
    plays = directives(reply, "AudioPlayer.Play")
    assert len(plays) == 1, reply.document
    stream = plays[0]["audioItem"]["stream"]
    return {"behavior": plays[0]["playBehavior"], "token": stream["token"], "url": stream["url"],
            "offset": stream["offsetInMilliseconds"], "expected_previous": stream.get("expectedPreviousToken"),
            "metadata": plays[0]["audioItem"].get("metadata")}


def token_of(reply: Reply) -> AudioToken:
    token = AudioToken.parse(play_of(reply)["token"])
    assert token is not None
    return token
