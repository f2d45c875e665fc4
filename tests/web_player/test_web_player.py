"""The web player's routes through Flask's test client: library, player pages, media with Range
requests and caching headers, 404s and traversal attempts, manifest reloads; plus one real waitress
server for raw paths that a client library would normalise."""
from __future__ import annotations

import fnmatch
import http.client
import json
import os
import re
import shutil
import socket
import tomllib
from email.utils import formatdate
from pathlib import Path

import pytest
from flask import Flask

from audio_builder.build import Builder, BuildSettings
from web_player import create_blueprint
from web_player.ranges import ByteRange, RangeNotSatisfiable, parse_range

from tests.live_server import live_server

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "data" / "mini.yaml"


# -- fixtures ---------------------------------------------------------------------------------------

# `built` (the output folder of the session's build of tests/data/mini.yaml, read only) and `output` (a
# private copy of it, for tests that change files) come from tests/web_player/conftest.py.


def make_client(output_dir: Path):
    app = Flask("web-player-test")
    app.register_blueprint(create_blueprint(output_dir))
    return app.test_client()


@pytest.fixture(scope="module")
def client(built):
    return make_client(built)


@pytest.fixture(scope="module")
def manifest(built) -> dict:
    return json.loads((built / "mini" / "manifest.json").read_text())


def mp3(built: Path, name: str = "full-session.mp3", level: str = "short") -> bytes:
    return (built / "mini" / level / name).read_bytes()


FULL = "/media/mini/short/full-session.mp3"


def assert_friendly_404(response) -> None:
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert "<h1>Not found</h1>" in body and 'href="/"' in body
    assert "Traceback" not in body and "ID3" not in body and '"format"' not in body


# -- pages ------------------------------------------------------------------------------------------

def test_library_lists_built_routines_with_levels_durations_and_build_time(client, manifest):
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "Mini routine" in html and 'href="/routines/mini"' in html
    for level in ("short", "long"):
        assert f'href="/routines/mini?level={level}"' in html
        minutes = max(round(manifest["levels"][level]["duration_ms"] / 60000), 1)
        assert f"{minutes} min" in html
    assert f'datetime="{manifest["built_at"].replace("Z", "+00:00")}"' in html
    assert "Nothing is built yet" not in html


@pytest.mark.parametrize("make_folder", [False, True])
def test_empty_library_says_what_to_run(tmp_path, monkeypatch, make_folder):
    monkeypatch.chdir(tmp_path)
    if make_folder:
        (tmp_path / "output").mkdir()
    html = make_client(Path("output")).get("/").get_data(as_text=True)
    assert "Nothing is built yet" in html
    assert "<code>back-routine build</code>" in html  # the default output folder needs no --out
    other = make_client(tmp_path / "elsewhere").get("/").get_data(as_text=True)
    assert f"back-routine build --out {tmp_path / 'elsewhere'}" in other


def test_routine_page_plays_the_full_session_of_the_default_level(client, manifest):
    html = client.get("/routines/mini").get_data(as_text=True)
    full = manifest["levels"]["short"]["tracks"][0]
    assert full["kind"] == "full"
    assert re.search(r'<audio id="player-audio" controls preload="metadata" src="/media/mini/short/full-session\.mp3\?v=[0-9a-f-]+"', html)
    assert re.search(r'<track kind="captions" src="/media/mini/short/full-session\.vtt\?v=[0-9a-f-]+" srclang="en"', html)
    assert 'href="/routines/mini?level=short" aria-current="page"' in html
    # the chapter list is the manifest's, first one current until playback says otherwise
    starts = [int(s) for s in re.findall(r'data-chapter-start="(\d+)"', html)]
    assert starts == [c["start_ms"] for c in full["chapters"]]
    assert html.count('aria-current="true"') == 1
    assert re.search(r'data-chapter-title="Introduction" aria-label="Introduction, at 0 seconds" aria-current="true"', html)
    # a live region for the captions, labelled
    assert re.search(r'id="caption" aria-live="polite"', html)
    # every track and the playlist can be downloaded
    for track in manifest["levels"]["short"]["tracks"]:
        name = Path(track["file"]).name
        assert re.search(rf'href="/media/mini/short/{re.escape(name)}\?v=[0-9a-f-]+&amp;download=1" download>MP3', html), name
        assert f'href="/routines/mini?level=short&amp;track={Path(name).stem}"' in html
    assert re.search(r'href="/media/mini/short/playlist\.m3u8\?v=[0-9a-f-]+&amp;download=1" download>Playlist', html)


