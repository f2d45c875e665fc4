"""The web player's tracks at another pace: the pace choice on a player page, and the variant files
under /media/<routine>/<level>/pace-<pace>/<part>.mp3|vtt, assembled on request
(audio_builder/variants.py) and answered with the same Range, ETag and caching rules as built files
(media.send_body).

A pace in an address is checked by audio_builder/paces.py: anything but a number on the grid (0.75 to
2 in steps of 0.05) or the routine's own pace is a 400 naming the paces there are, never a guess. The
routine's own pace is the prebuilt tracks, served from their files as before.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import NamedTuple

from flask import Request, Response, url_for

from audio_builder.paces import GRID, PRESETS, PaceError, pace_label, parse_pace
from audio_builder.variant_source import VariantSet, VariantSource, VariantUnavailable
from audio_builder.variants import PACE_FOLDER_PREFIX

from .library import Level, Routine
from .media import CONTENT_TYPES, send_body

__all__ = ["PaceChoice", "PaceOption", "VariantMedia", "page_pace", "pace_choice", "variant_links"]

log = logging.getLogger(__name__)


class PaceOption(NamedTuple):
    value: str  # as the address writes it
    text: str
    selected: bool


@dataclass(frozen=True)
class PaceChoice:
    """What the page's pace control shows: every pace, the presets, and which is playing."""

    current: str | None  # None: the routine as written (the prebuilt tracks)
    own: str  # the routine's own pace, as written in addresses
    options: tuple[PaceOption, ...]
    presets: tuple[tuple[str, str | None, bool], ...]  # (name, pace or None for as written, current)


def pace_choice(level: Level, pace: float | None) -> PaceChoice:
    """The pace control of a page playing `level` at `pace` (None: as written)."""
    own = level.pace
    current = None if pace is None else pace_label(pace)
    names = {pace_label(p): name.lower() for name, p in PRESETS}
    names[pace_label(own)] = "as written"
    paces = sorted({*GRID, own})
    options = tuple(PaceOption(pace_label(p), f"{pace_label(p)}" + (f" ({names[pace_label(p)]})" if pace_label(p) in names else ""),
                               pace_label(p) == (current or pace_label(own))) for p in paces)
    presets = (("As written", None, current is None),
               *((name, pace_label(p), current == pace_label(p)) for name, p in PRESETS if abs(p - own) > 1e-9))
    return PaceChoice(current, pace_label(own), options, presets)


def page_pace(request: Request, level: Level) -> float | None:
    """The pace the page's address asks for: None for the routine as written (no `pace`, or its own);
    PaceError for one that is not offered."""
    text = request.args.get("pace") or None
    if text is None:
        return None
    pace = parse_pace(text, own=level.pace)
    return None if abs(pace - level.pace) < 1e-9 else pace


def variant_links(routine: Routine, variants: VariantSet) -> dict:
    """File name -> its views.MediaLink, for every part of a variant level (MP3 and captions)."""
    from .views import MediaLink

    links = {}
    folder = PACE_FOLDER_PREFIX + pace_label(variants.pace)
    for stem in variants.stems:
        variant = variants.part(stem)
        for name, version in ((variant.track.name, variant.etag), (variant.track.captions_name, _vtt_version(variant))):
            args = dict(routine_id=routine.id, level=variants.level_name, name=f"{folder}/{name}", v=version)
            links[name] = MediaLink(url_for(".media", **args), url_for(".media", **args, download=1))
    return links


class VariantMedia:
    """Answers /media/<routine>/<level>/pace-<pace>/<file> from a VariantSource."""

    def __init__(self, source: VariantSource) -> None:
        self.source = source

    @staticmethod
    def is_variant(name: str) -> bool:
        return name.startswith(PACE_FOLDER_PREFIX)

    def variant_set(self, routine: Routine, level: Level, pace: float) -> VariantSet:
        return self.source.variant_set(routine.manifest, level.name, pace)

    def send(self, routine: Routine, level: Level, name: str, request: Request) -> Response | None:
        """The answer for variant file `name` ("pace-1.25/full-session.mp3") of a built level; None when
        there is no such file (answer 404)."""
        folder, _, file = name.partition("/")
        stem, dot, ext = file.rpartition(".")
        if "/" in file or not dot or f".{ext}" not in (".mp3", ".vtt"):
            return None
        try:
            pace = parse_pace(folder[len(PACE_FOLDER_PREFIX):], own=level.pace)
        except PaceError as exc:
            return _plain(400, f"{exc}.")
        try:
            variant = self.variant_set(routine, level, pace).part(stem)
        except VariantUnavailable as exc:
            log.info("web player: variant %s/%s/%s unavailable: %s", routine.id, level.name, name, exc.message)
            return _plain(exc.status, f"{exc.message}.")
        if variant is None:
            return None
        download = f"{routine.id}-{level.name}-{folder}-{file}" if request.args.get("download") else None
        if ext == "vtt":
            body = variant.vtt.encode()
            return send_body(request, kind=CONTENT_TYPES[".vtt"], size=len(body), version=_vtt_version(variant),
                             mtime=None, read=lambda start, length: [body[start:start + length]],
                             download_name=download)
        return send_body(request, kind=CONTENT_TYPES[".mp3"], size=variant.size, version=variant.etag, mtime=None,
                         read=lambda start, length: variant.chunks(start, start + length), download_name=download)


def _vtt_version(variant) -> str:
    return hashlib.sha256(variant.vtt.encode()).hexdigest()[:40]


def _plain(status: int, message: str) -> Response:
    response = Response(message + "\n", status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-cache"
    return response
