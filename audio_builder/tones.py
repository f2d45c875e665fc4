"""Soft tones that mark the start and the end of long holds, made in code (no audio assets)."""
from __future__ import annotations

import math

from .mp3 import EncodedPiece, Mp3Format

# Keys that cannot collide with a cue's text (a routine file cannot hold a NUL character).
TONE_START = "\0tone:start"
TONE_END = "\0tone:end"
TONE_SECONDS = 0.25
# Well under the speech (-19 LUFS): a cue to the ear, not a chime.
TONE_PEAK_DBFS = -24.0
_FREQUENCIES = {TONE_START: 523.25, TONE_END: 783.99}  # C5 to begin, G5 to end: a gentle rise


def is_tone(key: str) -> bool:
    return key in _FREQUENCIES


def tone_samples(key: str, rate: int):
    import numpy as np

    n = int(TONE_SECONDS * rate)
    t = np.arange(n) / rate
    f = _FREQUENCIES[key]
    # A fundamental with a quiet octave and a smooth bell-like envelope: no click at either end.
    wave = np.sin(2 * math.pi * f * t) + 0.25 * np.sin(4 * math.pi * f * t)
    envelope = np.sin(math.pi * np.arange(n) / (n - 1)) ** 2
    peak = 10 ** (TONE_PEAK_DBFS / 20)
    x = wave * envelope
    x *= peak / np.max(np.abs(x))
    return np.round(x * 32767).astype(np.int16)


def tone_piece(key: str, fmt: Mp3Format) -> EncodedPiece:
    from .mp3 import encode_piece

    return encode_piece(tone_samples(key, fmt.sample_rate), fmt)
