"""Live reload for authors (`back-routine serve --watch`): an open player page hears a rebuild.

The rebuilder (live_watch.py) tells a `BuildEvents` what happens to each routine: building, built, or
failed with the build's located message. A player page (static/live.js) follows its own track:

  /live/events?key=<routine>/<level>/<file>   server-sent events: `state` on connect and after every
                                              change to that routine, `heartbeat` every 15 s
  /live/state?key=...                         the same state as JSON, for pages whose EventSource fails

A state is {seq, status (idle, building, built, failed), message, track}; `track` is the file's current
audio and captions URLs (versioned like the page's own links, so the browser fetches the new file) and
its chapters, or null when the rebuilt level no longer has that track.

All of this exists only while a rebuilder is attached to the app (app.extensions[EXTENSION]): without
one the routes answer 404 and pages get no script, so a plain `serve` holds no connections open.
Each stream holds one of the server's worker threads, so at most MAX_STREAMS run at once (more get
503 and poll instead), and each ends after STREAM_SECONDS (the browser reconnects by itself).
"""
from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Iterator

from flask import Blueprint, Response, current_app, jsonify, request, stream_with_context, url_for

from . import formatting
from .library import Library
from .media import file_version

__all__ = ["EXTENSION", "BuildEvents", "Outcome", "register"]

EXTENSION = "web_player.live"
MAX_STREAMS = 4  # of waitress's 8 worker threads by default: the rest keep serving pages and media
HEARTBEAT_SECONDS = 15.0
STREAM_SECONDS = 300.0
WAKE_SECONDS = 1.0  # how long a stream may take to notice that the server stops
RETRY_MS = 1000  # what the browser waits before reconnecting
_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"  # as the builder names folders and files: no dots first, no slashes
# The player's data-key: routine/level/file, or routine/level/<variant>/file for a track assembled from
# that file (another pace): either way the page follows the built file.
_KEY = re.compile(rf"({_NAME})/({_NAME})/(?:{_NAME}/)?({_NAME}\.mp3)")
Key = tuple[str, str, str]  # routine, level, MP3 file name


@dataclass(frozen=True)
class Outcome:
    seq: int  # increases with every outcome of every routine
    routine: str
    status: str  # building, built or failed
    message: str = ""  # for failed: the build's message, file and line included
    at: float = 0.0  # time.time() when it happened


class BuildEvents:
    """The latest outcome per routine, and a way to wait for the next one. Threads: one rebuilder
    publishes, any number of streams wait."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._seq = 0
        self._latest: dict[str, Outcome] = {}
        self._closed = threading.Event()

    def building(self, routine: str) -> Outcome:
        return self._publish(routine, "building")

    def built(self, routine: str) -> Outcome:
        return self._publish(routine, "built")

    def failed(self, routine: str, message: str) -> Outcome:
        return self._publish(routine, "failed", message)

    def latest(self, routine: str) -> Outcome | None:
        with self._changed:
            return self._latest.get(routine)

    def wait(self, routine: str, after: int, timeout: float) -> Outcome | None:
        """The routine's outcome newer than seq `after`, waiting up to `timeout` s (None if none came)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                outcome = self._latest.get(routine)
                if outcome is not None and outcome.seq > after:
                    return outcome
                left = deadline - time.monotonic()
                if left <= 0 or self._closed.is_set():
                    return None
                # In short waits: close() may be called from a signal handler, which must not notify.
                self._changed.wait(min(left, WAKE_SECONDS))

    def close(self) -> None:
        """Ends every stream within WAKE_SECONDS; safe to call from a signal handler (takes no lock)."""
        self._closed.set()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def _publish(self, routine: str, status: str, message: str = "") -> Outcome:
        with self._changed:
            self._seq += 1
            outcome = Outcome(self._seq, routine, status, message, time.time())
            self._latest[routine] = outcome
            self._changed.notify_all()
            return outcome


def register(blueprint: Blueprint, library: Library) -> None:
    """Add the live routes to the web player's blueprint; they work only in apps with BuildEvents."""
    live = _Live(library, blueprint.name)
    blueprint.add_url_rule("/live/events", "live_events", live.events)
    blueprint.add_url_rule("/live/state", "live_state", live.state)
    blueprint.context_processor(live.template_context)
    blueprint.after_app_request(_allow_connections)


def _events() -> BuildEvents | None:
    return current_app.extensions.get(EXTENSION)


