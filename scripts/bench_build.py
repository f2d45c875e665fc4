#!/usr/bin/env python3
"""Benchmark the audio builder on the seed routine (all levels) with the default engine (Piper).

Prints: cold build time (empty cache) and the share spent outside synthesis (target <= 10%), that
each unique cue was synthesized exactly once; a no-change rebuild, timed as the whole command
(target < 0.5 s); a rebuild after editing one cue of exercise 1 (target < 2 s); how much faster than
real time tracks are assembled from cached pieces (target >= 1000x); and the peak memory of building
a generated 60-minute routine (target < 300 MB, the voice included).

Usage: python scripts/bench_build.py [--engine piper]
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "back_routine", *args], capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode:
        sys.exit(f"command failed: {' '.join(args)}\n{result.stdout}{result.stderr}")
    return elapsed, result.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="piper")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        routines, out, cache = tmp / "routines", tmp / "output", tmp / "cache"
        routines.mkdir()
        shutil.copy(ROOT / "routines" / "back-pain.yaml", routines)
        common = ["--engine", args.engine, "--routines", str(routines), "--out", str(out), "--cache-dir", str(cache)]

        # 1. Cold build, in process so synthesis time can be separated from the rest.
        from audio_builder.build import Builder, BuildSettings
        from audio_builder.timeline import cue_texts
        from routine_graph import expand, load_routine

        routine = load_routine(routines / "back-pain.yaml")
        unique = set()
        for level in routine.levels:
            unique.update(cue_texts(expand(routine, level)))
        builder = Builder(out, cache, BuildSettings(engine=args.engine))
        report = builder.build(routines / "back-pain.yaml")
        outside = report.seconds - report.synthesis_seconds
        print(f"cold build, {len(routine.levels)} levels, {report.tracks_built} tracks, "
              f"{report.audio_seconds / 60:.1f} min of audio: {report.seconds:.2f} s "
              f"(synthesis {report.synthesis_seconds:.2f} s, outside synthesis {outside:.2f} s = "
              f"{100 * outside / report.seconds:.1f}%; target <= 10%)")
        print(f"unique cues: {len(unique)}, synthesized: {report.cues_synthesized} "
              f"({'each exactly once' if report.cues_synthesized == len(unique) else 'MISMATCH'})")

        # 2. Nothing changed: the whole command, interpreter start included.
        times = [cli("build", *common)[0] for _ in range(5)]
        print(f"no-change rebuild (whole command, best/median of 5): {min(times):.3f} / {sorted(times)[2]:.3f} s "
              f"(target < 0.5 s)")

        # 3. Edit one cue of exercise 1 (it is in every level and in two tracks per level).
        path = routines / "back-pain.yaml"
        path.write_text(path.read_text().replace("- say: Press up.", "- say: Press up, slowly."))
        elapsed, summary = cli("build", *common)
        print(f"rebuild after editing one cue of exercise 1: {elapsed:.2f} s (target < 2 s): {summary}")

        # 4. Assembly from cached pieces: timelines + writing every track of every level.
        manifest = json.loads((out / "back-pain" / "manifest.json").read_text())
        for level in manifest["levels"].values():
            level["tracks"] = [dict(t, recipe="stale") for t in level["tracks"]]
        manifest["source_sha256"] = "stale"
        (out / "back-pain" / "manifest.json").write_text(json.dumps(manifest))
        builder = Builder(out, cache, BuildSettings(engine=args.engine))
        report = builder.build(path)
        assert report.cues_synthesized == 0
        print(f"assembly from cached pieces: {report.tracks_built} tracks, {report.audio_seconds / 60:.1f} min of audio "
              f"in {report.seconds:.3f} s = {report.audio_seconds / report.seconds:,.0f}x real time (target >= 1000x)")

        # 5. Peak memory for a generated 60-minute routine, in a fresh process.
        code = (
            "import resource, sys; from pathlib import Path\n"
            "from audio_builder.build import Builder, BuildSettings\n"
            f"r = Builder(Path({str(tmp / 'out60')!r}), Path({str(tmp / 'cache60')!r}), BuildSettings(engine={args.engine!r}))"
            f".build(Path({str(tmp / 'long.yaml')!r}), ['standard'])\n"
            "print(r.audio_seconds, r.tracks_built, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
        )
        (tmp / "long.yaml").write_text(long_routine(minutes=60))
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if result.returncode:
            sys.exit(result.stderr)
        audio, tracks, rss_kb = result.stdout.split()
        full = json.loads((tmp / "out60" / "long" / "manifest.json").read_text())["levels"]["standard"]["duration_ms"]
        print(f"generated routine of {full / 60000:.1f} min ({tracks} tracks): peak memory {int(rss_kb) / 1024:.0f} MB "
              f"(target < 300 MB, voice included)")


def long_routine(minutes: float) -> str:
    """A routine file whose standard level lasts about `minutes`, with varied cues."""
    from routine_graph import expand, load_routine
    from routine_graph.generate import generated_routine_yaml

    exercises = 4
    while True:
        text = generated_routine_yaml(exercises, seed=7)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "long.yaml"
            path.write_text(text)
            seconds = expand(load_routine(path), "standard").total_seconds
        if seconds >= minutes * 60:
            return text
        exercises += 1


if __name__ == "__main__":
    main()
