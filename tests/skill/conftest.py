from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from moto import mock_aws

from tests.audio_harness import make_audio_app
from tests.conftest import SEED
from tests.skill_harness import Clock

AWS_REGION = "us-east-1"


@pytest.fixture
def routines(tmp_path) -> Path:
    """A routines folder holding a copy of the seed routine alone."""
    folder = tmp_path / "routines"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    return folder


@pytest.fixture
def aws(monkeypatch):
    """Fake credentials and a region (AWS_REGION), so nothing can reach a real account; moto answers
    every call."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                        "AWS_DEFAULT_REGION": AWS_REGION, "AWS_REGION": AWS_REGION}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


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
