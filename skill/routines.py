"""The routines the skill can guide, loaded from the routines folder and expanded on demand.

A request needs one routine at one level and pace, split into chunks; expanding and planning it
takes milliseconds, answering a request must take far less, so expanded graphs and their chunk plans
are cached per (routine, level, pace). Files are re-checked by mtime on every use: someone editing a
routine hears the change on the next request without restarting the server, and a deleted routine
is noticed (the skill then tells the user instead of failing).
"""
from __future__ import annotations

import logging
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

from routine_graph.catalog import routine_files
from routine_graph.errors import RoutineError
from routine_graph.expansion import expand
from routine_graph.graph import ExerciseInfo, Graph
from routine_graph.loader import load_routine
from routine_graph.model import Routine
from routine_graph.navigation import Cursor, Route

from .speech import Chunk, plan_block

log = logging.getLogger(__name__)

# Pace moves along a ladder of steps of about x1.25 between the limits 0.5 and 2: "slower" and
# "faster" then always land on the same few values, so the cache of expanded graphs stays small and
# every pace a user can reach is one the tests check.
PACES = (0.5, 0.64, 0.8, 1.0, 1.25, 1.56, 2.0)
MIN_PACE, MAX_PACE = PACES[0], PACES[-1]


def slower(pace: float) -> float | None:
    """The next pace on the ladder above `pace` (None at the slowest)."""
    return next((p for p in PACES if p > pace + 1e-6), None)


def faster(pace: float) -> float | None:
    return next((p for p in reversed(PACES) if p < pace - 1e-6), None)


def levels_easiest_first(routine: Routine) -> list[str]:
    """The routine's levels from gentlest to hardest: the routine graph's one order (Routine.levels_easiest_first),
    which progression suggestions move along too."""
    return list(routine.levels_easiest_first)


def normalize(text: str) -> str:
    """Lowercase words only: what people say and what Alexa transcribes compare equal."""
    text = text.lower().replace("&", " and ")
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    words = [w for w in text.split() if w not in ("the", "a", "an", "my")]
    return " ".join(words)


@dataclass(frozen=True)
class Course(Route):
    """One routine expanded for one level and pace, as the voice guide says it: a navigation Route
    whose parts are the chunks each block is said in (skill.speech plans them, lazily, per block).

    `came_from`: the chunk the user has just been given, when a request knows it (see `seen_from`).
    The chunk after it, and only that one, opens with the rest between the two (speech.plan_block).
    """

    _chunks: dict[tuple[int, bool], tuple[Chunk, ...]] = field(default_factory=dict, repr=False, compare=False)
    came_from: Cursor | None = None

    def seen_from(self, block: int, part: int) -> Course:
        """This course for a user who has just heard (block, part): saying next (or carry on) from
        there opens with the rest that lies between. A copy sharing the planned chunks, so the cached
        course itself stays the same for every request."""
        return replace(self, came_from=Cursor(block, part))

    def onward(self, block: int, part: int = 0) -> bool:
        """Is (block, part) where the user goes on to from the chunk they have just heard?"""
        return part == 0 and self.came_from is not None and self.next_place(*self.came_from) == (block, 0)

    def part_starts(self, block: int) -> Sequence[int]:
        # Part numbers and starts are the same with or without the rest that may open a block.
        return tuple(chunk.first_step for chunk in self._planned(block, False))

    def chunks(self, block: int) -> tuple[Chunk, ...]:
        return self._planned(block, self.onward(block))

    def chunk(self, block: int, part: int) -> Chunk:
        chunks = self.chunks(block)
        return chunks[min(part, len(chunks) - 1)]

    def _planned(self, block: int, onward: bool) -> tuple[Chunk, ...]:
        key = (block, onward)
        planned = self._chunks.get(key)
        if planned is None:
            # Two threads may plan the same block at once; both get equal results, one is kept.
            planned = self._chunks[key] = plan_block(self.graph, block, onward=onward)
        return planned


@dataclass(frozen=True)
class RoutineEntry:
    id: str
    path: Path
    routine: Routine
    stamp: tuple[int, int]  # (mtime_ns, size) when loaded


