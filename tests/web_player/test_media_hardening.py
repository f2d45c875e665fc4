"""Defects a fault-injection pass found in the web player, kept as tests so they stay fixed: Range
headers too long for int(), listed files of a type the player has no content type for, symlinks
under a routine folder, files that change between the check and the open, the test server's
teardown race; and property-based fuzzing of the Range parser and of the media route."""
from __future__ import annotations

import http.client
import json
import logging
import os
import shutil
import socket
import threading
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from web_player import create_blueprint
from web_player.library import Library
from web_player.media import CONTENT_TYPES, content_type
from web_player.ranges import ByteRange, RangeNotSatisfiable, parse_range

from tests.live_server import live_server

FULL = "/media/mini/short/full-session.mp3"
HUGE = "9" * 5000  # more digits than int() takes from a string (4300)


# `built` (the output folder of the session's build of tests/data/mini.yaml, read only) and `output` (a
# private copy of it, for tests that change files) come from tests/web_player/conftest.py.


def make_client(output_dir: Path):
    app = Flask("media-hardening-test")
    app.register_blueprint(create_blueprint(output_dir))
    return app.test_client()


@pytest.fixture(scope="module")
def client(built):
    return make_client(built)


def full_bytes(built: Path) -> bytes:
    return (built / "mini" / "short" / "full-session.mp3").read_bytes()


def assert_404(response) -> None:
    assert response.status_code == 404, response.status_code
    assert response.mimetype == "text/html"
    assert b"Traceback" not in response.data and b'"format"' not in response.data


def edit_manifest(output: Path, change) -> None:
    path = output / "mini" / "manifest.json"
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def short_track(doc: dict, stem: str) -> dict:
    return next(t for t in doc["levels"]["short"]["tracks"] if Path(t["file"]).stem == stem)


# -- Range headers longer than int() takes -------------------------------------------------------------

@pytest.mark.parametrize("header, status, part", [
    pytest.param(f"bytes={HUGE}-", 416, None, id="first-past-any-file"),
    pytest.param(f"bytes={HUGE}-{HUGE}", 416, None, id="both-huge"),
    pytest.param(f"bytes=0-{HUGE}", 206, slice(0, None), id="end-clipped"),
    pytest.param(f"bytes=-{HUGE}", 206, slice(0, None), id="suffix-longer-than-file"),
    pytest.param(f"bytes=10-{'0' * 5000}9", 200, None, id="10-9-spelled-long-is-invalid"),
    pytest.param(f"bytes={'0' * 5000}1-{'0' * 5000}2", 206, slice(1, 3), id="leading-zeros"),
    pytest.param(f"bytes={HUGE}-1", 200, None, id="last-before-huge-first-is-invalid"),
    pytest.param(f"bytes={'1' * 5000}-{HUGE}", 416, None, id="huge-first-before-huger-last"),
])
def test_ranges_with_thousands_of_digits_are_never_a_server_error(client, built, header, status, part):
    data = full_bytes(built)
    response = client.get(FULL, headers={"Range": header})
    assert response.status_code == status
    if status == 416:
        assert response.headers["Content-Range"] == f"bytes */{len(data)}"
    elif status == 206:
        assert response.data == data[part]
    else:
        assert response.data == data


def test_a_range_with_thousands_of_digits_over_a_real_server(built):
    app = Flask("media-hardening-server")
    app.register_blueprint(create_blueprint(built))
    with live_server(app) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", FULL, headers={"Range": f"bytes={HUGE}-"})
        response = connection.getresponse()
        response.read()
        assert response.status == 416
        connection.request("GET", FULL, headers={"Range": f"bytes=-{HUGE}"})
        response = connection.getresponse()
        assert response.status == 206 and response.read() == full_bytes(built)
        connection.close()


# -- only types the player has a content type for --------------------------------------------------------

