"""Text-to-speech engines behind one small interface (see base.TTSEngine)."""

from .base import EngineError, Speech, TTSEngine, resolve_voice
from .registry import DEFAULT_ENGINE, available_engines, get_engine

__all__ = [
    "DEFAULT_ENGINE",
    "EngineError",
    "Speech",
    "TTSEngine",
    "available_engines",
    "get_engine",
    "resolve_voice",
]
