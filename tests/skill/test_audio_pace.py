"""The audio version at the user's level and pace (skill/audio_tracks.py, audio_variants.py,
variant_place.py, handlers/audio.py, adjust.py): the Play directive names the variant, "slower" while
listening carries on at the same step of the slower variant, and with published paces the nearest one is
chosen and said. Real tracks of tests/data/mini.yaml (the session's build), real envelopes through the
signed endpoint, the web player beside the skill as `serve` runs it, and publish to moto's S3."""
from __future__ import annotations

import logging
import shutil
from pathlib import Path

import boto3
import pytest

from audio_builder.manifest import Track as BuiltTrack
from audio_builder.manifest_reader import load_manifest
from audio_builder.publish import S3Target, publish
from audio_builder.variant_source import VariantSource
from skill.audio_state import AudioState
from skill.audio_token import AudioToken
from skill.audio_tracks import AudioCatalog, LocalManifests, RemoteManifests
from skill.audio_variants import LocalVariants
from skill.builder import build_skill
from skill.persistence import SQLitePersistenceAdapter
from skill.serve import make_app
from skill.variant_place import same_place, steps
from skill.verify import RequestVerifier
from skill.webapp import create_app

from tests.alexa_signing import SKILL_ID, pki
from tests.audio_harness import PUBLIC_URL, Device, directives, play_of, token_of
from tests.checkin_harness import without_checkin
from tests.skill_harness import NOW, Clock, stored_state

BUCKET = "back-routine-skill-paces"


# -- helpers ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def source(built) -> VariantSource:
    return VariantSource(built.routines, built.cache)


@pytest.fixture(scope="module")
def manifest(built):
    return load_manifest(built.output / "mini")


def variant_track(source, manifest, level: str, pace: float) -> BuiltTrack:
    return source.variant_set(manifest, level, pace).part("full-session").track


def skill_app(routines: Path, audio: AudioCatalog, db: Path):
    adapter = SQLitePersistenceAdapter(db)
    skill = build_skill(routines, adapter, Clock(), audio=audio, logger=logging.getLogger("test.skill.pace"))
    verifier = RequestVerifier(SKILL_ID, trusted_roots=pki().trusted_roots, fetcher=pki().fetcher(), clock=lambda: NOW)
    return create_app(skill, verifier), adapter


@pytest.fixture
def served(built, tmp_path):
    """`back-routine serve` as it runs next to the build: the skill, and the web player assembling any pace."""
    app = make_app(built.routines, tmp_path / "progress.sqlite3", skill_id=SKILL_ID, verify=False,
                   output_dir=built.output, public_url=PUBLIC_URL, cache_dir=built.cache)
    adapter = SQLitePersistenceAdapter(tmp_path / "progress.sqlite3")
    without_checkin(adapter)
    yield app, adapter
    adapter.close()


@pytest.fixture
def user(served) -> Device:
    return Device(served[0].test_client())


def listening(user: Device, *adjustments: str) -> dict:
    """Open the skill, adjust by voice, and play the audio version: its Play directive."""
    user.launch()
    for intent in adjustments:
        user.say(intent)
    reply = user.say("PlayAudioIntent")
    play = play_of(reply)
    user.event("PlaybackStarted", play["token"], play["offset"])
    return play | {"text": reply.text}


def the_step(track: BuiltTrack, offset: int) -> tuple[int | None, str, int, str, float]:
    """Independently of variant_place: (block, spoken cue or silence, its ordinal of that sort in the
    chapter, its words or kind, how far into it) at `offset`."""
    chapter = track.chapter_at(offset)
    inside = [s for s in track.silences if chapter.start_ms <= s.start_ms < chapter.end_ms]
    spoken = [c for c in track.cues if c.kind == "speak" and chapter.start_ms <= c.start_ms < chapter.end_ms]
    for k, s in enumerate(inside):
        if s.start_ms <= offset < s.end_ms:
            return chapter.block, "silence", k, s.kind, (offset - s.start_ms) / (s.end_ms - s.start_ms)
    for k, c in enumerate(spoken):
        if c.start_ms <= offset < c.end_ms:
            return chapter.block, "cue", k, c.text, (offset - c.start_ms) / (c.end_ms - c.start_ms)
    raise AssertionError(f"nothing at {offset}")


