"""Tracks at any level and pace, assembled on request from the cue cache (audio_builder/variants.py,
variant_source.py, variant_cues.py, paces.py), checked against the session's real build of the mini
routine (tests/conftest.py `mini_build`) and against a real build of that routine at another pace."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audio_builder.build import Builder, BuildSettings
from audio_builder.cue_cache import CueCache, CueSynthesizer
from audio_builder.manifest_reader import load_manifest
from audio_builder.mp3 import Mp3Format, decode_mp3, iter_frames, silence_frames
from audio_builder.paces import GRID, GRID_ID, PaceError, nearest_pace, pace_label, parse_pace
from audio_builder.variant_cues import ahead_texts
from audio_builder.variant_source import CuesMissing, RoutineChanged, VariantSource
from audio_builder.variants import variant_file, variant_url
from audio_builder.voice import Voice
from routine_graph import expand, load_routine
from audio_builder.timeline import cue_texts

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "routines" / "back-pain.yaml"
MINI = ROOT / "tests" / "data" / "mini.yaml"
RATE = 24000


@pytest.fixture(scope="module")
def source(mini_build) -> VariantSource:
    return VariantSource(mini_build.routines, mini_build.cache)


@pytest.fixture(scope="module")
def manifest(mini_build):
    return load_manifest(mini_build.output / "mini")


def whole(variant) -> bytes:
    return b"".join(variant.chunks())


# -- the pace grid ----------------------------------------------------------------------------------

def test_the_grid_and_how_a_pace_is_written():
    assert GRID[0] == 0.75 and GRID[-1] == 2.0 and len(GRID) == 26
    assert [pace_label(p) for p in (0.75, 1.0, 1.25, 1.5, 2.0, 1.1500000001)] == ["0.75", "1", "1.25", "1.5", "2", "1.15"]
    assert parse_pace("1.25") == 1.25 and parse_pace(" 1.50 ") == 1.5 and parse_pace("2") == 2.0
    assert parse_pace("1.1", own=1.1) == 1.1  # the routine's own pace, on the grid or not
    assert parse_pace("1.13", own=1.13) == 1.13
    for bad, says in (("abc", "not a number"), ("", "not a number"), ("nan", "not a number"), ("1e0", "not a number"),
                      ("-1", "not a number"), ("0.5", "out of range"), ("2.05", "out of range"),
                      ("1.23", "between two steps"), ("1.2500001", "between two steps"), ("9" * 5000, "too many digits"),
                      ("1.5.", "not a number"), ("١٫٥", "not a number")):
        with pytest.raises(PaceError, match=says) as info:
            parse_pace(bad, own=1.0)
        assert "0.75 to 2 in steps of 0.05" in str(info.value) and len(str(info.value)) < 200
    assert nearest_pace(1.56) == 1.55 and nearest_pace(0.64) == 0.75 and nearest_pace(1.225) == 1.25


def test_where_a_variant_lives():
    assert variant_file("standard", 1.25, "full-session") == "standard/pace-1.25/full-session.mp3"
    assert variant_file("gentle", 2.0, "02-lift", "vtt") == "gentle/pace-2/02-lift.vtt"
    assert variant_url("back-pain", "standard", 1.5, "full-session", "https://x.example/media/") == \
        "https://x.example/media/back-pain/standard/pace-1.5/full-session.mp3"


# -- cues made ahead by the build -------------------------------------------------------------------

@pytest.mark.parametrize("routine_file", [MINI, SEED], ids=["mini", "seed"])
def test_ahead_texts_are_every_count_word_of_every_pace_on_the_grid(routine_file):
    """The fast reading of the routine's holds finds exactly what expanding every level at every pace says."""
    routine = load_routine(routine_file)
    own = set().union(*(cue_texts(expand(routine, level)) for level in routine.levels))
    everything = set().union(*(cue_texts(expand(routine, level, pace)) for level in routine.levels for pace in GRID))
    ahead = ahead_texts(routine)
    assert own | set(ahead) == everything
    assert set(ahead) <= everything and len(ahead) == len(set(ahead))