def test_level_and_track_choice(client, manifest):
    html = client.get("/routines/mini?level=long&track=02-lift").get_data(as_text=True)
    track = next(t for t in manifest["levels"]["long"]["tracks"] if t["file"] == "long/02-lift.mp3")
    assert 'src="/media/mini/long/02-lift.mp3?v=' in html
    assert [int(s) for s in re.findall(r'data-chapter-start="(\d+)"', html)] == [c["start_ms"] for c in track["chapters"]]
    assert 'href="/routines/mini?level=long&amp;track=02-lift" aria-current="page"' in html
    assert 'href="/routines/mini?level=long&amp;track=03-side-hold">Next track: 2. Side hold</a>' in html
    last = client.get("/routines/mini?level=long&track=04-finish").get_data(as_text=True)
    assert "Next track:" not in last


def test_unknown_routine_level_or_track_is_a_friendly_404(client):
    assert_friendly_404(client.get("/routines/nope"))
    response = client.get("/routines/mini?level=extreme")
    assert_friendly_404(response)
    assert "has no level called “extreme”" in response.get_data(as_text=True)
    assert_friendly_404(client.get("/routines/mini?track=../manifest"))
    assert_friendly_404(client.get("/routines/..%2fmini"))
    assert_friendly_404(client.get("/no/such/page"))


def test_empty_choices_mean_the_defaults(client):
    html = client.get("/routines/mini?level=&track=").get_data(as_text=True)
    assert 'src="/media/mini/short/full-session.mp3?v=' in html


def test_a_manifest_with_no_level_built_says_how_to_build(output):
    path = output / "mini" / "manifest.json"
    doc = json.loads(path.read_text())
    doc["levels"] = {}
    path.write_text(json.dumps(doc))
    response = make_client(output).get("/routines/mini")
    assert_friendly_404(response)
    assert "“Mini routine” is not built yet" in response.get_data(as_text=True)
    assert f"back-routine build mini --out {output}" in response.get_data(as_text=True)


def test_a_level_not_built_says_how_to_build_it(tmp_path):
    out = tmp_path / "output"
    Builder(out, tmp_path / "cache", BuildSettings(engine="espeak")).build(MINI, levels=["short"])
    client = make_client(out)
    response = client.get("/routines/mini?level=long")
    assert_friendly_404(response)
    assert f"back-routine build mini --level long --out {out}" in response.get_data(as_text=True)
    library = client.get("/").get_data(as_text=True)
    assert "not built" in library and 'href="/routines/mini?level=short"' in library


def test_pages_are_revalidated_and_load_nothing_from_elsewhere(client):
    for url in ("/", "/routines/mini"):
        response = client.get(url)
        assert response.headers["Cache-Control"] == "no-cache"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        html = response.get_data(as_text=True)
        assert "http://" not in html and "https://" not in html and "<script>" not in html
    for name in ("player.js", "player.css", "icon.svg"):
        assert client.get(f"/player-static/{name}").status_code == 200


# -- media: types, ranges, caching --------------------------------------------------------------------

