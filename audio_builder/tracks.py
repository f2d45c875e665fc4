"""Which tracks a level of a routine becomes: the full session, and one part per exercise (with the
introduction and the finish as parts of their own, so the playlist of parts is the whole session)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from routine_graph.graph import Block, Graph


@dataclass(frozen=True)
class TrackSpec:
    stem: str  # file name without extension
    kind: Literal["full", "intro", "exercise", "outro"]
    title: str
    album: str
    number: int  # ID3 track number within its album
    total: int
    blocks: tuple[Block, ...]
    exercise: int | None = None


def track_specs(graph: Graph) -> list[TrackSpec]:
    album = f"{graph.title} ({graph.level})"
    parts: list[tuple[str, str, str, tuple[Block, ...], int | None]] = []
    intro = tuple(b for b in graph.blocks if b.kind == "intro")
    if intro:
        parts.append(("intro", "introduction", "Introduction", intro, None))
    for info in graph.exercises:
        blocks = tuple(graph.exercise_blocks(info.number))
        parts.append(("exercise", info.id, f"{info.number}. {info.name}", blocks, info.number))
    outro = tuple(b for b in graph.blocks if b.kind == "outro")
    if outro:
        parts.append(("outro", "finish", "Finish", outro, None))
    specs = [TrackSpec("full-session", "full", f"{graph.title}: full session", f"{album}, full session", 1, 1,
                       graph.blocks)]
    for n, (kind, slug, title, blocks, exercise) in enumerate(parts, start=1):
        specs.append(TrackSpec(f"{n:02d}-{slug}", kind, title, album, n, len(parts), blocks, exercise))
    return specs
