"""The voice a build speaks with: engine, resolved voice and rate, made once per build.

It is the one identity of the voice: the manifest records it (settings: engine, engine_version, voice,
rate) and every cue cache key is made from it (cue_cache.CueSynthesizer), so the two cannot disagree,
and the engine is asked to speak with exactly that voice.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, NamedTuple

# The rate a build speaks at unless told otherwise: the calm pace of a guided exercise. At 1 the
# default Piper voice says instructions at about 198 words a minute (scripts/bench_sound.py); at 0.7,
# about 150. Engines map it their own way (piper: length scale / rate; espeak: 175 wpm x rate).
DEFAULT_RATE = 0.7

if TYPE_CHECKING:  # pragma: no cover
    from .engines.base import TTSEngine


class Voice(NamedTuple):  # not a dataclass: cheaper to define, for a build command that finds all up to date
    engine: str  # the engine's name: piper, gtts, espeak
    engine_version: str  # its library and voice data versions
    name: str  # the voice, resolved: never None or "" (the engine's default is named)
    rate: float  # 1 is normal speed

    @classmethod
    def resolve(cls, engine: TTSEngine, requested: str | None = None, rate: float = DEFAULT_RATE) -> Voice:
        """The voice `engine` speaks `requested` with (None or "": its default); EngineError, naming
        the voices there are, for one it does not have."""
        from .engines.base import resolve_voice

        # float(): 1 and 1.0 are one rate; the key has always been made from float(rate).
        return cls(engine.name, engine.version, resolve_voice(engine, requested), float(rate))

    def as_settings(self) -> dict[str, Any]:
        """The fields manifests record it by (see settings.settings_doc)."""
        return {"engine": self.engine, "engine_version": self.engine_version, "voice": self.name, "rate": self.rate}

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Voice:
        """The voice a manifest's settings record (KeyError or ValueError when they do not)."""
        return cls(str(settings["engine"]), str(settings["engine_version"]), str(settings["voice"]),
                   float(settings["rate"]))
