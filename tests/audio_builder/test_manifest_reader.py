"""The one manifest reader (audio_builder/manifest_reader.py) and the one Voice identity (audio_builder/voice.py)."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from audio_builder import manifest_reader as manifest_module
from audio_builder.build import Builder, BuildSettings
from audio_builder.cue_cache import CueCache, CueSynthesizer, cue_key, voice_cue_key
from audio_builder.engines import get_engine
from audio_builder.manifest import MANIFEST_NAME, Chapter, Cue, Level, Manifest, ManifestError, Silence, Track
from audio_builder.manifest_reader import load_manifest, parse_manifest
from audio_builder.mp3 import Mp3Format
from audio_builder.voice import Voice

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """mini, built once with espeak at rate 0.9 and the default voice: (folder, builder, cache folder)."""
    root = tmp_path_factory.mktemp("manifest-reader")
    routine = root / "routines" / "mini.yaml"
    routine.parent.mkdir()
    shutil.copy(DATA / "mini.yaml", routine)
    builder = Builder(root / "output", root / "cache", BuildSettings(engine="espeak", rate=0.9))
    builder.build(routine)
    return root / "output" / "mini", builder, root / "cache"


@pytest.fixture
def folder(build, tmp_path) -> Path:
    """A copy of the built folder, to change."""
    return Path(shutil.copytree(build[0], tmp_path / "mini"))


def document(folder: Path) -> dict:
    return json.loads((folder / MANIFEST_NAME).read_text())


def replace_document(folder: Path, doc: dict | str) -> None:
    """As the builder does: a new file renamed into place."""
    tmp = folder / ".manifest.json.tmp"
    tmp.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    os.replace(tmp, folder / MANIFEST_NAME)


# -- typed fields -------------------------------------------------------------------------------------


def test_a_built_manifest_reads_into_typed_fields(build):
    folder, _, _ = build
    manifest = load_manifest(folder)
    doc = document(folder)
    assert isinstance(manifest, Manifest) and manifest.routine == doc["routine"] == "mini"
    assert manifest.all_levels == tuple(doc["all_levels"]) and list(manifest.levels) == list(doc["levels"])
    assert manifest.built_time is not None and manifest.engine == "espeak" and manifest.settings["voice"] == "en-us"
    level = manifest.level(None)
    assert isinstance(level, Level) and level.name == manifest.default_level
    full = level.full
    assert isinstance(full, Track) and full.kind == "full" and full.name == "full-session.mp3"
    assert full.duration_ms == doc["levels"][level.name]["tracks"][0]["duration_ms"] > 0
    assert (folder / full.file).stat().st_size == full.bytes
    assert all(isinstance(c, Chapter) for c in full.chapters)
    assert [c.index for c in full.chapters] == list(range(len(full.chapters)))
    assert [c.block for c in full.chapters] == list(range(len(full.chapters)))
    assert full.cues and all(isinstance(c, Cue) and isinstance(c.start_ms, int) for c in full.cues)
    assert full.silences and all(isinstance(s, Silence) for s in full.silences)
    assert full.chapter_at(full.chapters[1].start_ms) == full.chapters[1]
    assert set(manifest.listed()) == {name for lv in manifest.levels.values() for name in lv.files().values()}


def test_the_writer_and_the_reader_agree_to_the_byte(build):
    folder, _, _ = build
    raw = (folder / MANIFEST_NAME).read_bytes()
    assert parse_manifest(raw).to_json() == raw


# -- one cache, invalidated when the file changes ----------------------------------------------------------


def test_an_unchanged_manifest_is_parsed_once_and_a_rebuilt_one_again(folder, monkeypatch):
    parsed = []
    real = manifest_module.parse_manifest
    monkeypatch.setattr(manifest_module, "parse_manifest", lambda raw, source: parsed.append(source) or real(raw, source))
    first = load_manifest(folder)
    assert load_manifest(folder) is first and load_manifest(str(folder)) is first
    assert len(parsed) == 1
    doc = document(folder)
    doc["title"] = "Mini, rebuilt"
    replace_document(folder, doc)
    assert load_manifest(folder).title == "Mini, rebuilt" and len(parsed) == 2
    (folder / MANIFEST_NAME).unlink()
    assert load_manifest(folder) is None


def test_an_edit_in_place_is_seen_too(folder):
    assert load_manifest(folder).title != "x"
    doc = document(folder)
    doc["title"] = "x"
    (folder / MANIFEST_NAME).write_text(json.dumps(doc))  # same inode, other size
    assert load_manifest(folder).title == "x"


def test_a_manifest_that_is_a_symlink_is_none(folder, tmp_path):
    elsewhere = tmp_path / "elsewhere.json"
    shutil.move(folder / MANIFEST_NAME, elsewhere)
    (folder / MANIFEST_NAME).symlink_to(elsewhere)
    assert load_manifest(folder) is None
    assert load_manifest(tmp_path / "nothing-built-here") is None


# -- a malformed manifest is a clear error -----------------------------------------------------------------


def _full(doc: dict) -> dict:
    return next(t for t in doc["levels"]["short"]["tracks"] if t["kind"] == "full")


@pytest.mark.parametrize("change, words", [
    (lambda d: _full(d).pop("file"), "levels.short.tracks[0]: no 'file'"),
    (lambda d: _full(d).update(duration_ms="long"), "levels.short.tracks[0].duration_ms: expected a whole number, "
                                                    "found the string 'long'"),
    (lambda d: _full(d).update(bytes=-1), "levels.short.tracks[0].bytes: expected a whole number of at least 0"),
    (lambda d: _full(d)["chapters"][1].pop("start_ms"), "levels.short.tracks[0].chapters[1]: no 'start_ms'"),
    (lambda d: _full(d)["cues"][2].update(text=None), "levels.short.tracks[0].cues[2].text: expected a string, "
                                                      "found null"),
    (lambda d: _full(d)["silences"][0].update(nominal_ms=True), "silences[0].nominal_ms: expected a whole number, "
                                                                "found true"),
    (lambda d: _full(d)["cues"].append("Rep one."), "levels.short.tracks[0].cues[" ),
    (lambda d: _full(d).update(file="../../etc/passwd"), "'../../etc/passwd' is not a path inside the routine's folder"),
    (lambda d: d["levels"]["short"].update(tracks={}), "levels.short.tracks: expected a list, found an object"),
    (lambda d: d.update(levels=[]), "levels: expected an object, found a list"),
    (lambda d: d.pop("levels"), "the top level: no 'levels'"),
    (lambda d: d.update(format=2), "format 2 is not 1"),
])
def test_a_malformed_manifest_says_what_and_where(folder, change, words):
    doc = document(folder)
    change(doc)
    replace_document(folder, doc)
    with pytest.raises(ManifestError) as error:
        load_manifest(folder)
    message = str(error.value)
    assert words in message and str(folder / MANIFEST_NAME) in message and "build again" in message


@pytest.mark.parametrize("raw, words", [("{not json", "is not JSON"), ("[]", "expected an object, found a list"),
                                        (b"\xff\xfe\x00", "is not JSON"), ("[" * 100_000, "is not JSON")])
def test_what_is_not_a_manifest_at_all_says_so(raw, words):
    with pytest.raises(ManifestError, match=words):
        parse_manifest(raw, "https://example.org/mini/manifest.json")


def test_a_server_hears_of_a_malformed_manifest_once_per_version(folder):
    doc = document(folder)
    _full(doc).pop("recipe")
    replace_document(folder, doc)
    heard = []
    assert load_manifest(folder, on_error=heard.append) is None
    assert load_manifest(folder, on_error=heard.append) is None
    assert len(heard) == 1 and "no 'recipe'" in heard[0]
    with pytest.raises(ManifestError, match="no 'recipe'"):
        load_manifest(folder)  # without on_error: the error, also from the cache


def test_the_skill_and_the_web_player_read_the_same_manifest(build):
    from skill.audio_tracks import AudioCatalog, LocalManifests
    from web_player.library import Library

    folder, _, _ = build
    manifest = load_manifest(folder)
    track = AudioCatalog("https://audio.example.org", LocalManifests(folder.parent)).track("mini", "short")
    routine = Library(folder.parent).routine("mini")
    assert routine.manifest is manifest and track.built is manifest.levels["short"].full
    assert track.chapters == routine.levels["short"].full.chapters


# -- one Voice: the manifest and the cue cache keys ---------------------------------------------------------


def test_the_voice_in_the_manifest_is_the_voice_of_the_cache_keys(build):
    folder, builder, cache = build
    manifest = load_manifest(folder)
    engine = get_engine("espeak")
    voice = Voice.from_settings(manifest.settings)
    assert voice == builder.voice() == Voice("espeak", engine.version, "en-us", 0.9)
    fmt = Mp3Format(manifest.settings["sample_rate"], manifest.settings["bitrate_kbps"])
    synth = CueSynthesizer(engine, CueCache(cache), fmt, voice=voice)
    # The same identity whichever way the synthesizer is made: from the voice asked for, it resolves the same.
    asked = CueSynthesizer(engine, CueCache(cache), fmt, voice=None, rate=0.9)
    spoken = {c.text for lv in manifest.levels.values() for t in lv.tracks for c in t.cues if c.kind != "tone"}
    assert spoken
    for text in spoken:
        assert synth.key(text) == asked.key(text)
        assert synth.cache.get(synth.key(text)) is not None, f"{text!r} is not cached under the manifest's voice"


def test_keys_are_made_from_the_voice_as_they_always_were():
    voice = Voice("piper", "piper-tts 1.8.0", "en_US-joe-medium", 1.0)
    assert voice_cue_key(voice, "Hold.", Mp3Format(), "1") == cue_key(
        "piper", "piper-tts 1.8.0", "en_US-joe-medium", 1.0, "Hold.", Mp3Format(), "1")
    assert Voice.from_settings(voice.as_settings()) == voice


def test_a_voice_the_engine_does_not_have_is_bad_input(tmp_path):
    from audio_builder.errors import BuildInputError

    with pytest.raises(BuildInputError, match="Unknown voice 'nobody'"):
        Builder(tmp_path / "o", tmp_path / "c", BuildSettings(engine="espeak", voice="nobody")).check_settings()
