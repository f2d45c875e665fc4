"""Find routine files: by id in the routines folder, or by path."""
from __future__ import annotations

import os
from pathlib import Path

from .errors import UnknownRoutineError

ROUTINES_ENV = "BACK_ROUTINE_ROUTINES"


def routines_dir(explicit: str | Path | None = None) -> Path:
    return Path(explicit or os.environ.get(ROUTINES_ENV) or "routines")


def routine_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def resolve(name: str, directory: Path) -> Path:
    """A routine id ('back-pain') or a path ('routines/back-pain.yaml')."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml") or os.sep in name or "/" in name:
        if path.is_file():
            return path
        raise UnknownRoutineError(f"no routine file at {name}")
    for candidate in (directory / f"{name}.yaml", directory / f"{name}.yml"):
        if candidate.is_file():
            return candidate
    known = ", ".join(p.stem for p in routine_files(directory)) or "none"
    raise UnknownRoutineError(f"no routine {name!r} in {directory}/ (available: {known})")
