"""The routine as the voice guide names it: a place in it, what comes after a chunk, its exercises,
and how long it takes.

Pure wording over a Course (no Turn, no state), shared by the voice guide (handlers/flow.py), the
launch, info and session handlers, and the audio version, which names a chapter as the voice guide
names its place.
"""
from __future__ import annotations

from routine_graph import navigation
from routine_graph.words import number_words, seconds_words

from .routines import Course
from .speech import Chunk, esc


def minutes_phrase(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes <= 1:
        return "about a minute" if seconds >= 30 else "less than a minute"
    return f"about {number_words(minutes)} minutes"


def exercise_list(course: Course) -> str:
    names = [esc(e.name.lower() if e.name[:1].isupper() and e.name[1:2].islower() else e.name) for e in course.graph.exercises]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + ", and " + names[-1]


def where_phrase(course: Course, block: int) -> str:
    """A place as said aloud: 'hip lift on all fours, set two of three'."""
    where = navigation.where(course.graph, block)
    kind, info = where.block.kind, where.exercise
    if kind == "intro":
        return "the introduction"
    if kind == "outro":
        return "the end of the routine"
    if kind == "setup":
        return f"the start of exercise {number_words(info.number)}, {esc(info.name)}"
    return f"{esc(info.name)}, set {number_words(where.block.set)} of {number_words(info.sets)}"


def next_line(course: Course, chunk: Chunk) -> str:
    """What the user says to go on after this chunk, and what that brings.

    The rest between two blocks opens the second one (speech.plan_block), so after a set the line
    says the rest comes next: "say next, and we'll rest for thirty seconds before set two". When a
    rest would not fit with the set after it, it ends this block instead and only its countdown
    opens the next: then the line after it just says what comes.
    """
    graph = course.graph
    block = graph.blocks[chunk.block]
    rest = graph.trailing_rest(chunk.block) if chunk.block + 1 < len(graph.blocks) else ()
    following = graph.blocks[chunk.block + 1] if chunk.block + 1 < len(graph.blocks) else None
    if not chunk.last:
        if chunk.cut in ("hold",):
            return "Stay there if you can. Say next to carry on."
        if chunk.cut in ("rest", "pause"):
            return "Keep resting. Say next when you're ready to carry on."
        opening = course.chunk(chunk.block, chunk.part + 1).first_step
        if rest and opening == rest[0].index:
            return _rest_line(rest, _what(course, following))
        side = graph.steps[opening].position
        if side.side and side.rep is None:  # the next part starts with "Now switch to your right side."
            return f"When you're ready for your {esc(side.side)} side, say next."
        return "Say next to carry on."
    if following is None:
        return ""
    if block.kind == "intro":
        return "When you're ready for the first exercise, say next."
    what = _what(course, following)
    if rest and not chunk.ends_with_rest:
        return _rest_line(rest, what)
    if following.kind == "set" and block.kind == "setup":
        return f"When you're in position, say next to start {what}."
    if following.kind == "outro":
        return "When you're ready, say next to finish."
    return f"When you're ready, say next for {what}."


def _what(course: Course, block) -> str:
    if block.kind == "set":
        return f"set {number_words(block.set)}"
    if block.kind == "setup":
        return f"the next exercise, {esc(course.graph.exercises[block.exercise - 1].name)}"
    return "the finish"


def _rest_line(rest, what: str) -> str:
    seconds = next(step.seconds for step in rest if step.kind == "rest")
    return f"When you're ready, say next, and we'll rest for {seconds_words(seconds)} seconds before {what}."