def middle_of(track: BuiltTrack, kind: str, nth: int = 0, fraction: float = 0.4) -> int:
    silence = [s for s in track.silences if s.kind == kind][nth]
    return silence.start_ms + round(fraction * (silence.end_ms - silence.start_ms))


def media_path(url: str) -> str:
    """The web player's address for a stream URL (the public URL is this server's /media behind HTTPS)."""
    return "/media" + url[len(PUBLIC_URL):].split("?")[0]


# -- the Play directive names the variant ----------------------------------------------------------------------


def test_play_at_pace_1_25_streams_that_variant_which_the_server_beside_it_serves(user, served, source, manifest):
    play = listening(user, "SlowerIntent")  # 1 -> 1.25, remembered
    variant = source.variant_set(manifest, "short", 1.25).part("full-session")
    recipe = variant.recipe[:16]
    assert play["url"] == f"{PUBLIC_URL}/mini/short/pace-1.25/full-session.mp3?v={recipe}"
    assert play["token"] == f"br1|mini|short|{recipe}|1|1.25"
    assert AudioToken.parse(play["token"]) == AudioToken("mini", "short", recipe, 1, 1.25)
    assert "nearest pace" not in play["text"]
    audio = stored_state(served[1])["audio"]
    assert (audio["file"], audio["pace"], audio["recipe"]) == ("short/pace-1.25/full-session.mp3", 1.25, recipe)
    served_file = served[0].test_client().get(media_path(play["url"]))
    assert served_file.status_code == 200 and served_file.data == b"".join(variant.chunks())


def test_at_the_routines_own_pace_it_is_the_prebuilt_track_as_before(user, built):
    play = listening(user)
    recipe = built.full_track("short")["recipe"][:16]
    assert play["url"] == f"{PUBLIC_URL}/mini/short/full-session.mp3?v={recipe}"
    assert play["token"] == f"br1|mini|short|{recipe}|1"  # no pace: the token format of before


def test_a_ladder_pace_off_the_grid_plays_the_grid_pace_next_to_it_without_a_word(user):
    play = listening(user, "SlowerIntent", "SlowerIntent")  # 1.56 on the skill's ladder
    assert "/mini/short/pace-1.55/full-session.mp3?v=" in play["url"] and play["token"].endswith("|1.55")
    assert "nearest pace" not in play["text"]


# -- changing pace or level while listening ---------------------------------------------------------------------


def test_slower_while_listening_carries_on_at_the_same_step_of_the_slower_variant(user, served, built, source,
                                                                                   manifest):
    play = listening(user)
    own, slower = manifest.levels["short"].full, variant_track(source, manifest, "short", 1.25)
    hold = middle_of(own, "hold", 0, 0.4)
    reply = user.say_while_playing("SlowerIntent", play["token"], hold)
    moved = play_of(reply)
    assert moved["url"].startswith(f"{PUBLIC_URL}/mini/short/pace-1.25/full-session.mp3?v={slower.recipe[:16]}")
    assert token_of(reply) == AudioToken("mini", "short", slower.recipe[:16], 2, 1.25)
    assert "slow down" in reply.text and reply.ended
    was, now = the_step(own, hold), the_step(slower, moved["offset"])
    assert now[:4] == was[:4]  # the same block, the same hold of it
    assert now[4] == pytest.approx(was[4], abs=0.002)  # as far into it: the hold is longer, not restarted
    assert stored_state(served[1])["pace"] == 1.25

    # In a spoken cue: the same cue at the other pace, from its first word.
    cue = next(c for c in slower.cues if c.text == "Down." and c.start_ms > moved["offset"])
    inside = cue.start_ms + 200
    back = user.say_while_playing("FasterIntent", moved["token"], inside)
    faster = play_of(back)
    assert faster["url"].startswith(f"{PUBLIC_URL}/mini/short/full-session.mp3?v=")  # the routine's own pace again
    assert token_of(back).pace is None and "quicker" in back.text
    was, now = the_step(slower, inside), the_step(own, faster["offset"])
    assert now[:4] == was[:4] and now[4] == 0  # the cue "Down." of the same rep, from its start


