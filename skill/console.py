"""`back-routine talk`: play Alexa's part on the command line.

You type what you would say; the line is matched to an intent and its slots through the generated
interaction model by the exact-match rule a device is known to keep (skill/utterance_matcher.py):
never more forgiving than the model, so a line the console understands is one a device understands.
A line nothing matches goes to the skill as AMAZON.FallbackIntent, as on a device, and the console
says so (with the closest sample, as a hint only). The request envelope is the one Alexa would send,
run through the very same skill object the web service uses. The reply is printed with its SSML made readable, pauses
marked like "[pause 2 s]". With a voice, each reply can also be written as a WAV file to listen to.
"""
from __future__ import annotations

import datetime as dt
import difflib
import json
import re
import uuid
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TextIO

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from .speech import break_seconds, readable
from .utterance_matcher import CONSOLE_SKILL_ID, FALLBACK, Heard, UtteranceMatcher, normalize_utterance

CONSOLE_USER_ID = "amzn1.ask.account.CONSOLE"
__all__ = ["Console", "Heard", "UtteranceMatcher", "normalize_utterance", "run", "make_wav_writer"]


def envelope(request_type: str, *, session_id: str, new_session: bool, intent: str | None = None,
             slots: dict[str, dict[str, Any]] | None = None, user_id: str = CONSOLE_USER_ID,
             locale: str = "en-US", reason: str | None = None) -> dict[str, Any]:
    """A request envelope shaped like Alexa's (what the skill sees from a real device)."""
    request: dict[str, Any] = {
        "type": request_type,
        "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
        "timestamp": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "locale": locale,
    }
    if intent is not None:
        request["intent"] = {"name": intent, "confirmationStatus": "NONE", "slots": slots or {}}
    if reason is not None:
        request["reason"] = reason
    application = {"applicationId": CONSOLE_SKILL_ID}
    user = {"userId": user_id}
    return {
        "version": "1.0",
        "session": {"new": new_session, "sessionId": session_id, "application": application, "user": user},
        "context": {"System": {"application": application, "user": user,
                               "device": {"deviceId": "console", "supportedInterfaces": {}},
                               "apiEndpoint": "https://api.amazonalexa.com"}},
        "request": request,
    }


@dataclass
class Reply:
    ssml: str
    reprompt: str | None
    ended: bool


class Console:
    """One user talking to the skill, session by session."""

    def __init__(self, skill: Any, matcher: UtteranceMatcher, out: TextIO, *, user_id: str = CONSOLE_USER_ID,
                 on_reply: Callable[[Reply], None] | None = None):
        self.skill, self.matcher, self.out = skill, matcher, out
        self.user_id = user_id
        self.on_reply = on_reply
        self._serializer = DefaultSerializer()
        self.session_id: str | None = None

    def _send(self, request_type: str, **kwargs: Any) -> Reply:
        new = self.session_id is None
        if new:
            self.session_id = f"amzn1.echo-api.session.{uuid.uuid4()}"
        document = envelope(request_type, session_id=self.session_id, new_session=new, user_id=self.user_id, **kwargs)
        request = self._serializer.deserialize(json.dumps(document), RequestEnvelope)
        response = self._serializer.serialize(self.skill.invoke(request, None)).get("response", {})
        ssml = (response.get("outputSpeech") or {}).get("ssml", "")
        reprompt = ((response.get("reprompt") or {}).get("outputSpeech") or {}).get("ssml")
        ended = response.get("shouldEndSession") is not False
        reply = Reply(ssml, reprompt, ended)
        self._show(reply)
        if ended:
            self.session_id = None
        return reply

    def _show(self, reply: Reply) -> None:
        if reply.ssml:
            self.out.write(f"alexa> {readable(reply.ssml)}\n")
        if reply.reprompt:
            self.out.write(f"       (if you say nothing: {readable(reply.reprompt)})\n")
        if reply.ended:
            self.out.write("       (session ended; type 'open my back routine' or any request to come back)\n")
        self.out.flush()
        if self.on_reply is not None and reply.ssml:
            self.on_reply(reply)

    def launch(self) -> Reply:
        self.session_id = None
        return self._send("LaunchRequest")

    def say(self, line: str) -> Reply | None:
        heard = self.matcher.match(line)
        if heard.launch:
            if self.session_id is not None:
                self.end_session()
            return self.launch()
        if heard.new_session and self.session_id is not None:
            self.end_session()
        slots = ", ".join(f"{k}={v.get('value')!r}" for k, v in heard.slots.items() if v.get("value"))
        self.out.write(f"       ({heard.intent}{' ' + slots if slots else ''})\n")
        if heard.intent == FALLBACK:
            hint = difflib.get_close_matches(normalize_utterance(line), list(self.matcher.samples()), n=1, cutoff=0.75)
            self.out.write("       (no sample in the model matches this: a device would not understand it either"
                           + (f"; the closest sample is {hint[0]!r})" if hint else ")") + "\n")
        return self._send("IntentRequest", intent=heard.intent, slots=heard.slots)

    def end_session(self, reason: str = "USER_INITIATED") -> None:
        if self.session_id is not None:
            document = envelope("SessionEndedRequest", session_id=self.session_id, new_session=False,
                                user_id=self.user_id, reason=reason)
            self.skill.invoke(self._serializer.deserialize(json.dumps(document), RequestEnvelope), None)
            self.session_id = None


