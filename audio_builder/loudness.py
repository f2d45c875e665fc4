"""Loudness (ITU-R BS.1770 integrated LUFS) and true peak measurements.

Shared by cue processing and by the checks run on decoded tracks.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

# BS.1770 measures 400 ms blocks; shorter input has no block to measure.
MIN_MEASURE_S = 0.4
TRUE_PEAK_OVERSAMPLE = 4


def to_float(samples: "np.ndarray") -> "np.ndarray":
    """int16 (or float) samples as float64 in [-1, 1)."""
    import numpy as np

    x = np.asarray(samples)
    if x.dtype == np.int16:
        return x.astype(np.float64) / 32768.0
    return x.astype(np.float64)


def integrated_lufs(samples: "np.ndarray", rate: int) -> float:
    """Integrated loudness in LUFS of mono audio; -inf for silence.

    Clips shorter than the 0.4 s meter block are tiled (not zero padded, which
    would lower the reading) so that short cues such as "two" can be measured.
    """
    import numpy as np
    import pyloudnorm

    x = to_float(samples)
    if x.size == 0 or not np.any(x):
        return -math.inf
    need = int(math.ceil(MIN_MEASURE_S * rate)) + 1
    if x.size < need:
        x = np.tile(x, int(math.ceil(need / x.size)) + 1)
    value = float(pyloudnorm.Meter(rate).integrated_loudness(x))
    return value


def true_peak(samples: "np.ndarray", rate: int | None = None) -> float:
    """Linear true peak (4x oversampled, BS.1770 annex 2 style)."""
    import numpy as np
    from scipy.signal import resample_poly

    x = to_float(samples)
    if x.size == 0:
        return 0.0
    # Pad so the polyphase filter's edges see the signal decay, not a cut.
    padded = np.concatenate([np.zeros(16), x, np.zeros(16)])
    up = resample_poly(padded, TRUE_PEAK_OVERSAMPLE, 1)
    return float(max(np.max(np.abs(up)), np.max(np.abs(x))))


def true_peak_dbtp(samples: "np.ndarray", rate: int | None = None) -> float:
    """True peak in dBTP; -inf for silence. `rate` is accepted for symmetry and unused."""
    peak = true_peak(samples, rate)
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf
