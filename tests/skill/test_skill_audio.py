"""Audio mode through the signed Flask endpoint: real tracks built from tests/data/mini.yaml, real
request envelopes (AudioPlayer events and PlaybackController commands without a session), and
assertions on the directives: token, URL, offset, play behavior, expectedPreviousToken."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from skill.audio_player import PREVIOUS_RESTARTS_AFTER_MS, REWIND_MS
from skill.audio_state import AudioState
from skill.audio_token import AudioToken
from skill.audio_tracks import AudioCatalog, LocalManifests, RemoteManifests
from skill.handlers.audio_flow import FAILED_NOTICE
from skill.session_state import UserState

from tests.audio_harness import (NO_AUDIO, PUBLIC_URL, Device, build_mini, directives, make_audio_app,
                                 play_of, token_of)
from tests.checkin_harness import without_checkin
from tests.skill_harness import stored_state


ROOT = Path(__file__).resolve().parents[2]


# `built` (the session's build of tests/data/mini.yaml) and `served` (the audio skill over it, a fresh store
# per test) come from tests/skill/conftest.py; tests that rebuild make their own (build_mini into tmp_path).


@pytest.fixture
def user(served) -> Device:
    without_checkin(served[1])  # the audio version: tests/skill/test_checkin.py covers the check-in
    return Device(served[0].test_client())


def chapters(built, level="short"):
    return built.full_track(level)["chapters"]


def start_playing(user: Device):
    user.launch()
    reply = user.say("PlayAudioIntent")
    return reply, play_of(reply)


# -- play ---------------------------------------------------------------------------------------------------


def test_play_streams_the_full_session_of_the_users_level_from_the_public_url(user, built, served):
    reply, play = start_playing(user)
    track = built.full_track("short")
    assert play["behavior"] == "REPLACE_ALL"
    # The recipe in the URL makes a rebuilt track a new URL for every cache on the way.
    assert play["url"] == f"{PUBLIC_URL}/mini/short/full-session.mp3?v={track['recipe'][:16]}"
    assert play["offset"] == 0
    token = AudioToken.parse(play["token"])
    assert (token.routine, token.level, token.recipe, token.seq) == ("mini", "short", track["recipe"][:16], 1)
    assert play["metadata"]["title"] == "Mini routine"
    assert reply.ended and "audio version of Mini routine" in reply.text
    state = stored_state(served[1])
    assert state["mode"] == "audio" and state["audio"]["status"] == "playing" and state["audio"]["seq"] == 1


def test_play_the_audio_version_of_a_named_routine_and_the_level_the_user_chose(user, built):
    user.launch()
    user.say("HarderIntent")  # short -> long, remembered
    play = play_of(user.say("PlayAudioIntent", routine="mini"))
    assert "/mini/long/full-session.mp3?v=" in play["url"]
    assert AudioToken.parse(play["token"]).level == "long"


def test_pause_saves_the_players_offset_and_resume_goes_back_a_few_seconds(user, served):
    _, play = start_playing(user)
    token = play["token"]
    user.event("PlaybackStarted", token, 0)
    paused = user.say_while_playing("AMAZON.PauseIntent", token, 25_000)
    assert directives(paused, "AudioPlayer.Stop") and not directives(paused, "AudioPlayer.Play")
    assert paused.ended and not paused.ssml  # pausing says nothing
    assert stored_state(served[1])["audio"]["offset_ms"] == 25_000
    # Alexa then reports the stop with the exact offset: that one wins.
    user.event("PlaybackStopped", token, 25_120, activity="STOPPED")
    audio = stored_state(served[1])["audio"]
    assert (audio["offset_ms"], audio["status"]) == (25_120, "paused")

    resumed = user.say_while_playing("AMAZON.ResumeIntent", token, 25_120, activity="STOPPED")
    play2 = play_of(resumed)
    assert play2["behavior"] == "REPLACE_ALL" and play2["offset"] == 25_120 - REWIND_MS
    assert play2["url"] == play["url"]
    assert token_of(resumed).seq == 2 and play2["token"] != token
    assert resumed.ended


def test_next_and_previous_jump_between_chapters_of_the_manifest(user, built):
    _, play = start_playing(user)
    marks = chapters(built)
    inside = marks[2]["start_ms"] + 6_000  # well into "Lift, set 1 of 2"
    nxt = play_of(user.say_while_playing("AMAZON.NextIntent", play["token"], inside))
    assert nxt["offset"] == marks[3]["start_ms"]
    prev = play_of(user.say_while_playing("AMAZON.PreviousIntent", nxt["token"], inside))
    assert prev["offset"] == marks[2]["start_ms"]  # well into a chapter: back to its start
    near_start = marks[3]["start_ms"] + PREVIOUS_RESTARTS_AFTER_MS // 2
    prev2 = play_of(user.say_while_playing("AMAZON.PreviousIntent", prev["token"], near_start))
    assert prev2["offset"] == marks[2]["start_ms"]  # just into one: the chapter before
    again = play_of(user.say_while_playing("AMAZON.RepeatIntent", prev2["token"], inside))
    assert again["offset"] == marks[2]["start_ms"]
    over = play_of(user.say_while_playing("AMAZON.StartOverIntent", again["token"], inside))
    assert over["offset"] == 0
    last = user.say_while_playing("AMAZON.NextIntent", over["token"], marks[-1]["start_ms"] + 100)
    assert not directives(last) and "last part" in last.text and last.ended  # the stream just carries on


def test_where_am_i_names_the_chapter_at_the_offset_and_lets_the_stream_carry_on(user, built):
    _, play = start_playing(user)
    marks = chapters(built)
    reply = user.say_while_playing("WhereAmIIntent", play["token"], marks[3]["start_ms"] + 1_000)
    # Named as the voice guide names a place, not "part 4 of 6" (see test_skill_voice_flow.py)
    assert reply.text.startswith("Lift, set two of two.") and "part" not in reply.text
    assert reply.ended and not directives(reply)


def test_hardware_buttons_pause_play_next_previous_without_speech(user, built, served):
    _, play = start_playing(user)
    marks = chapters(built)
    paused = user.button("Pause", play["token"], 30_000)
    assert directives(paused, "AudioPlayer.Stop") and "outputSpeech" not in paused.response
    assert "shouldEndSession" not in paused.response
    assert stored_state(served[1])["audio"]["offset_ms"] == 30_000
    played = play_of(user.button("Play", play["token"], 30_000, activity="STOPPED"))
    assert played["offset"] == 30_000 - REWIND_MS
    nxt = user.button("Next", played["token"], 30_000)
    chapter_at = max(i for i, c in enumerate(marks) if c["start_ms"] <= 30_000)
    assert play_of(nxt)["offset"] == marks[chapter_at + 1]["start_ms"] and "outputSpeech" not in nxt.response
    prev = user.button("Previous", play_of(nxt)["token"], marks[chapter_at + 1]["start_ms"] + 500)
    assert play_of(prev)["offset"] == marks[chapter_at]["start_ms"]


def test_nearly_finished_enqueues_nothing_unless_loop_is_on(user, built, served):
    _, play = start_playing(user)
    track = built.full_track("short")
    near_end = track["duration_ms"] - 5_000
    assert not directives(user.event("PlaybackNearlyFinished", play["token"], near_end))
    looped = user.say_while_playing("AMAZON.LoopOnIntent", play["token"], near_end)
    assert "again when it ends" in looped.text and not directives(looped)
    queued = play_of(user.event("PlaybackNearlyFinished", play["token"], near_end))
    assert queued["behavior"] == "ENQUEUE"
    assert queued["expected_previous"] == play["token"]
    assert queued["offset"] == 0 and queued["url"] == play["url"]
    assert AudioToken.parse(queued["token"]).seq == AudioToken.parse(play["token"]).seq + 1
    # The first stream finishes (one session), the queued one starts and becomes the user's stream.
    user.event("PlaybackFinished", play["token"], track["duration_ms"], activity="FINISHED")
    user.event("PlaybackStarted", queued["token"], 0)
    state = stored_state(served[1])
    assert len(state["history"]) == 1 and state["audio"]["seq"] == 2 and state["audio"]["status"] == "playing"
    off = user.say_while_playing("AMAZON.LoopOffIntent", queued["token"], 1_000)
    assert "once" in off.text
    assert not directives(user.event("PlaybackNearlyFinished", queued["token"], near_end))


def test_finished_records_one_completed_session_and_launch_counts_it(user, built, served):
    _, play = start_playing(user)
    track = built.full_track("short")
    user.event("PlaybackStarted", play["token"], 0)
    user.event("PlaybackFinished", play["token"], track["duration_ms"], activity="FINISHED")
    user.event("PlaybackFinished", play["token"], track["duration_ms"], activity="FINISHED")  # a repeat
    state = stored_state(served[1])
    assert [(h["routine"], h["level"]) for h in state["history"]] == [("mini", "short")]
    assert state["audio"]["status"] == "finished" and state["place"]["finished"] is True
    assert state["run_started"] is None
    welcome = user.launch()
    assert "one session this week" in welcome.text
    again = user.say("AMAZON.ResumeIntent")  # nothing left to resume: say so, don't restart silently
    assert "finished the audio version" in again.text and not directives(again)


def test_failed_stream_falls_back_to_voice_and_says_so_next_time(user, built, served):
    _, play = start_playing(user)
    marks = chapters(built)
    at = marks[3]["start_ms"] + 2_000
    reply = user.event("PlaybackFailed", play["token"], at,
                       currentPlaybackState={"token": play["token"], "offsetInMilliseconds": at,
                                             "playerActivity": "STOPPED"})
    assert reply.response == {} or not reply.response.get("outputSpeech")
    state = stored_state(served[1])
    assert state["mode"] == "voice" and state["audio"]["status"] == "failed" and state["audio"]["offset_ms"] == at
    assert state["place"]["block"] == marks[3]["block"]  # the voice place followed the audio
    welcome = user.launch()
    assert welcome.text.startswith(FAILED_NOTICE)
    assert "Lift, set two of two" in welcome.text  # offered to carry on by voice from the same set
    carry_on = user.say("AMAZON.YesIntent")
    assert "Set two of two" in carry_on.text and not directives(carry_on, "AudioPlayer.Play")
    assert FAILED_NOTICE not in carry_on.text  # said once


# -- switching between voice and audio ------------------------------------------------------------------------


def test_audio_starts_at_the_voice_place_and_voice_carries_on_where_the_audio_stopped(user, built, served):
    marks = chapters(built)
    user.launch()
    user.say("StartRoutineIntent")  # intro
    user.say("AMAZON.NextIntent")  # Lift setup
    user.say("AMAZON.NextIntent")  # Lift, set 1 of 2
    play = play_of(user.say("PlayAudioIntent"))
    assert play["offset"] == marks[2]["start_ms"]
    user.button("Pause", play["token"], marks[4]["start_ms"] + 500)  # in "Side hold"
    assert stored_state(served[1])["place"]["block"] == marks[4]["block"]
    user.launch()
    user.say("AMAZON.NoIntent")  # not the audio: follow by voice
    voice = user.say("StartRoutineIntent")
    assert "carry on where you left off" in voice.text and "Side hold" in voice.text
    assert stored_state(served[1])["mode"] == "voice"


def test_launch_offers_to_resume_the_audio_and_yes_plays_on(user, built):
    _, play = start_playing(user)
    user.button("Pause", play["token"], 20_000)
    welcome = user.launch()
    assert "listening to the audio version" in welcome.text and "carry on playing" in welcome.text
    resumed = play_of(user.say("AMAZON.YesIntent"))
    assert resumed["offset"] == 20_000 - REWIND_MS


def test_voice_mode_is_unchanged_when_audio_was_never_used(user):
    user.launch()
    first = user.say("AMAZON.NextIntent")
    assert first.text.startswith("Welcome.") and not directives(first)
    paused = user.say("AMAZON.PauseIntent")
    assert "saved your place" in paused.text and not directives(paused)


# -- no audio: one sentence, then by voice ---------------------------------------------------------------------


def test_without_a_public_url_the_skill_says_so_and_guides_by_voice(built, tmp_path):
    app, adapter = make_audio_app(built.routines, built.output, tmp_path / "p.sqlite3", public_url=None)
    user = Device(app.test_client())
    user.launch()
    reply = user.say("PlayAudioIntent")
    # A fresh run by voice: the check-in comes first (it is on for this user), then the introduction.
    assert reply.text == ("The audio version isn't set up for this skill yet, so I'll guide you by voice. "
                          "Before we start, how is your back today, from zero to ten? Zero is no pain.")
    assert not directives(reply) and not reply.ended
    assert "Welcome." in user.say("RatingIntent", rating="3").text
    adapter.close()


def test_a_device_without_audioplayer_gets_one_sentence_then_voice(user):
    user.on(NO_AUDIO).launch()
    reply = user.say("PlayAudioIntent")
    assert reply.text.startswith("This device can't play the audio version, so I'll guide you by voice.")
    assert not directives(reply) and "Welcome." in reply.text


def test_a_track_that_is_not_built_is_said_and_voice_carries_on(built, tmp_path):
    app, adapter = make_audio_app(built.routines, tmp_path / "empty-output", tmp_path / "p.sqlite3")
    without_checkin(adapter)
    user = Device(app.test_client())
    user.launch()
    reply = user.say("PlayAudioIntent")
    assert "hasn't been built yet" in reply.text and not directives(reply) and "Welcome." in reply.text
    adapter.close()


def test_http_public_urls_are_refused():
    assert not AudioCatalog("http://audio.example.com", LocalManifests("output")).configured


# -- bad input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["", "garbage", "br1|mini|short", "br1|mini|short|zz|1", "other-skill:track-7",
                                   "br1|mini|short|abcdef|x", "x" * 2000])
def test_events_and_buttons_with_foreign_or_garbled_tokens_change_nothing(user, served, token):
    _, play = start_playing(user)
    before = stored_state(served[1])
    for kind in ("PlaybackStarted", "PlaybackStopped", "PlaybackNearlyFinished", "PlaybackFinished", "PlaybackFailed"):
        reply = user.event(kind, token, 1_000)
        assert reply.status == 200 and not directives(reply)
    assert stored_state(served[1]) == before
    resumed = user.button("Play", token, 999_999)  # the context token is garbage: use the saved stream
    assert play_of(resumed)["url"] == play["url"] and play_of(resumed)["offset"] == 0


def test_a_late_event_about_a_replaced_stream_is_ignored(user, built, served):
    _, play = start_playing(user)
    newer = play_of(user.say_while_playing("AMAZON.NextIntent", play["token"], 1_000))
    user.event("PlaybackStopped", play["token"], 999, activity="STOPPED")  # the old stream, reported late
    audio = stored_state(served[1])["audio"]
    assert audio["seq"] == 2 and audio["offset_ms"] == newer["offset"] and audio["status"] == "playing"


def test_an_offset_past_the_end_resumes_at_the_last_chapter_and_says_so(user, built):
    _, play = start_playing(user)
    track = built.full_track("short")
    user.button("Pause", play["token"], track["duration_ms"] + 60_000)
    reply = user.say("AMAZON.ResumeIntent")
    assert play_of(reply)["offset"] == track["chapters"][-1]["start_ms"]
    assert "couldn't find where you were" in reply.text


def test_an_event_of_ours_without_saved_state_is_adopted(user, built, served):
    track = built.full_track("short")
    token = AudioToken("mini", "short", track["recipe"][:16], 7).encode()
    user.event("PlaybackStopped", token, 12_000, activity="STOPPED")  # e.g. the save after Play had failed
    audio = stored_state(served[1])["audio"]
    assert (audio["seq"], audio["offset_ms"], audio["file"]) == (7, 12_000, "short/full-session.mp3")
    resumed = play_of(user.say("AMAZON.ResumeIntent"))
    assert resumed["offset"] == 12_000 - REWIND_MS and AudioToken.parse(resumed["token"]).seq == 8


def test_a_rebuilt_track_resumes_at_the_same_chapter_by_title_and_says_so(tmp_path):
    # Its own build: the module's build must stay as it is for the other tests.
    mine = build_mini(tmp_path / "rebuilt")
    app, adapter = make_audio_app(mine.routines, mine.output, tmp_path / "p.sqlite3")
    user = Device(app.test_client())
    _, play = start_playing(user)
    old = mine.full_track("short")
    in_set_two = old["chapters"][3]["start_ms"] + 3_000
    user.button("Pause", play["token"], in_set_two)
    text = (mine.routines / "mini.yaml").read_text().replace("- say: Welcome.", "- say: Welcome to a longer introduction than before.")
    mine.rebuild(text)
    new = mine.full_track("short")
    assert new["recipe"] != old["recipe"] and new["chapters"][3]["start_ms"] != old["chapters"][3]["start_ms"]
    reply = user.say_while_playing("AMAZON.ResumeIntent", play["token"], in_set_two, activity="STOPPED")
    resumed = play_of(reply)
    assert resumed["offset"] == new["chapters"][3]["start_ms"]  # the start of "Lift, set 2 of 2" in the new track
    assert "rebuilt" in reply.text and "Lift, set 2 of 2" in reply.text
    assert AudioToken.parse(resumed["token"]).recipe == new["recipe"][:16]
    assert resumed["url"] != play["url"] and resumed["url"].endswith(f"?v={new['recipe'][:16]}")  # no stale cache
    adapter.close()


def test_damaged_audio_state_is_forgotten_not_fatal():
    for junk in (None, 3, "x", {"routine": "mini"}, {"routine": "mini", "level": "short", "file": "f", "recipe": "ab",
                                                      "seq": "NaN", "offset_ms": -5, "status": "weird"}):
        state = UserState.from_attributes({"audio": junk, "mode": "audio"})
        assert state.audio is None or (state.audio.offset_ms == 0 and state.audio.status == "paused")


def test_tokens_round_trip_and_reject_what_is_not_ours():
    token = AudioToken("back|pain", "stand ard", "0123456789abcdef", 12)
    assert AudioToken.parse(token.encode()) == token
    for junk in (None, 5, "", "br2|a|b|c|1", "br1|a|b|c", "br1||b|0a|1", "br1|a|b|XYZ|1", "br1|a|b|0a|-1"):
        assert AudioToken.parse(junk) is None
    state = AudioState("mini", "short", "short/full-session.mp3", "0a", 3)
    assert AudioToken.parse(state.token).seq == 3 and state.matches(AudioToken.parse(state.token))


def test_remote_manifests_are_cached_and_survive_a_failed_refresh(built):
    body = (built.output / "mini" / "manifest.json").read_bytes()
    calls, now = [], [0.0]

    def fetch(url, timeout):
        calls.append(url)
        if len(calls) > 1:
            raise OSError("network down")
        return body

    remote = RemoteManifests(PUBLIC_URL, fetch=fetch, ttl=60, clock=lambda: now[0])
    catalog = AudioCatalog(PUBLIC_URL, remote)
    first = catalog.track("mini", "short")
    assert first.url == f"{PUBLIC_URL}/mini/short/full-session.mp3?v={first.recipe}"
    assert calls == [f"{PUBLIC_URL}/mini/manifest.json"]
    assert catalog.track("mini", "short") == first and len(calls) == 1  # cached
    now[0] = 120.0
    assert catalog.track("mini", "short") == first and len(calls) == 2  # refresh failed: the last good copy
    assert catalog.track("../etc", "short") is None


def test_the_model_and_manifest_declare_what_audioplayer_needs():
    from skill.interaction_model import BUILTIN_INTENTS, INTERFACES

    assert {"type": "AUDIO_PLAYER"} in INTERFACES
    for intent in ("AMAZON.PauseIntent", "AMAZON.ResumeIntent", "AMAZON.LoopOnIntent", "AMAZON.LoopOffIntent",
                   "AMAZON.ShuffleOnIntent", "AMAZON.ShuffleOffIntent", "AMAZON.StartOverIntent",
                   "AMAZON.NextIntent", "AMAZON.PreviousIntent", "AMAZON.RepeatIntent", "AMAZON.CancelIntent"):
        assert intent in BUILTIN_INTENTS
    package = json.loads((ROOT / "skill-package" / "skill.json").read_text())
    types = {i["type"] for i in package["manifest"]["apis"]["custom"]["interfaces"]}
    assert types == {"AUDIO_PLAYER", "ALEXA_PRESENTATION_APL"}


def test_shuffle_is_answered_gracefully_in_both_modes(user):
    user.launch()
    voice = user.say("AMAZON.ShuffleOnIntent")
    assert "in order" in voice.text and not voice.ended
    _, play = start_playing(user)
    audio = user.say_while_playing("AMAZON.ShuffleOnIntent", play["token"], 5_000)
    assert "in order" in audio.text and audio.ended and not directives(audio)


def test_stop_while_playing_stops_the_stream_and_keeps_the_offset(user, served):
    _, play = start_playing(user)
    stopped = user.say_while_playing("AMAZON.StopIntent", play["token"], 8_000)
    assert directives(stopped, "AudioPlayer.Stop") and stored_state(served[1])["audio"]["offset_ms"] == 8_000
    # not playing any more: "stop" is the voice guide's goodbye
    bye = user.say("AMAZON.StopIntent")
    assert not directives(bye, "AudioPlayer.Stop") and bye.ended



def test_an_unknown_routine_name_is_said_not_guessed(user):
    user.launch()
    reply = user.say("PlayAudioIntent", routine="yoga for cats")
    assert "don't know a routine called yoga for cats" in reply.text and not directives(reply) and not reply.ended


def test_this_servers_media_route_can_be_the_public_url(built, tmp_path):
    """serve --public-url https://<this server>/media: the URL the skill streams is one the web player serves."""
    from skill.serve import make_app
    from tests.alexa_signing import encode, make_envelope

    app = make_app(built.routines, tmp_path / "p.sqlite3", skill_id=None, verify=False, output_dir=built.output,
                   public_url="https://alexa.example.org/media")
    client = app.test_client()
    client.post("/alexa", data=encode(make_envelope()), headers={"Content-Type": "application/json"})
    reply = client.post("/alexa", data=encode(make_envelope(intent="PlayAudioIntent", new_session=False)),
                        headers={"Content-Type": "application/json"}).get_json()
    url = next(d for d in reply["response"]["directives"] if d["type"] == "AudioPlayer.Play")["audioItem"]["stream"]["url"]
    assert url.startswith("https://alexa.example.org/media/mini/short/full-session.mp3?v=")
    media = client.get(url.removeprefix("https://alexa.example.org"), headers={"Range": "bytes=0-99"})
    assert media.status_code == 206 and media.headers["Content-Type"].startswith("audio/mpeg")


