"""The web player at another pace (web_player/variant_views.py): the page's pace choice, variant files
assembled on request with Range, ETag, If-None-Match, If-Range and downloads, and a clear 4xx or 503
for every bad address or missing piece, through Flask's test client over the session's build of the
mini routine; plus one real waitress server for a whole variant over HTTP."""
from __future__ import annotations

import http.client
import re
import shutil
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from audio_builder.cue_cache import CueCache, CueSynthesizer
from audio_builder.manifest_reader import load_manifest
from audio_builder.mp3 import Mp3Format
from audio_builder.variant_source import VariantSource
from audio_builder.voice import Voice
from web_player import create_blueprint

from tests.live_server import live_server

SLOW = "/media/mini/short/pace-1.5/full-session.mp3"


def make_client(output: Path, routines: Path | None, cache: Path | None):
    app = Flask("web-player-variants-test")
    app.register_blueprint(create_blueprint(output, routines_dir=routines, cache_dir=cache))
    return app.test_client()


@pytest.fixture(scope="module")
def client(mini_build):
    return make_client(mini_build.output, mini_build.routines, mini_build.cache)


@pytest.fixture(scope="module")
def variants(mini_build):
    """The same variants, assembled directly (audio_builder/variant_source.py)."""
    source = VariantSource(mini_build.routines, mini_build.cache)
    manifest = load_manifest(mini_build.output / "mini")
    return lambda level, pace: source.variant_set(manifest, level, pace)


def whole(variant) -> bytes:
    return b"".join(variant.chunks())


def chapter_starts(html: str) -> list[int]:
    return [int(ms) for ms in re.findall(r'data-chapter-start="(\d+)"', html)]


def audio_src(html: str) -> str:
    return re.search(r'<audio id="player-audio"[^>]* src="([^"]+)"', html)[1].replace("&amp;", "&")


# -- the page ---------------------------------------------------------------------------------------

def test_the_page_plays_the_pace_in_its_address_with_that_paces_chapters_and_captions(client, variants):
    as_written = client.get("/routines/mini?level=short").get_data(as_text=True)
    page = client.get("/routines/mini?level=short&pace=1.5")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    variant = variants("short", 1.5).part("full-session")
    assert audio_src(html) == f"{SLOW}?v={variant.etag}"
    assert '/media/mini/short/pace-1.5/full-session.vtt?v=' in html
    assert chapter_starts(html) == [c.start_ms for c in variant.track.chapters]
    assert chapter_starts(html) != chapter_starts(as_written)
    assert "pace 1.5" in html and "<title>Mini routine (short, pace 1.5)" in html
    # the pace list marks 1.5, the presets link to their paces and keep the level
    assert re.search(r'<option value="1.5" selected>1.5 \(much slower\)</option>', html)
    assert '<option value="1">1 (as written)</option>' in html
    assert 'href="/routines/mini?level=short&amp;pace=1.25"' in html and 'href="/routines/mini?level=short"' in html
    # the level pills, the track list and the downloads stay at this pace
    assert 'href="/routines/mini?level=long&amp;pace=1.5"' in html
    assert 'href="/routines/mini?level=short&amp;track=02-lift&amp;pace=1.5"' in html
    assert f'{SLOW}?v={variant.etag}&amp;download=1' in html
    assert "Playlist (M3U8)" not in html  # the parts of a variant are not saved as a folder


def test_as_written_is_the_prebuilt_tracks_served_from_their_files(client):
    for query in ("", "&pace=1", "&pace=1.0", "&pace="):
        html = client.get(f"/routines/mini?level=short{query}").get_data(as_text=True)
        assert audio_src(html).startswith("/media/mini/short/full-session.mp3?v=")
        assert '<option value="1" selected>1 (as written)</option>' in html


def test_a_part_at_a_pace(client, variants):
    html = client.get("/routines/mini?level=long&track=03-side-hold&pace=2").get_data(as_text=True)
    variant = variants("long", 2.0).part("03-side-hold")
    assert audio_src(html) == f"/media/mini/long/pace-2/03-side-hold.mp3?v={variant.etag}"
    assert chapter_starts(html) == [c.start_ms for c in variant.track.chapters]
    assert '<input type="hidden" name="track" value="03-side-hold">' in html