def test_the_build_makes_the_grids_count_words_ahead_and_records_the_grid(mini_build, manifest):
    routine = load_routine(mini_build.routines / "mini.yaml")
    extra = set(ahead_texts(routine)) - set().union(*(cue_texts(expand(routine, lv)) for lv in routine.levels))
    assert extra == {"four", "five", "six", "seven"}  # the 4 s counted hold, up to twice as long
    assert manifest.settings["variant_paces"] == GRID_ID
    fmt = Mp3Format(manifest.settings["sample_rate"], manifest.settings["bitrate_kbps"])
    keys = CueSynthesizer(engine=None, cache=CueCache(mini_build.cache), fmt=fmt, voice=Voice.from_settings(manifest.settings))
    assert all(keys.key(word) in keys.cache for word in extra)


def test_every_level_at_every_pace_on_the_grid_is_served_from_the_cache(source, manifest):
    for level in manifest.levels:
        for pace in GRID:
            variants = source.variant_set(manifest, level, pace)
            assert variants.part("full-session").size > 0


# -- the same bytes as a build ------------------------------------------------------------------------

def test_at_the_routines_own_pace_a_variant_is_the_prebuilt_track(source, manifest, mini_build):
    for level in manifest.levels.values():
        variants = source.variant_set(manifest, level.name, level.pace)
        assert variants.stems == [t.stem for t in level.tracks]
        for built in level.tracks:
            variant = variants.part(built.stem)
            assert variant.recipe == built.recipe
            assert whole(variant) == (mini_build.output / "mini" / built.file).read_bytes()
            assert variant.vtt == (mini_build.output / "mini" / built.captions).read_text()
            assert variant.track._replace(file=built.file, captions=built.captions) == built


def test_a_variant_is_byte_identical_to_a_build_of_the_routine_at_that_pace(source, manifest, mini_build, tmp_path):
    """The routine written with `pace: 1.5`, built to files by the builder, against the routine as
    written assembled at 1.5 on request: every track, its captions and its recipe are the same."""
    routines = tmp_path / "routines"
    routines.mkdir()
    text = MINI.read_text()
    assert "move_seconds: 1\n" in text
    (routines / "mini.yaml").write_text(text.replace("move_seconds: 1\n", "move_seconds: 1\n  pace: 1.5\n"))
    cache = Path(shutil.copytree(mini_build.cache, tmp_path / "cache"))
    report = Builder(tmp_path / "out", cache, BuildSettings(engine="espeak")).build(routines / "mini.yaml")
    assert report.cues_synthesized == 0  # every word of pace 1.5 was made ahead by the first build
    slow = load_manifest(tmp_path / "out" / "mini")
    for level in slow.levels.values():
        assert level.pace == 1.5
        variants = source.variant_set(manifest, level.name, 1.5)
        for built in level.tracks:
            variant = variants.part(built.stem)
            assert whole(variant) == (tmp_path / "out" / "mini" / built.file).read_bytes(), built.file
            assert variant.vtt == (tmp_path / "out" / "mini" / built.captions).read_text()
            assert variant.recipe == built.recipe
            assert variant.track.chapters == built.chapters and variant.track.cues == built.cues