def test_content_types_are_exact():
    assert content_type("a/full-session.mp3") == "audio/mpeg"
    assert content_type("x.vtt") == CONTENT_TYPES[".vtt"]
    for name in ("notes.txt", "manifest.json", "A.MP3", "noext", ".mp3x", "x.mp3.bak"):
        assert content_type(name) is None, name


def test_a_listed_file_of_a_type_with_no_content_type_is_404_and_not_linked(output):
    (output / "mini" / "short" / "notes.txt").write_text("just notes")
    edit_manifest(output, lambda doc: short_track(doc, "02-lift").update(captions="short/notes.txt"))
    client = make_client(output)
    assert_404(client.get("/media/mini/short/notes.txt"))
    page = client.get("/routines/mini?track=02-lift")
    assert page.status_code == 200 and "notes.txt" not in page.get_data(as_text=True)


def test_a_listed_name_in_upper_case_is_not_served(output):
    (output / "mini" / "short" / "02-lift.mp3").rename(output / "mini" / "short" / "02-LIFT.MP3")
    edit_manifest(output, lambda doc: short_track(doc, "02-lift").update(file="short/02-LIFT.MP3"))
    assert_404(make_client(output).get("/media/mini/short/02-LIFT.MP3"))


def test_a_listed_folder_is_not_served(output):
    edit_manifest(output, lambda doc: doc["levels"]["short"].update(playlist="short"))
    assert_404(make_client(output).get("/media/mini/short/short"))


# -- symlinks anywhere under output/<routine>/ -----------------------------------------------------------

def test_a_caption_symlinked_to_the_manifest_is_404_and_not_linked(output):
    vtt = output / "mini" / "short" / "full-session.vtt"
    vtt.unlink()
    vtt.symlink_to(Path("..") / "manifest.json")
    client = make_client(output)
    response = client.get("/media/mini/short/full-session.vtt")
    assert_404(response)
    assert b"source_sha256" not in response.data
    html = client.get("/routines/mini").get_data(as_text=True)
    assert "full-session.vtt?v=" not in html and "full-session.mp3?v=" in html


@pytest.mark.parametrize("relative_target", [True, False])
def test_a_symlink_to_another_file_of_the_same_routine_is_404(output, relative_target):
    track = output / "mini" / "short" / "02-lift.mp3"
    other = output / "mini" / "long" / "02-lift.mp3"
    track.unlink()
    track.symlink_to(Path("..") / "long" / "02-lift.mp3" if relative_target else other)
    client = make_client(output)
    assert_404(client.get("/media/mini/short/02-lift.mp3"))
    assert client.get("/media/mini/long/02-lift.mp3").status_code == 200  # the real file still is served


def test_a_level_folder_that_is_a_symlink_is_404(output):
    level = output / "mini" / "short"
    level.rename(output / "mini" / "short-real")
    level.symlink_to("short-real", target_is_directory=True)
    client = make_client(output)
    for name in ("full-session.mp3", "full-session.vtt", "playlist.m3u8"):
        assert_404(client.get(f"/media/mini/short/{name}"))
    assert client.get("/media/mini/long/full-session.mp3").status_code == 200


def test_a_manifest_that_is_a_symlink_hides_the_routine(output, tmp_path):
    manifest = output / "mini" / "manifest.json"
    elsewhere = tmp_path / "manifest.json"
    shutil.move(manifest, elsewhere)
    manifest.symlink_to(elsewhere)
    client = make_client(output)
    assert "Nothing is built yet" in client.get("/").get_data(as_text=True)
    assert_404(client.get(FULL))


def test_a_fifo_listed_as_a_track_is_404_without_hanging(output):
    track = output / "mini" / "short" / "02-lift.mp3"
    track.unlink()
    os.mkfifo(track)
    assert_404(make_client(output).get("/media/mini/short/02-lift.mp3"))


# -- what changes between the library's check and the open -------------------------------------------------

