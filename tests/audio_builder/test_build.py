"""The audio builder end to end: the MP3s themselves are decoded (miniaudio, not the encoder) and
checked against the timeline the manifest records."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from audio_builder.build import Builder, BuildError, BuildSettings
from audio_builder.mp3 import decode_mp3, iter_frames

DATA = Path(__file__).resolve().parents[1] / "data"
RATE = 24000
TOLERANCE_S = 0.05


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cue-cache")


@pytest.fixture
def routine(tmp_path) -> Path:
    folder = tmp_path / "routines"
    folder.mkdir()
    path = folder / "mini.yaml"
    shutil.copy(DATA / "mini.yaml", path)
    return path


def build(routine: Path, out: Path, cache_dir: Path, **kwargs):
    return Builder(out, cache_dir, BuildSettings(engine="espeak"), **kwargs).build(routine)


@pytest.fixture
def built(routine, tmp_path, cache_dir):
    out = tmp_path / "output"
    report = build(routine, out, cache_dir)
    manifest = json.loads((out / "mini" / "manifest.json").read_text())
    return out / "mini", manifest, report


def frame_rms(x: np.ndarray, window: int = 240) -> np.ndarray:
    n = len(x) // window
    return np.sqrt((x[: n * window].astype(np.float64) ** 2).reshape(n, window).mean(axis=1)) / 32768


def quiet_runs(x: np.ndarray, min_seconds: float, window: int = 240) -> list[tuple[float, float]]:
    """Runs of near-silence (10 ms windows below -50 dBFS RMS) at least min_seconds long, found in
    the decoded audio without looking at the manifest."""
    quiet = frame_rms(x, window) < 10 ** (-50 / 20)
    runs, start = [], None
    for i, q in enumerate(np.append(quiet, False)):
        if q and start is None:
            start = i
        elif not q and start is not None:
            if (i - start) * window / RATE >= min_seconds:
                runs.append((start * window / RATE, i * window / RATE))
            start = None
    return runs


def test_outputs_for_every_level(built):
    folder, manifest, report = built
    assert report.tracks_built == 2 * 5 and report.tracks_skipped == 0
    assert manifest["all_levels"] == ["short", "long"]
    for level in ("short", "long"):
        names = sorted(p.name for p in (folder / level).iterdir())
        assert names == ["01-introduction.mp3", "01-introduction.vtt", "02-lift.mp3", "02-lift.vtt",
                         "03-side-hold.mp3", "03-side-hold.vtt", "04-finish.mp3", "04-finish.vtt",
                         "full-session.mp3", "full-session.vtt", "playlist.m3u8"]
    playlist = (folder / "short" / "playlist.m3u8").read_text().splitlines()
    assert playlist[0] == "#EXTM3U" and playlist[1].startswith("#EXTINF:") and playlist[1].endswith(",Introduction")
    assert playlist[2::2] == ["01-introduction.mp3", "02-lift.mp3", "03-side-hold.mp3", "04-finish.mp3"]


def test_mp3_is_clean_cbr_with_duration_of_timeline(built):
    folder, manifest, _ = built
    for track in manifest["levels"]["long"]["tracks"]:
        data = (folder / track["file"]).read_bytes()
        frames = list(iter_frames(data))
        assert len(frames) == track["frames"]
        assert {f.size for f in frames} == {192}  # 64 kbps at 24 kHz, CBR
        assert b"Xing" not in data and b"Info" not in data[:2000]
        samples, rate = decode_mp3(folder / track["file"])
        assert rate == RATE and samples.ndim == 1
        assert abs(len(samples) / rate - track["duration_ms"] / 1000) <= TOLERANCE_S
        assert len(samples) == track["frames"] * 576


def test_holds_and_rests_are_silence_of_the_right_length_in_the_right_place(built):
    folder, manifest, _ = built
    track = next(t for t in manifest["levels"]["long"]["tracks"] if t["kind"] == "full")
    x, _ = decode_mp3(folder / track["file"])
    speech_rms = np.percentile(frame_rms(x), 95)
    counts = [(c["start_ms"] / 1000, c["end_ms"] / 1000) for c in track["cues"] if c["kind"] in ("count", "tone")]
    found = quiet_runs(x, 0.9)
    checked = 0
    for s in track["silences"]:
        start, end, nominal = s["start_ms"] / 1000, s["end_ms"] / 1000, s["nominal_ms"] / 1000
        inside = [c for c in counts if start <= c[0] < end]
        # Whatever the frames, the listener gets the time the routine asked for.
        assert abs((end - start) - nominal) <= TOLERANCE_S or s["kind"] in ("move",), s
        pieces = [start] + [p for c in inside for p in c] + [end]
        for a, b in zip(pieces[::2], pieces[1::2]):
            seg = x[int(a * RATE) + 240:int(b * RATE) - 240]
            if len(seg) > 2400:
                assert frame_rms(seg).max() < speech_rms / 30, (s, a, b)
        if not inside and nominal >= 0.9:
            # The silence found in the decoded audio is where the timeline says, to 50 ms.
            match = [r for r in found if abs(r[0] - start) <= TOLERANCE_S + 0.03 and abs(r[1] - end) <= TOLERANCE_S + 0.03]
            assert match, (s, [r for r in found if abs(r[0] - start) < 1])
            checked += 1
    assert checked >= 10
    # The hold has the two counts' worth of words in it, on the second marks.
    side_holds = [s for s in track["silences"] if s["kind"] == "hold" and s["nominal_ms"] == 4000]
    assert len(side_holds) == 2
    for hold in side_holds:
        words = [c for c in track["cues"] if c["kind"] == "count" and hold["start_ms"] <= c["start_ms"] < hold["end_ms"]]
        assert [w["text"] for w in words] == ["three", "two", "one"]
        for k, word in enumerate(words, start=1):
            assert abs(word["start_ms"] - hold["start_ms"] - 1000 * k) <= 30
            assert word["end_ms"] < hold["start_ms"] + 1000 * (k + 1)
        # A soft tone as the hold starts and one that ends just before it does: inside the hold.
        tones = [c for c in track["cues"] if c["kind"] == "tone" and hold["start_ms"] <= c["start_ms"] < hold["end_ms"]]
        assert len(tones) == 2
        # Pieces join at frame boundaries, so the start tone follows the cue's last frame and the
        # next piece's encoder delay: within about a tenth of a second of the hold's start.
        assert 0 <= tones[0]["start_ms"] - hold["start_ms"] <= 120
        assert hold["end_ms"] - 200 <= tones[1]["end_ms"] <= hold["end_ms"]
        for tone in tones:
            seg = x[int(tone["start_ms"] * RATE / 1000):int(tone["end_ms"] * RATE / 1000)]
            level = frame_rms(seg).max()
            assert speech_rms / 30 < level < speech_rms, "audible, and softer than the voice"


def test_voice_is_where_the_cues_say(built):
    folder, manifest, _ = built
    track = next(t for t in manifest["levels"]["short"]["tracks"] if t["kind"] == "full")
    x, _ = decode_mp3(folder / track["file"])
    for cue in track["cues"]:
        seg = x[int(cue["start_ms"] * RATE / 1000):int(cue["end_ms"] * RATE / 1000)]
        assert frame_rms(seg).max() > 10 ** (-30 / 20), cue


def test_chapters_read_back(built):
    from mutagen.id3 import ID3

    folder, manifest, _ = built
    track = next(t for t in manifest["levels"]["long"]["tracks"] if t["kind"] == "full")
    tags = ID3(folder / track["file"])
    assert tags.version[:2] == (2, 3)
    assert str(tags["TIT2"]) == "Mini routine: full session"
    assert str(tags["TALB"]) == "Mini routine (long), full session"
    assert "Level long" in str(tags.getall("COMM")[0])
    toc = tags.getall("CTOC")[0]
    chaps = {c.element_id: c for c in tags.getall("CHAP")}
    titles = [str(chaps[i].sub_frames["TIT2"]) for i in toc.child_element_ids]
    assert titles == ["Introduction", "Lift", "Lift, set 1 of 2", "Lift, set 2 of 2", "Side hold",
                      "Side hold, set 1 of 1", "Finish"]
    assert [c["title"] for c in track["chapters"]] == titles
    for i, cid in enumerate(toc.child_element_ids):
        assert chaps[cid].start_time == track["chapters"][i]["start_ms"]
        assert chaps[cid].end_time == track["chapters"][i]["end_ms"]
    assert track["chapters"][0]["start_ms"] == 0
    assert track["chapters"][-1]["end_ms"] == track["duration_ms"]
    parts = [t for t in manifest["levels"]["long"]["tracks"] if t["kind"] != "full"]
    assert [str(ID3(folder / t["file"])["TRCK"]) for t in parts] == ["1/4", "2/4", "3/4", "4/4"]


def test_captions_match_the_timeline(built):
    folder, manifest, _ = built
    track = next(t for t in manifest["levels"]["long"]["tracks"] if t["kind"] == "full")
    lines = (folder / track["captions"]).read_text().splitlines()
    assert lines[0] == "WEBVTT"
    times = [line for line in lines if "-->" in line]
    spoken = [c for c in track["cues"] if c["kind"] != "tone"]
    assert len(times) == len(spoken) < len(track["cues"])

    def ms(stamp: str) -> int:
        h, m, s = stamp.split(":")
        return round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000)

    for stamp, cue in zip(times, spoken):
        a, b = stamp.split(" --> ")
        assert (ms(a), ms(b)) == (cue["start_ms"], cue["end_ms"])
    texts = [lines[i + 1] for i, line in enumerate(lines) if "-->" in line]
    assert texts[:2] == ["Welcome.", "Stop if it hurts."]
    assert "Hold your left leg up." in texts and "Now switch to your right side." in texts


def test_loudness_and_true_peak(built):
    from audio_builder.loudness import integrated_lufs, true_peak_dbtp

    folder, manifest, _ = built
    track = next(t for t in manifest["levels"]["long"]["tracks"] if t["kind"] == "full")
    x, rate = decode_mp3(folder / track["file"])
    assert abs(integrated_lufs(x, rate) - (-19.0)) <= 1.0
    assert true_peak_dbtp(x, rate) <= -1.0


def test_unchanged_routine_rebuilds_nothing(built, routine, cache_dir):
    folder, manifest, _ = built
    stamps = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}
    report = build(routine, folder.parent, cache_dir)
    assert report.up_to_date and report.tracks_built == 0
    assert stamps == {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def test_editing_one_cue_remakes_only_that_cue_and_its_tracks(built, routine, cache_dir):
    folder, before, _ = built
    routine.write_text(routine.read_text().replace("- say: Down.", "- say: And down, slowly."))
    report = build(routine, folder.parent, cache_dir)
    assert report.cues_synthesized == 1
    # Per level: the full session and the part holding exercise 1 change, the other parts do not.
    assert (report.tracks_built, report.tracks_skipped) == (4, 6)
    after = json.loads((folder / "manifest.json").read_text())
    for level in ("short", "long"):
        changed = {t["file"] for t, u in zip(before["levels"][level]["tracks"], after["levels"][level]["tracks"])
                   if t["recipe"] != u["recipe"]}
        assert changed == {f"{level}/full-session.mp3", f"{level}/02-lift.mp3"}
    assert any(c["text"] == "And down, slowly." for t in after["levels"]["long"]["tracks"] for c in t["cues"])


def test_a_level_kept_by_a_level_build_of_an_edited_file_is_built_by_the_next_full_build(built, routine, cache_dir):
    folder, _, _ = built
    routine.write_text(routine.read_text().replace("- say: Down.", "- say: And down, slowly."))
    Builder(folder.parent, cache_dir, BuildSettings(engine="espeak")).build(routine, ["short"])
    kept = json.loads((folder / "manifest.json").read_text())["levels"]["long"]
    assert not any(c["text"] == "And down, slowly." for t in kept["tracks"] for c in t["cues"])
    report = build(routine, folder.parent, cache_dir)  # every level: the long one is from the old file
    assert not report.up_to_date and report.tracks_built > 0
    after = json.loads((folder / "manifest.json").read_text())
    assert any(c["text"] == "And down, slowly." for t in after["levels"]["long"]["tracks"] for c in t["cues"])
    assert build(routine, folder.parent, cache_dir).up_to_date


def test_removed_level_and_routine_outputs_are_removed(built, routine, cache_dir, tmp_path):
    folder, _, _ = built
    routine.write_text(routine.read_text().replace("  long: high\n", ""))
    report = build(routine, folder.parent, cache_dir)
    assert not (folder / "long").exists() and (folder / "short" / "full-session.mp3").is_file()
    assert str(folder / "long") in report.removed
    # Removing the routine file removes its outputs on the next build of all routines.
    other = routine.parent / "other.yaml"
    shutil.copy(routine, other)
    routine.unlink()
    # Not --quiet: quiet prints only errors and the summary, and this checks the removal is reported.
    result = subprocess.run([sys.executable, "-m", "back_routine", "build", "--engine", "espeak",
                             "--routines", str(routine.parent), "--out", str(folder.parent), "--cache-dir", str(cache_dir)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert not folder.exists() and (folder.parent / "other" / "manifest.json").is_file()
    assert "its routine no longer exists" in result.stdout


def test_interrupted_build_leaves_previous_tracks_intact(built, routine, cache_dir, monkeypatch):
    import audio_builder.writer as writer

    folder, manifest, _ = built
    before = {p: p.read_bytes() for p in folder.rglob("*.mp3")}
    routine.write_text(routine.read_text().replace("Welcome.", "Welcome back."))
    real = writer.track_chunks

    def dies_half_way(*args, **kwargs):
        for i, chunk in enumerate(real(*args, **kwargs)):
            if i == 20:
                raise KeyboardInterrupt  # as if the build were killed mid-file
            yield chunk

    monkeypatch.setattr(writer, "track_chunks", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        build(routine, folder.parent, cache_dir)
    assert before == {p: p.read_bytes() for p in folder.rglob("*.mp3")}
    assert not list(folder.rglob("*.tmp"))
    monkeypatch.setattr(writer, "track_chunks", real)
    report = build(routine, folder.parent, cache_dir)
    assert report.tracks_built > 0 and not report.up_to_date
    assert build(routine, folder.parent, cache_dir).up_to_date


def test_second_build_of_same_output_refuses_or_waits(built, routine, cache_dir):
    import fcntl

    folder, _, _ = built
    with open(folder / ".build.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        with pytest.raises(BuildError, match="another build of .* is running"):
            build(routine, folder.parent, cache_dir, wait_for_lock=False)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_output_dir(routine, tmp_path, cache_dir):
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o500)
    with pytest.raises(BuildError, match="cannot"):
        build(routine, out, cache_dir)


def test_output_path_that_is_a_file(routine, tmp_path, cache_dir):
    blocker = tmp_path / "output"
    blocker.write_text("not a folder")
    with pytest.raises(BuildError, match="cannot create output folder"):
        build(routine, blocker, cache_dir)


def test_disk_full_is_a_clear_error_and_keeps_old_files(built, routine, cache_dir, monkeypatch):
    import errno

    import audio_builder.writer as writer

    folder, _, _ = built
    before = {p: p.read_bytes() for p in folder.rglob("*.mp3")}
    routine.write_text(routine.read_text().replace("Done.", "All done."))

    def full(path, chunks):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writer, "write_atomic", full)
    with pytest.raises(BuildError, match="disk is full.*previous files are intact"):
        build(routine, folder.parent, cache_dir)
    assert before == {p: p.read_bytes() for p in folder.rglob("*.mp3")}


def test_count_that_does_not_fit_its_slot_names_routine_exercise_and_text(routine, tmp_path):
    from audio_builder.engines.base import Speech

    class Slow:
        name, version, default_voice = "slow", "1", "slow"

        def voices(self):
            return ["slow"]

        def synthesize(self, text, voice=None, rate=1.0):
            t = np.arange(int(22050 * (2.0 if text in ("three", "two", "one") else 0.5))) / 22050
            return Speech((np.sin(2 * np.pi * 220 * t) * 8000).astype(np.int16), 22050)

    with pytest.raises(BuildError, match=r"mini: exercise 1 \(Lift\), set 1: the count 'two' takes 2.00 s and does not fit"):
        Builder(tmp_path / "o", tmp_path / "c", BuildSettings(engine="espeak"), engine=Slow()).build(routine)


def test_broken_routine_is_a_build_error_naming_file_and_line(routine, tmp_path, cache_dir):
    routine.write_text(routine.read_text().replace("sets: 2", "sets: -2"))
    with pytest.raises(BuildError, match=r"mini.yaml:18:11: exercises\[0\].sets"):
        build(routine, tmp_path / "o", cache_dir)


def test_cli_build_summary_and_up_to_date(routine, tmp_path, cache_dir):
    cmd = [sys.executable, "-m", "back_routine", "build", "mini", "--engine", "espeak", "--routines", str(routine.parent),
           "--out", str(tmp_path / "o"), "--cache-dir", str(cache_dir)]
    first = subprocess.run(cmd, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert "mini: built 10 tracks" in first.stdout
    second = subprocess.run(cmd + ["--quiet"], capture_output=True, text=True)
    assert second.stdout.strip() == "mini: up to date (short, long)"
    unknown = subprocess.run(cmd[:4] + ["--engine", "nope", "--out", str(tmp_path / "o2")], capture_output=True, text=True)
    assert unknown.returncode != 0 and "piper" in unknown.stderr and "Traceback" not in unknown.stderr


def test_default_engine_piper_end_to_end(routine, tmp_path):
    """The README's main job uses Piper: one real build with it."""
    out = tmp_path / "o"
    report = Builder(out, tmp_path / "cache", BuildSettings()).build(routine, ["short"])
    assert report.cues_synthesized > 5 and report.tracks_built == 5
    manifest = json.loads((out / "mini" / "manifest.json").read_text())
    assert manifest["settings"]["engine"] == "piper" and "piper-tts" in manifest["settings"]["engine_version"]
    track = manifest["levels"]["short"]["tracks"][0]
    x, rate = decode_mp3(out / "mini" / track["file"])
    assert abs(len(x) / rate - track["duration_ms"] / 1000) <= TOLERANCE_S
    welcome = track["cues"][0]
    assert welcome["text"] == "Welcome." and 0.3 < (welcome["end_ms"] - welcome["start_ms"]) / 1000 < 2
