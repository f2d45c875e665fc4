#!/usr/bin/env python3
"""Benchmark tracks assembled on request (audio_builder/variants.py) on the seed routine, served by the
web player over HTTP on loopback (a real waitress server in this process).

Prints:
- what the build's ahead-of-time count words cost (variant_cues.py): how many extra cues a build of the
  seed and of the test routine makes for the pace grid, the time to find them, and the time to
  synthesize them cold with the build's engine;
- for the seed's variant nearest to 30 minutes: time to first byte and total time of a GET of the
  whole file, for the first request (graph expanded, pieces read from the cache, track assembled) and
  for a later one, and of a Range request in the middle (a seek; target: first byte under 50 ms);
- memory while serving: what reading the layout allocates, what the server holds mid-transfer, the
  peak over whole requests (a variant's and a built file's, both through waitress), the resident size.

Usage: python scripts/bench_variants.py [--engine piper] [--cache-dir DIR] [--rounds 5]
(--cache-dir: the cue cache to build with; default a new empty one, so the build is cold.)
"""
from __future__ import annotations

import argparse
import http.client
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEED = ROOT / "routines" / "back-pain.yaml"
MINI = ROOT / "tests" / "data" / "mini.yaml"
TARGET_SECONDS = 30 * 60


def rss_mb() -> tuple[float, float]:
    """The process's resident size now and at its peak (VmRSS, VmHWM), in MB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return tuple(int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))


def ahead_cost(engine_name: str, work: Path) -> None:
    from audio_builder.build import BuildSettings
    from audio_builder.cue_cache import CueCache, CueSynthesizer
    from audio_builder.mp3 import Mp3Format
    from audio_builder.timeline import cue_texts
    from audio_builder.variant_cues import ahead_texts
    from routine_graph import expand, load_routine

    settings = BuildSettings(engine=engine_name)
    engine = settings.make_engine()
    synth = CueSynthesizer(engine, CueCache(work / "ahead-cache"), Mp3Format(), voice=settings.resolve_voice(engine))
    synth.piece("Warm up.")  # the voice loaded before timing
    print("Count words made ahead for the pace grid (0.75 to 2 in steps of 0.05):")
    for path in (SEED, MINI):
        routine = load_routine(path)
        own = set().union(*(cue_texts(expand(routine, level)) for level in routine.levels))
        started = time.perf_counter()
        ahead = ahead_texts(routine)
        found = time.perf_counter() - started
        extra = [text for text in ahead if text not in own]
        started = time.perf_counter()
        for text in extra:
            synth.piece(text)
        made = time.perf_counter() - started
        print(f"  {path.name}: {len(own)} cues of its own, {len(extra)} more ahead {extra or ''}; found in "
              f"{found * 1000:.2f} ms, synthesized cold ({engine_name}) in {made:.2f} s")


def build_seed(engine_name: str, out: Path, cache: Path):
    from audio_builder.build import Builder, BuildSettings

    report = Builder(out, cache, BuildSettings(engine=engine_name)).build(SEED)
    print(f"\nSeed built ({engine_name}): {report.cues_synthesized} cues synthesized, {report.cues_cached} from the "
          f"cache, {report.cues_ahead} of them ahead for other paces; {report.seconds:.1f} s")


def nearest_to_30_minutes(source, manifest) -> list[tuple[str, float]]:
    """The seed's (level, pace) variants slower than written, nearest to 30 minutes first."""
    from audio_builder.paces import GRID

    found = []
    for level, built in manifest.levels.items():
        for pace in GRID:
            if pace > built.pace:
                seconds = source.variant_set(manifest, level, pace).graph.total_seconds
                found.append((abs(seconds - TARGET_SECONDS), level, pace))
    return [(level, pace) for _, level, pace in sorted(found)]