def test_a_file_gone_between_the_check_and_the_open_is_404(output, monkeypatch):
    gone = output / "mini" / "short" / "gone.mp3"
    monkeypatch.setattr(Library, "media_path", lambda self, routine, level, name: gone)
    assert_404(make_client(output).get(FULL))


def test_a_file_swapped_for_a_symlink_after_the_check_is_404(output, monkeypatch):
    link = output / "mini" / "short" / "swapped.mp3"
    link.symlink_to("full-session.mp3")
    monkeypatch.setattr(Library, "media_path", lambda self, routine, level, name: link)
    assert_404(make_client(output).get(FULL, headers={"Range": "bytes=0-9"}))


# -- the test server stops without a thread error ----------------------------------------------------------

def test_the_live_server_stops_cleanly_with_requests_in_flight(built, caplog):
    """The old teardown (server.close() from the test's thread) failed here in most cycles: EBADF from
    select() in the loop thread, or from a worker pulling the closed trigger."""
    caplog.set_level(logging.WARNING, logger="waitress")
    failures: list[BaseException] = []
    previous = threading.excepthook
    threading.excepthook = lambda args: failures.append(args.exc_value)
    try:
        app = Flask("media-hardening-restarts")
        app.register_blueprint(create_blueprint(built))
        for _ in range(15):
            with live_server(app) as port:
                # kept-alive connections with requests still being answered when the server stops
                sockets = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(3)]
                for sock in sockets:
                    sock.sendall(f"GET {FULL} HTTP/1.1\r\nHost: x\r\nRange: bytes=0-99999\r\n\r\n".encode())
                sockets[0].recv(100)
            for sock in sockets:
                sock.close()
    finally:
        threading.excepthook = previous
    assert failures == []
    assert not [r for r in caplog.records if "Bad file descriptor" in r.getMessage() or r.exc_info]


# -- property-based: the Range parser --------------------------------------------------------------------

def check_outcome(header: str | None, size: int):
    """parse_range's answer, checked to be one of the three allowed outcomes; returned for more checks."""
    try:
        wanted = parse_range(header, size)
    except RangeNotSatisfiable as exc:
        assert exc.size == size and exc.content_range == f"bytes */{size}"
        return "unsatisfiable"
    if wanted is None:
        return "ignore"
    assert isinstance(wanted, ByteRange)
    assert 0 <= wanted.start <= wanted.end < size
    assert wanted.length == wanted.end - wanted.start + 1
    assert wanted.content_range(size) == f"bytes {wanted.start}-{wanted.end}/{size}"
    return wanted


sizes = st.one_of(st.integers(0, 3), st.integers(0, 10**6), st.integers(0, 2**63))
numbers = st.one_of(
    st.integers(0, 2**64).map(str),
    st.text("0123456789", min_size=1, max_size=40),
    st.integers(4000, 6000).map(lambda n: "9" * n),
    st.integers(1, 6000).map(lambda n: "0" * n + "7"),
)


@settings(max_examples=2000, deadline=None)
@given(header=st.one_of(st.none(), st.text(max_size=200)), size=sizes)
def test_any_header_text_gives_a_range_in_the_file_unsatisfiable_or_ignore(header, size):
    check_outcome(header, size)


@st.composite
def range_like(draw) -> str:
    """Headers near the grammar: units, spaces, commas, signs and very long numbers mixed."""
    unit = draw(st.sampled_from(["bytes", "Bytes", " bytes ", "BYTES", "items", "", "bytes "]))
    sep = draw(st.sampled_from(["=", "=", "= ", " =", ":", ""]))
    specs = []
    for _ in range(draw(st.integers(0, 3))):
        first = draw(st.one_of(st.just(""), numbers))
        last = draw(st.one_of(st.just(""), numbers))
        dash = draw(st.sampled_from(["-", "-", "--", "+", " - "]))
        specs.append(f"{first}{dash}{last}")
    joiner = draw(st.sampled_from([",", ", ", " ,", ",,"]))
    return f"{unit}{sep}" + joiner.join(specs) + draw(st.sampled_from(["", ",", " ", ", "]))


