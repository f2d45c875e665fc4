"""`VerificationError`: why an Alexa request failed verification (shared by every check in skill/verify*)."""
from __future__ import annotations

__all__ = ["VerificationError"]


class VerificationError(Exception):
    """A request failed verification. `reason` is a short stable token for logs and metrics
    (e.g. "signature_invalid"); `detail` is free text for humans and never sent to the caller."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
