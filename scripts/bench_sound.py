#!/usr/bin/env python3
"""Measure how a build sounds, from the built files alone (issue 13, "Calmer, exact sound").

For every level of a built routine folder (output/<routine>), from its manifest and the decoded MP3s:

- speech rate: words per minute of every cue (words / the cue's duration in the manifest), and the
  median for instruction cues (each distinct "speak" cue once: counts and tones are left out, and a
  cue said at every rep counts once);
- holds and rests: each silence's length against the length the routine asked for (min and max of
  the difference, in ms);
- trailing quiet: decoded samples after the last one above -60 dBFS, per track;
- loudness: integrated LUFS and true peak of every decoded track (pyloudnorm when installed, else the
  builder's own meter, which is named in the output).

Usage: python scripts/bench_sound.py output/back-pain [--level standard] [--cues]
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUIET_DBFS = -60.0


def words(text: str) -> int:
    return len([w for w in text.replace("-", " ").split() if any(c.isalnum() for c in w)])


def cue_wpm(track: dict) -> list[tuple[float, str, str]]:
    """(words per minute, kind, text) of every spoken cue of a manifest track."""
    out = []
    for cue in track["cues"]:
        if cue["kind"] == "tone":
            continue
        seconds = (cue["end_ms"] - cue["start_ms"]) / 1000
        if seconds > 0:
            out.append((words(cue["text"]) * 60 / seconds, cue["kind"], cue["text"]))
    return out


def instruction_wpm(track: dict) -> list[float]:
    """Words per minute of each distinct instruction ("speak") cue of a manifest track."""
    seen: dict[str, float] = {}
    for wpm, kind, text in cue_wpm(track):
        if kind == "speak":
            seen.setdefault(text, wpm)
    return list(seen.values())


def instruction_median(track: dict) -> float:
    rates = instruction_wpm(track)
    return statistics.median(rates) if rates else math.nan


def trailing_quiet_s(samples, rate: int, dbfs: float = QUIET_DBFS) -> float:
    import numpy as np

    x = np.abs(np.asarray(samples, dtype=np.float64)) / 32768
    loud = np.flatnonzero(x > 10 ** (dbfs / 20))
    return (x.size - (loud[-1] + 1 if loud.size else 0)) / rate


def meter():
    """(name, lufs(samples, rate), true_peak_dbtp(samples, rate)) on int16 samples."""
    import numpy as np

    from audio_builder.loudness import integrated_lufs, true_peak_dbtp

    try:
        import pyloudnorm

        def lufs(x, rate):
            return pyloudnorm.Meter(rate).integrated_loudness(np.asarray(x, dtype=np.float64) / 32768)

        name = "pyloudnorm"
    except ImportError:  # pragma: no cover
        lufs, name = integrated_lufs, "builder meter"
    return name, lufs, true_peak_dbtp


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a built routine's folder (holds manifest.json)")
    parser.add_argument("--level", action="append", help="only these levels (default: all built)")
    parser.add_argument("--cues", action="store_true", help="print words per minute of every cue")
    args = parser.parse_args(argv)
    from audio_builder.mp3 import decode_mp3

    manifest = json.loads((args.folder / "manifest.json").read_text())
    settings = manifest.get("settings", {})
    print(f"{args.folder}: engine {settings.get('engine')} voice {settings.get('voice')} rate {settings.get('rate')}")
    name, lufs, tp = meter()
    for level, doc in manifest["levels"].items():
        if args.level and level not in args.level:
            continue
        tracks = doc["tracks"]
        full = next(t for t in tracks if t["kind"] == "full")
        rates = cue_wpm(full)
        if args.cues:
            seen = set()
            for wpm, kind, text in rates:
                if text not in seen:
                    seen.add(text)
                    print(f"  {wpm:6.1f} wpm  {kind:6s} {text}")
        instr = instruction_wpm(full)
        print(f"[{level}] distinct instruction cues: {len(instr)}, median {statistics.median(instr):.1f} wpm "
              f"(min {min(instr):.0f}, max {max(instr):.0f}); all spoken cues median "
              f"{statistics.median([w for w, _, _ in rates]):.1f} wpm")
        for kind in ("hold", "rest", "pause", "move"):
            diffs = [s["end_ms"] - s["start_ms"] - s["nominal_ms"] for t in tracks for s in t["silences"]
                     if s["kind"] == kind]
            if diffs:
                print(f"[{level}] {kind}: {len(diffs)} silences, length - nominal: min {min(diffs):+d} ms, "
                      f"max {max(diffs):+d} ms (manifest)")
        louds, peaks, tails = [], [], []
        for t in tracks:
            x, rate = decode_mp3(args.folder / t["file"])
            louds.append(lufs(x, rate))
            peaks.append(tp(x, rate))
            tails.append(trailing_quiet_s(x, rate))
            print(f"  {t['file']:32s} {t['duration_ms'] / 1000:8.2f} s  {louds[-1]:7.2f} LUFS  {peaks[-1]:6.2f} dBTP"
                  f"  trailing quiet {tails[-1]:.3f} s")
        print(f"[{level}] loudness ({name}) min {min(louds):.2f} max {max(louds):.2f} LUFS; true peak max "
              f"{max(peaks):.2f} dBTP; trailing quiet min {min(tails):.3f} max {max(tails):.3f} s")


if __name__ == "__main__":
    main()
