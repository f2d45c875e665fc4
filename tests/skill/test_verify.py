"""RequestVerifier against a local PKI that signs like Alexa (tests/alexa_signing.py)."""

from __future__ import annotations

import datetime as dt
import http.server
import posixpath
import threading
import time
import urllib.error
import urllib.parse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skill.verify import (
    RequestVerifier,
    UrlFetcher,
    VerificationError,
    load_trusted_roots,
    normalize_cert_url,
    parse_request_timestamp,
)

from tests.alexa_signing import CERT_URL, SKILL_ID, PemFetcher, alexa_timestamp, encode, make_envelope, pki


NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


class Clock:
    """A settable clock, injected into the verifier."""

    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def fetcher() -> PemFetcher:
    return pki().fetcher()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verifier(fetcher: PemFetcher, clock: Clock) -> RequestVerifier:
    return RequestVerifier(SKILL_ID, trusted_roots=pki().trusted_roots, fetcher=fetcher, clock=clock)


def signed(identity=None, **envelope_kwargs):
    """(headers, body, payload) for an envelope stamped NOW, signed by `identity` (default good)."""
    envelope_kwargs.setdefault("timestamp", NOW)
    payload = make_envelope(**envelope_kwargs)
    body = encode(payload)
    return (identity or pki().good).sign(body), body, payload


def reason_of(verifier: RequestVerifier, headers, body, payload) -> str:
    with pytest.raises(VerificationError) as caught:
        verifier.verify(headers, body, payload)
    return caught.value.reason


# -- the happy paths ----------------------------------------------------------------------------------


def test_valid_request_passes(verifier):
    verifier.verify(*signed())


def test_intent_and_sessionless_requests_pass(verifier):
    verifier.verify(*signed(intent="AMAZON.NextIntent", slots={"count": "3"}))
    verifier.verify(*signed(request_type="AudioPlayer.PlaybackStarted", token="t1", offset_ms=1200))


def test_amazon_shaped_chain_with_cross_signed_root_passes(verifier):
    # Amazon's PEM carries leaf, intermediate, a cross-signed copy of the root and an older root.
    verifier.verify(*signed(pki().cross_signed))


def test_header_names_are_case_insensitive(verifier):
    headers, body, payload = signed()
    verifier.verify({k.lower(): v for k, v in headers.items()}, body, payload)


def test_skill_id_none_skips_application_check(fetcher, clock):
    verifier = RequestVerifier(None, trusted_roots=pki().trusted_roots, fetcher=fetcher, clock=clock)
    verifier.verify(*signed(application_id="amzn1.ask.skill.someone-else"))


# -- signature ----------------------------------------------------------------------------------------


def test_signature_by_another_key_is_rejected(verifier):
    headers, body, payload = signed()
    headers["Signature-256"] = pki().self_signed.sign(body)["Signature-256"]
    assert reason_of(verifier, headers, body, payload) == "signature_invalid"


def test_body_tampered_after_signing_is_rejected(verifier):
    headers, body, payload = signed()
    tampered = body.replace(b"LaunchRequest", b"LaunchRequesT")
    assert reason_of(verifier, headers, tampered, payload) == "signature_invalid"


def test_signature_covers_raw_bytes_not_a_reencoding(verifier):
    headers, body, payload = signed()
    reencoded = encode(payload).replace(b",", b", ")  # same JSON value, different bytes
    assert reason_of(verifier, headers, reencoded, payload) == "signature_invalid"


def test_legacy_sha1_signature_alone_is_not_enough(verifier):
    headers, body, payload = signed()
    del headers["Signature-256"]
    assert "Signature" in headers
    assert reason_of(verifier, headers, body, payload) == "signature_missing"


@pytest.mark.parametrize(
    ("value", "reason"),
    [("not base64!!", "signature_malformed"), ("", "signature_missing"), ("QUJD", "signature_invalid")],
)
def test_malformed_signature(verifier, value, reason):
    headers, body, payload = signed()
    headers["Signature-256"] = value
    assert reason_of(verifier, headers, body, payload) == reason


def test_missing_cert_url_header(verifier):
    headers, body, payload = signed()
    del headers["SignatureCertChainUrl"]
    assert reason_of(verifier, headers, body, payload) == "cert_url_missing"


# -- certificate chain --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("identity", "reason"),
    [
        ("expired", "cert_expired"),
        ("not_yet_valid", "cert_not_yet_valid"),
        ("wrong_san", "cert_san_mismatch"),
        ("self_signed", "cert_chain_untrusted"),
        ("untrusted_root", "cert_chain_untrusted"),
        ("missing_intermediate", "cert_chain_untrusted"),
    ],
)
def test_bad_certificates_are_rejected(verifier, identity, reason):
    assert reason_of(verifier, *signed(getattr(pki(), identity))) == reason