class _Live:
    def __init__(self, library: Library, blueprint: str) -> None:
        self._library = library
        self._media_endpoint = f"{blueprint}.media"
        self._live_endpoint = f"{blueprint}.live_"
        self._streams = threading.BoundedSemaphore(MAX_STREAMS)

    def template_context(self) -> dict[str, Any]:
        """`live` for the player page's one script tag: its two URLs, or None when nothing rebuilds."""
        if _events() is None:
            return {"live": None}
        return {"live": {"events": url_for(self._live_endpoint + "events"),
                         "state": url_for(self._live_endpoint + "state")}}

    def state(self) -> Response:
        followed = self._followed()
        if isinstance(followed, Response):
            return followed
        events, key = followed
        response = jsonify(self._state(key, events.latest(key[0])))
        response.headers["Cache-Control"] = "no-store"
        return response

    def events(self) -> Response:
        followed = self._followed()
        if isinstance(followed, Response):
            return followed
        events, key = followed
        if not self._streams.acquire(blocking=False):
            return _problem(503, f"more than {MAX_STREAMS} pages follow rebuilds; this one asks every second instead",
                            retry_after=1)
        response = Response(stream_with_context(self._stream(events, key)), mimetype="text/event-stream")
        response.call_on_close(self._streams.release)
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Accel-Buffering"] = "no"  # a proxy in front must pass events on at once
        return response

    # -- helpers --------------------------------------------------------------------------------------

    def _followed(self) -> Response | tuple[BuildEvents, Key]:
        """The events and the track the request follows, or the response that refuses it."""
        events = _events()
        if events is None:
            return _problem(404, "live reload is off: start the server with back-routine serve --watch")
        match = _KEY.fullmatch(request.args.get("key", ""))
        if match is None:
            return _problem(400, "key must be <routine>/<level>/<file>.mp3 (the player's data-key)")
        return events, (match[1], match[2], match[3])

    def _stream(self, events: BuildEvents, key: Key) -> Iterator[str]:
        outcome = events.latest(key[0])
        seq = outcome.seq if outcome else 0
        yield f"retry: {RETRY_MS}\n\n"
        yield _event("state", self._state(key, outcome))
        ends = time.monotonic() + STREAM_SECONDS
        while not events.closed and time.monotonic() < ends:
            outcome = events.wait(key[0], seq, HEARTBEAT_SECONDS)
            if outcome is None:
                if not events.closed:
                    # Also how the server finds a closed tab: writing to it fails.
                    yield _event("heartbeat", {"at": time.time()})
                continue
            seq = outcome.seq
            yield _event("state", self._state(key, outcome))

    def _state(self, key: Key, outcome: Outcome | None) -> dict[str, Any]:
        routine_id, level_name, name = key
        return {
            "seq": outcome.seq if outcome else 0,
            "status": outcome.status if outcome else "idle",
            "message": outcome.message if outcome else "",
            "at": outcome.at if outcome else None,
            "track": self._track(routine_id, level_name, name),
        }

    def _track(self, routine_id: str, level_name: str, name: str) -> dict[str, Any] | None:
        routine = self._library.routine(routine_id)
        level = routine.levels.get(level_name) if routine else None
        track = next((t for t in level.tracks if t.name == name), None) if level else None
        if track is None:
            return None  # the level or the track is gone: the page loads again to see what there is
        return {
            "audio": self._url(routine_id, level, track.name),  # None for a moment if the file is missing
            "captions": self._url(routine_id, level, track.captions_name),
            "duration_ms": track.duration_ms,
            "chapters": [{"title": c.title, "start_ms": c.start_ms, "end_ms": c.end_ms,
                          "clock": formatting.clock(c.start_ms), "spoken": formatting.spoken_clock(c.start_ms)}
                         for c in track.chapters],
        }

    def _url(self, routine_id: str, level, name: str) -> str | None:
        """The file's media URL at its current version, as the page's own links are made (views.py)."""
        relative = level.files().get(name)
        path = self._library.safe_path(routine_id, relative) if relative else None
        try:
            version = file_version(path.stat()) if path else None
        except OSError:
            version = None
        if version is None:
            return None
        return url_for(self._media_endpoint, routine_id=routine_id, level=level.name, name=name, v=version)


def _event(kind: str, data: dict[str, Any]) -> str:
    return f"event: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _problem(status: int, message: str, retry_after: int | None = None) -> Response:
    response = jsonify(error=message)
    response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _allow_connections(response: Response) -> Response:
    """Pages may connect back to this server (EventSource, fetch) while live reload is on; the player's
    policy (views.CONTENT_SECURITY_POLICY) otherwise allows no connections at all."""
    policy = response.headers.get("Content-Security-Policy")
    if policy and "connect-src" not in policy and _events() is not None:
        response.headers["Content-Security-Policy"] = policy + "; connect-src 'self'"
    return response
