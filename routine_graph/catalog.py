"""Find routine files: by id in the routines folder, or by path."""
from __future__ import annotations

import difflib
import os
from pathlib import Path

from .errors import UnknownRoutineError

ROUTINES_ENV = "BACK_ROUTINE_ROUTINES"
# The routines that come with the project (the seed routine), beside the packages: what a server
# started anywhere else falls back to, so a newcomer's skill is never empty.
INSTALLED_ROUTINES = Path(__file__).resolve().parent.parent / "routines"


def routines_dir(explicit: str | Path | None = None) -> Path:
    return Path(explicit or os.environ.get(ROUTINES_ENV) or "routines")


def routines_or_installed(explicit: str | Path | None = None) -> tuple[Path, str | None]:
    """The routines folder to serve, and a warning when it had to fall back to the installed one."""
    wanted = routines_dir(explicit)
    if routine_files(wanted) or not routine_files(INSTALLED_ROUTINES):
        return wanted, None
    source = "--routines" if explicit else (f"${ROUTINES_ENV}" if os.environ.get(ROUTINES_ENV) else "the default ./routines")
    problem = "does not exist" if not wanted.is_dir() else "has no routine files (*.yaml)"
    return INSTALLED_ROUTINES, (f"no routines to serve: {wanted.resolve()} ({source}) {problem}. Serving the routines "
                                f"installed with Back Routine from {INSTALLED_ROUTINES} instead; pass --routines DIR "
                                f"or set ${ROUTINES_ENV} to serve your own.")


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
        nearby = [p.name for p in routine_files(path.parent)]
        guess = difflib.get_close_matches(path.name, nearby, n=1, cutoff=0.6)
        raise UnknownRoutineError(f"no routine file at {name}" + (f"; did you mean {path.parent / guess[0]}?" if guess else ""))
    for candidate in (directory / f"{name}.yaml", directory / f"{name}.yml"):
        if candidate.is_file():
            return candidate
    stems = [p.stem for p in routine_files(directory)]
    guess = difflib.get_close_matches(name.lower(), stems, n=1, cutoff=0.6)
    hint = f"; did you mean {guess[0]}?" if guess else ""
    raise UnknownRoutineError(f"no routine {name!r} in {directory}/{hint} (available: {', '.join(stems) or 'none'})")
