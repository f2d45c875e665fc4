"""Cue processing: trim, loudness, true peak, fades, on synthetic signals and real speech."""

from __future__ import annotations

import math

import numpy as np
import pytest

from audio_builder.cue_processing import KEEP_MS, process_cue
from audio_builder.engines import Speech, get_engine
from audio_builder.loudness import integrated_lufs, true_peak_dbtp

TARGET, PEAK = -19.0, -1.0


def _lufs_independent(x: np.ndarray, rate: int) -> float:
    """pyloudnorm directly, on the cue as a track meter hears it: with silence around it."""
    import pyloudnorm

    from audio_builder.cue_processing import CONTEXT_S

    y = x.astype(np.float64) / 32768.0
    context = np.zeros(int(CONTEXT_S * rate))
    return pyloudnorm.Meter(rate).integrated_loudness(np.concatenate([context, y, context]))


def _speechlike(seconds: float, rate: int, seed: int = 0, level: float = 0.05) -> np.ndarray:
    """Noise shaped by a syllable-rate envelope: speech-like loudness and crest factor."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    env = 0.2 + 0.8 * np.abs(np.sin(2 * np.pi * 3.0 * t))
    tone = np.sin(2 * np.pi * 180 * t) + 0.5 * np.sin(2 * np.pi * 540 * t)
    return level * env * (tone + 0.3 * rng.standard_normal(n))


def _speech(x: np.ndarray, rate: int) -> Speech:
    return Speech(np.round(x * 32767).astype(np.int16), rate)


def _check(y: np.ndarray, rate: int = 24000) -> None:
    assert y.dtype == np.int16 and y.ndim == 1
    assert abs(_lufs_independent(y, rate) - TARGET) <= 0.5
    assert true_peak_dbtp(y) <= PEAK
    assert abs(int(y[0])) <= 1 and abs(int(y[-1])) <= 1
    # Fades: the first and last ~2 ms are well below the clip's peak.
    edge = int(0.002 * rate)
    peak = np.max(np.abs(y))
    assert np.max(np.abs(y[:edge])) < 0.2 * peak and np.max(np.abs(y[-edge:])) < 0.2 * peak


def test_trims_silence_resamples_and_normalizes():
    rate = 22050
    body = _speechlike(1.0, rate)
    x = np.concatenate([np.zeros(int(0.3 * rate)), body, np.zeros(int(0.5 * rate))])
    y = process_cue(_speech(x, rate))
    expected = 1.0 + 2 * KEEP_MS / 1000
    assert abs(len(y) / 24000 - expected) < 0.02
    _check(y)


def test_low_noise_floor_counts_as_silence():
    rate = 24000
    rng = np.random.default_rng(1)
    x = np.concatenate([np.zeros(rate // 2), _speechlike(0.8, rate, level=0.3), np.zeros(rate // 2)])
    x = x + 0.0005 * rng.standard_normal(len(x))  # ~ -66 dBFS hiss, far under -40 dB re peak
    y = process_cue(_speech(x, rate))
    assert len(y) < 0.85 * rate
    _check(y)


def test_short_clip_is_measured_and_normalized():
    rate = 16000
    y = process_cue(_speech(_speechlike(0.15, rate, level=0.02), rate))  # shorter than a 0.4 s block
    assert len(y) < 0.2 * 24000
    _check(y)


def test_peaky_clip_meets_true_peak_limit():
    rate = 24000
    x = _speechlike(1.5, rate, level=0.02)
    x[::4000] = 0.9  # clicks far above the speech: the limiter, not the loudness, decides
    y = process_cue(_speech(x, rate))
    assert true_peak_dbtp(y) <= PEAK
    assert abs(int(y[0])) <= 1 and abs(int(y[-1])) <= 1


def test_other_targets():
    rate = 24000
    y = process_cue(_speech(_speechlike(1.0, rate), rate), target_lufs=-16.0, peak_dbtp=-2.0)
    assert abs(_lufs_independent(y, rate) - (-16.0)) <= 0.5 or true_peak_dbtp(y) > -2.2
    assert true_peak_dbtp(y) <= -2.0


def test_silent_cue_is_an_error():
    with pytest.raises(ValueError):
        process_cue(Speech(np.zeros(24000, dtype=np.int16), 24000))


@pytest.mark.parametrize("engine_name", ["espeak", "piper"])
def test_real_cue(engine_name):
    raw = get_engine(engine_name).synthesize("Sit your hips back, and breathe out slowly.")
    # Engines leave little silence themselves; add some so trimming has work to do.
    pad = np.zeros(int(0.3 * raw.sample_rate), dtype=np.int16)
    speech = Speech(np.concatenate([pad, raw.samples, pad]), raw.sample_rate)
    y = process_cue(speech)
    _check(y)
    # Leading/trailing silence gone: the clip is loud within KEEP_MS (+ one 5 ms window) of each end.
    thresh = 0.01 * np.max(np.abs(y))  # -40 dB re peak
    loud = np.flatnonzero(np.abs(y) > thresh)
    margin = int((KEEP_MS + 5 + 2) / 1000 * 24000)
    assert loud[0] <= margin and len(y) - 1 - loud[-1] <= margin
    assert len(y) / 24000 <= raw.duration_s + 0.03


def test_loudness_helpers():
    rate = 24000
    t = np.arange(rate * 2) / rate
    sine = (np.sin(2 * np.pi * 997 * t) * 0.5 * 32767).astype(np.int16)
    # A 997 Hz sine at -6 dBFS reads about -9 LUFS (mono, K-weighting ~ +0.7 dB).
    assert -10.0 < integrated_lufs(sine, rate) < -8.0
    assert abs(true_peak_dbtp(sine) - 20 * math.log10(0.5)) < 0.1
    assert integrated_lufs(np.zeros(100, dtype=np.int16), rate) == -math.inf
    assert true_peak_dbtp(np.zeros(100, dtype=np.int16)) == -math.inf
    # Inter-sample peak: a fs/4 sine sampled at 45 degrees peaks between samples.
    n = np.arange(4000)
    x = np.sin(np.pi / 2 * n + np.pi / 4) * 0.7
    assert true_peak_dbtp(x) > 20 * math.log10(np.max(np.abs(x))) + 2.5
