#!/usr/bin/env python3
"""Benchmark the audio builder on the seed routine with the default engine (Piper).

Prints: a cold build of one level (empty cache) against raw TTS of the very cues that build
synthesized, both timed in this one process with the voice loaded, in alternating rounds so that other
load on the machine falls on both alike (target: build <= 1.15 x raw TTS); a cold build of every level
and that each unique cue was made exactly once; a no-change rebuild, timed as the whole command
(target < 0.5 s); a rebuild after editing one cue of exercise 1 (target < 2 s); how much faster than
real time tracks are assembled from cached pieces (target >= 1000x); and the peak memory of building a
generated 60-minute routine (target < 300 MB, the voice included).

Usage: python scripts/bench_build.py [--engine piper] [--routine FILE] [--level standard] [--rounds 2]
                                     [--keep DIR] [--only cold]
       python scripts/bench_build.py --only encode-loss --engine piper,espeak
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def cli(*args: str) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "back_routine", *args], capture_output=True, text=True,
                            cwd=ROOT)
    elapsed = time.perf_counter() - started
    if result.returncode:
        sys.exit(f"command failed: {' '.join(args)}\n{result.stdout}{result.stderr}")
    return elapsed, result.stdout.strip()


class RecordingEngine:
    """The build's engine, unchanged, noting what it is asked to say (so raw TTS says the same)."""

    def __init__(self, engine):
        self.engine = engine
        self.name, self.version, self.default_voice = engine.name, engine.version, engine.default_voice
        self.said: list[tuple[str, str | None, float]] = []

    def voices(self) -> list[str]:
        return self.engine.voices()

    def synthesize(self, text: str, voice: str | None = None, rate: float = 1.0):
        self.said.append((text, voice, rate))
        return self.engine.synthesize(text, voice, rate)


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def cold_build_against_tts(routine_file: Path, level: str, engine_name: str, rounds: int, tmp: Path) -> None:
    """Cold builds of one level and raw TTS of the same cues, alternating, in this process."""
    from audio_builder.build import Builder, BuildSettings
    from audio_builder.engines.registry import get_engine

    engine = get_engine(engine_name)
    engine.synthesize("Breathe in, and relax.", rate=BuildSettings().rate)  # the voice loaded for both
    builds, tts, build_cpu, tts_cpu = [], [], [], []
    report = said = None
    for i in range(rounds):
        recorder = RecordingEngine(engine)
        builder = Builder(tmp / f"cold{i}" / "out", tmp / f"cold{i}" / "cache", BuildSettings(engine=engine_name),
                          engine=recorder)
        started, cpu = time.perf_counter(), cpu_seconds()
        report = builder.build(routine_file, [level])
        builds.append(time.perf_counter() - started)
        build_cpu.append(cpu_seconds() - cpu)
        said = recorder.said
        started, cpu = time.perf_counter(), cpu_seconds()
        for text, voice, rate in said:
            engine.synthesize(text, voice, rate)
        tts.append(time.perf_counter() - started)
        tts_cpu.append(cpu_seconds() - cpu)
        print(f"  round {i + 1}: cold build {builds[-1]:.2f} s (cpu {build_cpu[-1]:.1f} s), raw TTS {tts[-1]:.2f} s "
              f"(cpu {tts_cpu[-1]:.1f} s): {builds[-1] / tts[-1]:.3f}x", flush=True)
    ratio = statistics.median(b / t for b, t in zip(builds, tts))
    print(f"cold build of level {level!r} ({report.tracks_built} tracks, {report.audio_seconds / 60:.1f} min of "
          f"audio, {len(said)} cues synthesized): median {statistics.median(builds):.2f} s against raw TTS of the "
          f"same cues {statistics.median(tts):.2f} s: {ratio:.3f}x (target <= 1.15x); over raw TTS "
          f"{100 * (ratio - 1):+.1f}%")


