from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def built(mini_build) -> Path:
    """The output folder of the session's one build of the mini routine (tests/conftest.py `mini_build`)."""
    return mini_build.output


@pytest.fixture
def output(built, tmp_path) -> Path:
    """A private copy of the build, for tests that change files."""
    return Path(shutil.copytree(built, tmp_path / "output", symlinks=True))