def test_harder_while_listening_goes_on_in_the_harder_levels_track_at_the_same_step(user, built, manifest):
    play = listening(user)
    short, long = manifest.levels["short"].full, manifest.levels["long"].full
    rest = middle_of(short, "rest", 0, 0.5)  # the rest after set one
    reply = user.say_while_playing("HarderIntent", play["token"], rest)
    moved = play_of(reply)
    assert moved["url"].startswith(f"{PUBLIC_URL}/mini/long/full-session.mp3?v=")
    assert token_of(reply).level == "long" and "long level" in reply.text
    was, now = the_step(short, rest), the_step(long, moved["offset"])
    # The rest of the same set, though the harder level has more reps before it.
    assert (now[0], now[1], now[3]) == (was[0], "silence", "rest")
    assert now[4] == pytest.approx(0.5, abs=0.002)


def test_slower_while_paused_stays_paused_and_resume_plays_the_slower_variant_from_there(user, served, manifest,
                                                                                        source):
    play = listening(user)
    own = manifest.levels["short"].full
    hold = middle_of(own, "hold", 1, 0.5)
    user.say_while_playing("AMAZON.PauseIntent", play["token"], hold)
    user.event("PlaybackStopped", play["token"], hold, activity="STOPPED")
    reply = user.say("SlowerIntent")
    assert not directives(reply, "AudioPlayer.Play") and "Say resume" in reply.text
    resumed = play_of(user.say("AMAZON.ResumeIntent"))
    slower = variant_track(source, manifest, "short", 1.25)
    assert "/pace-1.25/" in resumed["url"]
    # Resuming goes back a few seconds as always, from the same place in the slower track.
    from skill.audio_player import REWIND_MS

    assert resumed["offset"] == same_place(own, slower, hold) - REWIND_MS
    assert the_step(slower, resumed["offset"] + REWIND_MS)[:4] == the_step(own, hold)[:4]


def test_at_the_slowest_pace_slower_while_listening_lets_the_stream_carry_on(user):
    play = listening(user, *["SlowerIntent"] * 3)  # 2, the ladder's slowest
    reply = user.say_while_playing("SlowerIntent", play["token"], 5_000)
    assert not directives(reply, "AudioPlayer.Play") and "slowest pace" in reply.text and reply.ended


def test_loop_at_a_variant_pace_queues_the_variant_and_keeps_it_through_replays(user, served, manifest, source):
    play = listening(user, "SlowerIntent")
    slower = variant_track(source, manifest, "short", 1.25)
    near_end = slower.duration_ms - 5_000
    user.say_while_playing("AMAZON.LoopOnIntent", play["token"], near_end)
    token = play["token"]
    for _ in range(2):  # the queued replay's token may name no pace: its recipe says it is the same track
        queued = play_of(user.event("PlaybackNearlyFinished", token, near_end))
        assert queued["behavior"] == "ENQUEUE" and queued["url"] == play["url"]
        user.event("PlaybackFinished", token, slower.duration_ms, activity="FINISHED")
        user.event("PlaybackStarted", queued["token"], 0)
        audio = stored_state(served[1])["audio"]
        assert (audio["file"], audio["pace"], audio["status"]) == ("short/pace-1.25/full-session.mp3", 1.25, "playing")
        token = queued["token"]
    assert [entry["pace"] for entry in stored_state(served[1])["history"]] == [1.25, 1.25]


