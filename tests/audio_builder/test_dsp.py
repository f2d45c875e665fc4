"""The numpy-only DSP agrees with the reference implementations (pyloudnorm, scipy)."""
from __future__ import annotations

import numpy as np
import pytest

from audio_builder import dsp


def speechlike(seconds: float, rate: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    carrier = sum(np.sin(2 * np.pi * f * t + rng.uniform(0, 6)) / (i + 1) for i, f in enumerate([140, 280, 420, 1100, 2600]))
    syllables = (np.sin(2 * np.pi * 3.5 * t) > 0.2).astype(float)  # bursts with gaps, like words
    return 0.2 * carrier * syllables + 0.01 * rng.standard_normal(t.size)


@pytest.mark.parametrize("rate", [16000, 22050, 24000, 48000])
def test_integrated_loudness_matches_pyloudnorm(rate):
    import pyloudnorm

    x = speechlike(6.0, rate)
    x = np.concatenate([np.zeros(rate), x, np.zeros(rate // 2), x * 0.3])
    assert dsp.integrated_lufs(x, rate) == pytest.approx(pyloudnorm.Meter(rate).integrated_loudness(x), abs=0.1)


def test_loudness_of_long_signal_is_chunked_consistently():
    import pyloudnorm

    rate = 24000
    x = np.tile(speechlike(5.0, rate), 8)  # 40 s: several FFT chunks
    assert dsp.integrated_lufs(x, rate) == pytest.approx(pyloudnorm.Meter(rate).integrated_loudness(x), abs=0.1)


def test_silence_and_short_input():
    assert dsp.integrated_lufs(np.zeros(48000), 24000) == float("-inf")
    assert dsp.integrated_lufs(np.ones(100) * 0.1, 24000) == float("-inf")


def test_resample_matches_scipy():
    from scipy.signal import resample_poly

    # Band-limited well below Nyquist: where both filters pass everything, they must agree.
    t = np.arange(2 * 22050 + 7) / 22050
    x = (np.sin(2 * np.pi * 440 * t) + 0.5 * np.sin(2 * np.pi * 3000 * t)) * np.hanning(t.size)
    ours = dsp.resample(x, 22050, 24000)
    ref = resample_poly(x, 160, 147)
    assert ours.size == ref.size
    assert np.max(np.abs(ours - ref)[2000:-2000]) < 0.01 * np.max(np.abs(ref))


def test_true_peak_sees_intersample_peaks():
    rate = 24000
    t = np.arange(rate) / rate
    # A sine at rate/4 sampled 45 degrees off its peaks: samples reach 0.707, the wave reaches 1.
    x = np.sin(2 * np.pi * (rate / 4) * t + np.pi / 4)
    assert np.max(np.abs(x)) == pytest.approx(0.7071, abs=1e-3)
    assert dsp.true_peak(x) == pytest.approx(1.0, abs=0.02)


def test_moving_filters():
    x = np.array([5.0, 4, 3, 9, 9, 1, 9, 9])
    assert dsp.moving_min(x, 3).tolist() == [4, 3, 3, 3, 1, 1, 1, 9]
    assert dsp.moving_mean(np.ones(10), 5).tolist() == [1.0] * 10