def get(port: int, path: str, headers: dict | None = None) -> tuple[float, float, int, int]:
    """(seconds to the first byte of the body, seconds in all, status, bytes), reading and dropping chunks."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        started = time.perf_counter()
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        first = response.read(1)
        ttfb = time.perf_counter() - started
        size = len(first)
        while chunk := response.read(256 * 1024):
            size += len(chunk)
        return ttfb, time.perf_counter() - started, response.status, size
    finally:
        connection.close()


def held_mid_transfer(port: int, path: str) -> int:
    """Python allocations held while a client that has read 1 kB waits half a second."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    tracemalloc.start()
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read(1000)
        time.sleep(0.5)
        held, _ = tracemalloc.get_traced_memory()
        response.read()
        return held
    finally:
        tracemalloc.stop()
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="piper")
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from flask import Flask

    from audio_builder.manifest_reader import load_manifest
    from audio_builder.paces import pace_label
    from audio_builder.variant_source import VariantSource
    from tests.live_server import live_server
    from web_player import create_blueprint

    work = Path(tempfile.mkdtemp(prefix="bench-variants-"))
    try:
        ahead_cost(args.engine, work)
        routines = work / "routines"
        routines.mkdir()
        shutil.copy(SEED, routines / SEED.name)
        cache = args.cache_dir or work / "cache"
        build_seed(args.engine, work / "out", cache)
        manifest = load_manifest(work / "out" / "back-pain")
        (level, pace), (other_level, other_pace) = nearest_to_30_minutes(VariantSource(routines, cache), manifest)[:2]
        path = f"/media/back-pain/{level}/pace-{pace_label(pace)}/full-session.mp3"
        other = f"/media/back-pain/{other_level}/pace-{pace_label(other_pace)}/full-session.mp3"

        app = Flask("bench-variants")
        app.register_blueprint(create_blueprint(work / "out", routines_dir=routines, cache_dir=cache))
        with live_server(app, threads=4) as port:
            # The first variant a fresh server assembles: routine parsed, every piece read and checked.
            fresh_ttfb, fresh_total, status, size = get(port, path)
            assert status == 200, status
            # Another (level, pace) in the running server: expanded and assembled, pieces known.
            new_ttfb, new_total, status, _ = get(port, other)
            assert status == 200, status
            firsts, totals, seeks = [], [], []
            held = held_mid_transfer(port, path)
            built = f"/media/back-pain/{level}/full-session.mp3"
            get(port, built)
            tracemalloc.start()
            get(port, built)
            _, built_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            for _ in range(args.rounds):  # timed without tracemalloc, which slows every allocation
                a, b, status, got = get(port, path)
                assert status == 200 and got == size
                firsts.append(a)
                totals.append(b)
                a, _, status, _ = get(port, path, {"Range": f"bytes={size // 2}-"})
                assert status == 206
                seeks.append(a)
            tracemalloc.start()
            get(port, path)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rss, hwm = rss_mb()

        variant = VariantSource(routines, cache).variant_set(manifest, level, pace).part("full-session")
        tracemalloc.start()
        assert sum(len(chunk) for chunk in variant.chunks()) == size
        _, reader_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"\nServing {path} over HTTP on loopback: {variant.track.duration_ms / 60000:.1f} minutes, "
              f"{size / 1e6:.1f} MB (of the seed's levels at slower paces, the nearest to 30 minutes)")
        print(f"  first variant of a fresh server: first byte {fresh_ttfb * 1000:.1f} ms, whole file "
              f"{fresh_total * 1000:.1f} ms")
        print(f"  a new level and pace ({other_level}, {pace_label(other_pace)}) in a running server: first byte "
              f"{new_ttfb * 1000:.1f} ms, whole file {new_total * 1000:.1f} ms")
        print(f"  once assembled (as after its page; median of {args.rounds}): first byte "
              f"{statistics.median(firsts) * 1000:.1f} ms, whole file {statistics.median(totals) * 1000:.1f} ms "
              f"({size / 1e6 / statistics.median(totals):.0f} MB/s)")
        print(f"  Range request from the middle (a seek): first byte {statistics.median(seeks) * 1000:.1f} ms")
        worst = max(new_ttfb, *firsts, *seeks)
        print(f"  target first byte under 50 ms: {'met' if worst < 0.05 else 'NOT met'} for a new pace and after "
              f"(worst {worst * 1000:.1f} ms); the fresh server's first variant {fresh_ttfb * 1000:.1f} ms")
        print(f"  memory: reading the whole variant from its layout allocates at most {reader_peak / 1e3:.0f} kB at a "
              f"time; mid-transfer to a slow client the server holds {held / 1e3:.0f} kB of Python objects; over a "
              f"whole fast GET the peak is {peak / 1e6:.1f} MB (variant) and {built_peak / 1e6:.1f} MB (the built file, "
              f"{level} as written), waitress's own output buffering, the same for both")
        print(f"  process resident {rss:.0f} MB now, {hwm:.0f} MB at its peak (the {args.engine} voice of the build "
              "included)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