def test_clock_drives_certificate_validity(verifier, clock):
    # 400 days on, the good leaf (valid 365 days) has expired; the request itself is fresh.
    clock.now = NOW + dt.timedelta(days=400)
    assert reason_of(verifier, *signed(timestamp=clock.now)) == "cert_expired"


def test_fetch_failure_is_a_verification_error(clock):
    def broken(url: str) -> bytes:
        raise TimeoutError("timed out")

    verifier = RequestVerifier(SKILL_ID, trusted_roots=pki().trusted_roots, fetcher=broken, clock=clock)
    assert reason_of(verifier, *signed()) == "cert_fetch_failed"


def test_unknown_cert_url_is_a_fetch_failure(verifier):
    headers, body, payload = signed()
    headers["SignatureCertChainUrl"] = "https://s3.amazonaws.com/echo.api/nope.pem"
    assert reason_of(verifier, headers, body, payload) == "cert_fetch_failed"


@pytest.mark.parametrize("pem", [b"", b"garbage", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"])
def test_malformed_chain(clock, pem):
    fetcher = PemFetcher({CERT_URL: pem})
    verifier = RequestVerifier(SKILL_ID, trusted_roots=pki().trusted_roots, fetcher=fetcher, clock=clock)
    assert reason_of(verifier, *signed()) == "cert_chain_malformed"


# -- cache --------------------------------------------------------------------------------------------


def test_chain_is_fetched_once_and_cached(verifier, fetcher):
    for _ in range(5):
        verifier.verify(*signed())
    assert fetcher.calls == [CERT_URL]


def test_cache_key_is_the_canonical_url(verifier, fetcher):
    for url in [
        CERT_URL,
        "HTTPS://S3.AMAZONAWS.COM/echo.api/echo-api-cert-test.pem",
        "https://s3.amazonaws.com:443/echo.api/echo-api-cert-test.pem",
        "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert-test.pem",
    ]:
        headers, body, payload = signed()
        headers["SignatureCertChainUrl"] = url
        verifier.verify(headers, body, payload)
    assert fetcher.calls == [CERT_URL]


def test_cache_expires_with_the_chain(verifier, fetcher, clock):
    verifier.verify(*signed())
    clock.now = NOW + dt.timedelta(days=400)  # past the leaf's notAfter: must download again
    with pytest.raises(VerificationError):
        verifier.verify(*signed(timestamp=clock.now))
    assert fetcher.calls == [CERT_URL, CERT_URL]


def test_failures_are_not_cached(verifier, fetcher):
    for _ in range(2):
        assert reason_of(verifier, *signed(pki().expired)) == "cert_expired"
    assert len(fetcher.calls) == 2


def test_cache_is_bounded(fetcher, clock):
    verifier = RequestVerifier(
        SKILL_ID, trusted_roots=pki().trusted_roots, fetcher=fetcher, clock=clock, max_cached_chains=1
    )
    verifier.verify(*signed())
    verifier.verify(*signed(pki().cross_signed))
    verifier.verify(*signed())
    assert len(fetcher.calls) == 3


def test_concurrent_requests_download_the_chain_once(clock):
    served = pki().fetcher()

    def slow(url: str) -> bytes:
        time.sleep(0.05)
        return served(url)

    verifier = RequestVerifier(SKILL_ID, trusted_roots=pki().trusted_roots, fetcher=slow, clock=clock)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            verifier.verify(*signed())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert served.calls == [CERT_URL]


# -- timestamp ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [-150, -149, 0, 149, 150])
def test_timestamp_within_tolerance(verifier, offset):
    verifier.verify(*signed(timestamp=NOW + dt.timedelta(seconds=offset)))


@pytest.mark.parametrize("offset", [-151, 151, -86400])
def test_timestamp_out_of_range(verifier, offset):
    assert reason_of(verifier, *signed(timestamp=NOW + dt.timedelta(seconds=offset))) == "timestamp_out_of_range"


@pytest.mark.parametrize(("value", "reason"), [("yesterday", "timestamp_invalid"), (None, "timestamp_missing"),
                                               ([1], "timestamp_invalid"), (True, "timestamp_invalid")])
def test_bad_timestamps(verifier, value, reason):
    headers, body, payload = signed()
    payload["request"]["timestamp"] = value  # the verifier reads the caller's parse
    assert reason_of(verifier, headers, body, payload) == reason


def test_timestamp_formats():
    expected = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.timezone.utc)
    assert parse_request_timestamp("2024-05-01T12:00:00Z") == expected
    assert parse_request_timestamp("2024-05-01T12:00:00.000Z") == expected
    assert parse_request_timestamp("2024-05-01T14:00:00+02:00") == expected
    assert parse_request_timestamp(expected.timestamp()) == expected
    assert parse_request_timestamp(int(expected.timestamp() * 1000)) == expected
    assert alexa_timestamp(expected) == "2024-05-01T12:00:00Z"


# -- application id -----------------------------------------------------------------------------------


def test_wrong_application_id(verifier):
    assert reason_of(verifier, *signed(application_id="amzn1.ask.skill.other")) == "application_id_mismatch"


def test_wrong_application_id_in_sessionless_request(verifier):
    headers, body, payload = signed(request_type="AudioPlayer.PlaybackStopped", application_id="amzn1.ask.skill.x")
    assert "session" not in payload
    assert reason_of(verifier, headers, body, payload) == "application_id_mismatch"


def test_session_and_context_must_both_match(verifier):
    headers, body, payload = signed()
    payload["session"]["application"]["applicationId"] = "amzn1.ask.skill.other"
    assert reason_of(verifier, headers, body, payload) == "application_id_mismatch"


def test_missing_application_id(verifier):
    headers, body, payload = signed()
    del payload["context"]["System"]["application"]
    del payload["session"]["application"]
    assert reason_of(verifier, headers, body, payload) == "application_id_missing"


# -- cert URL rules (Amazon's own examples plus traps) ----------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "HTTPS://s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "https://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
    ],
)
def test_cert_url_accepted(url):
    assert normalize_cert_url(url) == "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://s3.amazonaws.com/echo.api/echo-api-cert.pem", "cert_url_scheme"),
        ("https://notamazon.com/echo.api/echo-api-cert.pem", "cert_url_host"),
        ("https://s3.amazonaws.com.evil.com/echo.api/echo-api-cert.pem", "cert_url_host"),
        ("https://evil.com@s3.amazonaws.com/echo.api/echo-api-cert.pem", "cert_url_host"),
        ("https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem", "cert_url_path"),
        ("https://s3.amazonaws.com/invalid.path/echo-api-cert.pem", "cert_url_path"),
        ("https://s3.amazonaws.com/echo.api/../x.pem", "cert_url_path"),
        ("https://s3.amazonaws.com/echo.api/%2e%2e/x.pem", "cert_url_path"),
        ("https://s3.amazonaws.com/echo.api/", "cert_url_path"),
        ("https://s3.amazonaws.com//echo.api/x.pem", "cert_url_path"),
        ("https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem", "cert_url_port"),
        ("https://s3.amazonaws.com:8443/echo.api/echo-api-cert.pem", "cert_url_port"),
        ("https://s3.amazonaws.com:99999/echo.api/echo-api-cert.pem", "cert_url_invalid"),
        ("https://s3.amazonaws.com:abc/echo.api/echo-api-cert.pem", "cert_url_invalid"),
    ],
)
def test_cert_url_rejected(url, reason):
    with pytest.raises(VerificationError) as caught:
        normalize_cert_url(url)
    assert caught.value.reason == reason


