"""The little signal processing the builder needs, in numpy alone.

scipy.signal takes about a second to import here (and pyloudnorm imports it), which alone would
break the "edit one cue, rebuild in under 2 s" budget. Everything below works on short cues in
memory, and on long tracks in overlapping chunks, so it stays within the memory budget too.
"""
from __future__ import annotations

import functools
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


def _phases(seg: np.ndarray, factor: int):
    """The band-limited signal of `seg` between its samples: for k = 1 .. factor - 1, the values k/factor
    of a sample after each input sample (seg.size each).

    One phase at a time, as a phase ramp on one spectrum and an FFT of the input's size, instead of one
    FFT of factor times the size: half the time, and no factor values per sample to hold (on the seed's
    longest cue 11-16 MB instead of 27, which counts as cues are made beside the engine). The values
    are the same but for the Nyquist bin, which the longer FFT counted twice: on the seed's cues the
    envelopes differ by at most 1.4e-7."""
    pad = 64
    n = fast_length(seg.size + 2 * pad)
    padded = np.concatenate([np.zeros(pad), seg, np.zeros(n - pad - seg.size)])
    spectrum = np.fft.rfft(padded)
    step = np.exp(2j * np.pi * np.arange(spectrum.size) / (factor * n))
    for _ in range(1, factor):
        spectrum *= step
        yield np.fft.irfft(spectrum, n)[pad:pad + seg.size]


def oversampled_abs_max(x: np.ndarray, factor: int = TRUE_PEAK_OVERSAMPLE) -> np.ndarray:
    """Per input sample, the largest |value| of the band-limited signal in the `factor` sub-samples
    that start at it (the inter-sample peaks a DAC would produce)."""

    def up(seg: np.ndarray) -> np.ndarray:
        env = np.abs(seg)
        for phase in _phases(seg, factor):
            np.maximum(env, np.abs(phase), out=env)
        return env

    return np.maximum(_chunked(x, up), np.abs(x))


def true_peak(x: np.ndarray, factor: int = TRUE_PEAK_OVERSAMPLE) -> float:
    """The largest |value| of the band-limited signal: oversampled_abs_max(x).max(), without
    keeping a value per sample (the largest and the smallest of each phase are all it needs)."""
    if not x.size:
        return 0.0
    peak = float(np.max(np.abs(x)))
    if x.size <= _CHUNK + 2 * _OVERLAP:
        chunks = [(x, 0, x.size)]
    else:
        chunks = [(x[max(0, s - _OVERLAP):min(x.size, s + _CHUNK + _OVERLAP)], s - max(0, s - _OVERLAP),
                   min(_CHUNK, x.size - s)) for s in range(0, x.size, _CHUNK)]
    for seg, start, length in chunks:
        for phase in _phases(seg, factor):
            inside = phase[start:start + length]
            peak = max(peak, float(inside.max()), -float(inside.min()))
    return peak


def _biquad_response(b, a, z1: np.ndarray, z2: np.ndarray) -> np.ndarray:
    return (b[0] + b[1] * z1 + b[2] * z2) / (a[0] + a[1] * z1 + a[2] * z2)


@functools.lru_cache(maxsize=8)
def _k_weighting(rate: int, n: int) -> np.ndarray:
    """BS.1770 K-weighting (high shelf +4 dB at 1.5 kHz, high pass at 38 Hz) at the rfft bins of
    an n-point FFT, from the same RBJ biquads pyloudnorm uses.

    Kept for the last few sizes: a cue decodes to the same length at every loudness correction
    round, and a long track is weighed in chunks of one size. Read-only, as it is shared."""
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
    # e^-jw once for both stages: the complex exponential over every bin is the costly part.
    z1 = np.exp(-1j * w)
    z2 = z1 * z1
    response = _biquad_response(b1, a1, z1, z2) * _biquad_response(b2, a2, z1, z2)
    response.flags.writeable = False
    return response


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
    if x.size < round(BLOCK_S * rate):
        return -math.inf
    y = k_weighted(x, rate)
    return gated_lufs(y * y, rate)


def gated_lufs(power: np.ndarray, rate: int) -> float:
    """Integrated loudness from the K-weighted signal's per-sample power (its square): the blocks and
    the two gates of BS.1770-4. Apart from integrated_lufs so that cue processing can weigh a cue once
    and try gains on its power (cue_processing.PreparedCue)."""
    block, step = round(BLOCK_S * rate), round(STEP_S * rate)
    if power.size < block:
        return -math.inf
    energy = np.concatenate([[0.0], np.cumsum(power)])
    starts = np.arange(0, power.size - block + 1, step)
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
    """Centered running minimum (edges use the nearest values), for odd `width`.

    Van Herk / Gil-Werman: minima running forward and backward within blocks of `width`, so each
    window is the min of two lookups, about 3 operations a sample whatever the width (a sliding
    window view costs `width` a sample: it was most of the limiter's time)."""
    half = width // 2
    n = x.size
    padded = np.concatenate([np.full(half, x[0]), x, np.full(half, x[-1])])
    blocks = -(-padded.size // width)
    full = np.concatenate([padded, np.full(blocks * width - padded.size, np.inf)]).reshape(blocks, width)
    forward = np.minimum.accumulate(full, axis=1).ravel()
    backward = np.minimum.accumulate(full[:, ::-1], axis=1)[:, ::-1].ravel()
    # Window [i, i + width) spans at most two blocks: the backward min from i to its block's end and
    # the forward min from the next block's start to i + width - 1.
    return np.minimum(backward[:n], forward[width - 1:width - 1 + n])


def moving_mean(x: np.ndarray, width: int) -> np.ndarray:
    half = width // 2
    padded = np.concatenate([np.full(half, x[0]), x, np.full(half, x[-1])])
    sums = np.concatenate([[0.0], np.cumsum(padded)])
    return (sums[width:] - sums[:-width]) / width
