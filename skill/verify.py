"""Verification of incoming Alexa requests, as Amazon requires for skills hosted as a web service.

Amazon's checklist (developer.amazon.com, "Host a Custom Skill as a Web Service"):
  1. the `SignatureCertChainUrl` header points at https://s3.amazonaws.com[:443]/echo.api/...;
  2. the PEM chain downloaded from it has a currently valid leaf whose SAN contains
     echo-api.amazon.com and which chains to a trusted root;
  3. `Signature-256` is a base64 SHA256withRSA signature of the raw request body by that leaf;
  4. `request.timestamp` is within 150 s of now;
  5. the application id is ours.

We do this with `cryptography` because the official helper (ask-sdk-webservice-support) depends on
oscrypto, which cannot load OpenSSL 3 (docs/architecture.md, "Dependency decisions"). Everything that touches the outside world
(the download, the clock, the trust store) is injectable so tests run offline with a local PKI.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import posixpath
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import verification as x509v

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

ECHO_API_SAN = "echo-api.amazon.com"
CERT_URL_HOST = "s3.amazonaws.com"
CERT_URL_PATH_PREFIX = "/echo.api/"
DEFAULT_TOLERANCE = dt.timedelta(seconds=150)

Fetcher = Callable[[str], bytes]
Clock = Callable[[], dt.datetime]


class VerificationError(Exception):
    """A request failed verification. `reason` is a short stable token for logs and metrics
    (e.g. "signature_invalid"); `detail` is free text for humans and never sent to the caller."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


# --------------------------------------------------------------------------------------------------
# Pieces with one job each (public so they can be tested and reused on their own)
# --------------------------------------------------------------------------------------------------


def normalize_cert_url(url: str) -> str:
    """Check a SignatureCertChainUrl against Amazon's rules and return the canonical URL to fetch.

    Scheme and host compare case-insensitively, the path case-sensitively after normalization
    (so /echo.api/../echo.api/x is fine and /echo.api/../x is not); an explicit port must be 443.
    The canonical form keeps only what the rules look at (no port, user info, query or fragment):
    we fetch exactly what we validated, and junk suffixes cannot multiply cache entries or fetches.
    """
    try:
        parts = urllib.parse.urlsplit(url.strip())
        port = parts.port  # raises ValueError for a non-numeric or out-of-range port
    except ValueError:
        raise VerificationError("cert_url_invalid", f"unparsable URL {url!r}") from None
    if parts.scheme.lower() != "https":
        raise VerificationError("cert_url_scheme", url)
    if (parts.hostname or "").lower() != CERT_URL_HOST or parts.username or parts.password:
        raise VerificationError("cert_url_host", url)
    if port is not None and port != 443:
        raise VerificationError("cert_url_port", url)
    # Decode %2e%2e and friends before normalizing, or they would slip past the prefix check.
    path = posixpath.normpath(urllib.parse.unquote(parts.path or "/"))
    if not path.startswith(CERT_URL_PATH_PREFIX):
        raise VerificationError("cert_url_path", url)
    return f"https://{CERT_URL_HOST}{urllib.parse.quote(path)}"


