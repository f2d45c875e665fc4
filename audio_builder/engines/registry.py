"""Engine names to engine objects. Engines are imported only when asked for."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from .base import EngineError, TTSEngine

# name -> (module, class); importing the module is cheap, the engine library is loaded on first use.
_ENGINES: dict[str, tuple[str, str]] = {
    "piper": ("audio_builder.engines.piper_engine", "PiperEngine"),
    "gtts": ("audio_builder.engines.gtts_engine", "GTTSEngine"),
    "espeak": ("audio_builder.engines.espeak_engine", "EspeakEngine"),
}

DEFAULT_ENGINE = "piper"


def available_engines() -> list[str]:
    return list(_ENGINES)


def get_engine(name: str, **options: Any) -> TTSEngine:
    """Make engine `name`. Options are engine specific (e.g. gtts: lang, tld)."""
    try:
        module_name, class_name = _ENGINES[name]
    except KeyError:
        raise EngineError(
            f"Unknown TTS engine {name!r}. Available engines: {', '.join(available_engines())}"
        ) from None
    cls = getattr(importlib.import_module(module_name), class_name)
    try:
        # Check the options against the constructor first, so that a TypeError
        # from inside the engine is not mistaken for a bad option.
        inspect.signature(cls).bind(**options)
    except TypeError as exc:
        raise EngineError(f"Bad options for engine {name!r}: {exc}") from exc
    return cls(**options)
