"""How a user appears in the logs: a short hash of their Alexa user id, never the id itself.

Nothing else about a user is logged (not what they said, not their place); the hash is enough to
tell one user's lines from another's when following a problem through the log. It is not reversible,
but it is not secret either: someone who already has a user id can compute it.
"""
from __future__ import annotations

import hashlib
from typing import Any

__all__ = ["envelope_user_ref", "user_ref"]


def user_ref(user_id: str | None) -> str:
    """'user:' and the first 12 hex digits of the id's SHA-256 ('user:none' without an id)."""
    if not user_id:
        return "user:none"
    return "user:" + hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:12]


def envelope_user_ref(request_envelope: Any) -> str:
    """`user_ref` of the user a request envelope (ask-sdk model) is from."""
    system = getattr(getattr(request_envelope, "context", None), "system", None)
    return user_ref(getattr(getattr(system, "user", None), "user_id", None))
