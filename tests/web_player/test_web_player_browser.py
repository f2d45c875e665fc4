"""End to end in a real headless Chromium: the web player plays, seeks to a chapter, highlights it,
loads the captions, remembers the position, and fits a phone screen. Screenshots go to
test-artifacts/ (git-ignored) for a person to look at.

Needs Debian's `chromium` and `chromium-driver` (apt) and `selenium` (the test extra); on a machine
without them the test is skipped, saying what to install.
"""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from flask import Flask

from web_player import create_blueprint

from tests.live_server import live_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("BACK_ROUTINE_TEST_ARTIFACTS", ROOT / "test-artifacts"))
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required", "--mute-audio", "--disable-dev-shm-usage",
]


def _executable(variable: str, *names: str) -> str | None:
    """$variable if it names an executable, else the first of `names` on the PATH."""
    chosen = os.environ.get(variable)
    if chosen:
        return chosen if os.access(chosen, os.X_OK) and Path(chosen).is_file() else None
    return next((path for path in map(shutil.which, names) if path), None)


selenium = pytest.importorskip("selenium", reason="selenium is not installed: pip install -e '.[test]'")
CHROMIUM = _executable("BACK_ROUTINE_CHROMIUM", "chromium", "chromium-browser")
CHROMEDRIVER = _executable("BACK_ROUTINE_CHROMEDRIVER", "chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="no headless browser here: the web player's browser test needs chromium and chromedriver "
           "(apt-get install chromium chromium-driver)",
)


@pytest.fixture(scope="module")
def base_url(built):
    """The web player over the session's build of the mini routine (tests/web_player/conftest.py), on a
    real waitress server."""
    app = Flask("web-player-browser-test")
    app.register_blueprint(create_blueprint(built))
    # stops without the close-during-select race, and closes the browser's kept-alive connections too
    with live_server(app) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        options.add_argument(flag)
    # An explicit driver path keeps Selenium Manager from trying to download one.
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_window_size(1280, 900)
    yield driver
    driver.quit()


