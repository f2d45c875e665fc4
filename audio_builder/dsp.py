"""The little signal processing the builder needs, in numpy alone.

scipy.signal takes about a second to import here (and pyloudnorm imports it), which alone would
break the "edit one cue, rebuild in under 2 s" budget. Everything below works on short cues in
memory, and on long tracks in overlapping chunks, so it stays within the memory budget too.
"""
from __future__ import annotations

import math

import numpy as np

# ITU-R BS.1770-4 integrated loudness.
BLOCK_S = 0.4
STEP_S = 0.1  # 75 % block overlap
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
TRUE_PEAK_OVERSAMPLE = 4

_CHUNK = 1 << 18  # samples per FFT chunk for long signals
_OVERLAP = 1 << 14  # context on each side of a chunk: covers the filters' tails


def fast_length(n: int) -> int:
    """The smallest 2^a 3^b 5^c >= n. FFTs of such sizes are fast and small; a size with a large
    prime factor makes the FFT fall back to Bluestein's algorithm, several times slower and hungrier."""
    best = 1 << max(0, (n - 1).bit_length())
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            m = p35
            while m < n:
                m *= 2
            best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


def resample(x: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Band-limited resampling by FFT (for cues: seconds long, near-silent at both ends)."""
    if from_rate == to_rate or x.size == 0:
        return x
    # Zero padding keeps the circular FFT from wrapping the end onto the start; padding to whole
    # multiples of the rate ratio keeps the output on the exact sample grid (no fractional shift).
    unit = from_rate // math.gcd(from_rate, to_rate)
    pad = unit * -(-256 // unit)
    # The padded length is unit * k with k a fast length, so both FFT sizes (unit * k and
    # to_unit * k) have only small prime factors.
    k = fast_length(-(-(x.size + 2 * pad) // unit))
    tail = unit * k - x.size - pad
    padded = np.concatenate([np.zeros(pad), x, np.zeros(tail)])
    n_out = padded.size * to_rate // from_rate
    spectrum = np.fft.rfft(padded)
    keep = min(spectrum.size, n_out // 2 + 1)
    out = np.fft.irfft(spectrum[:keep], n_out) * (n_out / padded.size)
    start = pad * to_rate // from_rate
    return out[start:start + round(x.size * to_rate / from_rate)]


def _chunked(x: np.ndarray, process) -> np.ndarray:
    """Apply a linear, near-finite-memory `process` (same length out) chunk by chunk with overlap."""
    if x.size <= _CHUNK + 2 * _OVERLAP:
        return process(x)
    out = np.empty(x.size, dtype=np.float64)
    for start in range(0, x.size, _CHUNK):
        lo, hi = max(0, start - _OVERLAP), min(x.size, start + _CHUNK + _OVERLAP)
        y = process(x[lo:hi])
        out[start:min(x.size, start + _CHUNK)] = y[start - lo:start - lo + min(_CHUNK, x.size - start)]
    return out


def oversampled_abs_max(x: np.ndarray, factor: int = TRUE_PEAK_OVERSAMPLE) -> np.ndarray:
    """Per input sample, the largest |value| of the band-limited signal in the `factor` sub-samples
    that start at it (the inter-sample peaks a DAC would produce)."""

    def up(seg: np.ndarray) -> np.ndarray:
        pad = 64
        n = fast_length(seg.size + 2 * pad)
        padded = np.concatenate([np.zeros(pad), seg, np.zeros(n - pad - seg.size)])
        spectrum = np.fft.rfft(padded)
        y = np.fft.irfft(spectrum, n * factor) * factor
        y = y[pad * factor:(pad + seg.size) * factor]
        return np.abs(y).reshape(seg.size, factor).max(axis=1)

    return np.maximum(_chunked(x, up), np.abs(x))


def true_peak(x: np.ndarray) -> float:
    return float(oversampled_abs_max(x).max()) if x.size else 0.0


def _biquad_response(b, a, w: np.ndarray) -> np.ndarray:
    z1 = np.exp(-1j * w)
    z2 = z1 * z1
    return (b[0] + b[1] * z1 + b[2] * z2) / (a[0] + a[1] * z1 + a[2] * z2)


def _k_weighting(rate: int, n: int) -> np.ndarray:
    """BS.1770 K-weighting (high shelf +4 dB at 1.5 kHz, high pass at 38 Hz) at the rfft bins of
    an n-point FFT, from the same RBJ biquads pyloudnorm uses."""
    w = 2 * np.pi * np.fft.rfftfreq(n) * 1.0  # radians per sample
    # stage 1: high shelf
    gain_db, q, fc = 4.0, 1 / math.sqrt(2), 1500.0
    big_a = 10 ** (gain_db / 40)
    w0 = 2 * math.pi * fc / rate
    alpha = math.sin(w0) / (2 * q)
    c, s = math.cos(w0), 2 * math.sqrt(big_a) * alpha
    b1 = (big_a * ((big_a + 1) + (big_a - 1) * c + s), -2 * big_a * ((big_a - 1) + (big_a + 1) * c),
          big_a * ((big_a + 1) + (big_a - 1) * c - s))
    a1 = ((big_a + 1) - (big_a - 1) * c + s, 2 * ((big_a - 1) - (big_a + 1) * c), (big_a + 1) - (big_a - 1) * c - s)
    # stage 2: high pass
    q, fc = 0.5, 38.0
    w0 = 2 * math.pi * fc / rate
    alpha = math.sin(w0) / (2 * q)
    c = math.cos(w0)
    b2 = ((1 + c) / 2, -(1 + c), (1 + c) / 2)
    a2 = (1 + alpha, -2 * c, 1 - alpha)
    return _biquad_response(b1, a1, w) * _biquad_response(b2, a2, w)


def k_weighted(x: np.ndarray, rate: int) -> np.ndarray:
    def weigh(seg: np.ndarray) -> np.ndarray:
        pad = rate // 2  # the 38 Hz high pass rings for tens of ms: half a second is plenty
        n = fast_length(seg.size + 2 * pad)
        padded = np.concatenate([np.zeros(pad), seg, np.zeros(n - pad - seg.size)])
        y = np.fft.irfft(np.fft.rfft(padded) * _k_weighting(rate, n), n)
        return y[pad:pad + seg.size]

    return _chunked(x, weigh)


def integrated_lufs(x: np.ndarray, rate: int) -> float:
    """BS.1770-4 integrated loudness of mono float audio in [-1, 1]; -inf when nothing is above the
    absolute gate or the input is shorter than one block."""
    block, step = round(BLOCK_S * rate), round(STEP_S * rate)
    if x.size < block:
        return -math.inf
    y = k_weighted(x, rate)
    energy = np.concatenate([[0.0], np.cumsum(y * y)])
    starts = np.arange(0, x.size - block + 1, step)
    z = (energy[starts + block] - energy[starts]) / block
    with np.errstate(divide="ignore"):
        loud = -0.691 + 10 * np.log10(z)
    gated = z[loud > ABSOLUTE_GATE_LUFS]
    if gated.size == 0:
        return -math.inf
    relative = -0.691 + 10 * math.log10(gated.mean()) + RELATIVE_GATE_LU
    final = z[(loud > ABSOLUTE_GATE_LUFS) & (loud > relative)]
    return -0.691 + 10 * math.log10(final.mean())


def moving_min(x: np.ndarray, width: int) -> np.ndarray:
    """Centered running minimum (edges use the nearest values)."""
    half = width // 2
    padded = np.concatenate([np.full(half, x[0]), x, np.full(half, x[-1])])
    return np.lib.stride_tricks.sliding_window_view(padded, width).min(axis=1)


def moving_mean(x: np.ndarray, width: int) -> np.ndarray:
    half = width // 2
    padded = np.concatenate([np.full(half, x[0]), x, np.full(half, x[-1])])
    sums = np.concatenate([[0.0], np.cumsum(padded)])
    return (sums[width:] - sums[:-width]) / width
