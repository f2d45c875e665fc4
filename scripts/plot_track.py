#!/usr/bin/env python3
"""Plot a built track's waveform with its chapter, cue and silence marks (from the manifest), so a
build can be checked by eye: voices inside cue marks, flat lines inside holds and rests.

Usage: python scripts/plot_track.py output/back-pain [--level standard] [--track full-session]
                                    [--from 60 --to 100] [--png out.png]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="output/<routine> (holds manifest.json)")
    parser.add_argument("--level", default=None)
    parser.add_argument("--track", default="full-session", help="track file stem")
    parser.add_argument("--from", dest="start", type=float, default=None, help="zoom: start second")
    parser.add_argument("--to", dest="end", type=float, default=None, help="zoom: end second")
    parser.add_argument("--png", type=Path, default=None)
    args = parser.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from audio_builder.mp3 import decode_mp3

    manifest = json.loads((args.folder / "manifest.json").read_text())
    level = args.level or manifest["default_level"]
    track = next(t for t in manifest["levels"][level]["tracks"] if Path(t["file"]).stem == args.track)
    samples, rate = decode_mp3(args.folder / track["file"])
    x = samples.astype(np.float32) / 32768
    t0 = args.start if args.start is not None else 0.0
    t1 = args.end if args.end is not None else len(x) / rate
    seg = x[int(t0 * rate):int(t1 * rate)]
    # Envelope (max |x| per pixel column) keeps long tracks readable.
    columns = 4000
    step = max(1, len(seg) // columns)
    env = np.abs(seg[: len(seg) // step * step]).reshape(-1, step).max(axis=1)
    times = t0 + np.arange(len(env)) * step / rate

    fig, ax = plt.subplots(figsize=(18, 5), dpi=100)
    ax.fill_between(times, -env, env, color="#345", linewidth=0)
    colors = {"hold": "#f4b400", "move": "#9ad", "rest": "#7c7", "pause": "#ccc"}
    for s in track["silences"]:
        a, b = s["start_ms"] / 1000, s["end_ms"] / 1000
        if b >= t0 and a <= t1:
            ax.axvspan(a, b, color=colors.get(s["kind"], "#eee"), alpha=0.35, linewidth=0)
    zoomed = (t1 - t0) < 120
    for c in track["cues"]:
        a, b = c["start_ms"] / 1000, c["end_ms"] / 1000
        if b >= t0 and a <= t1:
            ax.plot([a, b], [-1.02, -1.02], color="#c33" if c["kind"] != "count" else "#93c", linewidth=3)
            if zoomed:
                ax.text(a, -1.12, c["text"][:28], fontsize=7, rotation=0, va="top")
    for ch in track["chapters"]:
        a = ch["start_ms"] / 1000
        if t0 <= a <= t1:
            ax.axvline(a, color="#d00", linestyle="--", linewidth=1)
            ax.text(a, 1.02, ch["title"], fontsize=8, rotation=20, va="bottom")
    ax.set_xlim(t0, t1)
    ax.set_ylim(-1.3, 1.3)
    ax.set_xlabel("seconds")
    ax.set_title(f"{manifest['routine']} / {level} / {args.track}: holds yellow, moves blue, rests green, "
                 f"cues red bars, counts purple, chapters dashed", fontsize=10)
    fig.tight_layout()
    out = args.png or args.folder / f"{level}-{args.track}.png"
    fig.savefig(out)
    peak = np.abs(x).max()
    print(f"{out}: {len(x) / rate:.2f} s, peak {20 * np.log10(max(peak, 1e-9)):.2f} dBFS, "
          f"{len(track['cues'])} cues, {len(track['silences'])} silences, {len(track['chapters'])} chapters")


if __name__ == "__main__":
    main()
