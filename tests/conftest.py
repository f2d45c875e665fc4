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


@pytest.fixture(scope="session")
def mini_build(tmp_path_factory):
    """tests/data/mini.yaml built once per run with espeak at the default settings (both levels), as
    tests/audio_harness.py's `Built` (routines folder, output, cache). Shared by the skill's audio tests,
    the web player's and publish's: read it, never write into it (copy it to tmp_path first, as the
    web player's `output` fixture does)."""
    from tests.audio_harness import build_mini

    return build_mini(tmp_path_factory.mktemp("mini-build"))
