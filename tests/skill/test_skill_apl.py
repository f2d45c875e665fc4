"""Screens: an APL document with every voice reply on devices that support APL, none elsewhere, and
the Next button (an APL UserEvent) working exactly like saying next."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from skill.routines import PACES, RoutineLibrary
from skill.screen import DOCUMENT_TOKEN, load_document, screen_data
from skill.session_state import Place

from tests.audio_harness import ECHO, ECHO_SHOW, Device, directives, make_audio_app
from tests.checkin_harness import without_checkin
from tests.skill_harness import Clock, stored_state

ROOT = Path(__file__).resolve().parents[2]
RENDER = "Alexa.Presentation.APL.RenderDocument"
MAX_RESPONSE_BYTES = 24 * 1024


# `built` (the session's build of tests/data/mini.yaml) and `served` (the audio skill over it, a fresh store
# per test) come from tests/skill/conftest.py.


def screen(reply) -> dict:
    rendered = directives(reply, RENDER)
    assert len(rendered) == 1, reply.document
    assert rendered[0]["token"] == DOCUMENT_TOKEN
    return rendered[0]["datasources"]["exercise"]


def test_every_voice_reply_on_a_screen_device_renders_the_exercise(served):
    without_checkin(served[1])  # its question and the progress screen: tests/skill/test_checkin.py
    show = Device(served[0].test_client()).on(ECHO_SHOW)
    welcome = screen(show.launch())
    assert welcome["title"] == "Mini routine" and welcome["percent"] == 0
    intro = screen(show.say("StartRoutineIntent"))
    assert intro["title"] == "Introduction" and intro["progress"] == "Introduction"
    setup = screen(show.say("AMAZON.NextIntent"))
    assert setup["title"] == "Lift" and setup["progress"] == "Exercise 1 of 2 · Getting into position"
    assert setup["instruction"] == "Lie down." or "Lie down" in setup["instruction"]
    first_set = screen(show.say("AMAZON.NextIntent"))
    assert first_set["title"] == "Lift"
    assert first_set["progress"].startswith("Exercise 1 of 2 · Set 1 of 2 · Rep")
    assert first_set["showNext"] is True and 0 < first_set["percent"] < 100
    where = screen(show.say("WhereAmIIntent"))  # any spoken reply, not only moves
    assert where == first_set
    # the document is the package's JSON file, unchanged
    document = directives(show.say("AMAZON.RepeatIntent"), RENDER)[0]["document"]
    assert document == load_document()


def test_sides_and_reps_in_the_progress_line(built):
    course = RoutineLibrary(built.routines).course("mini", "long")
    graph = course.graph
    side_set = next(b.index for b in graph.blocks if b.kind == "set" and graph.exercises[b.exercise - 1].sides)
    data = screen_data(course, Place(side_set))
    assert data.title == "Side hold" and data.progress == "Exercise 2 of 2 · Set 1 of 1 · Rep 1 of 1 each side"
    assert "Hold your left leg up." in data.instruction
    finished = screen_data(course, Place(len(graph.blocks) - 1, finished=True))
    assert finished.percent == 100 and finished.showNext is False


def test_devices_without_a_screen_get_no_apl(served):
    echo = Device(served[0].test_client()).on(ECHO)
    for reply in (echo.launch(), echo.say("StartRoutineIntent"), echo.say("AMAZON.NextIntent")):
        assert not directives(reply, RENDER)


def test_touching_next_does_what_saying_next_does(built, tmp_path):
    said_app, said_store = make_audio_app(built.routines, built.output, tmp_path / "said.sqlite3", Clock())
    touched_app, touched_store = make_audio_app(built.routines, built.output, tmp_path / "touched.sqlite3", Clock())
    said = Device(said_app.test_client()).on(ECHO_SHOW)
    touched = Device(touched_app.test_client()).on(ECHO_SHOW)
    for user, store in ((said, said_store), (touched, touched_store)):
        without_checkin(store)
        user.launch()
        user.say("StartRoutineIntent")
    for _ in range(3):
        by_voice = said.say("AMAZON.NextIntent")
        by_touch = touched.touch("next")
        assert by_touch.text == by_voice.text and by_touch.reprompt == by_voice.reprompt
        assert screen(by_touch) == screen(by_voice)
        assert stored_state(touched_store)["place"] == stored_state(said_store)["place"]
    assert stored_state(touched_store)["place"]["block"] == 3
    said_store.close()
    touched_store.close()


def test_other_touch_events_change_nothing(served):
    show = Device(served[0].test_client()).on(ECHO_SHOW)
    show.launch()
    show.say("StartRoutineIntent")
    before = stored_state(served[1])
    for arguments in ((), ("previous",), ("NEXT",), ("next-ish", "x")):
        reply = show.touch(*arguments)
        assert reply.status == 200 and not reply.ssml
    assert stored_state(served[1])["place"] == before["place"]


def test_audio_replies_carry_no_apl_and_voice_again_does(served):
    show = Device(served[0].test_client()).on(ECHO_SHOW)
    show.launch()
    playing = show.say("PlayAudioIntent")
    assert directives(playing, "AudioPlayer.Play") and not directives(playing, RENDER)
    show.launch()
    show.say("AMAZON.NoIntent")  # not the audio
    voice = show.say("StartRoutineIntent")
    assert screen(voice)["title"] == "Introduction"


def test_the_apl_document_has_a_next_button_that_sends_next():
    document = load_document()
    text = json.dumps(document)
    assert document["type"] == "APL" and "payload" in document["mainTemplate"]["parameters"]
    assert '"type": "TouchWrapper"' in text and '{"type": "SendEvent", "arguments": ["next"]}' in text
    for field in ("title", "instruction", "progress", "percent", "showNext", "hint"):
        assert f"screen.{field}" in text


def test_replies_with_a_screen_stay_within_alexas_size_limit(tmp_path):
    """The longest chunks of the seed routine (every level, slowest pace) plus the document."""
    folder = tmp_path / "routines"
    folder.mkdir()
    shutil.copy(ROOT / "routines" / "back-pain.yaml", folder / "back-pain.yaml")
    app, adapter = make_audio_app(folder, None, tmp_path / "p.sqlite3", Clock(), public_url=None)
    client = app.test_client()
    library = RoutineLibrary(folder)
    largest = 0
    assert len(library.get("back-pain").levels) == 3
    for n, change in enumerate(("EasierIntent", None, "HarderIntent")):  # each level, from the middle one
        user = Device(client, user_id=f"amzn1.ask.account.apl-{n}").on(ECHO_SHOW)
        user.launch()
        if change:
            user.say(change)
        for _ in range(len(PACES)):
            user.say("SlowerIntent")
        reply = user.say("AMAZON.StartOverIntent")
        replies = 0
        while not reply.ended:
            replies += 1
            size = len(json.dumps(reply.document, separators=(",", ":"), ensure_ascii=False).encode())
            largest = max(largest, size)
            assert size <= MAX_RESPONSE_BYTES
            assert directives(reply, RENDER)
            reply = user.say("AMAZON.NextIntent")
        assert replies >= len(library.course("back-pain").graph.blocks) - 1  # the whole routine was walked
    assert largest > 4_000  # long sets at the slowest pace, with the document
    adapter.close()