def run(console: Console, lines: TextIO, out: TextIO, first: str | None = None, prompt: str = "you> ") -> None:
    """The read-reply loop: launch, optionally say `first`, then one reply per line until EOF/quit."""
    console.launch()
    if first:
        out.write(f"{prompt}{first}\n")
        console.say(first)
    while True:
        out.write(prompt)
        out.flush()
        line = lines.readline()
        if not line:
            out.write("\n")
            break
        line = line.strip()
        if not _interactive(lines):
            out.write(line + "\n")  # piped input: show what was "said", like a transcript
        if not line:
            continue
        if line.lower() in ("quit", "exit", ":q"):
            break
        console.say(line)
    console.end_session()


def _interactive(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# --------------------------------------------------------------------------------------------------
# --speak: the reply as a WAV file, with the offline voice
# --------------------------------------------------------------------------------------------------

_PIECES = re.compile(r'(<break\s+time="[^"]+"\s*/>)')


class WavWriter:
    """Writes each reply to `directory/reply-NNN.wav` with an audio_builder TTS engine, so the flow
    can be heard on a machine without a speaker (or played later). Cues are synthesized once."""

    def __init__(self, directory: str | Path, engine: Any, out: TextIO):
        self.directory = Path(directory)
        self.engine = engine
        self.out = out
        self.count = 0
        self._cache: dict[str, Any] = {}

    def __call__(self, reply: Reply) -> None:
        import numpy as np

        rate = None
        pieces = []
        for piece in _PIECES.split(reply.ssml):
            if piece.startswith("<break"):
                pieces.append(("silence", sum(break_seconds(piece))))
                continue
            text = readable(piece).strip()
            if text:
                speech = self._cache.get(text)
                if speech is None:
                    speech = self._cache[text] = self.engine.synthesize(text)
                rate = rate or speech.sample_rate
                pieces.append(("speech", speech))
        if rate is None:
            return
        chunks = [np.zeros(int(p * rate), dtype=np.int16) if kind == "silence" else p.samples for kind, p in pieces]
        self.directory.mkdir(parents=True, exist_ok=True)
        self.count += 1
        path = self.directory / f"reply-{self.count:03d}.wav"
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(rate)
            wav.writeframes(np.concatenate(chunks).astype(np.int16).tobytes())
        self.out.write(f"       (spoken reply written to {path})\n")


def make_wav_writer(directory: str | Path, engine_name: str, out: TextIO) -> WavWriter | None:
    """A WavWriter, or None (after saying why) when no voice can be loaded here."""
    try:
        from audio_builder.engines import get_engine

        engine = get_engine(engine_name)
        engine.synthesize("Ready.")  # load the voice now, so a failure shows before the conversation
    except Exception as exc:  # ImportError, EngineError, a missing voice file...
        out.write(f"(--speak: no offline voice available ({type(exc).__name__}: {exc}); replies are text only)\n")
        return None
    out.write(f"(--speak: there is no sound device here; each reply is written as a WAV file in {directory}/)\n")
    return WavWriter(directory, engine, out)

