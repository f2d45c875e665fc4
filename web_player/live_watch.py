"""`serve --watch`: rebuild on save, beside the server, and tell open player pages (live.py).

One thread runs the build's own watch loop (audio_builder.cli.watch_folder) over the routines folder:
it builds everything once, then each routine file that is saved, added or removed. Builds are the
ordinary incremental build (docs/architecture.md, "Voice identity and the build's steps"): one
edited cue costs that cue. Each routine is rebuilt with the settings its manifest records (engine,
voice, rate, MP3 format), so a folder built with `back-routine build --engine espeak` stays espeak; a
routine never built gets the build's defaults. Builders are kept between saves, so the voice is loaded
once. Another build of the same folder (`back-routine build` in a terminal) is waited for through the
build's folder lock, so two never write at once.
"""
from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask

from .live import EXTENSION, BuildEvents

__all__ = ["Rebuilder", "attach_rebuilder"]

log = logging.getLogger(__name__)

# An author's save should be heard within two seconds: checking ten times a second costs one stat()
# per routine file, and editors finish a save within milliseconds.
INTERVAL_SECONDS = 0.1
SETTLE_SECONDS = 0.15
STOP_TIMEOUT_SECONDS = 60.0  # a build under way is let finish: its files are written atomically anyway


def attach_rebuilder(app: Flask, routines_dir: Path, output_dir: Path, cache_dir: Path | None = None) -> "Rebuilder":
    """Give `app` (with the web player registered) a rebuilder and its events; start it with `running()`."""
    events = BuildEvents()
    app.extensions[EXTENSION] = events
    return Rebuilder(routines_dir, output_dir, cache_dir, events)


class Rebuilder:
    def __init__(self, routines_dir: Path, output_dir: Path, cache_dir: Path | None, events: BuildEvents,
                 interval: float = INTERVAL_SECONDS, settle: float = SETTLE_SECONDS) -> None:
        if cache_dir is None:
            from audio_builder.cue_cache import default_cache_dir

            cache_dir = default_cache_dir()
        self.routines_dir = Path(routines_dir)
        self.output_dir = Path(output_dir)
        self.cache_dir = Path(cache_dir)
        self.events = events
        self.interval = interval
        self.settle = settle
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._builders: dict[Any, Any] = {}  # BuildSettings -> Builder, so each voice loads once

    @contextmanager
    def running(self) -> Iterator["Rebuilder"]:
        """Rebuild in the background for the block. SIGTERM stops the server as Ctrl-C does, and
        either one also ends the pages' event streams at once, so the server's own shutdown does not
        wait for them; the thread is then stopped after the build under way, if any."""
        self.start()
        restore = _stop_on_signals(self.events) if threading.current_thread() is threading.main_thread() else {}
        try:
            yield self
        finally:
            for number, handler in restore.items():
                signal.signal(number, handler)
            self.stop()

    def start(self) -> None:
        # A daemon: if a build hangs (a stuck TTS engine), the process still exits.
        self._thread = threading.Thread(target=self._run, name="back-routine-rebuild", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        self._stop.set()
        self.events.close()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("rebuild: a build is still running after %.0f s; leaving it", timeout)

    # -- the thread -----------------------------------------------------------------------------------

    def _run(self) -> None:
        from audio_builder.cli import snapshot, watch_folder

        seen = snapshot(self.routines_dir)  # before the first build: a save during it is a change
        self._rebuild(set(seen))
        log.info("rebuild: watching %s/ for saves", self.routines_dir)
        watch_folder(self.routines_dir, self._rebuild, interval=self.interval, settle=self.settle, seen=seen,
                     wait=self._stop.wait)

    def _rebuild(self, names: set[str]) -> None:
        failed = False
        for name in sorted(names):
            path = self.routines_dir / name
            if path.is_file() and not self._stop.is_set():
                failed |= not self._build(path)
        gone = {name for name in names if not (self.routines_dir / name).exists()}
        if gone and not failed:
            from routine_graph.catalog import routine_files

            # As `build` does for a whole folder: the outputs of removed routines go too.
            builder = self._builder(None)
            for removed in builder.remove_orphans({f.stem for f in routine_files(self.routines_dir)}):
                log.info("rebuild: removed %s (its routine no longer exists)", removed)
            for name in gone:
                self.events.built(Path(name).stem)  # its pages learn that their track is gone

    def _build(self, path: Path) -> bool:
        from audio_builder.build import BuildError

        routine = path.stem
        self.events.building(routine)
        cpu = time.process_time()
        try:
            report = self._builder(routine).build(path)
        except BuildError as exc:
            log.warning("rebuild: %s", exc)
            self.events.failed(routine, str(exc))
            return False
        except Exception as exc:  # noqa: BLE001 - the watcher must outlive one bad build
            log.exception("rebuild: %s failed", path)
            self.events.failed(routine, f"the build of {path.name} failed unexpectedly: {exc!r}")
            return False
        if not report.up_to_date:
            # The CPU time too: on a busy machine it, not the wall time, says what the build itself costs.
            log.info("rebuild: %s in %.2f s (cpu %.2f s, synthesizing %.2f s): %d tracks written, %d cues synthesized",
                     routine, report.seconds, time.process_time() - cpu, report.synthesis_seconds,
                     report.tracks_built, report.cues_synthesized)
        self.events.built(routine)
        return True

    def _builder(self, routine: str | None):
        from audio_builder.build import Builder

        settings = self._settings(routine)
        builder = self._builders.get(settings)
        if builder is None:
            builder = self._builders[settings] = Builder(self.output_dir, self.cache_dir, settings,
                                                         log=lambda line: log.info("rebuild: %s", line))
        return builder

    def _settings(self, routine: str | None):
        """The settings `routine` was last built with, as its manifest records them; else the defaults."""
        from audio_builder.build import BuildSettings
        from audio_builder.manifest_reader import load_manifest

        manifest = load_manifest(self.output_dir / routine, on_error=lambda _: None) if routine else None
        if manifest is None:
            return BuildSettings()
        try:
            return BuildSettings.from_settings_doc(manifest.settings)
        except (KeyError, TypeError, ValueError):
            return BuildSettings()


def _stop_on_signals(events: BuildEvents) -> dict[int, Any]:
    """SIGINT and SIGTERM: end the event streams, then stop as Ctrl-C does (waitress returns). The
    handlers they replace, to put back."""

    def stop(number: int, _frame) -> None:
        events.close()
        raise KeyboardInterrupt(signal.Signals(number).name)

    return {number: signal.signal(number, stop) for number in (signal.SIGINT, signal.SIGTERM)}
