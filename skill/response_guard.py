"""The last check before a response leaves: Alexa refuses any response over 24 KB.

Alexa answers an oversize response with its own "there was a problem with the requested skill's
response" and usually ends the session, so the user loses the thread. Replacing it here with a short
valid reply that keeps the session open lets them carry on. Both hosts (skill/webapp.py,
skill/lambda_handler.py) call `fit_response`; the replacement is logged, since it means some text
grew beyond what the handlers are meant to produce.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

__all__ = ["MAX_RESPONSE_BYTES", "TOO_LONG", "fit_response", "speakable"]

MAX_RESPONSE_BYTES = 24 * 1024
TOO_LONG = "Sorry, that answer came out too long for me to say. You can say where am I, or next to carry on."
_REPROMPT = "Say where am I, or next to carry on."


def speakable(payload: Mapping[str, Any] | None) -> bool:
    """May a reply to this request carry speech?

    Only session requests can (launch, intents, APL events, ...); AudioPlayer, PlaybackController and
    System requests come without a session, and nobody hears a reply to SessionEndedRequest.
    """
    if not isinstance(payload, Mapping) or not isinstance(payload.get("session"), Mapping):
        return False
    request = payload.get("request")
    return not (isinstance(request, Mapping) and request.get("type") == "SessionEndedRequest")


def fit_response(payload: Mapping[str, Any] | None, document: Any, text: str | None = None,
                 log: logging.Logger | None = None) -> Any:
    """`document` if its JSON (`text`, when the caller has already encoded it) fits in 24 KB, else a
    short reply that keeps the session open."""
    if text is None:
        # What Lambda's runtime sends: json.dumps defaults, which is never shorter than compact output.
        text = json.dumps(document)
    size = len(text.encode("utf-8"))
    if size <= MAX_RESPONSE_BYTES:
        return document
    request = payload.get("request") if isinstance(payload, Mapping) else None
    (log or logging.getLogger(__name__)).error(
        "response for %s request_id=%s is %d bytes, over Alexa's %d: replaced by a short apology",
        request.get("type") if isinstance(request, Mapping) else None,
        request.get("requestId") if isinstance(request, Mapping) else None, size, MAX_RESPONSE_BYTES)
    return too_long_reply(payload)


def too_long_reply(payload: Mapping[str, Any] | None) -> dict[str, Any]:
    response: dict[str, Any] = {}
    if speakable(payload):
        response = {
            "outputSpeech": {"type": "PlainText", "text": TOO_LONG},
            "reprompt": {"outputSpeech": {"type": "PlainText", "text": _REPROMPT}},
            "shouldEndSession": False,
        }
    return {"version": "1.0", "response": response}
