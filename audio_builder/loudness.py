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

    from .dsp import integrated_lufs as measure

    x = to_float(samples)
    if x.size == 0 or not np.any(x):
        return -math.inf
    need = int(math.ceil(MIN_MEASURE_S * rate)) + 1
    if x.size < need:
        x = np.tile(x, int(math.ceil(need / x.size)) + 1)
    return measure(x, rate)


def true_peak(samples: "np.ndarray", rate: int | None = None) -> float:
    """Linear true peak (4x oversampled, BS.1770 annex 2 style)."""
    from .dsp import true_peak as measure

    return measure(to_float(samples))


def true_peak_dbtp(samples: "np.ndarray", rate: int | None = None) -> float:
    """True peak in dBTP; -inf for silence. `rate` is accepted for symmetry and unused."""
    peak = true_peak(samples, rate)
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf
