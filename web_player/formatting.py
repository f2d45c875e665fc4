"""How durations, sizes and dates read on the pages (passed to the templates as `fmt`)."""
from __future__ import annotations

from datetime import datetime


def clock(ms: int) -> str:
    """A position or length as a player shows it: 0:40, 26:45, 1:02:03."""
    seconds = max(int(ms), 0) // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def spoken_clock(ms: int) -> str:
    """The same for a screen reader, which reads "26:45" as a time of day: "26 minutes 45 seconds"."""
    seconds = max(int(ms), 0) // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(hours, "hour"), (minutes, "minute"), (secs, "second")]
    words = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in parts if n]
    return " ".join(words) or "0 seconds"


def minutes(ms: int) -> str:
    """A session's length in round minutes: "27 min"."""
    return f"{max(round(ms / 60000), 1)} min"


def filesize(size: int) -> str:
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1000:.0f} kB"
    return f"{size / 1_000_000:.1f} MB"


def built(when: datetime | None) -> str:
    """A build time, in UTC since the server cannot know the reader's zone: "25 Nov 2026, 23:45 UTC"."""
    return when.strftime("%-d %b %Y, %H:%M UTC") if when else "unknown"
