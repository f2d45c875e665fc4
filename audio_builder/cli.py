"""`back-routine build` and `back-routine watch`: routines to MP3 tracks."""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Callable

import click

from audio_builder.engines.registry import DEFAULT_ENGINE, available_engines
from audio_builder.voice import DEFAULT_RATE
from routine_graph.catalog import resolve, routine_files, routines_dir
from routine_graph.cli import routines_option
from routine_graph.errors import UnknownRoutineError
from routine_graph.words import plural

# Exit statuses, the same in every command: 0 done, 1 the build failed while running, 2 bad input
# or usage (a routine file, a level, an option) found before anything was written.
OK, FAILED, BAD_INPUT = 0, 1, 2
RATE_RANGE = (0.5, 2.0)  # what still sounds like speech; the engines accept 0.25 to 4


def _options(f):
    for option in reversed([
        click.argument("routines", nargs=-1),
        click.option("--level", default="all", show_default=True, help="Level to build, or all."),
        click.option("--engine", type=click.Choice(available_engines()), default=DEFAULT_ENGINE, show_default=True,
                     help="Text-to-speech engine: piper (offline), gtts (online), espeak (offline, robotic)."),
        click.option("--voice", default=None, help="Voice of the engine (default: its default voice)."),
        click.option("--rate", type=click.FloatRange(*RATE_RANGE), default=DEFAULT_RATE, show_default=True,
                     help="Speaking rate, 0.5 to 2 (1 = the engine's normal speed; the default is calmer)."),
        click.option("--lang", default=None, help="gtts only: language, e.g. en."),
        click.option("--tld", default=None, help="gtts only: accent by Google domain, e.g. co.uk, com.au."),
        click.option("--bitrate", type=int, default=64, show_default=True, help="MP3 bitrate in kbps (CBR, mono)."),
        click.option("--sample-rate", type=click.Choice(["16000", "24000", "32000", "48000"]), default="24000",
                     show_default=True, help="MP3 sample rate in Hz."),
        click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("output"),
                     show_default=True, help="Output folder."),
        click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Cue cache folder (default: the user cache folder)."),
        click.option("--quiet", "-q", is_flag=True, help="Print only errors and the summary line."),
        routines_option,
    ]):
        f = option(f)
    return f


@click.command()
@_options
@click.option("--no-wait", is_flag=True, help="Refuse, rather than wait, when another build of the same output runs.")
def build(no_wait: bool, **kwargs) -> None:
    """Build guided MP3 tracks, captions, playlists and manifests for ROUTINES (ids or paths; default:
    every routine in the routines folder), for every level. Only what changed is made again."""
    code = _run_build(wait=not no_wait, **kwargs)
    sys.exit(code)


@click.command()
@_options
@click.option("--interval", type=float, default=0.5, show_default=True, help="Seconds between checks for changes.")
def watch(interval: float, **kwargs) -> None:
    """Build, then rebuild whenever a routine file is saved (debounced). Ctrl-C stops.

    To hear each save in the web player as well, run `back-routine serve --watch` instead."""
    folder = routines_dir(kwargs["routines_path"])
    # The folder as it is *before* the first build: a save during that build is then a change.
    seen = snapshot(folder)
    _run_build(wait=True, **kwargs)
    click.echo(f"watching {folder}/ for changes (Ctrl-C to stop)", err=True)
    try:
        watch_folder(folder, lambda _changed: _run_build(wait=True, **kwargs), interval=interval,
                     settle=max(interval, 0.3), seen=seen)
    except KeyboardInterrupt:
        click.echo("stopped watching", err=True)


Snapshot = dict[str, tuple[int, int, int]]


def watch_folder(folder: Path, on_change: Callable[[set[str]], object], *, interval: float = 0.5,
                 settle: float = 0.3, seen: Snapshot | None = None,
                 wait: Callable[[float], bool] | None = None) -> None:
    """Call `on_change(names)` with the routine files added, saved or removed in `folder` each time it
    changes and then stays quiet for `settle` seconds. `seen` is the folder as last built (default: as
    it is now); `wait(seconds)` sleeps and says whether to stop (default: sleep, never stop; Ctrl-C
    ends it). The one watch loop: `watch` above and `serve --watch` (web_player/live_watch.py)."""
    wait = wait or _sleep
    seen = snapshot(folder) if seen is None else seen
    while not wait(interval):
        now = snapshot(folder)
        if now == seen:
            continue
        # Editors save in several writes: wait until the folder is quiet before building.
        while True:
            if wait(settle):
                return
            settled = snapshot(folder)
            if settled == now:
                break
            now = settled
        changed = {name for name in now.keys() | seen.keys() if now.get(name) != seen.get(name)}
        seen = now
        on_change(changed)