def test_cert_url_query_and_fragment_are_dropped():
    assert normalize_cert_url("https://s3.amazonaws.com/echo.api/a.pem?x=1#y") == (
        "https://s3.amazonaws.com/echo.api/a.pem"
    )


@given(st.lists(st.sampled_from(["..", ".", "echo.api", "a", "%2e%2E", "", "x.pem"]), max_size=6))
def test_cert_url_never_escapes_echo_api(segments):
    url = "https://s3.amazonaws.com/" + "/".join(segments)
    try:
        canonical = normalize_cert_url(url)
    except VerificationError:
        return
    path = urllib.parse.urlsplit(canonical).path
    assert path.startswith("/echo.api/")
    assert posixpath.normpath(urllib.parse.unquote(path)) == urllib.parse.unquote(path)


# -- defaults -----------------------------------------------------------------------------------------


def test_default_trust_store_is_certifi_with_amazon_roots():
    roots = load_trusted_roots()
    subjects = {root.subject.rfc4514_string() for root in roots}
    assert len(roots) > 100
    assert "CN=Amazon Root CA 1,O=Amazon,C=US" in subjects
    RequestVerifier("amzn1.ask.skill.x")  # builds its store from certifi without error


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server API
        if self.path == "/big":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"x" * 5000)
        elif self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/big")
            self.end_headers()
        else:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"small")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def local_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_url_fetcher_caps_size_and_refuses_redirects(local_server):
    fetch = UrlFetcher(timeout=2.0, max_bytes=1000)
    assert fetch(local_server + "/small") == b"small"
    with pytest.raises(ValueError):
        fetch(local_server + "/big")
    with pytest.raises(urllib.error.HTTPError):
        fetch(local_server + "/redirect")
