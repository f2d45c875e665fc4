"""The web player's routes, as a Flask blueprint over one output folder.

  /                                    the library of built routines
  /routines/<id>?level=L&track=T&pace=P  a player for one track of one level (default: the full session)
                                       at pace P (default: as written; variant_views.py)
  /media/<id>/<level>/<file>           a file a manifest lists (MP3, VTT, M3U8), with Range support
  /media/<id>/<level>/pace-P/<file>    a track or its captions at pace P, assembled on request
"""
from __future__ import annotations

import logging
import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, render_template, request, url_for

from audio_builder.paces import PaceError
from audio_builder.variant_source import CuesMissing, RoutineChanged, VariantUnavailable

from . import formatting, live
from .library import Level, Library, Routine
from .media import NotServable, content_type, file_version, send_media
from .variant_views import VariantMedia, page_pace, pace_choice, variant_links

__all__ = ["BLUEPRINT_NAME", "create_blueprint"]

log = logging.getLogger(__name__)

BLUEPRINT_NAME = "web_player"
DEFAULT_OUTPUT = Path("output")

# Pages load nothing from other origins and run no inline code; saying so lets the browser enforce it.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; media-src 'self'; "
                           "img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def create_blueprint(output_dir: str | os.PathLike[str], routines_dir: str | os.PathLike[str] | None = None,
                     cache_dir: str | os.PathLike[str] | None = None) -> Blueprint:
    """The web player over the builds in `output_dir` (usually ./output), ready to register on an app.

    With `routines_dir` (the routine files the builds were made from) it also plays every level at any
    pace of the grid, assembled on request from the cue cache in `cache_dir` (default: the build's
    default cache folder). Its 404 page is registered app-wide, so mistyped addresses outside its
    routes get it too.
    """
    variants = None
    if routines_dir is not None:
        from audio_builder.cue_cache import default_cache_dir
        from audio_builder.variant_source import VariantSource

        variants = VariantMedia(VariantSource(routines_dir, cache_dir if cache_dir is not None else default_cache_dir()))
        VariantSource.preload()
    views = _Views(Library(output_dir), variants)
    blueprint = Blueprint(BLUEPRINT_NAME, __name__, template_folder="templates", static_folder="static",
                          static_url_path="/player-static")
    blueprint.add_url_rule("/", "library", views.library_page)
    blueprint.add_url_rule("/routines/<routine_id>", "routine", views.routine_page)
    # <path:name> so that names with slashes still reach the manifest check and get the player's 404.
    blueprint.add_url_rule("/media/<routine_id>/<level>/<path:name>", "media", views.media_file)
    live.register(blueprint, Library(output_dir))  # serve --watch: a page hears a rebuild (live.py)
    blueprint.app_errorhandler(404)(views.not_found_error)
    blueprint.after_request(_page_headers)
    log.info("web player: serving the builds in %s", Path(output_dir).resolve())
    return blueprint


@dataclass(frozen=True)
class MediaLink:
    url: str  # to play (versioned, so it may be cached for long)
    download: str  # the same file as an attachment with a descriptive name


