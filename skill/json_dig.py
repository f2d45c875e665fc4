"""`dig(payload, *keys)`: a value nested in parsed JSON, or None when any step is missing or not an object.

Shared by request verification (skill/verify.py) and the envelope check (skill/envelope_check.py),
which both read a request envelope before anything has vouched for its shape.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["dig"]


def dig(payload: Any, *keys: str) -> Any:
    """`payload[k1][k2]...`, or None as soon as a step is not a mapping or lacks the key."""
    for key in keys:
        if not isinstance(payload, Mapping):
            return None
        payload = payload.get(key)
    return payload
