"""A build's options (engine, voice, rate, MP3 format), checked, and as manifests record them."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .errors import BuildError, BuildInputError
from .voice import DEFAULT_RATE, Voice

BUILDER_VERSION = "1"


@dataclass(frozen=True)
class BuildSettings:
    engine: str = "piper"
    voice: str | None = None  # as asked for; None is the engine's default (see voice.Voice)
    rate: float = DEFAULT_RATE  # 1 is the engine's normal speed
    sample_rate: int = 24000
    bitrate_kbps: int = 64
    engine_options: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_settings_doc(cls, recorded: dict[str, Any]) -> BuildSettings:
        """The settings that make `recorded` (a manifest's settings_doc) again, so a rebuild with them
        is up to date or makes only what changed (serve --watch rebuilds each routine as last built)."""
        options = recorded.get("engine_options") or {}
        return cls(engine=str(recorded["engine"]), voice=str(recorded["voice"]), rate=float(recorded["rate"]),
                   sample_rate=int(recorded["sample_rate"]), bitrate_kbps=int(recorded["bitrate_kbps"]),
                   engine_options=tuple(sorted((str(k), str(v)) for k, v in dict(options).items())))

    def make_engine(self):
        from .engines.base import EngineError
        from .engines.registry import available_engines, get_engine

        if self.engine not in available_engines():
            raise BuildInputError(f"unknown engine {self.engine!r}; choose one of: {', '.join(available_engines())}")
        try:
            return get_engine(self.engine, **dict(self.engine_options))
        except EngineError as exc:
            # Options the engine does not take are a usage mistake; anything else (a voice package
            # missing, a library that will not load) is this machine's.
            error = BuildInputError if isinstance(exc.__cause__, TypeError) else BuildError
            raise error(str(exc)) from None

    def resolve_voice(self, engine) -> Voice:
        """The one Voice of a build with these settings on `engine`; BuildInputError for a voice it lacks."""
        from .engines.base import EngineError

        try:
            return Voice.resolve(engine, self.voice, self.rate)
        except EngineError as exc:
            raise BuildInputError(str(exc)) from None

    def check_format(self) -> None:
        from .mp3 import Mp3Format

        if not 0.25 <= self.rate <= 4.0:
            raise BuildInputError(f"speaking rate {self.rate:g} is out of range; use 0.25 to 4 (1 is the engine's normal speed)")
        try:
            Mp3Format(self.sample_rate, self.bitrate_kbps)
        except ValueError as exc:
            raise BuildInputError(str(exc)) from None


def settings_doc(settings: BuildSettings, voice: Voice) -> dict[str, Any]:
    """The settings as the manifest records them: a build with other settings builds again. The voice
    fields (engine, engine_version, voice, rate) are `voice`'s, the identity the cue cache keys use."""
    doc = asdict(settings)
    doc.update(voice.as_settings(), engine_options=dict(settings.engine_options), builder=BUILDER_VERSION)
    return doc
