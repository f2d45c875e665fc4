"""`serve --watch`: a save is rebuilt beside the server, and an open player page hears it.

A real waitress server, the real incremental build (espeak, a copy of the session's mini build and its
cue cache), real server-sent events read over a socket with a deadline on every read, and a headless
Chromium for the page (skipped, saying what to install, where there is none).
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask

from audio_builder.build import Builder
from audio_builder.manifest_reader import load_manifest
from web_player import create_blueprint
from web_player import live
from audio_builder.settings import BuildSettings
from web_player.live_watch import attach_rebuilder

from tests.live_server import live_server

ROOT = Path(__file__).resolve().parents[2]
KEY = "mini/short/full-session.mp3"
READ_SECONDS = 10  # every socket read
EVENT_SECONDS = 60  # waiting for an outcome: a rebuild with espeak takes about a second, on a busy machine more


@dataclass
class Author:
    """A routines folder, its build and the cue cache, as an author has them, and the server over them."""

    routines: Path
    output: Path
    cache: Path
    base: str = ""
    app: Flask | None = None

    @property
    def routine(self) -> Path:
        return self.routines / "mini.yaml"

    def edit(self, old: str, new: str) -> None:
        text = self.routine.read_text()
        assert old in text, old
        self.routine.write_text(text.replace(old, new))

    def events(self) -> live.BuildEvents:
        return self.app.extensions[live.EXTENSION]

    def get(self, path: str):
        """(status, headers (any case), body) of a GET with a deadline."""
        try:
            with urllib.request.urlopen(self.base + path, timeout=READ_SECONDS) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read()


def copy_of(mini_build, root: Path) -> Author:
    for name in ("routines", "output", "cache"):
        shutil.copytree(getattr(mini_build, name), root / name, symlinks=True)
    return Author(root / "routines", root / "output", root / "cache")


@pytest.fixture
def author(mini_build, tmp_path):
    """The web player with a rebuilder over a private copy of the mini build, on a real server, once the
    rebuilder's first pass (everything up to date) is done."""
    with serving(copy_of(mini_build, tmp_path)) as author:
        yield author


@contextmanager
def serving(author: Author, **player) -> Iterator[Author]:
    app = Flask("live-test")
    app.register_blueprint(create_blueprint(author.output, **player))
    rebuilder = attach_rebuilder(app, author.routines, author.output, author.cache)
    author.app = app
    with live_server(app) as port:
        author.base = f"http://127.0.0.1:{port}"
        rebuilder.start()
        try:
            wait_until(lambda: (author.events().latest("mini") or live.Outcome(0, "", "")).status == "built",
                       "the first pass of the rebuilder")
            yield author
        finally:
            rebuilder.stop(timeout=EVENT_SECONDS)  # also ends open streams, before the server stops


def wait_until(condition, what: str, timeout: float = EVENT_SECONDS):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
    return value


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class EventStream:
    """/live/events read as a browser's EventSource would, with a deadline on every read."""

    def __init__(self, base: str, key: str = KEY) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=READ_SECONDS)
        self.connection.request("GET", f"/live/events?key={quote(key)}", headers={"Accept": "text/event-stream"})
        self.response = self.connection.getresponse()

    def next(self, kind: str = "state", timeout: float = EVENT_SECONDS) -> dict:
        """The data of the next event of `kind` (others, like heartbeats, are passed over)."""
        deadline = time.monotonic() + timeout
        event, data = "message", []
        while time.monotonic() < deadline:
            line = self.response.readline().decode()
            if not line:
                raise AssertionError("the event stream ended")
            line = line.rstrip("\n")
            if line.startswith("event: "):
                event = line[len("event: "):]
            elif line.startswith("data: "):
                data.append(line[len("data: "):])
            elif not line:
                if data and event == kind:
                    return json.loads("\n".join(data))
                event, data = "message", []
        raise AssertionError(f"no {kind} event within {timeout} s")

    def until(self, condition, what: str) -> dict:
        deadline = time.monotonic() + EVENT_SECONDS
        while time.monotonic() < deadline:
            state = self.next(timeout=deadline - time.monotonic())
            if condition(state):
                return state
        raise AssertionError(f"no state with {what}")

    def close(self) -> None:
        self.connection.close()


