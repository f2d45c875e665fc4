"""Test helper: a local PKI that signs requests the way Alexa does, and Alexa request envelopes.

Amazon signs each request body with the key of a certificate whose chain it publishes at
https://s3.amazonaws.com/echo.api/<name>.pem. We reproduce that offline: a root CA (the only trusted
root the tests hand to the verifier), an intermediate, and leaf certificates with SAN
echo-api.amazon.com, each served at its own /echo.api/ URL by an in-memory fetcher. Keys are RSA 2048
because the verifier's web PKI policy rejects smaller ones; generating them is the slow part, so the
whole PKI is built once per process (`pki()` is cached).

`make_envelope(...)` builds realistic request envelopes for any request type, so conversation tests
can reuse it with or without signing.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ECHO_API_SAN = "echo-api.amazon.com"
CERT_URL_BASE = "https://s3.amazonaws.com/echo.api/"
CERT_URL = CERT_URL_BASE + "echo-api-cert-test.pem"

SKILL_ID = "amzn1.ask.skill.00000000-1111-2222-3333-444444444444"
USER_ID = "amzn1.ask.account.TESTUSER0000000000000000000000000000000000000000"
DEVICE_ID = "amzn1.ask.device.TESTDEVICE000000000000000000000000000000000000"
# A device's Alexa API base. Not Amazon's real one: a skill calls it (time zone, reminders) after a finished
# session, and tests never touch the network. Port 9 (discard) on loopback refuses at once, as an
# unreachable API would fail; tests of those APIs serve a mock at their own apiEndpoint (test_reminders.py).
API_ENDPOINT = "https://127.0.0.1:9"

# Requests that Alexa sends outside any session (the user's place must live in persistent attributes).
_SESSIONLESS_PREFIXES = ("AudioPlayer.", "PlaybackController.", "System.", "Messaging.")


# --------------------------------------------------------------------------------------------------
# PKI
# --------------------------------------------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Back Routine Test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _ca_cert(
    subject: x509.Name,
    key: rsa.RSAPrivateKey,
    issuer: x509.Name,
    issuer_key: rsa.RSAPrivateKey,
    *,
    path_length: int | None,
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> x509.Certificate:
    """A CA certificate shaped like a public web PKI CA (what the verifier's policy expects)."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    return builder.sign(issuer_key, hashes.SHA256())


def _leaf_cert(
    key: rsa.RSAPrivateKey,
    issuer: x509.Name,
    issuer_key: rsa.RSAPrivateKey,
    *,
    san: str,
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> x509.Certificate:
    """A leaf shaped like Amazon's echo-api signing certificate (server+client auth EKU, SAN)."""
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, san)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
        .sign(issuer_key, hashes.SHA256())
    )


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


@dataclass(frozen=True)
class SigningIdentity:
    """A signing key plus the certificate chain Alexa would publish for it at `cert_url`."""

    key: rsa.RSAPrivateKey
    leaf: x509.Certificate
    chain_pem: bytes
    cert_url: str

    def sign(self, body: bytes, *, legacy_sha1: bool = True) -> dict[str, str]:
        """Headers Alexa sends with `body`: Signature-256 (and, like Alexa today, the legacy SHA-1
        `Signature`, which the verifier must ignore)."""
        headers = {
            "SignatureCertChainUrl": self.cert_url,
            "Signature-256": _b64_sign(self.key, body, hashes.SHA256()),
        }
        if legacy_sha1:
            headers["Signature"] = _b64_sign(self.key, body, hashes.SHA1())
        return headers


def _b64_sign(key: rsa.RSAPrivateKey, body: bytes, algorithm: hashes.HashAlgorithm) -> str:
    return base64.b64encode(key.sign(body, padding.PKCS1v15(), algorithm)).decode("ascii")


@dataclass(frozen=True)
class TestPKI:
    """Everything the verifier tests need; build it with `pki()`."""

    __test__ = False  # not a pytest test class despite the name

    root: x509.Certificate
    intermediate: x509.Certificate
    good: SigningIdentity  # leaf <- intermediate <- root (trusted)
    expired: SigningIdentity  # leaf expired yesterday
    not_yet_valid: SigningIdentity  # leaf valid from tomorrow
    wrong_san: SigningIdentity  # SAN is not echo-api.amazon.com
    self_signed: SigningIdentity  # self-signed leaf with the right SAN, not in the trust store
    untrusted_root: SigningIdentity  # proper chain, but to a root the verifier does not trust
    missing_intermediate: SigningIdentity  # PEM holds only the leaf
    # Amazon-shaped PEM: leaf, intermediate, the root cross-signed by a legacy root, the legacy root.
    cross_signed: SigningIdentity

    @property
    def trusted_roots(self) -> list[x509.Certificate]:
        return [self.root]

    def identities(self) -> list[SigningIdentity]:
        return [
            self.good,
            self.expired,
            self.not_yet_valid,
            self.wrong_san,
            self.self_signed,
            self.untrusted_root,
            self.missing_intermediate,
            self.cross_signed,
        ]

    def fetcher(self) -> PemFetcher:
        """A fresh fetcher (with its own call log) serving every identity's chain at its URL."""
        return PemFetcher({i.cert_url: i.chain_pem for i in self.identities()})