def encode_loss(routine_file: Path, level: str, engines: list[str]) -> None:
    """What one MP3 encode takes off the loudness of the routine's cues, levelled to -19 LUFS, per
    engine: the figures behind cue_encoding.ENCODE_LOSS_LU."""
    import numpy as np

    from audio_builder.cue_encoding import decoded_measure
    from audio_builder.cue_processing import CONTEXT_S, level_cue, prepare_cue
    from audio_builder.engines.registry import get_engine
    from audio_builder.loudness import integrated_lufs, to_float
    from audio_builder.mp3 import Mp3Format, encode_piece
    from audio_builder.timeline import cue_texts
    from audio_builder.tones import is_tone
    from audio_builder.voice import DEFAULT_RATE
    from routine_graph import expand, load_routine

    fmt = Mp3Format()
    texts = [t for t in cue_texts(expand(load_routine(routine_file), level)) if not is_tone(t)]
    context = np.zeros(int(CONTEXT_S * fmt.sample_rate))
    for name in engines:
        engine = get_engine(name)
        losses = []
        for text in dict.fromkeys(texts):
            samples = level_cue(prepare_cue(engine.synthesize(text, rate=DEFAULT_RATE), fmt.sample_rate),
                                fmt.sample_rate, -19.0, -1.0)
            before = integrated_lufs(np.concatenate([context, to_float(samples), context]), fmt.sample_rate)
            losses.append(before - decoded_measure(encode_piece(samples, fmt))[0])
        print(f"encode loss, {name}, {len(losses)} cues of level {level!r} at {fmt.bitrate_kbps} kbps: mean "
              f"{statistics.mean(losses):.3f} LU, sd {statistics.stdev(losses):.3f}, min {min(losses):.3f}, "
              f"max {max(losses):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="piper")
    parser.add_argument("--routine", type=Path, default=ROOT / "routines" / "back-pain.yaml")
    parser.add_argument("--level", default="standard", help="the level of the cold build against raw TTS")
    parser.add_argument("--rounds", type=int, default=2, help="cold build + raw TTS rounds (the median is shown)")
    parser.add_argument("--keep", type=Path, help="copy the built routine folder (all levels) here")
    parser.add_argument("--only", choices=["cold", "encode-loss"],
                        help="only the cold build against raw TTS, or only what MP3 encoding takes off a cue's "
                             "loudness (per engine: --engine piper,espeak)")
    args = parser.parse_args()
    if args.only == "encode-loss":
        encode_loss(args.routine, args.level, args.engine.split(","))
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        routines, out, cache = tmp / "routines", tmp / "output", tmp / "cache"
        routines.mkdir()
        path = routines / args.routine.name
        shutil.copy(args.routine, path)
        routine_id = path.stem
        common = ["--engine", args.engine, "--routines", str(routines), "--out", str(out), "--cache-dir", str(cache)]

        # 1. One level, cold, against raw TTS of the same cues.
        cold_build_against_tts(path, args.level, args.engine, args.rounds, tmp)
        if args.only == "cold":
            return

        # 2. Every level, cold: each unique cue made once.
        from audio_builder.build import Builder, BuildSettings
        from audio_builder.timeline import cue_texts
        from audio_builder.tones import is_tone
        from routine_graph import expand, load_routine

        routine = load_routine(path)
        unique = set()
        for level in routine.levels:
            unique.update(text for text in cue_texts(expand(routine, level)) if not is_tone(text))
        builder = Builder(out, cache, BuildSettings(engine=args.engine))
        report = builder.build(path)
        print(f"cold build, {len(routine.levels)} levels, {report.tracks_built} tracks, "
              f"{report.audio_seconds / 60:.1f} min of audio: {report.seconds:.2f} s (cues made "
              f"{report.synthesis_seconds:.2f} s)")
        # Builds may make cues ahead that no level of this routine says (count words for other paces).
        ahead = getattr(report, "cues_ahead", 0)
        print(f"unique cues: {len(unique)} (+{ahead} made ahead), synthesized: {report.cues_synthesized} "
              f"({'each exactly once' if report.cues_synthesized == len(unique) + ahead else 'MISMATCH'})")
        if args.keep:
            shutil.rmtree(args.keep, ignore_errors=True)
            shutil.copytree(out / routine_id, args.keep)
            print(f"built tracks kept in {args.keep} (python scripts/bench_sound.py {args.keep})")

        # 3. Nothing changed: the whole command, interpreter start included.
        times = [cli("build", *common)[0] for _ in range(5)]
        print(f"no-change rebuild (whole command, best/median of 5): {min(times):.3f} / {sorted(times)[2]:.3f} s "
              f"(target < 0.5 s)")

        # 4. Edit one cue of exercise 1 (it is in every level and in two tracks per level).
        path.write_text(path.read_text().replace("- say: Press up.", "- say: Press up, slowly."))
        elapsed, summary = cli("build", *common)
        print(f"rebuild after editing one cue of exercise 1: {elapsed:.2f} s (target < 2 s): {summary}")

        # 5. Assembly from cached pieces: timelines + writing every track of every level.
        manifest = json.loads((out / routine_id / "manifest.json").read_text())
        for level in manifest["levels"].values():
            level["tracks"] = [dict(t, recipe="stale") for t in level["tracks"]]
        manifest["source_sha256"] = "stale"
        (out / routine_id / "manifest.json").write_text(json.dumps(manifest))
        builder = Builder(out, cache, BuildSettings(engine=args.engine))
        report = builder.build(path)
        assert report.cues_synthesized == 0
        print(f"assembly from cached pieces: {report.tracks_built} tracks, {report.audio_seconds / 60:.1f} min of audio "
              f"in {report.seconds:.3f} s = {report.audio_seconds / report.seconds:,.0f}x real time (target >= 1000x)")

        # 6. Peak memory for a generated 60-minute routine, in a fresh process (cold: every cue made).
        code = (
            f"import resource, sys; sys.path.insert(0, {str(ROOT)!r}); from pathlib import Path\n"
            "from audio_builder.build import Builder, BuildSettings\n"
            f"r = Builder(Path({str(tmp / 'out60')!r}), Path({str(tmp / 'cache60')!r}), BuildSettings(engine={args.engine!r}))"
            f".build(Path({str(tmp / 'long.yaml')!r}), ['standard'])\n"
            "print(r.audio_seconds, r.tracks_built, r.seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
        )
        (tmp / "long.yaml").write_text(long_routine(minutes=60))
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if result.returncode:
            sys.exit(result.stderr)
        audio, tracks, seconds, rss_kb = result.stdout.split()
        full = json.loads((tmp / "out60" / "long" / "manifest.json").read_text())["levels"]["standard"]["duration_ms"]
        print(f"generated routine of {full / 60000:.1f} min ({tracks} tracks, built cold in {float(seconds):.1f} s): "
              f"peak memory {int(rss_kb) / 1024:.0f} MB (target < 300 MB, voice included)")


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