class _Views:
    def __init__(self, library: Library, variants: VariantMedia | None = None) -> None:
        self._library = library
        self._variants = variants

    def library_page(self) -> Response:
        routines = self._library.routines()
        return _page("web_player/library.html", routines=routines, build_command=self._build_command())

    def routine_page(self, routine_id: str) -> Response:
        routine = self._library.routine(routine_id)
        if routine is None:
            return self._not_found(f"There is no built routine called “{routine_id}”.",
                                   command=self._build_command())
        wanted = request.args.get("level") or None
        level = routine.level(wanted)
        if level is None:
            if wanted is None or wanted in routine.all_levels:
                what = f"The {wanted} level of “{routine.title}” is" if wanted else f"“{routine.title}” is"
                return self._not_found(f"{what} not built yet.", command=self._build_command(routine.id, wanted),
                                       routine=routine)
            return self._not_found(f"“{routine.title}” has no level called “{wanted}”.", routine=routine)
        try:
            pace = page_pace(request, level)
        except PaceError as exc:
            return self._problem(400, "Not a pace we offer", f"{exc}.", routine)
        links = None
        if pace is not None:
            if self._variants is None:
                return self._not_found("This server plays the routines as written only: start it with the routines "
                                       "folder to play them at another pace.", routine=routine)
            try:
                variants = self._variants.variant_set(routine, level, pace)
                level, links = variants.level(), variant_links(routine, variants)
            except VariantUnavailable as exc:
                command = self._build_command(routine.id) if isinstance(exc, (CuesMissing, RoutineChanged)) else None
                return self._problem(exc.status, "Not available at this pace", f"{exc.message}.",
                                     routine, command)
        wanted_track = request.args.get("track") or None
        track = level.track(wanted_track)
        if track is None:
            return self._not_found(f"The {level.name} level of “{routine.title}” has no track “{wanted_track}”.",
                                   routine=routine)
        parts = level.parts
        following = parts[parts.index(track) + 1] if track in parts[:-1] else None
        choice = pace_choice(routine.level(level.name), pace) if self._variants is not None else None
        return _page("web_player/routine.html", routine=routine, level=level, track=track, next_track=following,
                     links=links if links is not None else self._media_links(routine, level), pace=choice,
                     pace_arg=choice.current if choice else None)

    def media_file(self, routine_id: str, level: str, name: str) -> Response:
        if self._variants is not None and self._variants.is_variant(name):
            routine = self._library.routine(routine_id)
            built = routine.levels.get(level) if routine else None
            response = self._variants.send(routine, built, name, request) if built else None
            return response if response is not None else self._not_found("That file is not part of any built session.")
        path = self._library.media_path(routine_id, level, name)
        if path is None:
            return self._not_found("That file is not part of any built session.")
        download = f"{routine_id}-{level}-{name}" if request.args.get("download") else None
        try:
            return send_media(path, request, download_name=download)
        except NotServable as exc:
            # Listed but not ours to send (a type we have no content type for, swapped for a link, gone
            # mid-rebuild): the same 404 as an unlisted file, since for the listener it is not there.
            log.info("web player: refused %s/%s/%s: %s", routine_id, level, name, exc)
            return self._not_found("That file is not part of any built session.")

    def not_found_error(self, _error: Exception) -> Response:
        return self._not_found("There is nothing at this address.")

    # -- helpers --------------------------------------------------------------------------------------

    def _media_links(self, routine: Routine, level: Level) -> dict[str, MediaLink]:
        """File name -> its URLs at the current version, for every file of the level that exists now."""
        links = {}
        for name, relative in level.files().items():
            path = self._library.safe_path(routine.id, relative) if content_type(name) else None
            try:
                version = file_version(path.stat()) if path else None
            except OSError:
                version = None
            if version is None:
                continue  # mid-build, deleted or refused: better no link than a dead one
            args = dict(routine_id=routine.id, level=level.name, name=name, v=version)
            links[name] = MediaLink(url_for(".media", **args), url_for(".media", **args, download=1))
        return links

    def _build_command(self, routine_id: str | None = None, level: str | None = None) -> str:
        words = ["back-routine", "build"]
        if routine_id:
            words.append(routine_id)
        if level:
            words += ["--level", level]
        if Path(self._library.output_dir) != DEFAULT_OUTPUT:
            words += ["--out", str(self._library.output_dir)]
        return shlex.join(words)

    def _not_found(self, message: str, *, command: str | None = None, routine: Routine | None = None) -> Response:
        return _page("web_player/not_found.html", status=404, message=message, command=command, routine=routine)

    def _problem(self, status: int, title: str, message: str, routine: Routine, command: str | None = None) -> Response:
        """A page for a pace that cannot be played: what is wrong, and the routine as written."""
        return _page("web_player/problem.html", status=status, title=title, message=message, command=command,
                     routine=routine)


def _page(template: str, status: int = 200, **context: object) -> Response:
    response = Response(render_template(template, fmt=formatting, **context), status=status,
                        mimetype="text/html")
    # A rebuild must show on the next load, so pages are always revalidated.
    response.headers["Cache-Control"] = "no-cache"
    return response


def _page_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response