@pytest.mark.parametrize("name, content_type", [
    ("full-session.mp3", "audio/mpeg"),
    ("02-lift.mp3", "audio/mpeg"),
    ("full-session.vtt", "text/vtt; charset=utf-8"),
    ("playlist.m3u8", "audio/x-mpegurl"),
])
def test_listed_files_are_served_whole_with_their_type(client, built, name, content_type):
    response = client.get(f"/media/mini/short/{name}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data == (built / "mini" / "short" / name).read_bytes()
    assert int(response.headers["Content-Length"]) == len(response.data)


def test_range_first_bytes(client, built):
    data = mp3(built)
    response = client.get(FULL, headers={"Range": "bytes=0-99"})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes 0-99/{len(data)}"
    assert response.headers["Content-Length"] == "100"
    assert response.data == data[:100]


@pytest.mark.parametrize("header, start, end", [
    ("bytes=1000-", 1000, None),           # open-ended: what Chrome sends when seeking
    ("bytes=-500", -500, None),            # suffix: the last 500 bytes
    ("bytes=0-1", 0, 2),                   # Safari's probe
    ("bytes=0-999999999", 0, None),        # an end past the file is clipped
    ("bytes=-999999999", 0, None),         # a suffix longer than the file is the whole file
    ("Bytes = 10-19", 10, 20),             # the unit is case-insensitive, spaces allowed
    ("bytes=5000-5000", 5000, 5001),       # a single byte
])
def test_range_forms(client, built, header, start, end):
    data = mp3(built)
    expected = data[start:end]
    first = start % len(data)
    response = client.get(FULL, headers={"Range": header})
    assert response.status_code == 206
    assert response.data == expected
    assert response.headers["Content-Range"] == f"bytes {first}-{first + len(expected) - 1}/{len(data)}"
    assert int(response.headers["Content-Length"]) == len(expected)


@pytest.mark.parametrize("header", ["bytes={size}-", "bytes={size}-{bigger}", "bytes=-0"])
def test_unsatisfiable_range_is_416(client, built, header):
    size = len(mp3(built))
    response = client.get(FULL, headers={"Range": header.format(size=size, bigger=size + 10)})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{size}"


@pytest.mark.parametrize("header", ["bytes=5-2", "items=0-10", "bytes=abc", "bytes=0-1,5-6", "bytes=", "bytes=+1-2",
                                    "bytes=-"])
def test_ranges_we_may_ignore_get_the_whole_file(client, built, header):
    response = client.get(FULL, headers={"Range": header})
    assert response.status_code == 200
    assert response.data == mp3(built)


def test_head_gives_the_headers_only(client, built):
    response = client.head(FULL, headers={"Range": "bytes=10-"})
    assert response.status_code == 206
    assert response.headers["Content-Length"] == str(len(mp3(built)) - 10)
    assert response.data == b""


def test_etag_last_modified_and_conditional_requests(client, built):
    first = client.get(FULL)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert re.fullmatch(r'"[0-9a-f]+-[0-9a-f]+"', etag)
    assert client.get(FULL, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(FULL, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get(FULL, headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get(FULL, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(FULL, headers={"If-Modified-Since": formatdate(0, usegmt=True)}).status_code == 200
    # If-Range: the range only if the client's copy is the current one (strong ETag or exact date)
    assert client.get(FULL, headers={"Range": "bytes=0-9", "If-Range": etag}).status_code == 206
    assert client.get(FULL, headers={"Range": "bytes=0-9", "If-Range": modified}).status_code == 206
    stale = client.get(FULL, headers={"Range": "bytes=0-9", "If-Range": '"0-0"'})
    assert stale.status_code == 200 and stale.data == mp3(built)
    assert client.get(FULL, headers={"Range": "bytes=0-9", "If-Range": f"W/{etag}"}).status_code == 200
    assert client.get(FULL, headers={"Range": "bytes=0-9", "If-Range": formatdate(0, usegmt=True)}).status_code == 200


def test_versioned_urls_are_cached_for_long_and_others_revalidated(client):
    html = client.get("/routines/mini").get_data(as_text=True)
    url = re.search(r'src="(/media/mini/short/full-session\.mp3\?v=[^"]+)"', html)[1]
    assert client.get(url).headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert client.get(FULL).headers["Cache-Control"] == "no-cache"
    assert client.get(FULL + "?v=stale").headers["Cache-Control"] == "no-cache"


def test_download_links_name_the_file(client):
    response = client.get(FULL + "?download=1")
    assert response.headers["Content-Disposition"].startswith('attachment; filename="mini-short-full-session.mp3"')
    assert "Content-Disposition" not in client.get(FULL).headers


# -- media: only what a manifest lists ----------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "/media/nope/short/full-session.mp3",           # unknown routine
    "/media/mini/extreme/full-session.mp3",         # unknown level
    "/media/mini/short/missing.mp3",                # not in the manifest
    "/media/mini/short/manifest.json",
    "/media/mini/short/.build.lock",
    "/media/mini/long/../short/full-session.mp3",   # traversal, plain (the client keeps the dots)
    "/media/mini/short/../manifest.json",
    "/media/mini/short/%2e%2e/manifest.json",       # percent-encoded dots
    "/media/mini/short/..%2fmanifest.json",         # encoded slash
    "/media/mini/short/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/media/mini/short//etc/passwd",                # absolute path
    "/media/mini/short/%2Fetc%2Fpasswd",
    "/media/mini/..%2fmini%2fshort/full-session.mp3",
    "/media/..%2fmini/short/full-session.mp3",
    "/media/%2e%2e/mini/manifest.json",
    "/media/mini/short/full-session.mp3%00.vtt",    # NUL
    "/media/mini/short/FULL-SESSION.MP3",           # names are exact
])
def test_files_not_listed_in_a_manifest_are_404(client, url):
    # follow_redirects: Werkzeug answers "//" with a redirect to the merged path, which must 404 too
    assert_friendly_404(client.get(url, headers={"Range": "bytes=0-"}, follow_redirects=True))


def test_a_file_in_the_level_folder_but_not_in_the_manifest_is_404(output):
    (output / "mini" / "short" / "notes.mp3").write_bytes(b"not built")
    assert_friendly_404(make_client(output).get("/media/mini/short/notes.mp3"))


def test_a_listed_file_replaced_by_a_symlink_out_of_the_folder_is_404(output, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    target = output / "mini" / "short" / "02-lift.mp3"
    target.unlink()
    target.symlink_to(secret)
    client = make_client(output)
    response = client.get("/media/mini/short/02-lift.mp3")
    assert_friendly_404(response)
    assert b"secret" not in response.data
    html = client.get("/routines/mini?track=02-lift").get_data(as_text=True)
    assert "02-lift.mp3?v=" not in html and "file is missing right now" in html


def test_a_routine_folder_symlinked_out_of_the_output_folder_is_not_served(output, tmp_path):
    outside = tmp_path / "outside"
    shutil.copytree(output / "mini", outside)
    (output / "linked").symlink_to(outside, target_is_directory=True)
    client = make_client(output)
    assert_friendly_404(client.get("/media/linked/short/full-session.mp3"))
    assert_friendly_404(client.get("/routines/linked"))
    assert "/routines/linked" not in client.get("/").get_data(as_text=True)


def test_a_symlink_within_the_routine_folder_is_refused_too(output):
    # Builds never make these, and "points inside the folder" is no safe test (a .vtt linked to
    # manifest.json is inside): every symlink under output/<routine>/ is refused.
    target = output / "mini" / "short" / "04-finish.vtt"
    target.unlink()
    target.symlink_to(output / "mini" / "long" / "04-finish.vtt")
    assert_friendly_404(make_client(output).get("/media/mini/short/04-finish.vtt"))


# -- manifests are re-read when they change ------------------------------------------------------------

def test_a_rebuild_shows_without_restarting(output):
    client = make_client(output)
    assert "Mini routine" in client.get("/").get_data(as_text=True)
    path = output / "mini" / "manifest.json"
    doc = json.loads(path.read_text())
    doc["title"] = "Mini routine, rebuilt"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc))
    os.replace(tmp, path)  # as the builder does: a new file renamed into place
    assert "Mini routine, rebuilt" in client.get("/").get_data(as_text=True)
    assert "Mini routine, rebuilt" in client.get("/routines/mini").get_data(as_text=True)
    shutil.rmtree(output / "mini")
    assert "Nothing is built yet" in client.get("/").get_data(as_text=True)
    assert_friendly_404(client.get("/routines/mini"))


def test_an_unchanged_manifest_is_not_read_again(output, monkeypatch):
    from audio_builder import manifest_reader as manifest_module

    client = make_client(output)
    reads = []
    real = manifest_module.parse_manifest
    monkeypatch.setattr(manifest_module, "parse_manifest", lambda raw, source: reads.append(source) or real(raw, source))
    for _ in range(3):
        client.get("/")
        client.get("/routines/mini")
    assert len(reads) <= 1  # at most the first (the cache may already hold it)


@pytest.mark.parametrize("content", ["{not json", '{"format": 1, "levels": {"short": {"tracks": [{"file": 3}]}}}',
                                     '{"format": 2}', "[]"])
def test_a_broken_manifest_hides_the_routine_and_nothing_crashes(output, content):
    (output / "mini" / "manifest.json").write_text(content)
    client = make_client(output)
    assert "Nothing is built yet" in client.get("/").get_data(as_text=True)
    assert_friendly_404(client.get("/routines/mini"))
    assert_friendly_404(client.get(FULL))


# -- Range parsing, on its own ---------------------------------------------------------------------------

@pytest.mark.parametrize("header, size, expected", [
    (None, 10, None), ("", 10, None),
    ("bytes=0-0", 10, ByteRange(0, 0)), ("bytes=2-", 10, ByteRange(2, 9)), ("bytes=-3", 10, ByteRange(7, 9)),
    ("bytes=3-100", 10, ByteRange(3, 9)), ("bytes=-100", 10, ByteRange(0, 9)), (" bytes = 1-2 ", 10, ByteRange(1, 2)),
    ("bytes=1-2,", 10, ByteRange(1, 2)),  # empty list elements are allowed
    ("bytes=2-1", 10, None), ("bytes=1-2,4-5", 10, None), ("pages=1-2", 10, None), ("bytes", 10, None),
    ("bytes=1_0-", 10, None), ("bytes= 1 -2", 10, None), ("bytes=-", 10, None), ("bytes=٣-", 10, None),
])
def test_parse_range(header, size, expected):
    assert parse_range(header, size) == expected


@pytest.mark.parametrize("header, size", [("bytes=10-", 10), ("bytes=10-20", 10), ("bytes=-0", 10), ("bytes=0-", 0),
                                          ("bytes=-5", 0)])
def test_parse_range_unsatisfiable(header, size):
    with pytest.raises(RangeNotSatisfiable) as caught:
        parse_range(header, size)
    assert caught.value.content_range == f"bytes */{size}"


# -- wiring --------------------------------------------------------------------------------------------

def test_serve_registers_the_player_next_to_the_skill(built, tmp_path):
    from click.testing import CliRunner

    from skill.cli import serve
    from skill.serve import make_app

    app = make_app(ROOT / "routines", tmp_path / "db.sqlite3", skill_id=None, verify=False, output_dir=built)
    client = app.test_client()
    assert "Mini routine" in client.get("/").get_data(as_text=True)
    assert client.get(FULL, headers={"Range": "bytes=0-9"}).status_code == 206
    assert client.get("/alexa").status_code == 405  # the skill is still there
    assert client.get("/healthz").status_code == 200
    assert "--output DIR" in CliRunner().invoke(serve, ["--help"]).output


def test_templates_and_static_files_are_package_data():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = config["package-data"]["web_player"]
    assert "web_player*" in config["packages"]["find"]["include"]
    package = ROOT / "web_player"
    files = [p.relative_to(package).as_posix() for folder in ("templates", "static")
             for p in (package / folder).rglob("*") if p.is_file()]
    assert files
    for name in files:
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), f"{name} would be left out of a wheel"


# -- a real server: raw request paths, as a browser or curl could send them ----------------------------

@pytest.fixture(scope="module")
def server(built):
    app = Flask("web-player-server-test")
    app.register_blueprint(create_blueprint(built))
    with live_server(app) as port:  # stops without the close-during-select race (see tests/live_server.py)
        yield port


def raw_get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        lines = [f"GET {path} HTTP/1.1", "Host: localhost", "Connection: close"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), parsed, body


@pytest.mark.parametrize("path", [
    "/media/mini/short/../../../etc/passwd",
    "/media/mini/short/..%2f..%2fmanifest.json",
    "/media/mini/../mini/manifest.json",
    "/media/../../etc/passwd",
    "/media/mini/short/%2e%2e/%2e%2e/mini/manifest.json",
    "/media/mini/short/..\\manifest.json",
    "/media/mini/short/%252e%252e/manifest.json",
])
def test_raw_traversal_paths_on_a_real_server(server, path):
    status, headers, body = raw_get(server, path)
    assert status == 404
    assert headers["content-type"].startswith("text/html")
    assert b"root:" not in body and b'"format"' not in body


def test_range_over_a_real_server(server, built):
    data = mp3(built)
    status, headers, body = raw_get(server, FULL, {"Range": "bytes=1000-1999"})
    assert status == 206 and body == data[1000:2000]
    assert headers["content-range"] == f"bytes 1000-1999/{len(data)}"
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    connection.request("GET", FULL, headers={"Range": "bytes=-10"})
    response = connection.getresponse()
    assert response.status == 206 and response.read() == data[-10:]
    connection.close()