# -- the events ----------------------------------------------------------------------------------------


def test_a_saved_edit_is_rebuilt_and_the_page_is_sent_the_new_track(author):
    stream = EventStream(author.base)
    try:
        assert stream.response.status == 200
        assert stream.response.getheader("Content-Type").startswith("text/event-stream")
        first = stream.next()
        assert first["status"] == "built" and first["track"]["audio"]
        old_audio = first["track"]["audio"]

        author.edit("Lie down.", "Lie down on your back.")
        building = stream.next()
        assert building["status"] == "building" and building["seq"] > first["seq"]
        built = stream.until(lambda s: s["status"] == "built", "the rebuild")
    finally:
        stream.close()

    track = built["track"]
    assert track["audio"] != old_audio, "the new track must have a new URL, or the browser keeps the old one"
    level = load_manifest(author.output / "mini").levels["short"]
    full = level.track(None)
    assert track["duration_ms"] == full.duration_ms
    assert [c["start_ms"] for c in track["chapters"]] == [c.start_ms for c in full.chapters]
    status, _, captions = author.get(track["captions"])
    assert status == 200 and "Lie down on your back." in captions.decode()
    status, headers, audio = author.get(track["audio"])
    assert status == 200 and audio == (author.output / "mini" / full.file).read_bytes()
    assert headers["ETag"].strip('"') in track["audio"]  # the URL's version is the file's ETag


def test_a_save_that_does_not_build_is_sent_with_its_place_and_the_old_track_stays(author):
    stream = EventStream(author.base)
    try:
        first = stream.next()
        author.edit("    reps: 1-2\n", "    reps: lots\n")
        failed = stream.until(lambda s: s["status"] == "failed", "the failed build")
        line = author.routine.read_text().splitlines().index("    reps: lots") + 1
        assert f"mini.yaml:{line}:" in failed["message"] and "'lots'" in failed["message"]  # located, as validate says
        assert failed["track"] == first["track"], "a failed build changes nothing"
        assert author.get(first["track"]["audio"])[0] == 200

        author.edit("    reps: lots\n", "    reps: 1-2\n")
        fixed = stream.until(lambda s: s["status"] == "built", "the build after the fix")
        assert fixed["message"] == "" and fixed["track"]["audio"]
    finally:
        stream.close()


def test_the_state_for_pages_that_cannot_keep_a_stream_and_bad_keys(author):
    status, headers, body = author.get(f"/live/state?key={quote(KEY)}")
    state = json.loads(body)
    assert status == 200 and headers["Cache-Control"] == "no-store"
    assert state["status"] == "built" and state["track"]["audio"].startswith("/media/mini/short/full-session.mp3?v=")
    assert [c["title"] for c in state["track"]["chapters"]][:2] == ["Introduction", "Lift"]
    assert state["track"]["chapters"][1]["clock"] == "0:04"

    # a page playing that track at another pace follows the same built file
    status, _, body = author.get("/live/state?key=mini/short/pace-1.5/full-session.mp3")
    assert status == 200 and json.loads(body)["track"] == state["track"]
    # a track the level does not have: the page is told so (and loads again to see what there is)
    status, _, body = author.get("/live/state?key=mini/short/99-nothing.mp3")
    assert status == 200 and json.loads(body)["track"] is None
    for bad in ("", "mini", "mini/short", "../x/y.mp3", "mini/short/full-session.vtt"):
        status, _, body = author.get(f"/live/state?key={quote(bad)}")
        assert status == 400 and "routine" in json.loads(body)["error"], bad
        assert author.get(f"/live/events?key={quote(bad)}")[0] == 400


