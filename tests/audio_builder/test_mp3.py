"""MP3 pieces: format math, silence frames, concatenation timing, frame validity."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from audio_builder.mp3 import (
    LEAD_SAMPLES,
    EncodedPiece,
    Mp3Format,
    Mp3FormatError,
    decode_mp3,
    encode_piece,
    is_tag_frame,
    iter_frames,
    parse_header,
    silence_frames,
    silence_piece,
)

FMT = Mp3Format()


def _burst(n: int, seed: int, rate: int = 24000) -> np.ndarray:
    """Band-limited noise with faded ends: sharp autocorrelation, codec friendly, no clicks."""
    from scipy.signal import butter, sosfilt

    rng = np.random.default_rng(seed)
    x = sosfilt(butter(6, 0.6 * rate / 2, fs=rate, output="sos"), rng.standard_normal(n))
    ramp = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / (0.008 * rate))
    return np.round(x / np.max(np.abs(x)) * 12000 * ramp).astype(np.int16)


def _lag(decoded: np.ndarray, ref: np.ndarray, start: int, span: int) -> int:
    """Where `ref` begins in `decoded`, searched from `start` over `span` samples."""
    from scipy.signal import correlate

    seg = decoded[start : start + span + len(ref)].astype(np.float64)
    c = correlate(seg, ref.astype(np.float64), mode="valid", method="fft")
    return start + int(np.argmax(c))


# --- format math ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "rate, kbps, frame_samples, frame_bytes",
    [(24000, 64, 576, 192), (24000, 48, 576, 144), (24000, 32, 576, 96), (16000, 32, 576, 144),
     (16000, 64, 576, 288), (32000, 64, 1152, 288), (48000, 128, 1152, 384)],
)
def test_frame_math(rate, kbps, frame_samples, frame_bytes):
    fmt = Mp3Format(rate, kbps)
    assert fmt.frame_samples == frame_samples
    assert fmt.frame_bytes == frame_bytes
    info = parse_header(fmt.header())
    assert (info.sample_rate, info.bitrate_kbps, info.size, info.channel_mode) == (rate, kbps, frame_bytes, 3)
    assert not info.padding and not info.protected
    assert fmt.frames_for_samples(frame_samples * 3) == 3
    assert fmt.frames_for_samples(frame_samples * 3 + 1) == 4


def test_default_format_is_alexa_friendly():
    assert (FMT.sample_rate, FMT.bitrate_kbps, FMT.frame_ms) == (24000, 64, 24.0)


@pytest.mark.parametrize("rate, kbps", [(22050, 64), (44100, 128), (22050, 48), (11025, 32), (24000, 65), (24000, 320)])
def test_refused_formats(rate, kbps):
    with pytest.raises(ValueError):
        Mp3Format(rate, kbps)


# --- silence -------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", [Mp3Format(), Mp3Format(24000, 48), Mp3Format(16000, 32), Mp3Format(48000, 128)])
def test_silence_frames_decode_to_exact_zero_samples(fmt):
    data = silence_frames(37, fmt)
    assert len(data) == 37 * fmt.frame_bytes
    pcm, rate = decode_mp3(data)
    assert rate == fmt.sample_rate
    assert len(pcm) == 37 * fmt.frame_samples
    assert not np.any(pcm)


def test_silence_piece():
    p = silence_piece(5)
    assert (p.n_frames, p.duration_samples, p.audio_samples) == (5, 2880, 0)
    assert silence_frames(0) == b""
    with pytest.raises(ValueError):
        silence_frames(-1)


# --- encoding ------------------------------------------------------------------------------

# 24 kHz at 32 kbps: left to itself LAME would resample to 22.05 kHz.
@pytest.mark.parametrize("fmt", [Mp3Format(), Mp3Format(24000, 32), Mp3Format(16000, 32), Mp3Format(48000, 128)])
def test_encode_piece_lead_is_measured_delay(fmt):
    x = _burst(int(fmt.sample_rate * 0.7), seed=1, rate=fmt.sample_rate)
    piece = encode_piece(x, fmt)
    assert piece.lead_samples == LEAD_SAMPLES and piece.audio_samples == len(x)
    assert len(piece.data) == piece.n_frames * fmt.frame_bytes
    pcm, rate = decode_mp3(piece.data)
    assert rate == fmt.sample_rate and len(pcm) == piece.duration_samples
    assert _lag(pcm, x, 0, 3 * fmt.frame_samples) == LEAD_SAMPLES
    assert piece.audio_end_samples <= piece.duration_samples


def test_encoded_pieces_have_no_tag_frames_and_valid_cbr_headers():
    piece = encode_piece(_burst(24000, seed=2))
    frames = list(iter_frames(piece.data))
    assert len(frames) == piece.n_frames
    assert b"Xing" not in piece.data and b"Info" not in piece.data
    for f in frames:
        assert not is_tag_frame(piece.data, f)
        assert f.header[:3] == FMT.header()[:3]  # sync, MPEG-2 L3, 64 kbps, 24 kHz, no padding
        assert (f.size, f.sample_rate, f.bitrate_kbps, f.channel_mode, f.padding) == (192, 24000, 64, 3, False)


def test_tag_frame_detection():
    # An "Info" tag sits right after the header and side info of the first frame.
    frame = bytearray(FMT.header() + bytes(FMT.frame_bytes - 4))
    frame[4 + 9 : 4 + 13] = b"Info"
    data = bytes(frame) + silence_frames(1)
    first, second = iter_frames(data)
    assert is_tag_frame(data, first) and not is_tag_frame(data, second)


def test_encode_is_deterministic():
    x = _burst(5000, seed=3)
    assert encode_piece(x).data == encode_piece(x).data


def test_encode_rejects_empty_and_stereo():
    with pytest.raises(ValueError):
        encode_piece(np.zeros(0, dtype=np.int16))
    with pytest.raises(ValueError):
        encode_piece(np.zeros((100, 2), dtype=np.int16))


# --- concatenation -------------------------------------------------------------------------

def test_concatenated_pieces_decode_with_exact_timing():
    cue1, cue2 = _burst(int(24000 * 0.9), seed=4), _burst(int(24000 * 0.4), seed=5)
    p1, p2 = encode_piece(cue1), encode_piece(cue2)
    gap = silence_piece(50)  # 1.2 s
    pieces = [p1, gap, p2, silence_piece(3)]
    track = b"".join(p.data for p in pieces)

    pcm, rate = decode_mp3(track)
    assert rate == 24000
    assert len(pcm) == sum(p.n_frames for p in pieces) * 576

    start2 = p1.duration_samples + gap.duration_samples
    # Each cue's audio starts at its piece start + lead_samples (exactly; within a frame is the contract).
    found1 = _lag(pcm, cue1, 0, 4 * 576)
    found2 = _lag(pcm, cue2, start2 - 2 * 576, 6 * 576)
    assert abs(found1 - p1.lead_samples) <= 2
    assert abs(found2 - (start2 + p2.lead_samples)) <= 2

    # The decoded cue matches its input closely (no glitch from the join).
    seg = pcm[found2 : found2 + len(cue2)].astype(np.float64)
    err = np.sqrt(np.mean((seg - cue2) ** 2)) / np.sqrt(np.mean(cue2.astype(np.float64) ** 2))
    assert err < 0.25

    # Between cue 1's audio (plus one frame of codec tail) and the start of cue 2's
    # piece, the silence frames decode to digital zero.
    assert p1.audio_end_samples + 576 < start2 - 24000
    assert not np.any(pcm[p1.audio_end_samples + 576 : start2])
    # Cue 2's lead-in is near silent up to a frame before its onset (MP3 pre-echo lives there).
    lead_in = pcm[start2 : start2 + p2.lead_samples - 576].astype(np.float64)
    assert np.sqrt(np.mean(lead_in**2)) < 10 and np.max(np.abs(lead_in)) < 200

    for f in iter_frames(track):
        assert f.size == 192 and not is_tag_frame(track, f)


# --- frame walking -------------------------------------------------------------------------

def test_iter_frames_rejects_garbage_and_truncation():
    good = silence_frames(3)
    assert [f.offset for f in iter_frames(good)] == [0, 192, 384]
    with pytest.raises(Mp3FormatError):
        list(iter_frames(good[:-1]))
    with pytest.raises(Mp3FormatError):
        list(iter_frames(good + b"\x00" * 10))
    with pytest.raises(Mp3FormatError):
        parse_header(b"\xff\xf1\x00\x00")  # not Layer III / bad indexes


def test_iter_frames_skips_id3v2():
    from audio_builder.id3 import build_id3_tag

    data = build_id3_tag("t") + silence_frames(4)
    assert len(list(iter_frames(data))) == 4
    pcm, _ = decode_mp3(data)
    assert len(pcm) == 4 * 576


def test_encoded_piece_is_plain_data():
    p = EncodedPiece(data=b"x", n_frames=2, lead_samples=LEAD_SAMPLES, audio_samples=10)
    assert p.duration_samples == 1152
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.n_frames = 3  # type: ignore[misc]
