"""What the skill remembers about a user's audio playback, as a dataclass and a JSON-friendly dict.

AudioPlayer and PlaybackController requests arrive without a session, so this lives in the user's
persistent attributes (inside UserState, skill/session_state.py). Besides the offset it keeps the
chapter's index and title: if the tracks are rebuilt while the user is paused, offsets no longer
point at the same place, but the chapter can still be found by its title. `pace` is set only for a
track at another pace than the routine's own (a variant: skill/audio_tracks.py), as in its token.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from .audio_token import AudioToken

PLAYING, PAUSED, FINISHED, FAILED = "playing", "paused", "finished", "failed"
STATUSES = (PLAYING, PAUSED, FINISHED, FAILED)


@dataclass(frozen=True)
class AudioState:
    routine: str
    level: str
    file: str  # as in the manifest: "standard/full-session.mp3"
    recipe: str  # short recipe of the track when the stream started (see audio_token)
    seq: int  # the stream's number: matches the token of the stream Alexa is playing
    offset_ms: int = 0
    status: str = PLAYING
    chapter: int = 0  # index of the chapter at offset_ms
    chapter_title: str = ""
    loop: bool = False  # "loop on": play the session again when it ends
    counted: bool = False  # this stream's completion is in the history (PlaybackFinished may repeat)
    pace: float | None = None  # a variant's pace; None: the prebuilt track at the routine's own pace

    @property
    def token(self) -> str:
        return AudioToken(self.routine, self.level, self.recipe, self.seq, self.pace).encode()

    def matches(self, token: AudioToken | None) -> bool:
        """Is `token` this very stream? (Its recipe tells a variant from the prebuilt track, so a token
        without the pace, as a queued replay's, is still this stream.)"""
        return (token is not None and token.seq == self.seq and token.routine == self.routine
                and token.level == self.level and token.recipe == self.recipe)

    def moved(self, **changes: Any) -> AudioState:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = {"routine": self.routine, "level": self.level, "file": self.file, "recipe": self.recipe,
                "seq": self.seq, "offset_ms": self.offset_ms, "status": self.status, "chapter": self.chapter,
                "chapter_title": self.chapter_title, "loop": self.loop, "counted": self.counted}
        if self.pace is not None:
            data["pace"] = self.pace
        return data

    @classmethod
    def from_dict(cls, data: Any) -> AudioState | None:
        """Forgiving like the rest of UserState: anything unusable is no audio state at all."""
        if not isinstance(data, dict):
            return None
        strings = [data.get(k) for k in ("routine", "level", "file", "recipe")]
        if not all(isinstance(s, str) and s for s in strings):
            return None
        seq, offset, chapter = (_int(data.get(k)) for k in ("seq", "offset_ms", "chapter"))
        status = data.get("status")
        title = data.get("chapter_title")
        return cls(*strings, seq=max(0, seq or 0), offset_ms=max(0, offset or 0),
                   status=status if status in STATUSES else PAUSED, chapter=max(0, chapter or 0),
                   chapter_title=title if isinstance(title, str) else "", loop=data.get("loop") is True,
                   counted=data.get("counted") is True, pace=_pace(data.get("pace")))


def _pace(value: Any) -> float | None:
    # A pace that is not a positive number is the prebuilt track: at worst the stream is found rebuilt.
    if isinstance(value, bool):
        return None
    try:
        pace = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return pace if 0 < pace < 100 else None


def _int(value: Any) -> int | None:
    # DynamoDB hands numbers back as Decimal; skill/dynamodb.py converts them, but be safe anyway.
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(value) if value is not None and float(value) == int(value) else None
    except (TypeError, ValueError, OverflowError):
        return None
