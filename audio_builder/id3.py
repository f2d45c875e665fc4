"""ID3 v2.3 tags with chapters (CHAP + a top-level ordered CTOC), via mutagen.

v2.3 rather than v2.4 because many players (and Windows/iOS) read only v2.3
well. build_id3_tag returns bytes so that the track writer can write tag and
frames in a single atomic file write.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

TOC_ID = "toc"


@dataclass(frozen=True)
class Chapter:
    id: str  # element id, unique within the tag (e.g. "ex1-set2")
    title: str
    start_ms: int
    end_ms: int


def _make_tags(title: str, album: str | None, artist: str | None, track: tuple[int, int] | None,
               genre: str | None, comment: str | None, chapters: Sequence[Chapter]):
    from mutagen.id3 import CHAP, COMM, CTOC, ID3, TALB, TCON, TIT2, TPE1, TRCK, CTOCFlags, Encoding

    ids = [c.id for c in chapters]
    if len(set(ids)) != len(ids) or TOC_ID in ids:
        raise ValueError(f"chapter ids must be unique and not {TOC_ID!r}: {ids}")
    for c in chapters:
        if not (0 <= c.start_ms <= c.end_ms):
            raise ValueError(f"chapter {c.id!r} has bad times {c.start_ms}..{c.end_ms} ms")

    enc = Encoding.UTF16  # v2.3 has no UTF-8; mutagen would convert anyway
    tags = ID3()
    tags.add(TIT2(encoding=enc, text=[title]))
    if album:
        tags.add(TALB(encoding=enc, text=[album]))
    if artist:
        tags.add(TPE1(encoding=enc, text=[artist]))
    if track is not None:
        n, total = track
        tags.add(TRCK(encoding=enc, text=[f"{n}/{total}" if total else str(n)]))
    if genre:
        tags.add(TCON(encoding=enc, text=[genre]))
    if comment:
        tags.add(COMM(encoding=enc, lang="eng", desc="", text=[comment]))
    if chapters:
        tags.add(CTOC(
            element_id=TOC_ID,
            flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
            child_element_ids=ids,
            sub_frames=[TIT2(encoding=enc, text=["Chapters"])],
        ))
        for c in chapters:
            tags.add(CHAP(
                element_id=c.id, start_time=int(c.start_ms), end_time=int(c.end_ms),
                # 0xFFFFFFFF = "byte offsets not used"; times are authoritative.
                start_offset=0xFFFFFFFF, end_offset=0xFFFFFFFF,
                sub_frames=[TIT2(encoding=enc, text=[c.title])],
            ))
    return tags


def build_id3_tag(title: str, album: str | None = None, artist: str | None = None,
                  track: tuple[int, int] | None = None, genre: str | None = None,
                  comment: str | None = None, chapters: Sequence[Chapter] = ()) -> bytes:
    """The encoded ID3 v2.3 tag, to be written in front of the MP3 frames."""
    tags = _make_tags(title, album, artist, track, genre, comment, chapters)
    buf = io.BytesIO()
    # No padding: the file is always rewritten whole, never edited in place.
    tags.save(buf, v2_version=3, v1=0, padding=lambda info: 0)
    return buf.getvalue()


def write_tags(path: Path | str, title: str, album: str | None = None, artist: str | None = None,
               track: tuple[int, int] | None = None, genre: str | None = None,
               comment: str | None = None, chapters: Sequence[Chapter] = ()) -> None:
    """Replace the ID3 tag of an existing MP3 file in place."""
    tags = _make_tags(title, album, artist, track, genre, comment, chapters)
    # A fresh ID3 object saved to a file replaces whatever tag was there (v1=0 drops ID3v1).
    tags.save(str(path), v2_version=3, v1=0)


def read_chapters(source: Path | str | bytes) -> list[Chapter]:
    """Chapters in table-of-contents order (start time order if there is no CTOC)."""
    from mutagen.id3 import ID3, ID3NoHeaderError

    try:
        tags = ID3(io.BytesIO(source)) if isinstance(source, bytes) else ID3(str(source))
    except ID3NoHeaderError:
        return []
    chaps = {}
    for frame in tags.getall("CHAP"):
        sub = frame.sub_frames.get("TIT2")
        chaps[frame.element_id] = Chapter(
            id=frame.element_id,
            title=str(sub.text[0]) if sub and sub.text else "",
            start_ms=int(frame.start_time),
            end_ms=int(frame.end_time),
        )
    order: list[str] = []
    for toc in tags.getall("CTOC"):
        if toc.flags & 0x02:  # top level
            order = [i for i in toc.child_element_ids if i in chaps]
            break
    rest = sorted((c for i, c in chaps.items() if i not in order), key=lambda c: c.start_ms)
    return [chaps[i] for i in order] + rest
