"""MP3 as concatenable pieces: independently encoded CBR frame runs.

A fresh LAME stream starts with an empty bit reservoir (main_data_begin = 0),
so pieces joined at frame boundaries decode cleanly, and a track is just the
concatenation of cached cue pieces and digital-silence frames. All timing is
then counted in frames and is exact.

Only sample rates whose CBR frame size is a whole number of bytes are
supported (16, 24, 32, 48 kHz): 22.05 and 44.1 kHz need a padding slot in
some frames, which would make frame sizes, and so offsets and silence frames,
vary. We refuse those rates rather than track padding.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

# Samples from the start of a piece to the first input sample in a decoder's
# output: LAME's encoder delay (576) plus the MP3 decoder's synthesis delay
# (529). Measured with lameenc 1.9.0 (LAME 3.100) + miniaudio 1.71 (dr_mp3):
# band-limited noise of 100..24000 samples, encoded at 16/24/32/48 kHz and
# 32..128 kbps, decoded, and cross-correlated with the input: the peak is at
# 1105 samples in every case. miniaudio does not skip the delay itself (there
# is no LAME tag to tell it to), and neither does any player for a mid-track piece.
LEAD_SAMPLES = 1105

# Identifies the encoder settings in cue cache keys; bump when encode_piece changes output.
ENCODER_ID = "lameenc-cbr-q2-mono-v1"
LAME_QUALITY = 2

_MPEG1, _MPEG2, _MPEG25 = 3, 2, 0  # header version bits
_BITRATES_KBPS = {
    _MPEG1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    _MPEG2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_BITRATES_KBPS[_MPEG25] = _BITRATES_KBPS[_MPEG2]
_SAMPLE_RATES = {
    _MPEG1: (44100, 48000, 32000),
    _MPEG2: (22050, 24000, 16000),
    _MPEG25: (11025, 12000, 8000),
}
_MODE_MONO = 3


class Mp3FormatError(ValueError):
    """Bytes that are not the MP3 frames we expected."""


@dataclass(frozen=True)
class Mp3Format:
    sample_rate: int = 24000
    bitrate_kbps: int = 64

    def __post_init__(self) -> None:
        version = self._version()
        if self.bitrate_kbps not in _BITRATES_KBPS[version][1:]:
            raise ValueError(
                f"{self.bitrate_kbps} kbps is not a Layer III bitrate at {self.sample_rate} Hz; "
                f"choose one of {list(_BITRATES_KBPS[version][1:])}"
            )
        coeff = 144 if version == _MPEG1 else 72
        if (coeff * self.bitrate_kbps * 1000) % self.sample_rate:
            raise ValueError(
                f"{self.sample_rate} Hz at {self.bitrate_kbps} kbps needs padded frames "
                "(non-integral frame size); use 16000, 24000, 32000 or 48000 Hz"
            )

    def _version(self) -> int:
        for version in (_MPEG1, _MPEG2):
            if self.sample_rate in _SAMPLE_RATES[version]:
                return version
        raise ValueError(
            f"unsupported MP3 sample rate {self.sample_rate}; use 16000, 24000, 32000 or 48000 Hz"
        )

    @property
    def frame_samples(self) -> int:
        return 1152 if self._version() == _MPEG1 else 576

    @property
    def frame_bytes(self) -> int:
        coeff = 144 if self._version() == _MPEG1 else 72
        return coeff * self.bitrate_kbps * 1000 // self.sample_rate

    @property
    def frame_ms(self) -> float:
        return 1000.0 * self.frame_samples / self.sample_rate

    def header(self) -> bytes:
        """The 4-byte header of a mono, CRC-less, unpadded CBR frame in this format."""
        version = self._version()
        br_idx = _BITRATES_KBPS[version].index(self.bitrate_kbps)
        sr_idx = _SAMPLE_RATES[version].index(self.sample_rate)
        b1 = 0xE0 | (version << 3) | (0b01 << 1) | 1  # layer III, protection bit 1 = no CRC
        b2 = (br_idx << 4) | (sr_idx << 2)  # padding 0, private 0
        b3 = (_MODE_MONO << 6) | 0x04  # mono, not copyrighted, original (as LAME writes it)
        return bytes((0xFF, b1, b2, b3))

    def frames_for_samples(self, n_samples: int) -> int:
        """Whole frames needed to cover n_samples (rounded up)."""
        return -(-n_samples // self.frame_samples)


@dataclass(frozen=True)
class EncodedPiece:
    data: bytes
    n_frames: int
    lead_samples: int  # piece start -> first input sample in decoded output
    audio_samples: int  # length of the input audio
    frame_samples: int = 576

    @property
    def duration_samples(self) -> int:
        return self.n_frames * self.frame_samples

    @property
    def audio_end_samples(self) -> int:
        """Where the input audio ends in the decoded piece (what is after is tail silence)."""
        return self.lead_samples + self.audio_samples


@dataclass(frozen=True)
class FrameInfo:
    offset: int
    size: int
    version: int  # 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
    bitrate_kbps: int
    sample_rate: int
    padding: bool
    protected: bool  # a CRC follows the header
    channel_mode: int  # 3 = mono
    header: bytes

    @property
    def frame_samples(self) -> int:
        return 1152 if self.version == _MPEG1 else 576

    @property
    def side_info_bytes(self) -> int:
        mono = self.channel_mode == _MODE_MONO
        if self.version == _MPEG1:
            return 17 if mono else 32
        return 9 if mono else 17


def parse_header(data: bytes, offset: int = 0) -> FrameInfo:
    if offset + 4 > len(data):
        raise Mp3FormatError(f"truncated frame header at byte {offset}")
    b0, b1, b2, b3 = data[offset : offset + 4]
    if b0 != 0xFF or (b1 & 0xE0) != 0xE0:
        raise Mp3FormatError(f"no frame sync at byte {offset}")
    version = (b1 >> 3) & 3
    if version == 1:
        raise Mp3FormatError(f"reserved MPEG version at byte {offset}")
    if (b1 >> 1) & 3 != 1:
        raise Mp3FormatError(f"not a Layer III frame at byte {offset}")
    br_idx, sr_idx = b2 >> 4, (b2 >> 2) & 3
    if br_idx in (0, 15) or sr_idx == 3:
        raise Mp3FormatError(f"free-format or invalid bitrate/sample rate at byte {offset}")
    bitrate = _BITRATES_KBPS[version][br_idx]
    rate = _SAMPLE_RATES[version][sr_idx]
    padding = bool((b2 >> 1) & 1)
    coeff = 144 if version == _MPEG1 else 72
    size = coeff * bitrate * 1000 // rate + int(padding)
    return FrameInfo(
        offset=offset, size=size, version=version, bitrate_kbps=bitrate, sample_rate=rate,
        padding=padding, protected=not (b1 & 1), channel_mode=b3 >> 6,
        header=bytes(data[offset : offset + 4]),
    )


def id3v2_size(data: bytes) -> int:
    """Length of a leading ID3v2 tag (0 if there is none)."""
    if len(data) >= 10 and data[:3] == b"ID3":
        size = 0
        for b in data[6:10]:
            size = (size << 7) | (b & 0x7F)  # syncsafe integer
        footer = 10 if data[5] & 0x10 else 0
        return 10 + size + footer
    return 0


def iter_frames(data: bytes, skip_id3: bool = True) -> Iterator[FrameInfo]:
    """Every frame in `data`, strictly back to back; raises Mp3FormatError on any gap or truncation.

    A trailing ID3v1 tag ("TAG", 128 bytes) ends the walk.
    """
    offset = id3v2_size(data) if skip_id3 else 0
    end = len(data)
    while offset < end:
        if end - offset == 128 and data[offset : offset + 3] == b"TAG":
            return
        info = parse_header(data, offset)
        if offset + info.size > end:
            raise Mp3FormatError(f"truncated frame at byte {offset} ({info.size} bytes expected)")
        yield info
        offset += info.size


def is_tag_frame(data: bytes, info: FrameInfo) -> bool:
    """True for a Xing/Info (LAME/VBR) tag frame, which must never sit inside a track."""
    pos = info.offset + 4 + (2 if info.protected else 0) + info.side_info_bytes
    return data[pos : pos + 4] in (b"Xing", b"Info")


def _check_frames(data: bytes, fmt: Mp3Format) -> list[FrameInfo]:
    frames = list(iter_frames(data, skip_id3=False))
    for f in frames:
        if f.sample_rate != fmt.sample_rate or f.bitrate_kbps != fmt.bitrate_kbps or f.size != fmt.frame_bytes:
            raise Mp3FormatError(
                f"encoder wrote a {f.bitrate_kbps} kbps / {f.sample_rate} Hz / {f.size}-byte frame "
                f"at byte {f.offset}; expected CBR {fmt.bitrate_kbps} kbps / {fmt.sample_rate} Hz"
            )
    return frames


def encode_piece(samples: "np.ndarray", fmt: Mp3Format = Mp3Format()) -> EncodedPiece:
    """Encode mono int16 samples (already at fmt.sample_rate) as one self-contained piece."""
    import lameenc
    import numpy as np

    x = np.ascontiguousarray(samples, dtype=np.int16)
    if x.ndim != 1 or x.size == 0:
        raise ValueError("encode_piece needs a non-empty 1-D array of mono samples")
    enc = lameenc.Encoder()
    enc.set_channels(1)
    enc.set_in_sample_rate(fmt.sample_rate)
    # Without this LAME picks its own output rate for low bitrates (it resamples).
    enc.set_out_sample_rate(fmt.sample_rate)
    enc.set_bit_rate(fmt.bitrate_kbps)
    enc.set_quality(LAME_QUALITY)
    enc.silence()
    data = bytes(enc.encode(x.astype("<i2").tobytes())) + bytes(enc.flush())

    frames = _check_frames(data, fmt)
    # lameenc 1.9 writes no Xing/Info frame, but a LAME build that did would put
    # one at the start; a tag frame inside a track makes players misreport its
    # duration (and it decodes as one frame of silence, shifting the lead).
    if frames and is_tag_frame(data, frames[0]):
        data = data[frames[0].size :]
        frames = frames[1:]
    if any(is_tag_frame(data, f) for f in frames):
        raise Mp3FormatError("encoder wrote a Xing/Info tag frame inside the stream")
    piece = EncodedPiece(
        data=data, n_frames=len(frames), lead_samples=LEAD_SAMPLES,
        audio_samples=int(x.size), frame_samples=fmt.frame_samples,
    )
    if piece.audio_end_samples > piece.duration_samples:
        raise Mp3FormatError("encoded piece is shorter than its input plus the codec delay")
    return piece


def silence_frames(n_frames: int, fmt: Mp3Format = Mp3Format()) -> bytes:
    """n digital-silence frames: header, then zero side info and main data.

    All-zero side info means main_data_begin 0, no Huffman data and zero gain,
    so each frame decodes to exactly frame_samples zeros (plus the overlap tail
    of whatever came before, which is how a cue's last samples finish playing).
    """
    if n_frames < 0:
        raise ValueError("n_frames must be >= 0")
    frame = fmt.header() + bytes(fmt.frame_bytes - 4)
    return frame * n_frames


def silence_piece(n_frames: int, fmt: Mp3Format = Mp3Format()) -> EncodedPiece:
    return EncodedPiece(
        data=silence_frames(n_frames, fmt), n_frames=n_frames, lead_samples=0,
        audio_samples=0, frame_samples=fmt.frame_samples,
    )


def decode_mp3(source: "bytes | str | Path") -> "tuple[np.ndarray, int]":
    """Decode with miniaudio (independent of LAME): mono int16 samples and the sample rate."""
    import miniaudio
    import numpy as np

    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else bytes(source)
    # Skip ID3v2 ourselves rather than rely on the decoder's tag handling.
    data = data[id3v2_size(data) :]
    decoded = miniaudio.mp3_read_s16(data)
    x = np.asarray(decoded.samples, dtype=np.int16)
    if decoded.nchannels > 1:
        x = x.reshape(-1, decoded.nchannels).mean(axis=1).round().astype(np.int16)
    return x, int(decoded.sample_rate)