@pytest.mark.parametrize("pace,part", [(1.5, "full-session"), (0.75, "full-session"), (2.0, "03-side-hold")])
def test_a_variant_decodes_to_exactly_the_timelines_frames(source, manifest, pace, part):
    variants = source.variant_set(manifest, "long", pace)
    variant = variants.part(part)
    data = whole(variant)
    assert len(data) == variant.size == variant.track.bytes
    fmt = Mp3Format(manifest.settings["sample_rate"], manifest.settings["bitrate_kbps"])
    frames = list(iter_frames(data))
    assert len(frames) == variant.timeline.total_frames == variant.track.frames
    # Frame by frame, each clip of the timeline: the cue's own frames, or silent frames.
    at = 0
    for clip in variant.timeline.clips:
        run = frames[at:at + clip.frames]
        got = data[run[0].offset:run[-1].offset + run[-1].size]
        expected = variants.pieces[clip.text].data if clip.text is not None else silence_frames(clip.frames, fmt)
        assert got == expected, (clip, at)
        at += clip.frames
    samples, rate = decode_mp3(data)
    assert rate == RATE and len(samples) == variant.timeline.total_samples
    # The voice is where the timeline's cues say, and the holds between the counts are quiet.
    rms = lambda x: float(np.sqrt(np.mean(x.astype(np.float64) ** 2)) / 32768) if len(x) else 0.0  # noqa: E731
    for cue in variant.timeline.cues:
        assert rms(samples[cue.start:cue.end]) > 10 ** (-40 / 20), cue
    for silence in variant.timeline.silences:
        inside = [c for c in variant.timeline.cues if silence.start <= c.start < silence.end]
        if not inside and silence.end - silence.start > RATE // 2:
            assert rms(samples[silence.start + 480:silence.end - 480]) < 10 ** (-60 / 20), silence


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=10**7), max_size=12), data=st.data())
def test_range_slices_concatenate_to_the_whole(source, manifest, cuts, data):
    pace = data.draw(st.sampled_from([1.25, 1.5, 2.0]))
    variant = source.variant_set(manifest, "short", pace).part("full-session")
    full = whole(variant)
    points = sorted({0, variant.size, *(c % (variant.size + 1) for c in cuts)})
    slices = [b"".join(variant.chunks(a, b)) for a, b in zip(points, points[1:])]
    assert [len(s) for s in slices] == [b - a for a, b in zip(points, points[1:])]
    assert b"".join(slices) == full
    a, b = sorted(data.draw(st.tuples(st.integers(0, variant.size), st.integers(0, variant.size))))
    assert b"".join(variant.chunks(a, b)) == full[a:b]


# -- chapters, captions and the tag follow the pace ---------------------------------------------------

def test_chapters_and_captions_shift_with_the_pace(source, manifest):
    """From pace 1 to 1.5, holds and moves last half as long again, cues keep their length, pauses and
    rests theirs; chapters start later by what the silences before them grew; captions follow."""
    as_written = source.variant_set(manifest, "long", 1.0).part("full-session").track
    slower = source.variant_set(manifest, "long", 1.5).part("full-session").track
    assert slower.duration_ms > as_written.duration_ms
    spoken = lambda track: [(c.text, c.end_ms - c.start_ms) for c in track.cues if c.kind in ("speak", "switch")]  # noqa: E731
    assert [t for t, _ in spoken(slower)] == [t for t, _ in spoken(as_written)]
    for (_, a), (_, b) in zip(spoken(as_written), spoken(slower)):
        assert abs(a - b) <= 1  # the same pieces: ms rounding only
    assert len(slower.silences) == len(as_written.silences)
    frame_ms = 24
    for a, b in zip(as_written.silences, slower.silences):
        assert a.kind == b.kind
        scale = 1.5 if a.kind in ("hold", "move") else 1.0
        assert b.nominal_ms == pytest.approx(a.nominal_ms * scale, abs=1)
        assert b.end_ms - b.start_ms == pytest.approx(b.nominal_ms, abs=frame_ms + 1) or b.kind == "move"
    assert [c.title for c in slower.chapters] == [c.title for c in as_written.chapters]
    for a, b in zip(as_written.chapters, slower.chapters):
        grown = sum(s2.nominal_ms - s1.nominal_ms for s1, s2 in zip(as_written.silences, slower.silences)
                    if s1.start_ms < a.start_ms)
        assert b.start_ms - a.start_ms == pytest.approx(grown, abs=frame_ms * 3), a.title
    # The 4 s counted hold is 6 s at 1.5: counted from five, each word on its second mark.
    holds = [s for s in slower.silences if s.kind == "hold" and s.nominal_ms == 6000]
    assert len(holds) == 2
    for hold in holds:
        words = [c for c in slower.cues if c.kind == "count" and hold.start_ms <= c.start_ms < hold.end_ms]
        assert [w.text for w in words] == ["five", "four", "three", "two", "one"]
        for k, word in enumerate(words, start=1):
            assert abs(word.start_ms - hold.start_ms - 1000 * k) <= 30


