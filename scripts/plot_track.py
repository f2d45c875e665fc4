#!/usr/bin/env python3
"""Plot a built track's waveform with its chapter, cue and silence marks (from the manifest), so a
build can be checked by eye: voices inside cue marks, flat lines inside holds and rests.

examples:
  python scripts/plot_track.py output/back-pain                      the default level's full session
  python scripts/plot_track.py output/back-pain --from 60 --to 100   zoomed in: cues get their words
  python scripts/plot_track.py output/back-pain --level gentle --track 02-lean-and-bend --png lean.png

The PNG is written to the current folder as <routine>-<level>-<track>.png unless --png names a
file; never into the output folder, which belongs to the build.
Labels that would overlap are put on further rows, and left out when there is no row left for them.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

LABEL_ZOOM_SECONDS = 120  # cue words are labelled only when the plot spans less than this
CUE_ROWS = 4
CHAPTER_ROWS = 3
ROW_HEIGHT = 0.12  # in the plot's y units, where the waveform spans -1..1
LABEL_GAP_PX = 6


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="plot_track.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="a built routine's folder, output/<routine> (holds manifest.json)")
    parser.add_argument("--level", default=None, help="level to plot (default: the routine's default level)")
    parser.add_argument("--track", default="full-session", help="track file stem (default: %(default)s)")
    parser.add_argument("--from", dest="start", type=float, default=None, metavar="SECONDS", help="zoom: first second")
    parser.add_argument("--to", dest="end", type=float, default=None, metavar="SECONDS", help="zoom: last second")
    parser.add_argument("--png", type=Path, default=None, metavar="PATH",
                        help="where to write the picture (default: ./<routine>-<level>-<track>.png)")
    args = parser.parse_args(argv)
    manifest_path = args.folder / "manifest.json"
    if not manifest_path.is_file():
        parser.error(f"no {manifest_path}: build first (back-routine build), or name a folder under output/")
    args.manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    levels = args.manifest["levels"]
    args.level = args.level or args.manifest["default_level"]
    if args.level not in levels:
        parser.error(f"no built level {args.level!r} (built: {', '.join(levels)})")
    stems = [Path(t["file"]).stem for t in levels[args.level]["tracks"]]
    if args.track not in stems:
        parser.error(f"no track {args.track!r} in level {args.level} (tracks: {', '.join(stems)})")
    if args.start is not None and args.end is not None and args.end <= args.start:
        parser.error("--to must be after --from")
    return args


def place_labels(ax, labels: list[tuple[float, str]], base_y: float, step: float, rows: int, **style) -> int:
    """Draw each (x, text) label on the first row where it overlaps no earlier one; rows go from
    `base_y` by `step`. A label with no free row is left out. Returns how many were left out.

    Widths are measured as drawn, so this must run after the axes' limits and layout are final. A
    label that starts left of the view is moved to its edge, one that would run off the right edge
    ends at it: clipped words are as unreadable as overlapping ones."""
    renderer = ax.figure.canvas.get_renderer()
    left, right = ax.get_xlim()
    view = ax.get_window_extent(renderer)
    row_ends = [float("-inf")] * rows  # right edge, in pixels, of the last label on each row
    left_out = 0
    for x, text in sorted(labels):
        artist = ax.text(max(x, left), base_y, text, clip_on=True,
                         bbox=dict(facecolor="white", alpha=0.75, edgecolor="none", pad=0.5), **style)
        box = artist.get_window_extent(renderer)
        if box.x1 > view.x1:
            artist.set_x(right)
            artist.set_horizontalalignment("right")
            box = artist.get_window_extent(renderer)
        row = next((i for i, end in enumerate(row_ends) if box.x0 >= end + LABEL_GAP_PX), None)
        if row is None:
            artist.remove()
            left_out += 1
            continue
        artist.set_y(base_y + row * step)
        row_ends[row] = box.x1
    return left_out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from audio_builder.mp3 import decode_mp3

    manifest, level = args.manifest, args.level
    track = next(t for t in manifest["levels"][level]["tracks"] if Path(t["file"]).stem == args.track)
    samples, rate = decode_mp3(args.folder / track["file"])
    x = samples.astype(np.float32) / 32768
    t0 = args.start if args.start is not None else 0.0
    t1 = args.end if args.end is not None else len(x) / rate
    seg = x[int(t0 * rate):int(t1 * rate)]
    # Envelope (max |x| per pixel column) keeps long tracks readable.
    columns = 4000
    step = max(1, len(seg) // columns)
    env = np.abs(seg[: len(seg) // step * step]).reshape(-1, step).max(axis=1) if len(seg) >= step else np.zeros(0)
    times = t0 + np.arange(len(env)) * step / rate

    fig, ax = plt.subplots(figsize=(18, 6), dpi=100)
    ax.fill_between(times, -env, env, color="#345", linewidth=0)
    colors = {"hold": "#f4b400", "move": "#9ad", "rest": "#7c7", "pause": "#ccc"}
    for s in track["silences"]:
        a, b = s["start_ms"] / 1000, s["end_ms"] / 1000
        if b >= t0 and a <= t1:
            ax.axvspan(a, b, color=colors.get(s["kind"], "#eee"), alpha=0.35, linewidth=0)
    visible_cues = [c for c in track["cues"] if c["end_ms"] / 1000 >= t0 and c["start_ms"] / 1000 <= t1]
    for c in visible_cues:
        a, b = c["start_ms"] / 1000, c["end_ms"] / 1000
        ax.plot([a, b], [-1.04, -1.04], color="#c33" if c["kind"] != "count" else "#93c", linewidth=3)
    chapters = [ch for ch in track["chapters"] if t0 <= ch["start_ms"] / 1000 <= t1]
    for ch in chapters:
        ax.axvline(ch["start_ms"] / 1000, color="#d00", linestyle="--", linewidth=1)

    ax.set_xlim(t0, t1)
    ax.set_ylim(-1.12 - CUE_ROWS * ROW_HEIGHT, 1.08 + CHAPTER_ROWS * ROW_HEIGHT)
    ax.set_yticks([-1, 0, 1])
    ax.set_xlabel("seconds")
    ax.set_title(f"{manifest['routine']} / {level} / {args.track}: holds yellow, moves blue, rests green, "
                 f"cues red bars, counts purple, chapters dashed", fontsize=10)
    fig.tight_layout()

    zoomed = (t1 - t0) < LABEL_ZOOM_SECONDS
    cue_labels = [(c["start_ms"] / 1000, _short(c["text"], 32)) for c in visible_cues] if zoomed else []
    cues_left_out = place_labels(ax, cue_labels, -1.12, -ROW_HEIGHT, CUE_ROWS, fontsize=7, va="top")
    chapter_labels = [(ch["start_ms"] / 1000, " " + ch["title"]) for ch in chapters]
    chapters_left_out = place_labels(ax, chapter_labels, 1.08, ROW_HEIGHT, CHAPTER_ROWS, fontsize=8,
                                     va="bottom", color="#900")

    out = args.png or Path(f"{manifest['routine']}-{level}-{args.track}.png")
    fig.savefig(out)
    peak = np.abs(x).max() if len(x) else 0.0
    print(f"{out}: {len(x) / rate:.2f} s, peak {20 * np.log10(max(peak, 1e-9)):.2f} dBFS, "
          f"{len(track['cues'])} cues, {len(track['silences'])} silences, {len(track['chapters'])} chapters")
    if not zoomed:
        print(f"  cue words are labelled when the plot spans under {LABEL_ZOOM_SECONDS} s: try --from 60 --to 100")
    for what, count in (("cue", cues_left_out), ("chapter", chapters_left_out)):
        if count:
            print(f"  {count} {what} label(s) left out for room: zoom in with --from/--to to see them")
    return 0


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


if __name__ == "__main__":
    sys.exit(main())
