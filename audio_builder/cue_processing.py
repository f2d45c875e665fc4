"""Turn raw engine speech into a clip that joins cleanly into a track.

resample -> trim silence -> loudness normalize -> true-peak limit (gain only)
-> short fades. Every cue in a track then sounds equally loud and starts and
ends at zero, so placing it next to silence frames never clicks.

encode_cue then encodes it and checks the result as a listener gets it: the MP3
is decoded and measured, and the cue processed again with its targets moved by
what the encoding changed (it takes ~0.5 LU off and adds a little to the peaks),
so the decoded cue, and the track, are at the target.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .engines.base import Speech
from .loudness import integrated_lufs, to_float, true_peak

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from .mp3 import EncodedPiece, Mp3Format

# Bump whenever the output of process_cue changes for the same input: it is part of cue cache keys.
# 4: encode_cue corrects loudness and true peak as measured on the decoded MP3.
PROCESSING_VERSION = "4"

TRIM_THRESHOLD_DB = -40.0  # relative to the clip's peak: below this counts as silence
TRIM_WINDOW_MS = 5.0  # envelope window, so a lone noise sample does not stop the trim
KEEP_MS = 10.0  # kept around the speech so soft onsets and decays are not cut
FADE_MS = 8.0
PEAK_MARGIN_DB = 0.1  # headroom for int16 rounding after the gain is applied
# Speech is peaky (neural TTS plosives sit ~20 dB over its loudness), so at -19 LUFS
# a few transients exceed -1 dBTP. Lowering the whole cue for them would make long
# cues audibly quieter than short ones; instead a look-ahead limiter dips the gain
# around those few ms. Beyond this much reduction the clip is odd and we fall back
# to lowering the whole cue.
MAX_LIMIT_DB = 6.0
# A cue is measured as it is heard in a track: with silence around it. The track's meter sees the
# blocks that straddle a cue's edges too, so a cue normalized on its own would make the track read
# 1-1.5 LU quieter than the target.
CONTEXT_S = 0.5
LIMIT_WINDOW_MS = 10.0


def resample(x: "np.ndarray", from_rate: int, to_rate: int) -> "np.ndarray":
    from .dsp import resample as fft_resample

    return fft_resample(x, from_rate, to_rate)


def trim_silence(x: "np.ndarray", rate: int, threshold_db: float = TRIM_THRESHOLD_DB,
                 keep_ms: float = KEEP_MS) -> "np.ndarray":
    import numpy as np

    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak == 0.0:
        raise ValueError("cue is silent: nothing to trim around")
    win = max(1, int(rate * TRIM_WINDOW_MS / 1000))
    n_win = int(math.ceil(x.size / win))
    padded = np.zeros(n_win * win)
    padded[: x.size] = np.abs(x)
    env = padded.reshape(n_win, win).max(axis=1)
    loud = np.flatnonzero(env >= peak * 10 ** (threshold_db / 20))
    keep = int(rate * keep_ms / 1000)
    start = max(0, int(loud[0]) * win - keep)
    end = min(x.size, (int(loud[-1]) + 1) * win + keep)
    return x[start:end]


def apply_fades(x: "np.ndarray", rate: int, fade_ms: float = FADE_MS) -> "np.ndarray":
    import numpy as np

    n = min(int(rate * fade_ms / 1000), x.size // 2)
    if n < 2:
        return x
    # Raised cosine from exactly 0 to 1: the first and last samples become 0.
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, math.pi, n))
    y = x.copy()
    y[:n] *= ramp
    y[-n:] *= ramp[::-1]
    return y


def limit_peaks(x: "np.ndarray", rate: int, limit: float,
                window_ms: float = LIMIT_WINDOW_MS) -> "np.ndarray":
    """Look-ahead peak limiter: smooth gain dips that bring true peaks to `limit`."""
    import numpy as np

    from .dsp import moving_mean, moving_min, oversampled_abs_max

    # Per-sample true-peak envelope: the max of the oversampled signal around each sample.
    env = oversampled_abs_max(x)
    env = np.maximum(env, np.concatenate([env[1:], env[-1:]]))  # inter-sample peaks lean either way
    need = np.minimum(1.0, limit / np.maximum(env, 1e-12))
    w = max(3, int(rate * window_ms / 1000)) | 1
    # A moving average over a window no wider than the min filter's stays at or
    # below the needed gain at every peak, and ramps smoothly into and out of it.
    gain = moving_mean(moving_min(need, w), w)
    return x * gain


def process_cue(speech: Speech, target_rate: int = 24000, target_lufs: float = -19.0,
                peak_dbtp: float = -1.0) -> "np.ndarray":
    """Processed mono int16 samples at `target_rate`.

    Loudness is reached by gain; the few transients that gain pushes over
    `peak_dbtp` are brought down by a short look-ahead limiter (see
    MAX_LIMIT_DB), and a last plain gain reduction guarantees the limit.
    Raises ValueError for a silent clip.
    """
    return level_cue(prepare_cue(speech, target_rate), target_rate, target_lufs, peak_dbtp)


def prepare_cue(speech: Speech, target_rate: int) -> "np.ndarray":
    """The part of processing that does not depend on the loudness target: float samples at
    `target_rate`, silence trimmed. Done once per cue, however many times it is levelled."""
    x = to_float(speech.samples)
    x = resample(x, speech.sample_rate, target_rate)
    return trim_silence(x, target_rate)


def level_cue(x: "np.ndarray", target_rate: int, target_lufs: float, peak_dbtp: float) -> "np.ndarray":
    """Prepared samples (`prepare_cue`) at `target_lufs` with true peaks below `peak_dbtp`: gain, a
    look-ahead limiter where needed, fades; mono int16."""
    import numpy as np

    limit = 10 ** ((peak_dbtp - PEAK_MARGIN_DB) / 20)
    max_ratio = 10 ** (MAX_LIMIT_DB / 20)
    context = np.zeros(int(CONTEXT_S * target_rate))

    def heard(y: "np.ndarray") -> float:
        return integrated_lufs(np.concatenate([context, y, context]), target_rate)

    lufs = heard(x)
    if not math.isfinite(lufs):
        raise ValueError("cue is too quiet to measure its loudness")
    # Limiting takes a little loudness away, so search for the gain *before* the
    # limiter whose limited result meets the target (always limiting the original,
    # never re-limiting limited audio; 2-3 rounds reach 0.05 LU).
    gain_db = target_lufs - lufs
    source = x
    for _ in range(4):
        x = source * 10 ** (gain_db / 20)
        peak = true_peak(x)
        if peak <= limit:
            break
        if peak > limit * max_ratio:
            # Too much to limit transparently: lower the whole cue so that the limiter
            # takes off at most MAX_LIMIT_DB, and accept a cue quieter than the target.
            x = limit_peaks(x * (limit * max_ratio / peak), target_rate, limit)
            break
        x = limit_peaks(x, target_rate, limit)
        error = target_lufs - heard(x)
        if abs(error) < 0.05:
            break
        gain_db += error
    x = apply_fades(x, target_rate)
    # Final guarantee, whatever the limiter missed: plain gain reduction.
    peak = true_peak(x)
    if peak > limit:
        x = x * (limit / peak)
    return np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)


# encode_cue: how close the decoded cue must come to the loudness target, and how many encodes it may take.
ENCODED_TOLERANCE_LU = 0.05
ENCODE_ROUNDS = 4
MAX_ENCODE_CORRECTION_LU = 3.0  # a cue the limiter keeps quiet is not chased further than this


def decoded_measure(piece: "EncodedPiece") -> tuple[float, float]:
    """(integrated LUFS as heard, with CONTEXT_S of silence around it; true peak in dBTP) of the
    piece as a decoder plays it."""
    import numpy as np

    from .loudness import true_peak_dbtp
    from .mp3 import decode_mp3

    x, rate = decode_mp3(piece.data)
    y = to_float(x)
    context = np.zeros(int(CONTEXT_S * rate))
    return integrated_lufs(np.concatenate([context, y, context]), rate), true_peak_dbtp(y)


def encode_cue(speech: Speech, fmt: "Mp3Format", target_lufs: float = -19.0,
               peak_dbtp: float = -1.0) -> "EncodedPiece":
    """The cue processed and encoded so that, decoded, it is within ENCODED_TOLERANCE_LU of
    `target_lufs` (when the limiter allows) with a true peak at or below `peak_dbtp`.

    MP3 at 64 kbps cuts the highest frequencies, which K-weighting counts, and its quantization noise
    overshoots peaks a little; so the cue is processed, encoded, decoded and measured, and processed
    again with the loudness and peak targets moved by the measured error. Deterministic for a given
    input (same processing, same encoder).
    """
    from .mp3 import encode_piece

    aim_lufs, aim_peak = target_lufs, peak_dbtp
    best: tuple[float, "EncodedPiece"] | None = None
    samples = piece = None
    prepared = prepare_cue(speech, fmt.sample_rate)
    for _ in range(ENCODE_ROUNDS):
        samples = level_cue(prepared, fmt.sample_rate, aim_lufs, aim_peak)
        piece = encode_piece(samples, fmt)
        lufs, peak = decoded_measure(piece)
        error = target_lufs - lufs
        if peak <= peak_dbtp:
            if best is None or abs(error) < best[0]:
                best = (abs(error), piece)
            if abs(error) <= ENCODED_TOLERANCE_LU:
                break
        else:
            aim_peak -= peak - peak_dbtp + 0.02
        aim_lufs = min(target_lufs + MAX_ENCODE_CORRECTION_LU, max(target_lufs - MAX_ENCODE_CORRECTION_LU,
                                                                    aim_lufs + error))
    if best is not None:
        return best[1]
    # Never over the peak limit, whatever the rounds did: lower the last cue by its overshoot.
    import numpy as np

    for _ in range(ENCODE_ROUNDS):
        lufs, peak = decoded_measure(piece)
        if peak <= peak_dbtp:
            break
        samples = np.round(samples * 10 ** ((peak_dbtp - peak - 0.05) / 20)).astype(np.int16)
        piece = encode_piece(samples, fmt)
    return piece