def parse_request_timestamp(value: Any) -> dt.datetime:
    """Parse `request.timestamp`: ISO 8601 (what Alexa sends, e.g. 2024-05-01T12:00:00Z), or epoch
    seconds/milliseconds (a few event types have been seen sending numbers). Returns aware UTC."""
    if isinstance(value, str):
        try:
            stamp = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise VerificationError("timestamp_invalid", repr(value)) from None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=dt.timezone.utc)
        return stamp.astimezone(dt.timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value  # 1e11 s is year 5138: must be ms
        try:
            return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise VerificationError("timestamp_invalid", repr(value)) from None
    if value is None:
        raise VerificationError("timestamp_missing")
    raise VerificationError("timestamp_invalid", repr(value))


_PEM_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


def load_trusted_roots(pem: bytes | None = None) -> list[x509.Certificate]:
    """Parse a PEM bundle of root certificates (default: certifi's Mozilla bundle).

    Certificates are parsed one by one and unparsable ones skipped: the Mozilla bundle holds old
    roots that newer `cryptography` releases warn about (negative serial numbers) and will one day
    refuse, and one such root must not take the whole trust store down with it.
    """
    if pem is None:
        import certifi

        with open(certifi.where(), "rb") as handle:
            pem = handle.read()
    roots: list[x509.Certificate] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for block in _PEM_BLOCK.findall(pem):
            try:
                roots.append(x509.load_pem_x509_certificate(block))
            except ValueError:
                continue
    if not roots:
        raise ValueError("no usable root certificates in the trust bundle")
    return roots


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # We validated the URL, not wherever a redirect would take us; S3 serves the chain directly.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass(frozen=True)
class UrlFetcher:
    """Default cert chain download: HTTPS with a short timeout (Alexa gives us 8 s for the whole
    answer), no redirects, and a size cap (a real chain is a few KB)."""

    timeout: float = 3.0
    max_bytes: int = 64 * 1024

    def __call__(self, url: str) -> bytes:
        opener = urllib.request.build_opener(_NoRedirect)
        with opener.open(url, timeout=self.timeout) as response:
            data = response.read(self.max_bytes + 1)
        if len(data) > self.max_bytes:
            raise ValueError(f"certificate chain larger than {self.max_bytes} bytes")
        return data


@dataclass(frozen=True)
class SigningCert:
    """A downloaded chain that passed every certificate check; valid for [not_before, expires_at)."""

    url: str
    leaf: x509.Certificate
    public_key: rsa.RSAPublicKey
    not_before: dt.datetime
    expires_at: dt.datetime  # earliest notAfter in the verified chain, not just the leaf's

    def usable_at(self, now: dt.datetime) -> bool:
        return self.not_before <= now < self.expires_at


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:  # plain dicts are case-sensitive; HTTP header names are not
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value


def _dig(payload: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(payload, Mapping):
            return None
        payload = payload.get(key)
    return payload


def _utc(now: dt.datetime) -> dt.datetime:
    return now.replace(tzinfo=dt.timezone.utc) if now.tzinfo is None else now


# --------------------------------------------------------------------------------------------------
# The verifier
# --------------------------------------------------------------------------------------------------


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
        self._store = x509v.Store(list(trusted_roots) if trusted_roots is not None else load_trusted_roots())
        self._fetch = fetcher or UrlFetcher()
        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self._tolerance = tolerance
        self._max_cached = max_cached_chains
        self._lock = threading.Lock()
        self._cache: dict[str, SigningCert] = {}
        self._url_locks: dict[str, threading.Lock] = {}

    # -- public API ---------------------------------------------------------------------------------

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

        now = _utc(self._clock())
        self._check_timestamp(payload, now)
        self._check_application_id(payload)

        cert = self.signing_cert(cert_url, now)
        try:
            cert.public_key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise VerificationError("signature_invalid") from None

    def signing_cert(self, cert_url: str, now: dt.datetime | None = None) -> SigningCert:
        """The validated signing certificate for a canonical cert URL, downloaded on first use.

        One download per URL at a time: concurrent requests for an uncached URL wait for the first
        download instead of stampeding S3; other URLs are not blocked meanwhile.
        """
        now = _utc(now or self._clock())
        with self._lock:
            cached = self._cache.get(cert_url)
            if cached is not None and cached.usable_at(now):
                return cached
            url_lock = self._url_locks.setdefault(cert_url, threading.Lock())
        with url_lock:
            with self._lock:
                cached = self._cache.get(cert_url)
                if cached is not None and cached.usable_at(now):
                    return cached
            try:
                cert = self._load(cert_url, now)
                with self._lock:
                    self._remember(cert, now)
                return cert
            finally:
                with self._lock:
                    self._url_locks.pop(cert_url, None)

    # -- checks -------------------------------------------------------------------------------------

    def _check_timestamp(self, payload: Mapping[str, Any], now: dt.datetime) -> None:
        stamp = parse_request_timestamp(_dig(payload, "request", "timestamp"))
        if abs(now - stamp) > self._tolerance:
            raise VerificationError("timestamp_out_of_range", f"{stamp.isoformat()} vs {now.isoformat()}")

    def _check_application_id(self, payload: Mapping[str, Any]) -> None:
        if self.skill_id is None:
            return
        # AudioPlayer/PlaybackController requests have no session; every request has context.
        found = [
            app_id
            for app_id in (
                _dig(payload, "context", "System", "application", "applicationId"),
                _dig(payload, "session", "application", "applicationId"),
            )
            if app_id is not None
        ]
        if not found:
            raise VerificationError("application_id_missing")
        if any(app_id != self.skill_id for app_id in found):
            raise VerificationError("application_id_mismatch", ", ".join(map(str, found)))

    def _load(self, cert_url: str, now: dt.datetime) -> SigningCert:
        try:
            pem = self._fetch(cert_url)
        except Exception as exc:  # any transport failure means "cannot verify", never a 500
            raise VerificationError("cert_fetch_failed", f"{cert_url}: {type(exc).__name__}: {exc}") from None
        try:
            return self._validate(cert_url, pem, now)
        except (ValueError, UnsupportedAlgorithm) as exc:  # unparsable certificate or extension
            raise VerificationError("cert_chain_malformed", f"{type(exc).__name__}: {exc}") from None

    def _validate(self, cert_url: str, pem: bytes, now: dt.datetime) -> SigningCert:
        certs = x509.load_pem_x509_certificates(pem)
        leaf, intermediates = certs[0], certs[1:]  # Amazon puts the signing cert first

        # Explicit checks for the leaf first, so logs say which rule failed; the path validation below
        # repeats them as part of its policy.
        if now < leaf.not_valid_before_utc:
            raise VerificationError("cert_not_yet_valid", leaf.not_valid_before_utc.isoformat())
        if now >= leaf.not_valid_after_utc:
            raise VerificationError("cert_expired", leaf.not_valid_after_utc.isoformat())
        if ECHO_API_SAN not in _dns_names(leaf):
            raise VerificationError("cert_san_mismatch", ", ".join(sorted(_dns_names(leaf))) or "no SAN")
        public_key = leaf.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise VerificationError("cert_key_unsupported", type(public_key).__name__)

        try:
            chain = self._path_verifier(now).verify(leaf, intermediates)
        except x509v.VerificationError as exc:
            raise VerificationError("cert_chain_untrusted", str(exc)) from None
        return SigningCert(
            url=cert_url,
            leaf=leaf,
            public_key=public_key,
            not_before=max(c.not_valid_before_utc for c in chain),
            expires_at=min(c.not_valid_after_utc for c in chain),
        )

    def _path_verifier(self, now: dt.datetime) -> x509v.ServerVerifier:
        # The web PKI server policy fits Amazon's signing cert (a public TLS-style cert for
        # echo-api.amazon.com from Amazon's CA): it checks validity, signatures, CA constraints, key
        # sizes and the SAN. One relaxation: the leaf's extended key usage is not checked. Amazon's
        # rules name no EKU, the cert signs requests rather than serving TLS, and public CAs are
        # reshuffling serverAuth/clientAuth EKUs; an EKU change on Amazon's side must not take the
        # skill offline.
        ee_policy = x509v.ExtensionPolicy.webpki_defaults_ee().may_be_present(
            x509.ExtendedKeyUsage, x509v.Criticality.AGNOSTIC, None
        )
        return (
            x509v.PolicyBuilder()
            .store(self._store)
            .time(now)
            .extension_policies(ca_policy=x509v.ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee_policy)
            .build_server_verifier(x509.DNSName(ECHO_API_SAN))
        )

    def _remember(self, cert: SigningCert, now: dt.datetime) -> None:
        # Caller holds self._lock. Bounded: a flood of distinct (valid-looking) URLs cannot grow it.
        self._cache = {url: c for url, c in self._cache.items() if c.usable_at(now)}
        while len(self._cache) >= self._max_cached:
            del self._cache[min(self._cache, key=lambda url: self._cache[url].expires_at)]
        self._cache[cert.url] = cert


def _dns_names(cert: x509.Certificate) -> set[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return {name.lower() for name in san.get_values_for_type(x509.DNSName)}