@dataclass
class PemFetcher:
    """Stands in for the HTTPS download of the cert chain; records every URL it is asked for."""

    pems: Mapping[str, bytes]
    calls: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self, url: str) -> bytes:
        with self._lock:
            self.calls.append(url)
        try:
            return self.pems[url]
        except KeyError:
            raise OSError(f"404 Not Found: {url}") from None


@functools.lru_cache(maxsize=1)
def pki() -> TestPKI:
    """Build the test PKI once per process (RSA-2048 key generation is the slow part)."""
    now = _now()
    day = dt.timedelta(days=1)
    long_ago, far_future = now - 30 * day, now + 3650 * day

    root_key, inter_key, leaf_key, other_key, legacy_key = (_new_key() for _ in range(5))
    root_name, inter_name = _name("Test Root CA"), _name("Test Intermediate CA")
    root = _ca_cert(root_name, root_key, root_name, root_key, path_length=None,
                    not_before=long_ago, not_after=far_future)
    inter = _ca_cert(inter_name, inter_key, root_name, root_key, path_length=0,
                     not_before=long_ago, not_after=far_future)

    def identity(file: str, leaf: x509.Certificate, *chain: x509.Certificate,
                 key: rsa.RSAPrivateKey = leaf_key) -> SigningIdentity:
        return SigningIdentity(key=key, leaf=leaf, chain_pem=_pem(leaf, *chain),
                               cert_url=CERT_URL_BASE + file)

    def leaf(san: str = ECHO_API_SAN, not_before: dt.datetime = now - day,
             not_after: dt.datetime = now + 365 * day) -> x509.Certificate:
        return _leaf_cert(leaf_key, inter_name, inter_key, san=san,
                          not_before=not_before, not_after=not_after)

    # Self-signed leaf: its own issuer, right SAN, but nobody vouches for it.
    self_signed_leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(ECHO_API_SAN))
        .issuer_name(_name(ECHO_API_SAN))
        .public_key(other_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - day)
        .not_valid_after(now + 365 * day)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(ECHO_API_SAN)]), critical=False)
        .sign(other_key, hashes.SHA256())
    )

    # A complete, well-formed chain to a root the verifier does not trust (same names, other keys).
    rogue_root = _ca_cert(root_name, other_key, root_name, other_key, path_length=None,
                          not_before=long_ago, not_after=far_future)
    rogue_inter = _ca_cert(inter_name, legacy_key, root_name, other_key, path_length=0,
                           not_before=long_ago, not_after=far_future)
    rogue_leaf = _leaf_cert(leaf_key, inter_name, legacy_key, san=ECHO_API_SAN,
                            not_before=now - day, not_after=now + 365 * day)

    # Amazon's published PEM also carries "Amazon Root CA 1" cross-signed by an older root plus that
    # older root; the path builder has to stop at the trusted copy of the root.
    legacy_name = _name("Test Legacy Root")
    legacy_root = _ca_cert(legacy_name, legacy_key, legacy_name, legacy_key, path_length=None,
                           not_before=long_ago, not_after=far_future)
    root_cross = _ca_cert(root_name, root_key, legacy_name, legacy_key, path_length=None,
                          not_before=long_ago, not_after=far_future)

    good_leaf = leaf()
    return TestPKI(
        root=root,
        intermediate=inter,
        good=identity("echo-api-cert-test.pem", good_leaf, inter),
        expired=identity("echo-api-cert-expired.pem",
                         leaf(not_before=now - 30 * day, not_after=now - day), inter),
        not_yet_valid=identity("echo-api-cert-future.pem",
                               leaf(not_before=now + day, not_after=now + 30 * day), inter),
        wrong_san=identity("echo-api-cert-wrong-san.pem", leaf(san="evil.example.com"), inter),
        self_signed=identity("echo-api-cert-self-signed.pem", self_signed_leaf, key=other_key),
        untrusted_root=identity("echo-api-cert-untrusted.pem", rogue_leaf, rogue_inter, rogue_root),
        missing_intermediate=identity("echo-api-cert-no-intermediate.pem", good_leaf),
        cross_signed=identity("echo-api-cert-cross.pem", good_leaf, inter, root_cross, legacy_root),
    )


# --------------------------------------------------------------------------------------------------
# Request envelopes
# --------------------------------------------------------------------------------------------------


def alexa_timestamp(when: dt.datetime | None = None) -> str:
    """ISO 8601 UTC with a Z, whole seconds: the form Alexa uses in `request.timestamp`."""
    when = when or _now()
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _slot(name: str, value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):  # caller gave a full slot object (resolutions, slotValue, ...)
        return {"name": name, "confirmationStatus": "NONE", **value}
    slot: dict[str, Any] = {"name": name, "confirmationStatus": "NONE"}
    if value is not None:
        slot["value"] = str(value)
        slot["source"] = "USER"
    return slot


