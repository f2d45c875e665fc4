"""Load, validate and expand routine files into the routine graph that the audio builder and the
skill both follow.

Names are imported on first use: a command that finds its work already done (an up-to-date build)
should not pay for pydantic and YAML.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_EXPORTS = {
    "Problem": "errors", "RoutineError": "errors", "UnknownLevelError": "errors", "UnknownRoutineError": "errors",
    "RoutineTooLargeError": "errors",
    "Mark": "counting", "spoken_marks": "counting",
    "expand": "expansion", "reps_for_level": "expansion",
    "Block": "graph", "ExerciseInfo": "graph", "Graph": "graph", "Position": "graph", "Step": "graph",
    "load_routine": "loader", "Routine": "model",
    "Rules": "progression", "SessionOutcome": "progression", "Suggestion": "progression", "suggest": "progression",
}
__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # pragma: no cover
    from .counting import Mark, spoken_marks  # noqa: F401
    from .errors import Problem, RoutineError, RoutineTooLargeError, UnknownLevelError, UnknownRoutineError  # noqa: F401
    from .expansion import expand, reps_for_level  # noqa: F401
    from .graph import Block, ExerciseInfo, Graph, Position, Step  # noqa: F401
    from .loader import load_routine  # noqa: F401
    from .model import Routine  # noqa: F401
    from .progression import Rules, SessionOutcome, Suggestion, suggest  # noqa: F401


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