def test_the_package_lint_requires_pause_and_resume_with_audioplayer():
    from skill.interaction_model import interaction_model, manifest
    from skill.model_lint import lint_manifest
    from skill.routines import RoutineLibrary

    library = RoutineLibrary(ROOT / "routines")
    model = interaction_model(library)
    model["interactionModel"]["languageModel"]["intents"] = [
        i for i in model["interactionModel"]["languageModel"]["intents"] if i["name"] != "AMAZON.ResumeIntent"]
    problems = lint_manifest(manifest(library), {"en-US": model})
    assert any("requires AMAZON.ResumeIntent" in p for p in problems)


def test_it_hurts_while_listening_stops_the_audio_and_goes_on_by_voice(user, built, served):
    _, play = start_playing(user)
    marks = chapters(built)
    at = marks[2]["start_ms"] + 4_000  # in "Lift, set 1 of 2"
    reply = user.say_while_playing("HurtsIntent", play["token"], at)
    assert directives(reply, "AudioPlayer.Stop") and not directives(reply, "AudioPlayer.Play")
    assert "sorry it hurts" in reply.text and "skip this exercise" in reply.text and not reply.ended
    state = stored_state(served[1])
    assert state["mode"] == "voice" and state["audio"]["offset_ms"] == at and state["events"][-1]["kind"] == "hurt"
    skipped = user.say("AMAZON.YesIntent")
    assert "Side hold" in skipped.text and not directives(skipped, "AudioPlayer.Play")