@settings(max_examples=2000, deadline=None)
@given(header=range_like(), size=sizes)
def test_near_grammar_headers_give_a_range_in_the_file_unsatisfiable_or_ignore(header, size):
    check_outcome(header, size)


@settings(max_examples=2000, deadline=None)
@given(first=st.one_of(st.just(""), numbers), last=st.one_of(st.just(""), numbers), size=sizes)
def test_single_ranges_mean_what_rfc_9110_says(first, last, size):
    """Against a plain model of RFC 9110 14.1.2 for one well-formed range spec. Decimal, because it reads
    numbers of any length exactly (int() stops at 4300 digits)."""
    outcome = check_outcome(f"bytes={first}-{last}", size)
    a, b = (Decimal(first) if first else None), (Decimal(last) if last else None)
    if a is None and b is None:
        expected = "ignore"
    elif a is None:  # suffix: the last b bytes
        expected = "unsatisfiable" if b == 0 or size == 0 else ByteRange(int(max(size - b, 0)), size - 1)
    elif b is not None and b < a:
        expected = "ignore"  # last before first: invalid syntax
    elif a >= size:
        expected = "unsatisfiable"
    else:
        expected = ByteRange(int(a), int(min(b, size - 1)) if b is not None else size - 1)
    assert outcome == expected


# -- property-based: the media route through Flask's test client --------------------------------------------

header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"),
                      max_size=120)
segment = st.one_of(st.sampled_from(["mini", "short", "long", "full-session.mp3", "02-lift.mp3", "playlist.m3u8",
                                     "full-session.vtt", "manifest.json", "..", ".", "%2e%2e", ".build.lock"]),
                    st.text(max_size=20))


@settings(max_examples=1000, deadline=None)
@given(
    method=st.sampled_from(["GET", "HEAD"]),
    parts=st.one_of(st.just(("mini", "short", "full-session.mp3")), st.tuples(segment, segment, segment)),
    quoted=st.booleans(),
    range_=st.one_of(st.none(), range_like(), header_text),
    if_range=st.one_of(st.none(), st.sampled_from(["ETAG", "DATE"]), header_text),
    if_none_match=st.one_of(st.none(), header_text),
    if_modified_since=st.one_of(st.none(), st.sampled_from(["Thu, 01 Jan 1970 00:00:00 GMT",
                                                            "Fri, 31 Dec 9999 23:59:59 GMT"]), header_text),
    v=st.one_of(st.none(), header_text),
    download=st.one_of(st.none(), st.sampled_from(["1", ""]), header_text),
)
def test_the_media_route_never_answers_5xx(client, built, method, parts, quoted, range_, if_range, if_none_match,
                                           if_modified_since, v, download):
    path = "/media/" + "/".join(quote(p, safe="") if quoted else p.replace("?", "%3F").replace("#", "%23")
                                for p in parts)
    if if_range in ("ETAG", "DATE"):
        current = client.head(FULL)
        if_range = current.headers["ETag"] if if_range == "ETAG" else current.headers["Last-Modified"]
    headers = {name: text for name, text in (("Range", range_), ("If-Range", if_range), ("If-None-Match", if_none_match),
                                              ("If-Modified-Since", if_modified_since)) if text is not None}
    query = {name: text for name, text in (("v", v), ("download", download)) if text is not None}
    response = client.open(path, method=method, headers=headers, query_string=query)
    assert response.status_code < 500, (path, headers, response.status_code)
    assert response.status_code in (200, 206, 304, 308, 404, 416)
    if response.status_code == 206 and method == "GET":
        data = (built / "mini" / parts[1] / parts[2]).read_bytes()
        first, last = map(int, response.headers["Content-Range"].removeprefix("bytes ").split("/")[0].split("-"))
        assert response.data == data[first:last + 1]
        assert int(response.headers["Content-Length"]) == len(response.data)