def make_envelope(
    request_type: str | None = None,
    intent: str | None = None,
    slots: Mapping[str, Any] | None = None,
    user_id: str = USER_ID,
    application_id: str = SKILL_ID,
    new_session: bool = True,
    session_attributes: Mapping[str, Any] | None = None,
    timestamp: dt.datetime | str | None = None,
    supported_interfaces: Mapping[str, Any] | None = None,
    *,
    with_session: bool | None = None,
    session_id: str = "amzn1.echo-api.session.test-session",
    locale: str = "en-US",
    device_id: str = DEVICE_ID,
    dialog_state: str | None = None,
    intent_confirmation: str = "NONE",
    token: str | None = None,
    offset_ms: int | None = None,
    player_activity: str | None = None,
    request_fields: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A realistic Alexa request envelope as a JSON-ready dict.

    - `request_type` defaults to IntentRequest when `intent` is given, else LaunchRequest.
    - `slots` maps slot name -> value (str/number, None for an unfilled slot, or a full slot dict).
    - AudioPlayer.*, PlaybackController.*, System.* and Messaging.* requests carry no session, as on
      the real platform; override with `with_session`.
    - `token`/`offset_ms` go into AudioPlayer.* requests and, with `player_activity`, into
      context.AudioPlayer (the player state Alexa reports with every request).
    - `supported_interfaces` defaults to {"AudioPlayer": {}} (an Echo speaker); pass {} for none.
    - `request_fields` is merged last into `request` for anything else (e.g. SessionEndedRequest error).
    """
    if request_type is None:
        request_type = "IntentRequest" if intent is not None else "LaunchRequest"
    if with_session is None:
        with_session = not request_type.startswith(_SESSIONLESS_PREFIXES)
    if isinstance(timestamp, str):
        stamp = timestamp
    else:
        stamp = alexa_timestamp(timestamp)

    request: dict[str, Any] = {
        "type": request_type,
        "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
        "timestamp": stamp,
        "locale": locale,
    }
    if request_type == "LaunchRequest":
        request["shouldLinkResultBeReturned"] = False
    elif request_type == "IntentRequest":
        if intent is None:
            raise ValueError("an IntentRequest needs an intent name")
        intent_obj: dict[str, Any] = {"name": intent, "confirmationStatus": intent_confirmation}
        if slots:
            intent_obj["slots"] = {name: _slot(name, value) for name, value in slots.items()}
        request["intent"] = intent_obj
        if dialog_state is not None:
            request["dialogState"] = dialog_state
    elif request_type == "SessionEndedRequest":
        request["reason"] = "USER_INITIATED"
    elif request_type.startswith("AudioPlayer."):
        request["token"] = token if token is not None else "test-token"
        request["offsetInMilliseconds"] = offset_ms if offset_ms is not None else 0
        if request_type == "AudioPlayer.PlaybackFailed":
            request["error"] = {"type": "MEDIA_ERROR_UNKNOWN", "message": "test failure"}
            request["currentPlaybackState"] = {
                "token": request["token"],
                "offsetInMilliseconds": request["offsetInMilliseconds"],
                "playerActivity": "PLAYING",
            }
    if request_fields:
        request.update(request_fields)

    application = {"applicationId": application_id}
    user = {"userId": user_id}
    interfaces = {"AudioPlayer": {}} if supported_interfaces is None else dict(supported_interfaces)
    context: dict[str, Any] = {
        "System": {
            "application": application,
            "user": dict(user),
            "device": {"deviceId": device_id, "supportedInterfaces": interfaces},
            "apiEndpoint": API_ENDPOINT,
            "apiAccessToken": "test-api-access-token",
        }
    }
    if "AudioPlayer" in interfaces:
        audio: dict[str, Any] = {"playerActivity": player_activity or "IDLE"}
        if token is not None:
            audio["token"] = token
            audio["offsetInMilliseconds"] = offset_ms or 0
        context["AudioPlayer"] = audio

    envelope: dict[str, Any] = {"version": "1.0", "context": context, "request": request}
    if with_session:
        session: dict[str, Any] = {
            "new": new_session,
            "sessionId": session_id,
            "application": dict(application),
            "user": dict(user),
        }
        if session_attributes is not None:
            session["attributes"] = dict(session_attributes)
        envelope["session"] = session
    return envelope


def encode(envelope: Mapping[str, Any]) -> bytes:
    """The request body bytes (what gets signed)."""
    return json.dumps(envelope, separators=(",", ":")).encode("utf-8")


def signed_request(
    envelope: Mapping[str, Any], identity: SigningIdentity | None = None
) -> tuple[bytes, dict[str, str]]:
    """Body bytes and headers for `envelope`, signed by `identity` (default: the good one)."""
    body = encode(envelope)
    identity = identity or pki().good
    return body, {"Content-Type": "application/json", **identity.sign(body)}
