"""`build` exits as every command does: 0 done, 1 failed while building, 2 bad input or usage; a
build refused up front leaves nothing behind; options are checked before any routine is touched."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import audio_builder.build as build_module
from audio_builder.build import Builder, BuildError, BuildInputError, BuildReport, BuildSettings
from back_routine.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"



def run(*args: str):
    return CliRunner(mix_stderr=False).invoke(main, list(args))


def build_args(routines: Path, out: Path, *more: str) -> list[str]:
    return ["build", "--engine", "espeak", "--routines", str(routines), "--out", str(out),
            "--cache-dir", str(out.parent / "cache"), *more]


def assert_exit(result, code: int) -> None:
    assert result.exit_code == code, (result.output, result.stderr, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_invalid_routine_is_exit_2_like_validate_and_leaves_nothing(routines, tmp_path):
    routine = routines / "mini.yaml"
    routine.write_text(routine.read_text().replace("sets: 2", "sets: -2"))
    out = tmp_path / "out"
    validated = run("validate", str(routine))
    built = run(*build_args(routines, out, "mini"))
    assert_exit(validated, 2)
    assert_exit(built, 2)
    problem = validated.stderr.splitlines()[0]
    assert problem.startswith(f"{routine}:18:11: exercises[0].sets:") and problem in built.stderr
    assert not out.exists()  # not even an empty <out>/mini/ with a .build.lock in it


def test_unknown_level_is_exit_2_in_build_and_preview_and_leaves_nothing(routines, tmp_path):
    out = tmp_path / "out"
    built = run(*build_args(routines, out, "mini", "--level", "extreme"))
    previewed = run("preview", "mini", "--routines", str(routines), "--level", "extreme")
    for result in (built, previewed):
        assert_exit(result, 2)
        assert "unknown level 'extreme'; this routine has: short, long" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("option, words", [
    (["--engine", "nope"], "'nope' is not one of 'piper', 'gtts', 'espeak'"),
    (["--rate", "0"], "0.5<=x<=2.0"),
    (["--rate", "2.5"], "0.5<=x<=2.0"),
    (["--bitrate", "65"], "65 kbps is not a Layer III bitrate"),
    (["--voice", "nobody"], "Unknown voice 'nobody'"),
    (["--lang", "en"], "Bad options for engine 'espeak'"),
])
def test_bad_options_are_exit_2_before_anything_is_written(routines, tmp_path, option, words):
    out = tmp_path / "out"
    result = run(*build_args(routines, out, "mini"), *option)
    assert_exit(result, 2)
    assert words in result.stderr
    assert not out.exists() and not (tmp_path / "cache").exists()


def test_a_failure_while_building_is_exit_1(routines, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mini").write_text("a file where the routine's output folder should be")
    result = run(*build_args(routines, out, "mini"))
    assert_exit(result, 1)
    assert "cannot create output folder" in result.stderr


def test_unknown_routine_is_exit_2(routines, tmp_path):
    result = run(*build_args(routines, tmp_path / "out", "minny"))
    assert_exit(result, 2)
    assert "did you mean mini?" in result.stderr


# -- the builder itself -----------------------------------------------------------------------------

def test_builder_refuses_up_front_with_input_errors(routines, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(BuildInputError, match="unknown engine 'nope'"):
        Builder(out, tmp_path / "cache", BuildSettings(engine="nope")).build(routines / "mini.yaml")
    with pytest.raises(BuildInputError, match="speaking rate 0 is out of range"):
        Builder(out, tmp_path / "cache", BuildSettings(engine="espeak", rate=0)).build(routines / "mini.yaml")
    with pytest.raises(BuildInputError, match="unknown level 'extreme'"):
        Builder(out, tmp_path / "cache", BuildSettings(engine="espeak")).build(routines / "mini.yaml", ["extreme"])
    (routines / "mini.yaml").write_text("title: [\n")
    with pytest.raises(BuildInputError, match="YAML syntax error"):
        Builder(out, tmp_path / "cache", BuildSettings(engine="espeak")).build(routines / "mini.yaml")
    assert not out.exists()


def test_a_broken_edit_after_a_build_keeps_the_build_and_adds_nothing(routines, tmp_path, monkeypatch):
    out = tmp_path / "out"
    target = out / "mini"
    target.mkdir(parents=True)
    (target / "manifest.json").write_text('{"format": 1, "levels": {}}')  # a previous build (its details don't matter)
    before = sorted(p.name for p in target.iterdir())
    routine = routines / "mini.yaml"
    routine.write_text(routine.read_text().replace("sets: 2", "sets: lots"))
    with pytest.raises(BuildInputError, match="a whole number"):
        Builder(out, tmp_path / "cache", BuildSettings(engine="espeak")).build(routine)
    assert sorted(p.name for p in target.iterdir() if p.name != ".build.lock") == before


# -- what the command prints, and which code wins -------------------------------------------------------

@pytest.fixture
def scripted(monkeypatch):
    """Builder.build replaced by a script: routine stem -> a report, or an exception to raise."""
    script: dict = {}

    def build(self, routine_file, levels=None):
        outcome = script[Path(routine_file).stem]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(build_module.Builder, "build", build)
    monkeypatch.setattr(build_module.Builder, "check_settings", lambda self: {})
    return script


def test_a_runtime_failure_outranks_bad_input(routines, tmp_path, scripted):
    for name in ("a", "b", "c"):
        shutil.copy(routines / "mini.yaml", routines / f"{name}.yaml")
    scripted.update(a=BuildReport("a", tracks_built=1, cues_synthesized=1), b=BuildInputError("b.yaml:1:1: bad"),
                    c=BuildError("disk full"), mini=BuildReport("mini", up_to_date=True, levels=["short"]))
    result = run(*build_args(routines, tmp_path / "out"))
    assert_exit(result, 1)
    assert "2 routines failed" in result.output
    scripted["c"] = BuildReport("c", up_to_date=True, levels=["short"])
    result = run(*build_args(routines, tmp_path / "out"))
    assert_exit(result, 2)
    assert "1 routine failed" in result.output


def test_counts_are_pluralised(routines, tmp_path, scripted):
    scripted["mini"] = BuildReport("mini", tracks_built=1, cues_synthesized=1, cues_cached=3)
    result = run(*build_args(routines, tmp_path / "out", "mini"))
    assert_exit(result, 0)
    assert "mini: built 1 track, 0 unchanged; 1 cue synthesized, 3 from cache" in result.output
    scripted["mini"] = BuildReport("mini", tracks_built=2, cues_synthesized=0)
    assert "built 2 tracks, 0 unchanged; 0 cues synthesized" in run(*build_args(routines, tmp_path / "out", "mini")).output


def test_quiet_prints_only_errors_and_the_summary(routines, tmp_path, scripted, monkeypatch):
    scripted["mini"] = BuildReport("mini", tracks_built=2, removed=[str(tmp_path / "out" / "mini" / "long")])
    monkeypatch.setattr(build_module.Builder, "remove_orphans", lambda self, ids: [str(tmp_path / "out" / "gone")])
    loud = run(*build_args(routines, tmp_path / "out"))
    quiet = run(*build_args(routines, tmp_path / "out", "--quiet"))
    assert "removed" in loud.output and "its routine no longer exists" in loud.output
    assert quiet.output.splitlines() == ["mini: built 2 tracks, 0 unchanged; 0 cues synthesized, 0 from cache; "
                                         "0.0 min of audio written in 0.0 s"]
