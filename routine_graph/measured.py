"""Speech durations measured in a build, for timelines that would otherwise estimate them."""
from __future__ import annotations

SPOKEN_KINDS = ("speak", "switch")


def measured_speech(manifest: dict | None, routine_id: str, level: str) -> dict[str, float]:
    """Cue text -> seconds it took to say, from a build's manifest (see audio_builder/manifest.py).

    The level's own full session comes first; the other levels' fill in cues it lacks ("Rep
    seven." exists only where there are seven reps): a cue is synthesized once per text, whatever
    the level, so its length is the same in all of them. Empty when the manifest is of another
    routine or has no usable cues."""
    if not isinstance(manifest, dict) or manifest.get("routine") != routine_id:
        return {}
    levels = manifest.get("levels")
    if not isinstance(levels, dict):
        return {}
    order = [level] + [name for name in levels if name != level]
    seconds: dict[str, float] = {}
    for name in order:
        for track in (levels.get(name) or {}).get("tracks", []):
            if track.get("kind") != "full":
                continue
            for cue in track.get("cues", []):
                text = cue.get("text")
                if cue.get("kind") in SPOKEN_KINDS and isinstance(text, str) and text not in seconds:
                    try:
                        seconds[text] = round((cue["end_ms"] - cue["start_ms"]) / 1000, 3)
                    except (KeyError, TypeError):
                        continue
    return seconds