def _sleep(seconds: float) -> bool:
    time.sleep(seconds)
    return False


def snapshot(folder: Path) -> Snapshot:
    """Each routine file's (mtime, size, inode): a save changes at least one, an editor's rename the inode."""
    snap = {}
    for path in routine_files(folder):
        try:
            st = path.stat()
        except FileNotFoundError:
            continue
        snap[path.name] = (st.st_mtime_ns, st.st_size, st.st_ino)
    return snap


def _run_build(routines, level, engine, voice, rate, lang, tld, bitrate, sample_rate, out_dir, cache_dir, quiet,
               routines_path, wait: bool) -> int:
    from audio_builder.build import Builder, BuildError, BuildInputError, BuildSettings
    from audio_builder.progress import Progress

    started = time.perf_counter()
    folder = routines_dir(routines_path)
    try:
        files = [resolve(name, folder) for name in routines] if routines else routine_files(folder)
    except UnknownRoutineError as exc:
        click.echo(f"error: {exc}", err=True)
        return BAD_INPUT
    if not files:
        click.echo(f"error: no routine files in {folder}/", err=True)
        return BAD_INPUT
    options = tuple((k, v) for k, v in (("lang", lang), ("tld", tld)) if v)
    settings = BuildSettings(engine=engine, voice=voice, rate=rate, sample_rate=int(sample_rate),
                             bitrate_kbps=bitrate, engine_options=options)
    if cache_dir is None:
        from audio_builder.cue_cache import default_cache_dir

        cache_dir = default_cache_dir()
    builder = Builder(out_dir, cache_dir, settings, wait_for_lock=wait,
                      progress=lambda label, total: Progress(label, total, enabled=not quiet),
                      log=lambda line: click.echo(line, err=True))
    try:
        # Once, before any routine: a wrong option is wrong for all of them.
        builder.check_settings()
    except BuildError as exc:
        click.echo(f"error: {exc}", err=True)
        return BAD_INPUT if isinstance(exc, BuildInputError) else FAILED
    levels = None if level == "all" else [level]
    bad_input = failed = 0
    totals = dict(built=0, skipped=0, audio=0.0, synthesized=0)
    for file in files:
        try:
            report = builder.build(file, levels)
        except BuildError as exc:
            if isinstance(exc, BuildInputError):
                bad_input += 1
            else:
                failed += 1
            click.echo(f"error: {exc}", err=True)
            continue
        if report.up_to_date:
            click.echo(f"{report.routine}: up to date ({', '.join(report.levels)})")
        else:
            click.echo(f"{report.routine}: built {plural(report.tracks_built, 'track')}, {report.tracks_skipped} unchanged; "
                       f"{plural(report.cues_synthesized, 'cue')} synthesized, {report.cues_cached} from cache; "
                       f"{report.audio_seconds / 60:.1f} min of audio written in {report.seconds:.1f} s")
        if not quiet:
            for path in report.removed:
                click.echo(f"  removed {path}")
        totals["built"] += report.tracks_built
        totals["skipped"] += report.tracks_skipped
        totals["audio"] += report.audio_seconds
        totals["synthesized"] += report.cues_synthesized
    if not routines and not failed and not bad_input:
        for path in builder.remove_orphans({f.stem for f in files}):
            if not quiet:
                click.echo(f"removed {path} (its routine no longer exists)")
    problems = failed + bad_input
    if len(files) > 1 or problems:
        click.echo(f"total: {plural(totals['built'], 'track')} built, {totals['skipped']} unchanged, "
                   f"{plural(totals['synthesized'], 'cue')} synthesized, {totals['audio'] / 60:.1f} min of audio, "
                   f"{time.perf_counter() - started:.1f} s"
                   + (f"; {plural(problems, 'routine')} failed" if problems else ""))
    # A failure while building outranks bad input: something went wrong that fixing a file won't mend.
    return FAILED if failed else BAD_INPUT if bad_input else OK
