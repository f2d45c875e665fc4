"""manifest.json: what was built from what, read by the next build, the skill and the web player."""
from __future__ import annotations

import json
from pathlib import Path

MANIFEST_NAME = "manifest.json"


def read_manifest(folder: Path) -> dict | None:
    """The manifest in `folder`, or None when there is none or it is unreadable (then all is rebuilt)."""
    try:
        data = json.loads((Path(folder) / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == 1 else None


def track_entry(spec, file: str, captions: str, size: int, recipe: str, timeline) -> dict:
    ms = timeline.ms
    return {
        "file": file, "captions": captions, "kind": spec.kind, "title": spec.title, "album": spec.album,
        "number": spec.number, "exercise": spec.exercise, "bytes": size, "recipe": recipe,
        "duration_ms": ms(timeline.total_samples), "frames": timeline.total_frames,
        "chapters": [{"title": c.title, "start_ms": ms(c.start), "end_ms": ms(c.end), "block": c.block}
                     for c in timeline.chapters],
        "cues": [{"start_ms": ms(c.start), "end_ms": ms(c.end), "text": c.text, "kind": c.kind}
                 for c in timeline.cues],
        "silences": [{"start_ms": ms(s.start), "end_ms": ms(s.end), "kind": s.kind, "nominal_ms": ms(s.nominal)}
                     for s in timeline.silences],
    }
