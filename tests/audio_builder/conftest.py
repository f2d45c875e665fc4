from __future__ import annotations

import shutil
from pathlib import Path

import pytest

MINI = Path(__file__).resolve().parents[1] / "data" / "mini.yaml"


@pytest.fixture
def routines(tmp_path) -> Path:
    """A routines folder holding a copy of the mini routine alone."""
    folder = tmp_path / "routines"
    folder.mkdir()
    shutil.copy(MINI, folder / "mini.yaml")
    return folder
