"""Is a (verified) request envelope shaped the way the handlers rely on? One function: `envelope_problem`.

The ASK SDK deserializes almost anything into model objects with `None` where a field is missing or
of the wrong shape, so a malformed envelope only fails deep inside a handler (an IntentRequest
without an intent, a number slot too long for int(), session attributes too deep for deepcopy), and
the user hears "something went wrong" for what is really the caller's mistake. Checking the few
things the handlers and the SDK depend on up front turns those into a 400, before any of our code
runs. Both hosts use it: the Flask endpoint after signature verification, the Lambda handler first.

Limits are generous for anything Alexa sends: its envelopes nest about ten levels, slot values are
a few words, and this skill keeps no session attributes at all (state lives in persistent attributes).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .json_dig import dig

__all__ = ["MAX_DEPTH", "MAX_SESSION_ATTRIBUTES_BYTES", "MAX_SLOT_CHARS", "envelope_problem"]

MAX_DEPTH = 32
MAX_SLOT_CHARS = 1000
MAX_SESSION_ATTRIBUTES_BYTES = 8 * 1024


def envelope_problem(payload: Any) -> str | None:
    """Why `payload` (the parsed JSON body) is not an envelope the skill can answer, or None."""
    if not isinstance(payload, Mapping):
        return "not an object"
    # First, so nothing below (nor the SDK's deepcopy of session attributes) recurses too far.
    if _deeper_than(payload, MAX_DEPTH):
        return f"nested more than {MAX_DEPTH} levels"
    if not _text(payload.get("version")):
        return "no version"
    request = payload.get("request")
    if not isinstance(request, Mapping):
        return "no request"
    for field in ("type", "requestId"):
        if not _text(request.get(field)):
            return f"no request.{field}"
    stamp = request.get("timestamp")
    if not (_text(stamp) or (isinstance(stamp, (int, float)) and not isinstance(stamp, bool))):
        return "no request.timestamp"
    if request["type"] == "IntentRequest":
        problem = _intent_problem(request.get("intent"))
        if problem:
            return problem
    # The store keys progress by this id; without it the only honest answer is "bad request".
    if not _text(dig(payload, "context", "System", "user", "userId")):
        return "no context.System.user.userId"
    return _session_problem(payload.get("session"))


def _intent_problem(intent: Any) -> str | None:
    if not isinstance(intent, Mapping) or not _text(intent.get("name")):
        return "IntentRequest without intent.name"
    slots = intent.get("slots")
    if slots is None:
        return None
    if not isinstance(slots, Mapping) or not all(isinstance(s, Mapping) for s in slots.values()):
        return "intent.slots is not an object of slot objects"
    # Every string counts, not just `value`: resolution ids and names are quoted back too.
    if any(len(s) > MAX_SLOT_CHARS for s in _strings(slots)):
        return f"a slot holds more than {MAX_SLOT_CHARS} characters"
    return None


def _session_problem(session: Any) -> str | None:
    if session is None:
        return None  # AudioPlayer, PlaybackController and System requests come without one
    if not isinstance(session, Mapping):
        return "session is not an object"
    attributes = session.get("attributes")
    if attributes is None:
        return None
    if not isinstance(attributes, Mapping):
        return "session.attributes is not an object"
    size = len(json.dumps(attributes, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    if size > MAX_SESSION_ATTRIBUTES_BYTES:
        return f"session.attributes is {size} bytes (at most {MAX_SESSION_ATTRIBUTES_BYTES})"
    return None


def _deeper_than(value: Any, limit: int) -> bool:
    # Iterative: the point is to refuse what recursion cannot handle.
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _strings(value: Any):
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())
