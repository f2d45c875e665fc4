"""Write tracks, captions and playlists: every file to a temp name first, then renamed into place,
so an interrupted build never leaves a half-written file where a good one was."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping, NamedTuple, Union

from .mp3 import EncodedPiece, Mp3Format, silence_frames
from .timeline import Timeline

_SILENCE_BLOCK_FRAMES = 256


def write_atomic(path: Path, chunks: Iterable[bytes]) -> int:
    """Write chunks to `path` via a temp file in the same folder and os.replace; return the size."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    size = 0
    try:
        with open(tmp, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
                size += len(chunk)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return size


class SilentRun(NamedTuple):
    """`frames` generated frames of digital silence in a track's layout."""

    frames: int


Segment = Union[bytes, SilentRun]


def track_segments(timeline: Timeline, pieces: Mapping[str, EncodedPiece], tag: bytes) -> list[Segment]:
    """The layout of a track's file: the ID3 tag, then each clip's cue piece or run of silent frames.

    The one recipe for a track's bytes: a build writes it (track_chunks) and the web player slices it
    for a byte range of a variant assembled on request (variants.py), so both give the same bytes.
    """
    segments: list[Segment] = [tag]
    for clip in timeline.clips:
        segments.append(pieces[clip.text].data if clip.text is not None else SilentRun(clip.frames))
    return segments


@lru_cache(maxsize=8)  # bytes: shared safely by every track and variant of a format
def silence_block(fmt: Mp3Format) -> bytes:
    """_SILENCE_BLOCK_FRAMES silent frames: every run of silence is sliced from this one block."""
    return silence_frames(_SILENCE_BLOCK_FRAMES, fmt)


def track_chunks(timeline: Timeline, pieces: Mapping[str, EncodedPiece], fmt: Mp3Format, tag: bytes) -> Iterable[bytes]:
    """The MP3 file as a stream of byte chunks: the ID3 tag, then cue frames and silent frames."""
    block = silence_block(fmt)
    frame = fmt.frame_bytes
    for segment in track_segments(timeline, pieces, tag):
        if not isinstance(segment, SilentRun):
            yield segment
            continue
        left = segment.frames
        while left:
            n = min(left, _SILENCE_BLOCK_FRAMES)
            yield block if n == _SILENCE_BLOCK_FRAMES else block[: n * frame]
            left -= n


def vtt_text(timeline: Timeline) -> str:
    lines = ["WEBVTT", ""]
    spoken = [cue for cue in timeline.cues if cue.kind != "tone"]  # captions are for words
    for i, cue in enumerate(spoken, start=1):
        lines += [str(i), f"{_vtt_time(cue.start, timeline.sample_rate)} --> {_vtt_time(cue.end, timeline.sample_rate)}",
                  cue.text, ""]
    return "\n".join(lines)


def _vtt_time(samples: int, rate: int) -> str:
    ms = round(samples * 1000 / rate)
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    seconds, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{ms:03d}"


def m3u8_text(entries: Iterable[tuple[float, str, str]]) -> str:
    """Extended M3U, UTF-8: (seconds, title, relative file name) per track."""
    lines = ["#EXTM3U"]
    for seconds, title, name in entries:
        lines += [f"#EXTINF:{round(seconds)},{title}", name]
    return "\n".join(lines) + "\n"


def remove_quietly(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
