"""What a screen shows while the voice guide runs: the APL document (skill/apl/exercise.json, package
data) and its data source, filled from the user's place for each response.

The data source is plain text and numbers; the document only lays them out, so the wording lives
here next to the spoken wording's rules (short, second person) and is unit-testable without APL.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Any

from .routines import Course
from .session_state import Place

DOCUMENT_TOKEN = "back-routine-exercise"
DATASOURCE = "exercise"
NEXT_ARGUMENT = "next"  # what the Next button's SendEvent carries
MAX_INSTRUCTION_CHARS = 320  # about six lines on a small screen
_MIN_WORDS = 4  # shorter cues ("Hold.", "Rep two.") are pacing, not instructions


def load_document() -> dict[str, Any]:
    """The APL document, read from the package (works from a wheel or a Lambda zip alike)."""
    return json.loads(resources.files("skill").joinpath("apl", "exercise.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class ScreenData:
    routine: str  # the routine's title, as a header
    title: str  # the exercise's name, or Introduction / Finish
    instruction: str  # what to do in this part, from the routine's own cues
    progress: str  # "Exercise 1 of 3 · Set 2 of 3 · Reps 1 to 6 of 6"
    percent: int  # of the routine's time done, for the progress bar
    hint: str
    showNext: bool  # noqa: N815 - the APL document's naming

    def to_datasource(self) -> dict[str, Any]:
        return {DATASOURCE: asdict(self)}


def screen_data(course: Course, place: Place | None) -> ScreenData:
    graph = course.graph
    if place is None:
        count = len(graph.exercises)
        overview = "; ".join(e.name for e in graph.exercises)
        return ScreenData(graph.title, graph.title, _shorten(f"{overview}. {graph.safety}"),
                          f"{count} exercise{'s' if count != 1 else ''} · about {round(graph.total_seconds / 60)} min",
                          0, "Say “start” or tap Next when you're ready.", True)
    block_index, part = course.clamp(place.block, place.part)
    block = graph.blocks[block_index]
    chunk = course.chunk(block_index, part)
    chunks = course.chunks(block_index)
    end_step = chunks[part + 1].first_step if part + 1 < len(chunks) else block.end_step
    steps = graph.steps[chunk.first_step:end_step]
    texts = list(dict.fromkeys(s.text for s in steps if s.text and len(s.text.split()) >= _MIN_WORDS))
    total = graph.total_seconds or 1.0
    percent = round(100 * (1 - course.seconds_from(block_index, part) / total))
    if place.finished:
        return ScreenData(graph.title, "Well done", _shorten(" ".join(texts)), "Routine finished", 100,
                          "Say “start over” to go again.", False)
    hint = "Say “next” or tap Next when you're ready."
    if block.kind in ("intro", "outro"):
        return ScreenData(graph.title, block.title, _shorten(" ".join(texts)),
                          "Introduction" if block.kind == "intro" else "Finish", percent, hint, True)
    info = graph.exercises[block.exercise - 1]
    exercise = f"Exercise {block.exercise} of {len(graph.exercises)}"
    if block.kind == "setup":
        texts = [t for t in texts if not t.lower().startswith("exercise ")] or [info.instructions]
        return ScreenData(graph.title, info.name, _shorten(" ".join(texts)), f"{exercise} · Getting into position",
                          percent, hint, True)
    reps = sorted({s.position.rep for s in steps if s.position.rep is not None})
    progress = f"{exercise} · Set {block.set} of {info.sets}"
    if reps:
        sides = " each side" if len(info.sides) > 1 else ""
        span = f"Rep {reps[0]}" if len(reps) == 1 else f"Reps {reps[0]} to {reps[-1]}"
        progress += f" · {span} of {info.reps}{sides}"
    instruction = " ".join(t for t in texts if not _is_header(t)) or info.instructions
    return ScreenData(graph.title, info.name, _shorten(instruction), progress, percent, hint, True)


def _is_header(text: str) -> bool:
    # "Set one of three." and the like are announced by voice and already in the progress line.
    lowered = text.lower().rstrip(".")
    return lowered.startswith("set ") and len(lowered.split()) <= 4


def _shorten(text: str, limit: int = MAX_INSTRUCTION_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(". ", 0, limit)
    return text[: cut + 1] if cut > 0 else text[: limit - 1].rstrip() + "…"


# -- the progress screen ("how am I doing", and after a session) -----------------------------------

PROGRESS_TOKEN = "back-routine-progress"
PROGRESS_DATASOURCE = "progress"
PROGRESS_TITLE = "Your back routine"  # also the Alexa app card's title
PAIN_VIEW_WIDTH, PAIN_VIEW_HEIGHT = 300, 100  # the pain line's AVG viewport (skill/apl/progress.json)
_DAY_LETTERS = "MTWTFSS"


def load_progress_document() -> dict[str, Any]:
    return json.loads(resources.files("skill").joinpath("apl", "progress.json").read_text(encoding="utf-8"))


def progress_data(summary: Any) -> dict[str, Any]:
    """The progress screen's data source from a skill.progress_report.ProgressSummary: one bar a day
    over the summary's days (height as a percent of the busiest day) and the pain ratings as an AVG
    path (0 at the bottom, 10 at the top), plus the lines of text."""
    busiest = max((count for _, count in summary.days), default=0) or 1
    days = [{"label": _DAY_LETTERS[day.weekday()], "count": count, "height": round(100 * count / busiest),
             "today": n == len(summary.days) - 1}
            for n, (day, count) in enumerate(summary.days)]
    trend = summary.trend
    if trend is not None:
        pain = f"Pain: {trend.first} → {trend.last} over {trend.sessions} sessions (0 to 10)"
    elif summary.ratings:
        pain = f"Last pain rating: {summary.ratings[-1][1]} (0 to 10)"
    else:
        pain = "No pain ratings yet"
    week = f"{summary.week} session{'' if summary.week == 1 else 's'} this week"
    streak = f"{summary.streak_days}-day streak" if summary.streak_days >= 2 else ""
    return {PROGRESS_DATASOURCE: {
        "title": PROGRESS_TITLE, "week": week, "streak": streak, "pain": pain, "days": days,
        "painPath": pain_path([rating for _, rating in summary.ratings]), "hasPain": bool(summary.ratings),
        "daysLabel": f"Sessions, last {len(summary.days)} days",
    }}


def pain_path(ratings: list[int]) -> str:
    """AVG pathData for the ratings as a line across the viewport (a short dash for a single one)."""
    if not ratings:
        return ""
    margin = 8
    width, height = PAIN_VIEW_WIDTH - 2 * margin, PAIN_VIEW_HEIGHT - 2 * margin
    step = width / (len(ratings) - 1) if len(ratings) > 1 else 0

    def point(n: int, rating: int) -> str:
        return f"{margin + n * step:.1f} {margin + height * (10 - rating) / 10:.1f}"

    if len(ratings) == 1:
        y = point(0, ratings[0]).split()[1]
        return f"M{PAIN_VIEW_WIDTH / 2 - 10:.1f} {y} L{PAIN_VIEW_WIDTH / 2 + 10:.1f} {y}"
    return "M" + " L".join(point(n, r) for n, r in enumerate(ratings))