def test_the_player_page_loads_live_reload_only_when_the_server_rebuilds(author, built):
    status, headers, page = author.get("/routines/mini")
    assert status == 200 and b"live.js" in page and b'data-events="/live/events"' in page
    assert "connect-src 'self'" in headers["Content-Security-Policy"]

    plain = Flask("plain")
    plain.register_blueprint(create_blueprint(built))
    client = plain.test_client()
    page = client.get("/routines/mini")
    assert b"live.js" not in page.data and "connect-src" not in page.headers["Content-Security-Policy"]
    for path in (f"/live/events?key={KEY}", f"/live/state?key={KEY}"):
        response = client.get(path)
        assert response.status_code == 404 and "serve --watch" in response.get_json()["error"]


def test_streams_beat_and_pages_beyond_the_limit_are_told_to_poll(mini_build, tmp_path, monkeypatch):
    monkeypatch.setattr(live, "MAX_STREAMS", 1)
    monkeypatch.setattr(live, "HEARTBEAT_SECONDS", 0.2)
    author = copy_of(mini_build, tmp_path)
    app = Flask("limit")
    app.register_blueprint(create_blueprint(author.output))
    app.extensions[live.EXTENSION] = events = live.BuildEvents()
    with live_server(app) as port:
        base = f"http://127.0.0.1:{port}"
        first = EventStream(base)
        try:
            assert first.next()["status"] == "idle"
            assert first.next("heartbeat")["at"] > 0  # what lets a page see a dead stream, and the server a closed tab
            second = EventStream(base)
            assert second.response.status == 503 and second.response.getheader("Retry-After") == "1"
            assert "asks every second" in json.loads(second.response.read())["error"]
            second.close()
        finally:
            events.close()  # ends the open stream, as stopping the server does
            first.close()


def test_a_rebuild_keeps_the_settings_the_routine_was_built_with(mini_build):
    recorded = load_manifest(mini_build.output / "mini").settings
    settings = BuildSettings.from_settings_doc(recorded)
    assert settings.engine == "espeak"
    assert Builder(mini_build.output, mini_build.cache, settings).check_settings() == recorded


# -- the command -------------------------------------------------------------------------------------


def test_serve_watch_rebuilds_and_stops_cleanly_on_sigterm(mini_build, tmp_path):
    author = copy_of(mini_build, tmp_path)
    with socket.socket() as probe:  # a free port for the server (it is asked for again at once)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-u", "-m", "back_routine", "serve", "--watch", "--no-verify", "--port", str(port),
               "--workers", "4", "--routines", str(author.routines), "--output", str(author.output),
               "--cache-dir", str(author.cache), "--db", str(tmp_path / "db.sqlite3")]
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
                                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        wait_until(lambda: "rebuild: watching" in log.read_text(), "the server to start watching")
        author.base = f"http://127.0.0.1:{port}"
        # The rebuilder says it is watching before waitress listens: wait for the port too.
        wait_until(lambda: _accepts(port), "the server to listen")
        stream = EventStream(author.base)  # open while the server stops: must not hold it up
        assert stream.next()["status"] == "built"
        author.edit("Done.", "Well done.")
        wait_until(lambda: "rebuild: mini in" in log.read_text(), "the rebuild in the server's log")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, log.read_text()
        stream.close()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert "Well done." in (author.output / "mini" / "short" / "full-session.vtt").read_text()


def test_serve_watch_refuses_the_development_server(tmp_path):
    from click.testing import CliRunner

    from skill.cli import serve

    result = CliRunner().invoke(serve, ["--watch", "--dev", "--no-verify", "--db", str(tmp_path / "db.sqlite3")])
    assert result.exit_code == 2 and "--watch cannot run with --dev" in result.output


# -- in a browser --------------------------------------------------------------------------------------