@pytest.mark.parametrize("pace", ["abc", "1.23", "0.5", "2.05", "-1", "1e0", "nan", "inf", "1,5", "0x1", "9" * 5000,
                                  "1.2500001", "%00", "１.５"])
def test_a_pace_we_do_not_offer_is_a_400_naming_the_ones_we_do(client, pace):
    page = client.get("/routines/mini", query_string={"pace": pace})
    assert page.status_code == 400 and page.mimetype == "text/html"
    body = page.get_data(as_text=True)
    assert "0.75 to 2 in steps of 0.05" in body and "Traceback" not in body
    assert 'href="/routines/mini"' in body  # the routine as written
    media = client.get(f"/media/mini/short/pace-{pace}/full-session.mp3")
    assert media.status_code in (400, 404)  # 404: not even a file name ("%00", a slash)
    if media.status_code == 400:
        assert media.mimetype == "text/plain" and "0.75 to 2 in steps of 0.05" in media.get_data(as_text=True)


def test_a_server_without_the_routines_folder_says_so(mini_build):
    client = make_client(mini_build.output, None, None)
    page = client.get("/routines/mini?pace=1.5")
    assert page.status_code == 404 and "routines folder" in page.get_data(as_text=True)
    assert client.get(SLOW).status_code == 404
    html = client.get("/routines/mini").get_data(as_text=True)
    assert 'id="pace-select"' not in html and audio_src(html).startswith("/media/mini/short/full-session.mp3")


# -- the files ------------------------------------------------------------------------------------

def test_a_variant_file_is_the_variant_with_strong_validators(client, variants):
    variant = variants("short", 1.5).part("full-session")
    response = client.get(SLOW)
    assert response.status_code == 200 and response.mimetype == "audio/mpeg"
    assert response.data == whole(variant)
    assert response.headers["Content-Length"] == str(variant.size)
    assert response.headers["ETag"] == f'"{variant.etag}"' and response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Cache-Control"] == "no-cache" and "Last-Modified" not in response.headers
    versioned = client.get(f"{SLOW}?v={variant.etag}")
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    head = client.head(SLOW)
    assert head.status_code == 200 and head.data == b"" and head.headers["Content-Length"] == str(variant.size)
    captions = client.get("/media/mini/short/pace-1.5/full-session.vtt")
    assert captions.status_code == 200 and captions.headers["Content-Type"] == "text/vtt; charset=utf-8"
    assert captions.get_data(as_text=True) == variant.vtt and "five" in variant.vtt


def test_download_is_an_attachment_named_with_the_pace(client, variants):
    response = client.get(f"{SLOW}?download=1")
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="mini-short-pace-1.5-full-session.mp3"')
    assert response.data == whole(variants("short", 1.5).part("full-session"))


def test_ranges_304_and_416(client, variants):
    variant = variants("short", 1.5).part("full-session")
    full, size, etag = whole(variant), variant.size, f'"{variant.etag}"'
    part = client.get(SLOW, headers={"Range": "bytes=1000-4999"})
    assert part.status_code == 206 and part.data == full[1000:5000]
    assert part.headers["Content-Range"] == f"bytes 1000-4999/{size}" and part.headers["Content-Length"] == "4000"
    assert client.get(SLOW, headers={"Range": "bytes=-300"}).data == full[-300:]
    assert client.get(SLOW, headers={"Range": f"bytes={size - 10}-"}).data == full[-10:]
    assert client.get(SLOW, headers={"Range": f"bytes=5-{size * 9}"}).data == full[5:]
    unsatisfiable = client.get(SLOW, headers={"Range": f"bytes={size}-"})
    assert unsatisfiable.status_code == 416 and unsatisfiable.headers["Content-Range"] == f"bytes */{size}"
    several = client.get(SLOW, headers={"Range": "bytes=0-10,20-30"})
    assert several.status_code == 200 and several.data == full  # as for built files (ranges.py)
    assert client.get(SLOW, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(SLOW, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get(SLOW, headers={"If-None-Match": '"other"'}).status_code == 200
    same = client.get(SLOW, headers={"Range": "bytes=10-19", "If-Range": etag})
    assert same.status_code == 206 and same.data == full[10:20]
    changed = client.get(SLOW, headers={"Range": "bytes=10-19", "If-Range": '"an-older-copy"'})
    assert changed.status_code == 200 and changed.data == full
    dated = client.get(SLOW, headers={"Range": "bytes=10-19", "If-Range": "Tue, 01 Jan 2030 00:00:00 GMT"})
    assert dated.status_code == 200 and dated.data == full  # no Last-Modified: a date never matches
    assert client.get(SLOW, headers={"If-Modified-Since": "Tue, 01 Jan 2030 00:00:00 GMT"}).status_code == 200


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=6))
def test_range_requests_concatenate_to_the_whole_file(client, variants, cuts):
    variant = variants("long", 1.25).part("full-session")
    url, full = "/media/mini/long/pace-1.25/full-session.mp3", whole(variant)
    points = sorted({0, variant.size, *(c % variant.size for c in cuts)})
    got = []
    for a, b in zip(points, points[1:]):
        response = client.get(url, headers={"Range": f"bytes={a}-{b - 1}"})
        assert response.status_code == 206 and response.headers["Content-Range"] == f"bytes {a}-{b - 1}/{variant.size}"
        got.append(response.data)
    assert b"".join(got) == full


