from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "routines" / "back-pain.yaml"


@pytest.fixture
def seed_path() -> Path:
    return SEED


@pytest.fixture
def write_routine(tmp_path):
    """Write YAML text to a routine file and return its path."""

    def write(text: str, name: str = "test-routine.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
