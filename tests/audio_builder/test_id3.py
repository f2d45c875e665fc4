"""ID3 v2.3 tags and chapters on a track made of pieces, read back with mutagen."""

from __future__ import annotations

import numpy as np
import pytest

from audio_builder.id3 import Chapter, build_id3_tag, read_chapters, write_tags
from audio_builder.mp3 import Mp3Format, decode_mp3, encode_piece, iter_frames, silence_piece

FMT = Mp3Format()
CHAPTERS = [
    Chapter("intro", "Before you start", 0, 4000),
    Chapter("ex1", "Lean straight and bend", 4000, 61_032),
    Chapter("ex2", "Hüften heben — quadruped", 61_032, 120_000),
]


def _frames() -> tuple[bytes, int]:
    t = np.arange(24000) / 24000
    tone = (np.sin(2 * np.pi * 300 * t) * 6000 * np.minimum(1, np.minimum(t, t[::-1]) / 0.01)).astype(np.int16)
    pieces = [encode_piece(tone, FMT), silence_piece(5000 - 44, FMT)]
    n = sum(p.n_frames for p in pieces)
    return b"".join(p.data for p in pieces), n


def test_tag_bytes_plus_frames_read_back(tmp_path):
    frames, n_frames = _frames()
    tag = build_id3_tag("Day 1: back routine", album="Back Routine", artist="Back Routine",
                        track=(2, 5), genre="Fitness", comment="Level 6, pace 1.0", chapters=CHAPTERS)
    assert tag[:3] == b"ID3" and tag[3] == 3  # major version 3
    path = tmp_path / "track.mp3"
    path.write_bytes(tag + frames)

    from mutagen.id3 import ID3
    from mutagen.mp3 import MP3

    tags = ID3(path)
    assert tags.version == (2, 3, 0)
    assert str(tags["TIT2"]) == "Day 1: back routine"
    assert str(tags["TALB"]) == "Back Routine" and str(tags["TPE1"]) == "Back Routine"
    assert str(tags["TRCK"]) == "2/5" and str(tags["TCON"]) == "Fitness"
    assert tags.getall("COMM")[0].text == ["Level 6, pace 1.0"]

    (toc,) = tags.getall("CTOC")
    assert toc.flags & 0x01 and toc.flags & 0x02  # ordered, top level
    assert toc.child_element_ids == ["intro", "ex1", "ex2"]
    chaps = {c.element_id: c for c in tags.getall("CHAP")}
    assert chaps["ex1"].start_time == 4000 and chaps["ex1"].end_time == 61_032
    assert str(chaps["ex2"].sub_frames["TIT2"]) == "Hüften heben — quadruped"

    assert read_chapters(path) == CHAPTERS
    assert read_chapters(tag) == CHAPTERS

    # The tag does not disturb the audio: same frames, same decoded length, right duration.
    assert len(list(iter_frames(path.read_bytes()))) == n_frames
    pcm, rate = decode_mp3(path)
    assert len(pcm) == n_frames * 576
    assert MP3(path).info.length == pytest.approx(n_frames * 576 / 24000, abs=0.05)


def test_write_tags_replaces_existing_tag(tmp_path):
    frames, n_frames = _frames()
    path = tmp_path / "t.mp3"
    path.write_bytes(build_id3_tag("old title " * 50, chapters=CHAPTERS) + frames)
    write_tags(path, "New", album="A", artist="B", track=(1, 1), genre="G", comment="C",
               chapters=[Chapter("only", "Only", 0, 1000)])

    from mutagen.id3 import ID3

    tags = ID3(path)
    assert tags.version == (2, 3, 0) and str(tags["TIT2"]) == "New"
    assert read_chapters(path) == [Chapter("only", "Only", 0, 1000)]
    data = path.read_bytes()
    assert data.endswith(frames) and len(list(iter_frames(data))) == n_frames


def test_tag_without_optional_fields(tmp_path):
    from mutagen.id3 import ID3

    path = tmp_path / "t.mp3"
    path.write_bytes(build_id3_tag("Only a title") + silence_piece(10).data)
    tags = ID3(path)
    assert set(tags.keys()) == {"TIT2"}
    assert read_chapters(path) == []
    (tmp_path / "bare.mp3").write_bytes(silence_piece(3).data)
    assert read_chapters(tmp_path / "bare.mp3") == []


@pytest.mark.parametrize("chapters", [
    [Chapter("a", "A", 0, 10), Chapter("a", "B", 10, 20)],
    [Chapter("toc", "A", 0, 10)],
    [Chapter("a", "A", 20, 10)],
])
def test_bad_chapters_rejected(chapters):
    with pytest.raises(ValueError):
        build_id3_tag("t", chapters=chapters)
