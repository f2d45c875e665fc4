"""The one interface every text-to-speech engine implements.

Kept free of heavy imports: a CLI that only checks whether a build is up to
date imports this module and must not pay for numpy or an ONNX runtime.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np


class EngineError(Exception):
    """A cue could not be spoken. The message is meant for the person running the build."""


@dataclass(frozen=True)
class Speech:
    """Raw engine output: mono 16-bit PCM at the engine's native rate."""

    samples: "np.ndarray"  # int16, 1-D
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate if self.sample_rate else 0.0


@runtime_checkable
class TTSEngine(Protocol):
    name: str
    version: str  # library (and voice data) version: part of every cue cache key
    default_voice: str

    def voices(self) -> list[str]: ...

    def synthesize(self, text: str, voice: str | None = None, rate: float = 1.0) -> Speech: ...


def resolve_voice(engine: TTSEngine, voice: str | None) -> str:
    """The voice to use, or an EngineError that names the ones that exist."""
    if voice is None or voice == "":
        return engine.default_voice
    known = engine.voices()
    if voice not in known:
        shown = ", ".join(known[:40]) + (" ..." if len(known) > 40 else "")
        raise EngineError(
            f"Unknown voice {voice!r} for engine {engine.name!r}. Available voices: {shown}"
        )
    return voice


def check_text_and_rate(text: str, rate: float) -> None:
    if not text or not text.strip():
        raise EngineError("Cannot synthesize an empty cue text.")
    if not (0.25 <= rate <= 4.0):
        raise EngineError(f"Speech rate {rate} is out of range (0.25 to 4.0; 1.0 is normal).")


def int16_from_float(x: "np.ndarray") -> "np.ndarray":
    import numpy as np

    return np.clip(np.round(x * 32767.0), -32768, 32767).astype(np.int16)
