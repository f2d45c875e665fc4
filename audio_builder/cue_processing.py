"""Turn raw engine speech into a clip that joins cleanly into a track.

resample -> trim silence -> loudness normalize -> true-peak limit (gain only)
-> short fades. Every cue in a track then sounds equally loud and starts and
ends at zero, so placing it next to silence frames never clicks.

cue_encoding.encode_cue then encodes it and levels it again for what the MP3
encoding changed, as measured on the decoded cue.

Cost matters: a cold build runs this for every cue while the engine says the next
(cue_pipeline.py), so a cue is filtered once (PreparedCue) and every levelling,
the first and those after each encode, tries its gains on that.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

from .engines.base import Speech
from .loudness import to_float, true_peak

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

# Bump whenever the output of process_cue or of cue_encoding.encode_cue changes for the same input:
# it is part of cue cache keys.
# 4: encode_cue corrects loudness and true peak as measured on the decoded MP3.
# 5: levelling measures a cue once (PreparedCue) and tries gains on that; the first encode aims
#    ENCODE_LOSS_LU louder; cues the limiter caps are not encoded again.
PROCESSING_VERSION = "5"

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


def limiter_gain(envelope: "np.ndarray", rate: int, limit: float,
                 window_ms: float = LIMIT_WINDOW_MS) -> "np.ndarray":
    """Per-sample gain of the look-ahead limiter for audio whose true-peak envelope (`peak_envelope`)
    is `envelope`: smooth dips that bring the peaks to `limit`, 1 elsewhere."""
    import numpy as np

    from .dsp import moving_mean, moving_min

    need = np.minimum(1.0, limit / np.maximum(envelope, 1e-12))
    w = max(3, int(rate * window_ms / 1000)) | 1
    # A moving average over a window no wider than the min filter's stays at or
    # below the needed gain at every peak, and ramps smoothly into and out of it.
    return moving_mean(moving_min(need, w), w)


def peak_envelope(x: "np.ndarray") -> "np.ndarray":
    """Per sample, the largest true (oversampled) peak next to it: linear in x, so a cue's envelope
    at any gain is its envelope times the gain."""
    import numpy as np

    from .dsp import oversampled_abs_max

    env = oversampled_abs_max(x)
    return np.maximum(env, np.concatenate([env[1:], env[-1:]]))  # inter-sample peaks lean either way


def limit_peaks(x: "np.ndarray", rate: int, limit: float,
                window_ms: float = LIMIT_WINDOW_MS) -> "np.ndarray":
    """Look-ahead peak limiter: smooth gain dips that bring true peaks to `limit`."""
    return x * limiter_gain(peak_envelope(x), rate, limit, window_ms)


def process_cue(speech: Speech, target_rate: int = 24000, target_lufs: float = -19.0,
                peak_dbtp: float = -1.0) -> "np.ndarray":
    """Processed mono int16 samples at `target_rate`.

    Loudness is reached by gain; the few transients that gain pushes over
    `peak_dbtp` are brought down by a short look-ahead limiter (see
    MAX_LIMIT_DB), and a last plain gain reduction guarantees the limit.
    Raises ValueError for a silent clip.
    """
    return level_cue(prepare_cue(speech, target_rate), target_rate, target_lufs, peak_dbtp)


class PreparedCue:
    """A cue resampled and trimmed, with what levelling it at any gain needs, measured once: its
    true-peak envelope and the power of its K-weighted signal as heard (CONTEXT_S of silence around).

    Levelling then tries gains without filtering again: a gain g with the limiter's smooth gain curve
    G scales the envelope by g*G and the weighted power by (g*G)^2. For G that is exact where G is
    flat and, where G dips (a few ms around a transient), off by how much the K filter smears those
    ms, a few thousandths of a LU; the decoded cue is measured exactly anyway (encode_cue)."""

    def __init__(self, samples: "np.ndarray", rate: int):
        import numpy as np

        from .dsp import k_weighted

        self.samples, self.rate = samples, rate
        self.envelope = peak_envelope(samples)
        self.peak = float(self.envelope.max())
        self.context = int(CONTEXT_S * rate)
        silence = np.zeros(self.context)
        weighted = k_weighted(np.concatenate([silence, samples, silence]), rate)
        self.power = weighted * weighted

    def heard_lufs(self, gain: "np.ndarray | float" = 1.0) -> float:
        """Integrated LUFS, with silence around it, of the cue times `gain` (a number or per sample)."""
        from .dsp import gated_lufs

        if isinstance(gain, float):
            return gated_lufs(self.power * (gain * gain), self.rate)
        power = self.power.copy()
        power[self.context:self.context + gain.size] *= gain * gain
        return gated_lufs(power, self.rate)


def prepare_cue(speech: Speech, target_rate: int) -> PreparedCue:
    """The part of processing that does not depend on the loudness target: float samples at
    `target_rate`, silence trimmed, and measured for levelling. Done once per cue, however many times
    it is levelled."""
    x = to_float(speech.samples)
    x = resample(x, speech.sample_rate, target_rate)
    return PreparedCue(trim_silence(x, target_rate), target_rate)


# level_cue: how close to its own target the gain search brings a cue (cheap: no filtering per try).
LEVEL_TOLERANCE_LU = 0.01
LEVEL_ROUNDS = 8


class Levelled(NamedTuple):
    samples: "np.ndarray"  # mono int16
    lufs: float  # as heard (with silence around it), before the fades; short of the aim when limiting caps it


def level_cue(cue: PreparedCue, target_rate: int, target_lufs: float, peak_dbtp: float) -> "np.ndarray":
    """A prepared cue (`prepare_cue`) at `target_lufs` with true peaks below `peak_dbtp`: gain, a
    look-ahead limiter where needed, fades; mono int16. The limit is met exactly (a last plain gain
    reduction takes off whatever the limiter missed)."""
    return levelled(cue, target_rate, target_lufs, peak_dbtp, exact_peak=True).samples


def levelled(cue: PreparedCue, target_rate: int, target_lufs: float, peak_dbtp: float, exact_peak: bool) -> Levelled:
    """level_cue; with exact_peak False the last check of the true peak is the envelope's estimate
    instead of a measurement (cue_encoding.encode_cue measures the decoded cue, which is what must meet
    the limit)."""
    import numpy as np

    if cue.rate != target_rate:
        raise ValueError(f"cue prepared at {cue.rate} Hz, levelled at {target_rate} Hz")
    limit = 10 ** ((peak_dbtp - PEAK_MARGIN_DB) / 20)
    max_ratio = 10 ** (MAX_LIMIT_DB / 20)
    lufs = cue.heard_lufs()
    if not math.isfinite(lufs):
        raise ValueError("cue is too quiet to measure its loudness")
    # Limiting takes a little loudness away, so search for the gain *before* the
    # limiter whose limited result meets the target (always limiting the original,
    # never re-limiting limited audio).
    gain_db = target_lufs - lufs
    gain, curve = 10 ** (gain_db / 20), None
    for _ in range(LEVEL_ROUNDS):
        gain = 10 ** (gain_db / 20)
        peak = gain * cue.peak
        if peak <= limit:
            curve = None
            lufs = cue.heard_lufs(gain)
            break
        if peak > limit * max_ratio:
            # Too much to limit transparently: lower the whole cue so that the limiter
            # takes off at most MAX_LIMIT_DB, and accept a cue quieter than the target.
            gain *= limit * max_ratio / peak
            curve = limiter_gain(cue.envelope * gain, target_rate, limit)
            lufs = cue.heard_lufs(gain * curve)
            break
        curve = limiter_gain(cue.envelope * gain, target_rate, limit)
        lufs = cue.heard_lufs(gain * curve)
        error = target_lufs - lufs
        if abs(error) < LEVEL_TOLERANCE_LU:
            break
        gain_db += error
    scale = gain if curve is None else gain * curve
    x = apply_fades(cue.samples * scale, target_rate)
    # Final guarantee, whatever the limiter missed: plain gain reduction.
    if exact_peak:
        peak = true_peak(x)
    else:
        peak = float(np.max(apply_fades(cue.envelope * scale, target_rate)))
    if peak > limit:
        x = x * (limit / peak)
        lufs += 20 * math.log10(limit / peak)
    return Levelled(np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16), lufs)
