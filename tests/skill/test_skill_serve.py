"""`back-routine serve`: the app assembly, the test-only trust knobs, and a real waitress server."""
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
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from skill.serve import FileCertFetcher, make_app, parse_cert_files

from tests.alexa_signing import CERT_URL, SKILL_ID, encode, make_envelope, pki

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def test_pki_files(tmp_path) -> tuple[Path, Path]:
    roots = tmp_path / "roots.pem"
    roots.write_bytes(pki().root.public_bytes(serialization.Encoding.PEM))
    chain = tmp_path / "chain.pem"
    chain.write_bytes(pki().good.chain_pem)
    return roots, chain


def signed(envelope: dict) -> tuple[bytes, dict[str, str]]:
    body = encode(envelope)
    return body, {"Content-Type": "application/json", **pki().good.sign(body)}


def test_cert_file_map_is_canonical_and_fails_closed(tmp_path):
    files = parse_cert_files([f"https://S3.amazonaws.com:443/echo.api/../echo.api/echo-api-cert-test.pem={tmp_path / 'x.pem'}"])
    assert list(files) == [CERT_URL]
    (tmp_path / "x.pem").write_bytes(b"pem")
    fetch = FileCertFetcher(files)
    assert fetch(CERT_URL) == b"pem"
    with pytest.raises(OSError):
        fetch("https://s3.amazonaws.com/echo.api/other.pem")
    with pytest.raises(ValueError):
        parse_cert_files(["no-equals-sign"])


def test_app_with_test_trust_roots_verifies_signed_requests(tmp_path, test_pki_files):
    roots, chain = test_pki_files
    app = make_app(ROOT / "routines", tmp_path / "db.sqlite3", skill_id=SKILL_ID, trust_roots=roots,
                   cert_files={CERT_URL: chain})
    client = app.test_client()
    body, headers = signed(make_envelope())
    reply = client.post("/alexa", data=body, headers=headers)
    assert reply.status_code == 200 and "Welcome to my back routine" in reply.get_json()["response"]["outputSpeech"]["ssml"]
    assert client.post("/alexa", data=body, headers={"Content-Type": "application/json"}).status_code == 400
    other = signed(make_envelope(application_id="amzn1.ask.skill.someone-else"))
    assert client.post("/alexa", data=other[0], headers=other[1]).status_code == 400
    assert client.get("/healthz").status_code == 200


def test_without_the_test_roots_the_test_ca_is_not_trusted(tmp_path, test_pki_files):
    _, chain = test_pki_files
    app = make_app(ROOT / "routines", tmp_path / "db.sqlite3", skill_id=SKILL_ID, cert_files={CERT_URL: chain})
    body, headers = signed(make_envelope())
    assert app.test_client().post("/alexa", data=body, headers=headers).status_code == 400


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_command_runs_a_real_server(tmp_path, test_pki_files):
    roots, chain = test_pki_files
    port = _free_port()
    routines = tmp_path / "routines"
    shutil.copytree(ROOT / "routines", routines)
    env = dict(os.environ, BACK_ROUTINE_SKILL_ID=SKILL_ID, BACK_ROUTINE_TEST_TRUST_ROOTS=str(roots))
    server = subprocess.Popen(
        [sys.executable, "-m", "back_routine", "serve", "--port", str(port), "--workers", "2",
         "--db", str(tmp_path / "db.sqlite3"), "--routines", str(routines), "--cert-file", f"{CERT_URL}={chain}"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/healthz")
                health = connection.getresponse()
                health.read()  # a keep-alive connection is reusable once the body is read
                assert health.status == 200
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        body, headers = signed(make_envelope())
        connection.request("POST", "/alexa", body=body, headers=headers)
        response = connection.getresponse()
        assert response.status == 200
        assert "Welcome to my back routine" in json.loads(response.read())["response"]["outputSpeech"]["ssml"]
        connection.request("POST", "/alexa", body=b"{not json", headers=headers)
        assert connection.getresponse().status == 400
        connection.close()
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=10)
    assert "TEST SETUP: trusting only the roots" in stderr and "TEST SETUP: signing certificates" in stderr
