"""Errors a routine file can have, reported with file, line, column and field path."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    line: int | None  # 1-based; None when the problem is about the file as a whole
    column: int | None
    field: str  # dotted path such as "exercises[1].rep[0].hold"; "" for the whole file
    message: str

    def format(self, file: str) -> str:
        where = file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        what = f"{self.field}: " if self.field else ""
        return f"{where}: {what}{self.message}"


@dataclass
class RoutineError(Exception):
    """Raised for a routine file that cannot be used; carries every problem found, not just the first."""

    file: Path | str
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(p.format(str(self.file)) for p in self.problems)


class UnknownLevelError(ValueError):
    def __init__(self, level: str, known: list[str]):
        self.level, self.known = level, known
        super().__init__(f"unknown level {level!r}; this routine has: {', '.join(known)}")


class UnknownRoutineError(LookupError):
    pass


class RoutineTooLargeError(ValueError):
    """A routine made in code (not loaded from a file, where this is a located problem) too big to expand."""


def format_path(loc: tuple) -> str:
    """('exercises', 1, 'rep', 0, 'hold') -> 'exercises[1].rep[0].hold'"""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
