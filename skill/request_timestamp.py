"""Is a request fresh? `request.timestamp` parsed and checked against the clock (Amazon allows 150 s)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .json_dig import dig
from .verification_error import VerificationError

__all__ = ["DEFAULT_TOLERANCE", "check_timestamp", "parse_request_timestamp", "utc"]

DEFAULT_TOLERANCE = dt.timedelta(seconds=150)


def check_timestamp(payload: Mapping[str, Any], now: dt.datetime, tolerance: dt.timedelta = DEFAULT_TOLERANCE) -> None:
    """Raise VerificationError unless the envelope's `request.timestamp` is within `tolerance` of `now`."""
    stamp = parse_request_timestamp(dig(payload, "request", "timestamp"))
    if abs(now - stamp) > tolerance:
        raise VerificationError("timestamp_out_of_range", f"{stamp.isoformat()} vs {now.isoformat()}")


def parse_request_timestamp(value: Any) -> dt.datetime:
    """Parse `request.timestamp`: ISO 8601 (what Alexa sends, e.g. 2024-05-01T12:00:00Z), or epoch
    seconds/milliseconds (a few event types have been seen sending numbers). Returns aware UTC."""
    if isinstance(value, str):
        try:
            stamp = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise VerificationError("timestamp_invalid", repr(value)) from None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=dt.timezone.utc)
        return stamp.astimezone(dt.timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value  # 1e11 s is year 5138: must be ms
        try:
            return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise VerificationError("timestamp_invalid", repr(value)) from None
    if value is None:
        raise VerificationError("timestamp_missing")
    raise VerificationError("timestamp_invalid", repr(value))


def utc(now: dt.datetime) -> dt.datetime:
    """`now` as an aware datetime: a naive one (from an injected clock) is taken to be UTC."""
    return now.replace(tzinfo=dt.timezone.utc) if now.tzinfo is None else now