def test_an_event_about_a_variant_stream_nobody_saved_is_adopted_with_its_pace(user, served, manifest, source):
    slower = variant_track(source, manifest, "short", 1.5)
    token = AudioToken("mini", "short", slower.recipe[:16], 4, 1.5).encode()
    user.event("PlaybackStopped", token, 20_000, activity="STOPPED")
    audio = stored_state(served[1])["audio"]
    assert (audio["file"], audio["pace"], audio["seq"], audio["chapter_title"]) == \
        ("short/pace-1.5/full-session.mp3", 1.5, 4, slower.chapter_at(20_000).title)


# -- published paces (the skill on Lambda) ----------------------------------------------------------------------


@pytest.fixture
def published(aws, built, source, tmp_path):
    """The build published with --paces 1.25,1.5 to moto's S3, and the skill reading it as on Lambda."""
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    publish(built.output, S3Target(BUCKET, "public"), client=s3, paces=(1.25, 1.5), variants=source)

    def fetch(url: str, timeout: float) -> bytes:
        assert url.startswith(PUBLIC_URL + "/")
        return s3.get_object(Bucket=BUCKET, Key="public/" + url[len(PUBLIC_URL) + 1:])["Body"].read()

    audio = AudioCatalog(PUBLIC_URL, RemoteManifests(PUBLIC_URL, fetch=fetch))
    app, adapter = skill_app(built.routines, audio, tmp_path / "lambda.sqlite3")
    without_checkin(adapter)
    yield Device(app.test_client()), s3, fetch
    adapter.close()


def test_published_the_play_directive_names_the_published_variant(published, manifest, source):
    user, s3, fetch = published
    play = listening(user, "SlowerIntent")
    variant = source.variant_set(manifest, "short", 1.25).part("full-session")
    assert play["url"] == f"{PUBLIC_URL}/mini/short/pace-1.25/full-session.mp3?v={variant.recipe[:16]}"
    assert play["token"] == f"br1|mini|short|{variant.recipe[:16]}|1|1.25" and "nearest pace" not in play["text"]
    assert fetch(play["url"].split("?")[0], 1) == b"".join(variant.chunks())  # the file is there, and is that variant


@pytest.mark.parametrize("adjustments, streamed, said", [
    (["SlowerIntent"] * 2, "pace-1.5/", "The nearest pace I have as audio is 1.5, a little faster than your 1.56."),
    (["SlowerIntent"] * 3, "pace-1.5/", "The nearest pace I have as audio is 1.5, faster than your 2."),
    (["FasterIntent"], "full-session", "The nearest pace I have as audio is 1, a little slower than your 0.8."),
])
def test_published_the_nearest_pace_is_chosen_and_said(published, adjustments, streamed, said):
    user = published[0]
    play = listening(user, *adjustments)
    assert f"{PUBLIC_URL}/mini/short/{streamed}" in play["url"]
    assert said in play["text"]


def test_published_slower_while_listening_moves_to_the_nearest_published_pace_at_the_same_step(published, manifest,
                                                                                               source):
    user = published[0]
    play = listening(user, "SlowerIntent")  # 1.25, published
    at_125, at_15 = variant_track(source, manifest, "short", 1.25), variant_track(source, manifest, "short", 1.5)
    hold = middle_of(at_125, "hold", 0, 0.7)
    reply = user.say_while_playing("SlowerIntent", play["token"], hold)  # 1.56: 1.5 is the nearest published
    moved = play_of(reply)
    assert "/mini/short/pace-1.5/full-session.mp3" in moved["url"] and token_of(reply).pace == 1.5
    assert "nearest pace I have as audio is 1.5" in reply.text
    was, now = the_step(at_125, hold), the_step(at_15, moved["offset"])
    assert now[:4] == was[:4] and now[4] == pytest.approx(was[4], abs=0.002)


# -- the parts on their own ---------------------------------------------------------------------------------------


