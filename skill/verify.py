"""Verification of incoming Alexa requests, as Amazon requires for skills hosted as a web service.

Amazon's checklist (developer.amazon.com, "Host a Custom Skill as a Web Service"), and where each
rule is checked:
  1. the `SignatureCertChainUrl` header points at https://s3.amazonaws.com[:443]/echo.api/...
     (skill/cert_url.py);
  2. the PEM chain downloaded from it has a currently valid leaf whose SAN contains
     echo-api.amazon.com and which chains to a trusted root (skill/cert_chain.py; downloaded and
     kept by skill/cert_cache.py);
  3. `Signature-256` is a base64 SHA256withRSA signature of the raw request body by that leaf (here);
  4. `request.timestamp` is within 150 s of now (skill/request_timestamp.py);
  5. the application id is ours (here).
`RequestVerifier` runs them in that order of cost, cheapest first.

We do this with `cryptography` because the official helper (ask-sdk-webservice-support) depends on
oscrypto, which cannot load OpenSSL 3 (docs/architecture.md, "Dependency decisions"). Everything that touches the outside world
(the download, the clock, the trust store) is injectable so tests run offline with a local PKI.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509 import verification as x509v

from .cert_cache import Fetcher, SigningCertCache, UrlFetcher
from .cert_chain import ECHO_API_SAN, SigningCert, load_trusted_roots
from .cert_url import normalize_cert_url
from .json_dig import dig
from .request_timestamp import DEFAULT_TOLERANCE, check_timestamp, parse_request_timestamp, utc
from .verification_error import VerificationError

__all__ = [
    "ECHO_API_SAN",
    "Fetcher",
    "RequestVerifier",
    "SigningCert",
    "UrlFetcher",
    "VerificationError",
    "load_trusted_roots",
    "normalize_cert_url",
    "parse_request_timestamp",
]

Clock = Callable[[], dt.datetime]


class RequestVerifier:
    """Checks one Alexa request; thread-safe, meant to live as long as the app.

    `skill_id`: the skill's application id; None skips that check (e.g. a shared dev endpoint).
    `trusted_roots`: trust anchors (default certifi's bundle). `fetcher(url) -> bytes`: downloads a
    PEM chain (default `UrlFetcher()`). `clock() -> aware datetime`: "now" for timestamps and
    certificate validity. Validated chains are cached per canonical URL until the chain expires.
    """

    def __init__(
        self,
        skill_id: str | None = None,
        *,
        trusted_roots: Sequence[x509.Certificate] | None = None,
        fetcher: Fetcher | None = None,
        clock: Clock | None = None,
        tolerance: dt.timedelta = DEFAULT_TOLERANCE,
        max_cached_chains: int = 16,
    ) -> None:
        self.skill_id = skill_id
        store = x509v.Store(list(trusted_roots) if trusted_roots is not None else load_trusted_roots())
        self._certs = SigningCertCache(store, fetcher or UrlFetcher(), max_cached_chains)
        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self._tolerance = tolerance

    def verify(self, headers: Mapping[str, str], body: bytes, payload: Mapping[str, Any]) -> None:
        """Raise VerificationError unless the request is authentic, fresh and for this skill.

        `body` must be the raw bytes as received (the signature covers them, not a re-encoding);
        `payload` is the caller's parse of those same bytes. Cheap checks run first so junk never
        costs a certificate download.
        """
        cert_url_header = _header(headers, "SignatureCertChainUrl")
        # Only Signature-256 is accepted: the SHA-1 `Signature` header is legacy (SHA-1 is broken for
        # signatures) and Amazon sends Signature-256 with every request.
        signature_header = _header(headers, "Signature-256")
        if not cert_url_header:
            raise VerificationError("cert_url_missing")
        if not signature_header:
            raise VerificationError("signature_missing")
        cert_url = normalize_cert_url(cert_url_header)
        try:
            signature = base64.b64decode("".join(signature_header.split()), validate=True)
        except (binascii.Error, ValueError):
            raise VerificationError("signature_malformed") from None

        now = utc(self._clock())
        check_timestamp(payload, now, self._tolerance)
        self._check_application_id(payload)

        cert = self._certs.get(cert_url, now)
        try:
            cert.public_key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise VerificationError("signature_invalid") from None

    def signing_cert(self, cert_url: str, now: dt.datetime | None = None) -> SigningCert:
        """The validated signing certificate for a canonical cert URL, downloaded on first use
        (one download per URL at a time; see SigningCertCache)."""
        return self._certs.get(cert_url, utc(now or self._clock()))

    def _check_application_id(self, payload: Mapping[str, Any]) -> None:
        if self.skill_id is None:
            return
        # AudioPlayer/PlaybackController requests have no session; every request has context.
        found = [
            app_id
            for app_id in (
                dig(payload, "context", "System", "application", "applicationId"),
                dig(payload, "session", "application", "applicationId"),
            )
            if app_id is not None
        ]
        if not found:
            raise VerificationError("application_id_missing")
        if any(app_id != self.skill_id for app_id in found):
            raise VerificationError("application_id_mismatch", ", ".join(map(str, found)))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:  # plain dicts are case-sensitive; HTTP header names are not
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value
