"""A server or console started where there is no routines folder says so, and where it looked, and
serves the routines installed with the project instead of an empty skill."""
from __future__ import annotations

from click.testing import CliRunner

from back_routine.cli import main
from routine_graph.catalog import INSTALLED_ROUTINES, ROUTINES_ENV, routines_or_installed


def test_no_routines_folder_falls_back_to_the_installed_routines_and_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ROUTINES_ENV, raising=False)
    folder, warning = routines_or_installed(None)
    assert folder == INSTALLED_ROUTINES and (folder / "back-pain.yaml").is_file()
    assert str(tmp_path / "routines") in warning and "does not exist" in warning and "--routines" in warning


def test_an_empty_routines_folder_is_named_too(tmp_path):
    (tmp_path / "mine").mkdir()
    folder, warning = routines_or_installed(tmp_path / "mine")
    assert folder == INSTALLED_ROUTINES
    assert "(--routines) has no routine files" in warning


def test_a_folder_with_routines_is_used_as_it_is(tmp_path):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "x.yaml").write_text("title: x\n")
    assert routines_or_installed(tmp_path / "r") == (tmp_path / "r", None)


def test_talk_from_an_empty_folder_still_guides_the_seed_routine(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ROUTINES_ENV, raising=False)
    result = CliRunner().invoke(main, ["talk"], input="start\nquit\n")
    assert result.exit_code == 0, result.output
    assert "no routines to serve" in result.output
    assert "Three exercises for back pain" in result.output
