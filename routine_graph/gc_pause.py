"""Pause Python's cycle collector around bursts of allocation that make no reference cycles."""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def gc_paused() -> Iterator[None]:
    """Parsing a routine and expanding it allocate tens of thousands of small containers; the
    collector would scan them again and again while they are being made, for nothing (they hold no
    cycles, and any cycle is still collected after). Re-entrant: only the outermost call resumes."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