def test_tokens_and_saved_state_name_a_variant_and_read_those_of_before():
    token = AudioToken("mini", "short", "0123456789abcdef", 3, 1.25)
    assert token.encode() == "br1|mini|short|0123456789abcdef|3|1.25" and AudioToken.parse(token.encode()) == token
    assert AudioToken.parse("br1|mini|short|0123456789abcdef|3") == AudioToken("mini", "short", "0123456789abcdef", 3)
    for junk in ("br1|mini|short|0a|3|", "br1|mini|short|0a|3|fast", "br1|mini|short|0a|3|0", "br1|mini|short|0a|3|1|2",
                 "br1|mini|short|0a|3|-1", "br1|mini|short|0a|3|1e3"):
        assert AudioToken.parse(junk) is None, junk
    state = AudioState("mini", "short", "short/pace-1.25/full-session.mp3", "0123456789abcdef", 3, pace=1.25)
    assert AudioState.from_dict(state.to_dict()) == state and state.token == token.encode()
    before = AudioState("mini", "short", "short/full-session.mp3", "0123456789abcdef", 3)
    assert "pace" not in before.to_dict() and AudioState.from_dict(before.to_dict()) == before
    assert AudioState.from_dict(state.to_dict() | {"pace": "garbage"}).pace is None
    assert state.matches(token) and before.matches(token)  # the recipe says which track; the pace is for finding it
    assert not state.matches(AudioToken("mini", "short", "fedcba9876543210", 3, 1.25))


def test_local_variants_are_made_once_per_build_and_a_failure_is_tried_again_later(built, tmp_path, manifest):
    routines = tmp_path / "routines"
    shutil.copytree(built.routines, routines)
    now = [0.0]
    local = LocalVariants(routines, built.cache, clock=lambda: now[0])
    first = local.full_track(manifest, "short", 1.25)
    assert first.file == "short/pace-1.25/full-session.mp3"
    (routines / "mini.yaml").unlink()  # not read again: the build (its recipe) is the same
    assert local.full_track(manifest, "short", 1.25) is first
    assert local.full_track(manifest, "short", 1.5) is None  # a new one needs the routine file
    shutil.copy(built.routines / "mini.yaml", routines / "mini.yaml")
    assert local.full_track(manifest, "short", 1.5) is None  # not asked again at once: events come every few seconds
    now[0] += 61
    assert local.full_track(manifest, "short", 1.5).file == "short/pace-1.5/full-session.mp3"


def test_the_catalog_chooses_the_nearest_pace_and_the_routines_own_is_the_prebuilt_track(built, manifest):
    catalog = AudioCatalog(PUBLIC_URL, LocalManifests(built.output))  # no variants and none published
    prebuilt = catalog.track("mini", "short")
    assert catalog.track("mini", "short", 1.0) == prebuilt.__class__(**{**prebuilt.__dict__, "wanted_pace": 1.0})
    slower = catalog.track("mini", "short", 1.25)
    assert slower.url == prebuilt.url and slower.approximate and not slower.variant
    local = AudioCatalog(PUBLIC_URL, LocalManifests(built.output), LocalVariants(built.routines, built.cache))
    for wanted, pace in ((0.5, 0.75), (1.3, 1.3), (1.56, 1.55), (1.0, 1.0)):
        track = local.track("mini", "short", wanted)
        assert track.pace == pace and track.variant == (pace != 1.0) and track.approximate == (wanted == 0.5)


def test_same_place_across_levels_falls_back_to_the_last_step_both_have(manifest):
    long, short = manifest.levels["long"].full, manifest.levels["short"].full
    rep_two = next(c for c in long.cues if c.text == "Last one.")  # the second rep of set one
    mapped = same_place(long, short, rep_two.start_ms + 100)
    chapter = long.chapter_at(rep_two.start_ms)
    assert short.chapter_at(mapped).block == chapter.block
    # The easier level has no second rep: the step before it that both have, the move after "Down.".
    before = [s for s in steps(long, chapter) if s.start_ms < rep_two.start_ms]
    there = next(s for s in steps(short, short.chapter_at(mapped)) if s.start_ms == mapped)
    assert there.what == before[-1].what == ("silence", "move")
