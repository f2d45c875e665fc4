"""The pace choice in a real headless Chromium: choosing a slower pace reloads the player at that pace,
with that variant's chapters, captions and length, carrying on from the chapter that was playing.
Skipped, saying what to install, where the web player's browser test is (test_web_player_browser.py,
whose browser fixture and helpers this reuses)."""
from __future__ import annotations

import pytest
from flask import Flask

from audio_builder.manifest_reader import load_manifest
from audio_builder.variant_source import VariantSource
from web_player import create_blueprint

from tests.live_server import live_server
from tests.web_player.test_web_player_browser import AUDIO, CHROMEDRIVER, CHROMIUM, browser, screenshot, wait_for  # noqa: F401

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="no headless browser here: the web player's browser test needs chromium and chromedriver "
           "(apt-get install chromium chromium-driver)",
)


@pytest.fixture(scope="module")
def base_url(mini_build):
    app = Flask("web-player-variants-browser-test")
    app.register_blueprint(create_blueprint(mini_build.output, routines_dir=mini_build.routines,
                                            cache_dir=mini_build.cache))
    with live_server(app) as port:
        yield f"http://127.0.0.1:{port}"


def player_state(driver) -> dict:
    """What the page shows and the browser decoded: chapter starts (s), caption cue starts, duration."""
    wait_for(driver, f"{AUDIO}.readyState >= 1", what="audio metadata")
    wait_for(driver, f"{AUDIO}.textTracks.length && {AUDIO}.textTracks[0].cues && {AUDIO}.textTracks[0].cues.length",
             what="caption cues")
    return driver.execute_script(f"""return {{
        chapters: Array.from(document.querySelectorAll('.chapter'), b => Number(b.dataset.chapterStart) / 1000),
        times: Array.from(document.querySelectorAll('.chapter-time'), e => e.textContent),
        cues: Array.from({AUDIO}.textTracks[0].cues, c => [c.startTime, c.text]),
        duration: {AUDIO}.duration, src: {AUDIO}.currentSrc}}""")


def test_changing_the_pace_changes_the_chapters_captions_and_length(browser, base_url, mini_build):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    manifest = load_manifest(mini_build.output / "mini")
    slower = VariantSource(mini_build.routines, mini_build.cache).variant_set(manifest, "long", 1.5).part("full-session")

    browser.get(f"{base_url}/routines/mini?level=long")
    before = player_state(browser)
    assert before["duration"] == pytest.approx(manifest.levels["long"].full.duration_ms / 1000, abs=0.2)

    # Play into the third chapter, then choose "much slower" from the list: the page reloads at 1.5.
    third = browser.find_elements(By.CSS_SELECTOR, ".chapter")[2]
    third.click()
    wait_for(browser, f"!{AUDIO}.paused && {AUDIO}.currentTime > {before['chapters'][2] + 0.2}", what="playback in chapter 3")
    Select(browser.find_element(By.ID, "pace-select")).select_by_value("1.5")
    wait_for(browser, "location.search.includes('pace=1.5')", what="the page at pace 1.5")
    after = player_state(browser)

    assert "/media/mini/long/pace-1.5/full-session.mp3" in after["src"]
    # The browser's own decoder agrees with the variant's length (to a frame or two), a longer one.
    assert after["duration"] == pytest.approx(slower.track.duration_ms / 1000, abs=0.2)
    assert after["duration"] > before["duration"] + 1
    # The chapter list is the variant's: same chapters, later starts, and the times shown follow.
    assert after["chapters"] == [c.start_ms / 1000 for c in slower.track.chapters]
    assert len(after["chapters"]) == len(before["chapters"]) and after["chapters"] != before["chapters"]
    assert after["times"] != before["times"]
    # The captions are the variant's: its words, at its times (the 4 s hold is 6 s: counted from five).
    spoken = [c for c in slower.track.cues if c.kind != "tone"]
    assert [text for _, text in after["cues"]] == [c.text for c in spoken]
    assert [round(start * 1000) for start, _ in after["cues"]] == [c.start_ms for c in spoken]
    assert "five" in [text for _, text in after["cues"]] and "five" not in [text for _, text in before["cues"]]
    # It carries on from the chapter that was playing, at that chapter's time in the slower track.
    assert browser.execute_script(f"return {AUDIO}.currentTime") == pytest.approx(after["chapters"][2], abs=1.0)
    assert browser.find_element(By.CSS_SELECTOR, "#pace-select option:checked").get_attribute("value") == "1.5"
    assert browser.find_element(By.CSS_SELECTOR, '.pace-nav a[aria-current="page"]').text.startswith("Much slower")
    screenshot(browser, "web-player-pace.png")

    # "As written" goes back to the prebuilt track.
    browser.find_element(By.LINK_TEXT, "As written").click()
    wait_for(browser, "!location.search.includes('pace=')", what="the page as written")
    back = player_state(browser)
    assert "/media/mini/long/full-session.mp3" in back["src"] and back["chapters"] == before["chapters"]
