"""A routine graph as `preview` prints it: an aligned table for people, or JSON for programs."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from .graph import Graph, Step
from .words import plural

# Labels are "exercise 12, set 3, right side, rep 10" and shorter, unless a side has a long name:
# past this width the label gets a line of its own rather than pushing every other line right.
MAX_LABEL_WIDTH = 44


def render_table(graph: Graph, measured: set[str], source: Path | None) -> Iterator[str]:
    yield f"{graph.title}  (level {graph.level}, pace {graph.pace:g}; {_speech_note(graph, measured, source)})"
    labels = [step.position.label() for step in graph.steps]
    width = min(MAX_LABEL_WIDTH, max(map(len, labels), default=5))
    clocks = [clock(start) for start in graph.starts]
    clock_width = max(map(len, clocks), default=5)
    yield f"{'start':>{clock_width}}  {'where':<{width}} what"
    for step, label, at in zip(graph.steps, labels, clocks):
        what = step.text if step.text else silence_label(step)
        if len(label) > width:
            yield f"{at:>{clock_width}}  {label}"
            yield f"{'':>{clock_width}}  {'':<{width}} {what}"
        else:
            yield f"{at:>{clock_width}}  {label:<{width}} {what}"
    yield (f"total {clock(graph.total_seconds)} ({plural(len(graph.steps), 'step')}, "
           f"{plural(len(graph.blocks), 'chunk')})")


def render_json(graph: Graph, measured: set[str], source: Path | None) -> Iterator[str]:
    steps = []
    for step, start in zip(graph.steps, graph.starts):
        entry = dict(step.to_dict(), start=round(start, 3))
        if step.text is not None:
            # Silences are exactly as long as the routine says; a cue is as long as the voice takes.
            entry["timing"] = "measured" if step.text in measured else "estimated"
        steps.append(entry)
    spoken = [step for step in graph.steps if step.text is not None]
    counted = sum(1 for step in spoken if step.text in measured)
    yield json.dumps({
        "routine": graph.routine_id, "level": graph.level, "pace": graph.pace,
        "total_seconds": round(graph.total_seconds, 3),
        "speech": {"measured": counted, "estimated": len(spoken) - counted,
                   "measured_in": str(source) if source and counted else None},
        "steps": steps,
    }, indent=1)


def _speech_note(graph: Graph, measured: set[str], source: Path | None) -> str:
    spoken = [step for step in graph.steps if step.text is not None]
    counted = sum(1 for step in spoken if step.text in measured)
    if not counted:
        return "durations of speech are estimates"
    if counted == len(spoken):
        return f"durations of speech measured in {source}"
    return f"{counted:,} of {len(spoken):,} cue durations measured in {source}, the rest estimated"


def silence_label(step: Step) -> str:
    label = f"[{step.kind} {step.seconds:g} s"
    if step.count:
        label += f", counting {step.count}"
    if step.countdown:
        label += f", countdown from {step.countdown}"
    return label + "]"


def clock(seconds: float) -> str:
    """m:ss.s, or h:mm:ss.s from an hour on. Rounded to the tenth first, so 59.96 s is 1:00.0, not 0:60.0."""
    tenths = round(seconds * 10)
    minutes, tenths = divmod(tenths, 600)
    hours, minutes = divmod(minutes, 60)
    secs = f"{tenths // 10:02d}.{tenths % 10}"
    return f"{hours}:{minutes:02d}:{secs}" if hours else f"{minutes}:{secs}"