def test_unknown_parts_levels_and_routines_are_404(client):
    for url in ("/media/mini/short/pace-1.5/nope.mp3", "/media/mini/short/pace-1.5/full-session.m3u8",
                "/media/mini/short/pace-1.5/a/full-session.mp3", "/media/mini/nope/pace-1.5/full-session.mp3",
                "/media/nope/short/pace-1.5/full-session.mp3", "/media/mini/short/pace-1.5/",
                "/routines/mini?pace=1.5&track=nope"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Traceback" not in response.get_data(as_text=True)


# -- when a variant cannot be made ----------------------------------------------------------------

def test_a_cue_missing_from_the_cache_is_a_503_asking_for_a_build(mini_build, tmp_path):
    cache = Path(shutil.copytree(mini_build.cache, tmp_path / "cache"))
    manifest = load_manifest(mini_build.output / "mini")
    keys = CueSynthesizer(engine=None, cache=CueCache(cache),
                          fmt=Mp3Format(manifest.settings["sample_rate"], manifest.settings["bitrate_kbps"]),
                          voice=Voice.from_settings(manifest.settings))
    keys.cache.path(keys.key("seven")).unlink()
    client = make_client(mini_build.output, mini_build.routines, cache)
    media = client.get("/media/mini/short/pace-2/full-session.mp3")
    assert media.status_code == 503 and "run back-routine build" in media.get_data(as_text=True)
    page = client.get("/routines/mini?pace=2")
    assert page.status_code == 503
    html = page.get_data(as_text=True)
    assert "run back-routine build" in html and "<code>back-routine build mini" in html
    assert client.get("/routines/mini?pace=1.5").status_code == 200  # other paces still play
    assert not keys.cache.path(keys.key("seven")).exists()  # and nothing was synthesized


def test_an_edited_routine_is_a_409_until_it_is_built(mini_build, tmp_path):
    routines = Path(shutil.copytree(mini_build.routines, tmp_path / "routines"))
    (routines / "mini.yaml").write_text((routines / "mini.yaml").read_text().replace("Welcome.", "Hello there."))
    client = make_client(mini_build.output, routines, mini_build.cache)
    media = client.get(SLOW)
    assert media.status_code == 409 and "mini.yaml has changed since the last build" in media.get_data(as_text=True)
    assert client.get("/routines/mini?pace=1.5").status_code == 409
    assert client.get("/routines/mini").status_code == 200  # the prebuilt tracks still play


# -- over real HTTP -------------------------------------------------------------------------------

def test_a_whole_variant_and_a_range_over_a_real_server(mini_build, variants):
    app = Flask("web-player-variants-http")
    app.register_blueprint(create_blueprint(mini_build.output, routines_dir=mini_build.routines,
                                            cache_dir=mini_build.cache))
    variant = variants("long", 1.75).part("full-session")
    full = whole(variant)
    with live_server(app) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", "/media/mini/long/pace-1.75/full-session.mp3")
            response = connection.getresponse()
            assert response.status == 200 and response.read() == full
            connection.request("GET", "/media/mini/long/pace-1.75/full-session.mp3",
                               headers={"Range": "bytes=100-", "If-Range": f'"{variant.etag}"'})
            response = connection.getresponse()
            assert response.status == 206 and response.read() == full[100:]
        finally:
            connection.close()
