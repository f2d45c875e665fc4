"""HTTP Range headers (RFC 9110 section 14): which bytes of a file a request asks for.

Browsers seek in <audio> by asking for byte ranges ("bytes=123-" in Chrome, "bytes=0-1" then
"bytes=N-M" in Safari); without 206 answers Safari refuses to play at all and Chrome cannot seek.
Only a single range is served: a header we may ignore (another unit, bad syntax, several ranges)
means "send the whole file", as the RFC allows, rather than an error the player cannot recover from.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ByteRange", "RangeNotSatisfiable", "parse_range"]

# One range spec; digits only, because int() would also take "+5", " 5" and "5_0".
_SPEC = re.compile(r"(?P<first>[0-9]*)-(?P<last>[0-9]*)")


@dataclass(frozen=True)
class ByteRange:
    """Bytes `start` to `end` of a file, both included (as in Content-Range)."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


class RangeNotSatisfiable(ValueError):
    """The range is well formed but lies outside the file: answer 416 with `bytes */size`."""

    def __init__(self, size: int) -> None:
        super().__init__(f"range outside a file of {size} bytes")
        self.size = size

    @property
    def content_range(self) -> str:
        return f"bytes */{self.size}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The range of a `size`-byte file that `header` asks for, or None to send the whole file.

    Raises RangeNotSatisfiable for a valid single range that selects no byte of the file (a first byte
    at or past the end, a zero-length suffix, anything of an empty file).
    """
    if not header:
        return None
    unit, sep, specs = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None  # another unit: must be ignored
    parts = [p.strip() for p in specs.split(",") if p.strip()]
    if len(parts) != 1:
        return None  # none, or several ranges: multipart answers are not worth it for audio
    match = _SPEC.fullmatch(parts[0])
    if match is None:
        return None
    first, last = match["first"], match["last"]
    if first:
        if last and _less(last, first):
            return None  # "bytes=5-2" is invalid syntax, not an unsatisfiable range
        start = _at_most(first, size)
        if start >= size:
            raise RangeNotSatisfiable(size)
        end = _at_most(last, size - 1) if last else size - 1
        return ByteRange(start, end)
    if not last:
        return None  # "bytes=-"
    suffix = _at_most(last, size)
    if suffix == 0 or size == 0:
        raise RangeNotSatisfiable(size)
    return ByteRange(size - suffix, size - 1)


def _at_most(digits: str, limit: int) -> int:
    """The number `digits` spells, or `limit` if it is larger.

    int() refuses strings of more than 4300 digits (CPython's guard against slow conversions), and a
    header may hold any number of them; every value past the file's size means the same as its size.
    """
    digits = digits.lstrip("0") or "0"
    if len(digits) > len(str(limit)):
        return limit
    return min(int(digits), limit)


def _less(a: str, b: str) -> bool:
    """Whether the number spelled `a` is smaller than `b`, without int() (see _at_most)."""
    a, b = a.lstrip("0"), b.lstrip("0")
    return (len(a), a) < (len(b), b)
