"""Encode a processed cue and check the result as a listener gets it.

The MP3 is decoded and measured, and the cue levelled again (cue_processing.levelled) with its targets
moved by what the encoding changed (it takes ~0.4 LU off and can add a little to the peaks), so the
decoded cue, and the track, are at the target. A cold build does this for every cue, so the first
encode already aims past the usual encoding loss.

The pieces made here are cached under cue_processing.PROCESSING_VERSION: bump it when they change for
the same speech.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .cue_processing import CONTEXT_S, levelled, prepare_cue
from .engines.base import Speech
from .loudness import integrated_lufs, to_float

if TYPE_CHECKING:  # pragma: no cover
    from .mp3 import EncodedPiece, Mp3Format

# encode_cue: how close the decoded cue must come to the loudness target, and how many encodes it may take.
ENCODED_TOLERANCE_LU = 0.05
ENCODE_ROUNDS = 4
MAX_ENCODE_CORRECTION_LU = 3.0  # a cue the limiter keeps quiet is not chased further than this
# What LAME (64 kbps, 24 kHz, quality 2) takes off a cue's loudness, on average: its quantizer rounds
# towards zero, so every band comes out ~0.4 dB weaker. Measured on the seed's cues levelled to -19 LUFS
# (scripts/bench_build.py --only encode-loss): 0.453 LU for Piper's joe (sd 0.19), 0.387 for espeak-ng (sd
# 0.16). Aiming the first encode this much louder lands about half the cues within the tolerance at
# once, instead of none; the others take one correction. It is a starting point only: every cue is
# still measured decoded, so a voice or a format that loses more or less converges the same way.
ENCODE_LOSS_LU = 0.42


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

    MP3 at 64 kbps takes a little loudness off (ENCODE_LOSS_LU) and its quantization noise can
    overshoot peaks; so the cue is levelled ENCODE_LOSS_LU louder, encoded, decoded and measured, and
    levelled again with the loudness and peak aims moved by the measured error until it is within the
    tolerance. A cue the limiter cannot make louder is not encoded again for nothing. Deterministic:
    the piece is a function of the speech alone (same processing, same encoder).
    """
    from .mp3 import encode_piece

    aim_lufs, aim_peak = target_lufs + ENCODE_LOSS_LU, peak_dbtp
    best: tuple[float, "EncodedPiece"] | None = None
    samples = piece = None
    prepared = prepare_cue(speech, fmt.sample_rate)
    for _ in range(ENCODE_ROUNDS):
        samples, levelled_lufs = levelled(prepared, fmt.sample_rate, aim_lufs, aim_peak, exact_peak=False)
        piece = encode_piece(samples, fmt)
        lufs, peak = decoded_measure(piece)
        error = target_lufs - lufs
        if peak <= peak_dbtp:
            if best is None or abs(error) < best[0]:
                best = (abs(error), piece)
            if abs(error) <= ENCODED_TOLERANCE_LU:
                break
            if error > 0 and levelled_lufs < aim_lufs - ENCODED_TOLERANCE_LU:
                break  # too quiet, but the limiter already kept it under the louder aim: louder is out of reach
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