def wait_for(driver, script: str, timeout: float = 10.0, what: str = ""):
    """Poll a JS expression until it is truthy; return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = driver.execute_script(f"return ({script});")
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or script}")
        time.sleep(0.05)


def screenshot(driver, name: str) -> Path:
    """The whole page (the window is grown to the page's height first), as test-artifacts/<name>."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    width = driver.execute_script("return window.innerWidth")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    size = driver.get_window_size()
    driver.set_window_size(size["width"], size["height"] + max(height - driver.execute_script("return window.innerHeight"), 0))
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    driver.set_window_size(size["width"], size["height"])
    assert path.stat().st_size > 5000 and width > 0
    return path


AUDIO = "document.getElementById('player-audio')"


def test_play_seek_to_a_chapter_captions_and_position(browser, base_url, built):
    from selenium.webdriver.common.by import By

    from audio_builder.manifest_reader import load_manifest

    browser.get(f"{base_url}/routines/mini")
    wait_for(browser, f"{AUDIO}.readyState >= 1", what="audio metadata")
    # The browser's own decoder agrees with the length the build recorded (to about a frame or two).
    full = load_manifest(built / "mini").level(None).track(None)
    assert browser.execute_script(f"return {AUDIO}.duration") == pytest.approx(full.duration_ms / 1000, abs=0.2)

    browser.find_element(By.CSS_SELECTOR, '[data-action="toggle"]').click()
    wait_for(browser, f"!{AUDIO}.paused && {AUDIO}.currentTime > 0.2", what="playback to start")
    assert browser.find_element(By.CSS_SELECTOR, '[data-action="toggle"]').text == "Pause"

    # click the third chapter: the audio moves there and the chapter is marked current
    chapter = browser.find_elements(By.CSS_SELECTOR, ".chapter")[2]
    start = int(chapter.get_attribute("data-chapter-start")) / 1000
    title = chapter.get_attribute("data-chapter-title")
    browser.execute_script(f"window.__seekedAt = null; {AUDIO}.addEventListener('seeked', "
                           f"function () {{ window.__seekedAt = {AUDIO}.currentTime; }}, {{ once: true }});")
    chapter.click()
    seeked_at = wait_for(browser, "window.__seekedAt !== null && window.__seekedAt + 1", what="the seek") - 1
    assert seeked_at == pytest.approx(start, abs=0.5)
    assert browser.execute_script(f"return {AUDIO}.currentTime") == pytest.approx(start, abs=1.0)
    assert chapter.get_attribute("aria-current") == "true"
    assert len(browser.find_elements(By.CSS_SELECTOR, '.chapter[aria-current="true"]')) == 1
    assert browser.find_element(By.ID, "chapter-now").text == title
    styles = browser.execute_script(
        "var c = document.querySelectorAll('.chapter'); return [getComputedStyle(c[2]).backgroundColor, "
        "getComputedStyle(c[0]).backgroundColor]")
    assert styles[0] != styles[1], "the current chapter should look different"
    wait_for(browser, f"!{AUDIO}.paused", what="playback after the chapter click")

    # the captions track loaded, hidden, and the current words are shown under the player
    cues = wait_for(browser, f"{AUDIO}.textTracks.length && {AUDIO}.textTracks[0].cues && "
                             f"{AUDIO}.textTracks[0].cues.length", what="caption cues")
    assert cues > 0
    assert browser.execute_script(f"return {AUDIO}.textTracks[0].mode") in ("hidden", "showing")
    cue_texts = browser.execute_script(f"return Array.from({AUDIO}.textTracks[0].cues, c => c.text)")
    wait_for(browser, f"{cue_texts!r}.includes(document.getElementById('caption').textContent)",
             timeout=15, what="a caption under the player")
    assert browser.find_element(By.ID, "caption").get_attribute("aria-live") == "polite"

    # lock-screen metadata follows the chapter
    assert browser.execute_script("return navigator.mediaSession.metadata.title") == title
    assert browser.execute_script("return navigator.mediaSession.metadata.album") == "Mini routine (short)"

    # keyboard: a chapter button works with the space bar, like any button
    from selenium.webdriver.common.keys import Keys

    fifth = browser.find_elements(By.CSS_SELECTOR, ".chapter")[4]
    fifth.send_keys(Keys.SPACE)
    wait_for(browser, "document.querySelectorAll('.chapter')[4].getAttribute('aria-current') === 'true'",
             what="keyboard seek")
    assert browser.execute_script(f"return {AUDIO}.currentTime") == pytest.approx(
        int(fifth.get_attribute("data-chapter-start")) / 1000, abs=1.0)

    screenshot(browser, "web-player.png")

    # pause, reload: the position of this track is remembered
    browser.execute_script(f"{AUDIO}.pause()")
    position = browser.execute_script(f"return {AUDIO}.currentTime")
    browser.get(f"{base_url}/routines/mini")
    wait_for(browser, f"{AUDIO}.readyState >= 1 && {AUDIO}.currentTime > 1", what="the remembered position")
    assert browser.execute_script(f"return {AUDIO}.currentTime") == pytest.approx(position, abs=1.0)
    assert browser.find_element(By.ID, "resume").is_displayed()
    # another track has its own position
    browser.get(f"{base_url}/routines/mini?track=02-lift")
    wait_for(browser, f"{AUDIO}.readyState >= 1", what="the second track's metadata")
    assert browser.execute_script(f"return {AUDIO}.currentTime") == 0


def test_pages_fit_a_phone_screen(browser, base_url):
    browser.set_window_size(390, 844)
    try:
        for path, name in (("/", "library-phone.png"), ("/routines/mini?level=long", "web-player-phone.png")):
            browser.get(base_url + path)
            overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
            screenshot(browser, name)
        browser.get(base_url + "/routines/mini?level=nope")
        assert "Not found" in browser.title
        screenshot(browser, "not-found-phone.png")
    finally:
        browser.set_window_size(1280, 900)
