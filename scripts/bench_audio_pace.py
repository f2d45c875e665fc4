#!/usr/bin/env python3
"""Benchmark the skill's audio version at the user's pace on the seed routine (issue 13, item 2).

Prints, for the seed built with the chosen engine (espeak by default: the timings below do not
synthesize, so the engine only changes how long the build takes):
- AudioCatalog.track(routine, level, 1.25) next to the build (skill/audio_variants.LocalVariants): the
  first call (routine read, graph expanded, pieces read from the cue cache, the track assembled) and a
  later one, which every AudioPlayer event pays; and the same from a published manifest (Level.paces);
- same_place (skill/variant_place.py) from the prebuilt full session to the 1.5 variant at offsets
  spread over the session: what "slower" while listening adds to the request;
- what `publish --paces 1.25,1.5` does before uploading (audio_builder.publish_paces.paced_files: every level
  assembled at each pace, hashed, the manifest record written): time, files, bytes, and the size of the
  published manifest against the built one.

Usage: python scripts/bench_audio_pace.py [--engine espeak] [--rounds 200]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEED = ROOT / "routines" / "back-pain.yaml"
PUBLIC_URL = "https://audio.example.com/back-routine"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def timed(fn, rounds: int) -> tuple[float, float]:
    """Median and worst of `rounds` calls, in seconds."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", default="espeak")
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()

    from audio_builder.build import Builder, BuildSettings
    from audio_builder.manifest_reader import load_manifest, parse_manifest
    from audio_builder.publish import built_files
    from audio_builder.publish_paces import paced_files
    from audio_builder.variant_source import VariantSource
    from skill.audio_tracks import AudioCatalog, LocalManifests
    from skill.audio_variants import LocalVariants
    from skill.variant_place import same_place

    with tempfile.TemporaryDirectory(prefix="bench-audio-pace-") as tmp:
        work = Path(tmp)
        routines, out, cache = work / "routines", work / "output", work / "cache"
        routines.mkdir()
        (routines / SEED.name).write_bytes(SEED.read_bytes())
        started = time.perf_counter()
        Builder(out, cache, BuildSettings(engine=args.engine)).build(routines / SEED.name)
        print(f"Seed built with {args.engine} in {time.perf_counter() - started:.1f} s")
        manifest = load_manifest(out / "back-pain")
        level = manifest.default_level or next(iter(manifest.levels))
        print(f"Level {level}: prebuilt full session {manifest.levels[level].full.duration_ms / 60000:.1f} min")

        print("\nAudioCatalog.track(back-pain, level, 1.25), next to the build:")
        local = AudioCatalog(PUBLIC_URL, LocalManifests(out), LocalVariants(routines, cache))
        started = time.perf_counter()
        track = local.track("back-pain", level, 1.25)
        first = time.perf_counter() - started
        median, worst = timed(lambda: local.track("back-pain", level, 1.25), args.rounds)
        print(f"  first call {ms(first)} ({track.duration_ms / 60000:.1f} min, {len(track.chapters)} chapters); "
              f"then median {ms(median)}, worst {ms(worst)} over {args.rounds} calls (every AudioPlayer event)")

        print("\npublish --paces 1.25,1.5, before uploading (paced_files):")
        files = built_files(out)
        started = time.perf_counter()
        planned = paced_files(out, files, (1.25, 1.5), VariantSource(routines, cache))
        took = time.perf_counter() - started
        made = [f for f in planned if f.path is None and not f.relative.endswith("manifest.json")]
        record = next(f for f in planned if f.relative.endswith("manifest.json"))
        built_manifest = (out / "back-pain" / "manifest.json").stat().st_size
        print(f"  {len(made)} files, {sum(f.size for f in made) / 1e6:.1f} MB assembled and hashed in {took:.2f} s; "
              f"manifest {built_manifest / 1e3:.0f} KB built, {record.size / 1e3:.0f} KB published with the paces")
        published = parse_manifest(b"".join(record.body()), "published")

        class Published:
            def get(self, routine):
                return published

        remote = AudioCatalog(PUBLIC_URL, Published())
        median, worst = timed(lambda: remote.track("back-pain", level, 1.56), args.rounds)
        print(f"  the skill choosing the nearest published pace (1.56 -> 1.5): median {ms(median)}, worst {ms(worst)}")
        started = time.perf_counter()
        parse_manifest(b"".join(record.body()), "published")
        print(f"  parsing the published manifest (once a minute on Lambda): {ms(time.perf_counter() - started)}")

        print("\nsame_place, prebuilt full session -> pace 1.5, at 200 offsets across it:")
        old = manifest.levels[level].full
        new = local.track("back-pain", level, 1.5).built
        offsets = [round(old.duration_ms * k / 200) for k in range(200)]
        times = []
        for offset in offsets:
            started = time.perf_counter()
            same_place(old, new, offset)
            times.append(time.perf_counter() - started)
        print(f"  median {ms(statistics.median(times))}, worst {ms(max(times))}")


if __name__ == "__main__":
    main()
