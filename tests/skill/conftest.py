from __future__ import annotations

import pytest

from tests.audio_harness import make_audio_app
from tests.skill_harness import Clock


@pytest.fixture(scope="session")
def built(mini_build):
    """The session's one build of the mini routine (tests/conftest.py `mini_build`); tests only read it."""
    return mini_build


@pytest.fixture
def served(built, tmp_path):
    """The skill with its audio catalog over the shared build, and a fresh store for each test."""
    app, adapter = make_audio_app(built.routines, built.output, tmp_path / "progress.sqlite3", Clock())
    yield app, adapter
    adapter.close()