class RoutineLibrary:
    """Routine files in a folder, with cached loading and expansion. Thread-safe."""

    def __init__(self, directory: str | os.PathLike[str], max_courses: int = 64):
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._listing: tuple[tuple[int, int] | None, dict[str, Path]] = (None, {})
        self._entries: dict[str, RoutineEntry] = {}
        self._bad: dict[Path, tuple[int, int]] = {}  # files that failed to load, by stamp: log once
        self._courses: OrderedDict[tuple, Course] = OrderedDict()
        self._max_courses = max_courses

    # -- what is there ------------------------------------------------------------------------------

    def ids(self) -> list[str]:
        """Ids of the routines that load, in file-name order."""
        return [rid for rid in self._paths() if self.get(rid) is not None]

    def get(self, routine_id: str | None) -> Routine | None:
        """The routine, reloaded if its file changed; None if it is gone or does not load."""
        if not routine_id:
            return None
        path = self._paths().get(routine_id)
        if path is None:
            return None
        stamp = _stamp(path)
        if stamp is None:
            return None
        entry = self._entries.get(routine_id)
        if entry is not None and entry.stamp == stamp and entry.path == path:
            return entry.routine
        with self._lock:
            if self._bad.get(path) == stamp:
                return None
            try:
                routine = load_routine(path)
            except (RoutineError, OSError) as exc:
                self._bad[path] = stamp
                log.error("routine %s does not load; the skill will not offer it:\n%s", path, exc)
                return None
            self._entries[routine_id] = RoutineEntry(routine_id, path, routine, stamp)
            return routine

    def default_id(self) -> str | None:
        ids = self.ids()
        return ids[0] if ids else None

    def find(self, spoken: str | None) -> str | None:
        """The routine id for what the user said: an id, a title, or nothing close."""
        if not spoken:
            return None
        wanted = normalize(spoken)
        for rid in self.ids():
            routine = self.get(rid)
            names = {normalize(rid.replace("-", " ")), normalize(routine.title)}
            names |= {normalize(n) for n in routine_synonyms(routine)}
            if wanted in names or wanted + " routine" in names or wanted.removesuffix(" routine") in names:
                return rid
        return None

    # -- expanded --------------------------------------------------------------------------------

    def course(self, routine_id: str, level: str | None = None, pace: float | None = None) -> Course | None:
        """The routine at a level and pace (None: the routine's defaults); None if the routine is gone.
        An unknown level falls back to the default level (a routine edit may have removed it)."""
        routine = self.get(routine_id)
        if routine is None:
            return None
        if level not in routine.levels:
            level = routine.level_default
        pace = routine.defaults.pace if pace is None else min(MAX_PACE, max(MIN_PACE, pace))
        entry = self._entries[routine_id]
        key = (routine_id, entry.stamp, level, round(pace, 3))
        with self._lock:
            course = self._courses.get(key)
            if course is not None:
                self._courses.move_to_end(key)
                return course
        course = Course(expand(routine, level=level, pace=pace))
        with self._lock:
            self._courses[key] = course
            while len(self._courses) > self._max_courses:
                self._courses.popitem(last=False)
        return course

    # -- internals ----------------------------------------------------------------------------------

    def _paths(self) -> dict[str, Path]:
        stamp = _stamp(self.directory)
        cached_stamp, paths = self._listing
        if stamp is not None and stamp == cached_stamp:
            return paths
        paths = {p.stem: p for p in routine_files(self.directory)}
        self._listing = (stamp, paths)
        return paths


def find_exercise(graph: Graph, spoken: str | None) -> ExerciseInfo | None:
    """The exercise of this graph the user named: by id, name or synonym; None if no match."""
    if not spoken:
        return None
    wanted = normalize(spoken)
    for info in graph.exercises:
        names = {normalize(info.id.replace("-", " ")), normalize(info.name)} | {normalize(s) for s in info.synonyms}
        if wanted in names or wanted.removesuffix(" exercise") in names:
            return info
    return None


def routine_synonyms(routine: Routine) -> list[str]:
    # Routine files have no synonyms field of their own; a routine is also known by a short
    # form of its title without a leading count ("three exercises for back pain" -> "back pain").
    title = normalize(routine.title)
    short = re.sub(r"^(?:\w+ )?exercises? for ", "", title)
    return [short] if short != title else []


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size