AUDIO = "document.getElementById('player-audio')"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium as the web player's browser test makes it, and skipped as it is without one."""
    browser_test = pytest.importorskip("tests.web_player.test_web_player_browser")
    if not (browser_test.CHROMIUM and browser_test.CHROMEDRIVER):
        pytest.skip("no headless browser here: apt-get install chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser_test.CHROMIUM
    for flag in browser_test.CHROMIUM_FLAGS + [f"--user-data-dir={tmp_path_factory.mktemp('chromium-live')}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=browser_test.CHROMEDRIVER))
    driver.set_window_size(1280, 900)
    yield driver
    driver.quit()


def wait_for(driver, script: str, what: str, timeout: float = EVENT_SECONDS):
    """Poll a JS expression until it is truthy; return its value."""
    return wait_until(lambda: driver.execute_script(f"return ({script});"), what, timeout)


def chapter_start(driver, title: str) -> float:
    return driver.execute_script(
        "return Number(document.querySelector(`[data-chapter-title='${arguments[0]}']`)"
        ".getAttribute('data-chapter-start')) / 1000", title)


def test_the_page_plays_the_rebuilt_track_from_the_same_place_and_shows_a_broken_save(author, browser):
    from tests.web_player.test_web_player_browser import screenshot

    browser.get(f"{author.base}/routines/mini")
    wait_for(browser, f"{AUDIO}.readyState >= 1", "audio metadata")
    # What the page does, as it does it: each swap's report, and where the old track was last heard.
    browser.execute_script(f"""
        var audio = {AUDIO};
        window.__ready = []; window.__heard = null;
        audio.addEventListener('back-routine:track-ready', function (e) {{ window.__ready.push(e.detail); }});
        audio.addEventListener('timeupdate', function () {{
            if (audio.src === window.__oldSrc) window.__heard = audio.currentTime;
        }});""")

    # 1. Paused in the side hold, an earlier cue gets longer: the same place in the same chapter, still paused.
    chapter = "Side hold, set 1 of 1"
    old_start = chapter_start(browser, chapter)
    browser.execute_script(f"{AUDIO}.currentTime = arguments[0]", old_start + 2.0)
    wait_for(browser, f"!{AUDIO}.seeking && Math.abs({AUDIO}.currentTime - {old_start + 2.0}) < 0.1", "the seek")
    old_src = browser.execute_script(f"return {AUDIO}.src")
    author.edit("Lie down.", "Lie down slowly, on your back.")
    wait_for(browser, "window.__ready.length === 1", "the rebuilt track in the page")
    assert browser.execute_script(f"return {AUDIO}.src") != old_src
    manifest_track = load_manifest(author.output / "mini").levels["short"].track(None)
    new_start = next(c.start_ms for c in manifest_track.chapters if c.title == chapter) / 1000
    assert new_start - old_start > 0.3, "the edit should have moved the chapter, or this checks nothing"
    assert chapter_start(browser, chapter) == new_start  # the chapter list follows
    assert browser.execute_script(f"return {AUDIO}.paused")
    assert browser.execute_script(f"return {AUDIO}.currentTime") == pytest.approx(new_start + 2.0, abs=0.5)
    # the captions are the new ones, in the same (hidden) text track the page shows captions from
    wait_for(browser, f"Array.from({AUDIO}.textTracks[0].cues || []).some(c => c.text === 'Lie down slowly, on your back.')",
             "the new caption")
    assert browser.execute_script(f"return {AUDIO}.textTracks[0].mode") == "hidden"

    # 2. Playing, a later cue changes: it goes on playing from where it was.
    start = chapter_start(browser, "Lift, set 2 of 2")
    browser.execute_script(f"window.__oldSrc = {AUDIO}.src; {AUDIO}.currentTime = arguments[0]; {AUDIO}.play()", start)
    wait_for(browser, f"!{AUDIO}.paused && window.__heard > {start + 0.5}", "playback to go on")
    author.edit("Done.", "Well done.")
    ready = wait_for(browser, "window.__ready.length === 2 && window.__ready[1]", "the second rebuilt track")
    heard = browser.execute_script("return window.__heard")
    assert ready["playing"] and not browser.execute_script(f"return {AUDIO}.paused")
    assert ready["position"] == pytest.approx(heard, abs=0.5)

    # 3. A save that does not build: the page says where and why, and the last good track plays on.
    src = browser.execute_script(f"return {AUDIO}.src")
    author.edit("    reps: 1-2\n", "    reps: lots\n")
    message = wait_for(browser, "document.querySelector('.live-status pre:not([hidden])') && "
                                "document.querySelector('.live-status pre').textContent", "the error on the page")
    line = author.routine.read_text().splitlines().index("    reps: lots") + 1
    assert f"mini.yaml:{line}:" in message and "'lots'" in message
    assert browser.execute_script("return document.querySelector('.live-status').getAttribute('role')") == "alert"
    at = browser.execute_script(f"return {AUDIO}.currentTime")
    wait_for(browser, f"{AUDIO}.currentTime > {at + 1.0}", "the old track to go on playing")
    assert browser.execute_script(f"return {AUDIO}.src") == src and not browser.execute_script(f"return {AUDIO}.error")
    screenshot(browser, "web-player-live-error.png")

    # Fixed: the error goes, and the page says it is up to date again.
    author.edit("    reps: lots\n", "    reps: 1-2\n")
    wait_for(browser, "document.querySelector('.live-status pre').hidden && "
                      "document.querySelector('.live-status').textContent.includes('Updated')", "the error to clear")


def test_a_page_refused_a_stream_polls_and_still_plays_the_rebuilt_track(mini_build, tmp_path, browser, monkeypatch):
    monkeypatch.setattr(live, "MAX_STREAMS", 0)  # every EventSource is refused (503), as when too many follow
    with serving(copy_of(mini_build, tmp_path)) as author:
        browser.get(f"{author.base}/routines/mini?track=02-lift")
        wait_for(browser, f"{AUDIO}.readyState >= 1", "audio metadata")
        old_src = browser.execute_script(f"return {AUDIO}.src")
        author.edit("Lift slowly.", "Lift slowly, and breathe.")
        wait_for(browser, f"{AUDIO}.src !== {old_src!r} && {AUDIO}.readyState >= 1", "the rebuilt track, by polling")
        assert "/media/mini/short/02-lift.mp3?v=" in browser.execute_script(f"return {AUDIO}.src")
        wait_for(browser, f"Array.from({AUDIO}.textTracks[0].cues || []).some(c => c.text === 'Lift slowly, and breathe.')",
                 "the new caption")


def test_a_page_at_another_pace_loads_again_after_a_rebuild_at_the_same_place(mini_build, tmp_path, browser):
    author = copy_of(mini_build, tmp_path)
    with serving(author, routines_dir=author.routines, cache_dir=author.cache):
        browser.get(f"{author.base}/routines/mini?pace=1.5")
        wait_for(browser, f"{AUDIO}.readyState >= 1", "audio metadata")
        variant = browser.execute_script(f"return {AUDIO}.src")
        assert "pace" in variant, "this page should play a track assembled at pace 1.5"
        browser.execute_script(f"window.__before = true; {AUDIO}.currentTime = 30")
        wait_for(browser, f"!{AUDIO}.seeking && Math.abs({AUDIO}.currentTime - 30) < 0.1", "the seek")
        time.sleep(1.5)  # the stream is open and its first state is in: nothing reloads for it
        assert browser.execute_script("return window.__before === true")

        author.edit("Done.", "Well done.")  # after the place: the same time is the same place
        wait_for(browser, f"window.__before === undefined && {AUDIO}.readyState >= 1", "the page to load again")
        assert browser.execute_script(f"return {AUDIO}.src") != variant
        assert "pace" in browser.execute_script(f"return {AUDIO}.src")
        wait_for(browser, f"Math.abs({AUDIO}.currentTime - 30) < 0.5", "the same place")
        wait_for(browser, f"Array.from({AUDIO}.textTracks[0].cues || []).some(c => c.text === 'Well done.')",
                 "the new caption")