def test_captions_are_the_timelines_words(source, manifest):
    variant = source.variant_set(manifest, "short", 1.5).part("full-session")
    lines = variant.vtt.splitlines()
    assert lines[0] == "WEBVTT"
    spoken = [c for c in variant.track.cues if c.kind != "tone"]
    texts = [lines[i + 1] for i, line in enumerate(lines) if "-->" in line]
    assert texts == [c.text for c in spoken] and "five" in texts

    def ms(stamp: str) -> int:
        h, m, s = stamp.split(":")
        return round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000)

    stamps = [line.split(" --> ") for line in lines if "-->" in line]
    assert [(ms(a), ms(b)) for a, b in stamps] == [(c.start_ms, c.end_ms) for c in spoken]


def test_the_tag_names_the_pace_and_carries_the_variants_chapters(source, manifest):
    from mutagen.id3 import ID3
    import io

    variant = source.variant_set(manifest, "long", 1.25).part("full-session")
    tags = ID3(io.BytesIO(whole(variant)))
    assert "Level long, pace 1.25" in str(tags.getall("COMM")[0])
    chaps = {c.element_id: c for c in tags.getall("CHAP")}
    order = tags.getall("CTOC")[0].child_element_ids
    assert [(str(chaps[i].sub_frames["TIT2"]), chaps[i].start_time, chaps[i].end_time) for i in order] == \
        [(c.title, c.start_ms, c.end_ms) for c in variant.track.chapters]


def test_etag_is_stable_and_differs_per_recipe(source, manifest, mini_build):
    fresh = VariantSource(mini_build.routines, mini_build.cache)
    tags = {}
    for level in ("short", "long"):
        for pace in (1.0, 1.25, 1.5):
            for part in ("full-session", "02-lift"):
                etag = source.variant_set(manifest, level, pace).part(part).etag
                assert fresh.variant_set(manifest, level, pace).part(part).etag == etag  # another process, same tag
                tags[level, pace, part] = etag
    assert len(set(tags.values())) == len(tags)


# -- when a variant cannot be made ----------------------------------------------------------------------

def test_a_cue_missing_from_the_cache_asks_for_a_build_and_synthesizes_nothing(manifest, mini_build, tmp_path):
    cache = Path(shutil.copytree(mini_build.cache, tmp_path / "cache"))
    fmt = Mp3Format(manifest.settings["sample_rate"], manifest.settings["bitrate_kbps"])
    keys = CueSynthesizer(engine=None, cache=CueCache(cache), fmt=fmt, voice=Voice.from_settings(manifest.settings))
    keys.cache.path(keys.key("seven")).unlink()  # only paces of 1.75 and more count from seven
    source = VariantSource(mini_build.routines, cache)
    assert source.variant_set(manifest, "short", 1.5).part("full-session").size > 0
    with pytest.raises(CuesMissing, match="run back-routine build") as info:
        source.variant_set(manifest, "short", 2.0)
    assert info.value.status == 503 and "'seven'" in info.value.message
    assert not keys.cache.path(keys.key("seven")).exists()


def test_an_edited_routine_file_asks_for_a_build(manifest, mini_build, tmp_path):
    routines = Path(shutil.copytree(mini_build.routines, tmp_path / "routines"))
    source = VariantSource(routines, mini_build.cache)
    assert source.variant_set(manifest, "short", 1.5).part("full-session").size > 0
    (routines / "mini.yaml").write_text((routines / "mini.yaml").read_text().replace("Welcome.", "Hello."))
    with pytest.raises(RoutineChanged, match="The routine file mini.yaml has changed since the last build: run back-routine build") as info:
        source.variant_set(manifest, "short", 1.5)  # even one made before: the file is checked every time
    assert info.value.status == 409
    (routines / "mini.yaml").unlink()
    with pytest.raises(RoutineChanged, match="not in"):
        VariantSource(routines, mini_build.cache).variant_set(manifest, "short", 1.5)
