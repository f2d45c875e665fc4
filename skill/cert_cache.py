"""Getting the signing certificate: download a chain (`UrlFetcher`), validate it once, keep it while it is valid.

`SigningCertCache.get(url, now)` is what verification calls for every request: a dictionary look-up
once the chain for that URL has been downloaded and validated (skill/cert_chain.py).
"""
from __future__ import annotations

import datetime as dt
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.x509 import verification as x509v

from .cert_chain import SigningCert, signing_cert
from .verification_error import VerificationError

__all__ = ["Fetcher", "SigningCertCache", "UrlFetcher"]

Fetcher = Callable[[str], bytes]


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


class SigningCertCache:
    """Validated signing certificates per canonical cert URL; thread-safe.

    `store`: the trust anchors; `fetch(url) -> bytes` downloads a PEM chain; at most `max_cached`
    chains are kept, each until it expires.
    """

    def __init__(self, store: x509v.Store, fetch: Fetcher, max_cached: int = 16) -> None:
        self._store = store
        self._fetch = fetch
        self._max_cached = max_cached
        self._lock = threading.Lock()
        self._cache: dict[str, SigningCert] = {}
        self._url_locks: dict[str, threading.Lock] = {}

    def get(self, cert_url: str, now: dt.datetime) -> SigningCert:
        """The validated signing certificate for a canonical cert URL, downloaded on first use.

        One download per URL at a time: concurrent requests for an uncached URL wait for the first
        download instead of stampeding S3; other URLs are not blocked meanwhile.
        """
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

    def _load(self, cert_url: str, now: dt.datetime) -> SigningCert:
        try:
            pem = self._fetch(cert_url)
        except Exception as exc:  # any transport failure means "cannot verify", never a 500
            raise VerificationError("cert_fetch_failed", f"{cert_url}: {type(exc).__name__}: {exc}") from None
        return signing_cert(cert_url, pem, self._store, now)

    def _remember(self, cert: SigningCert, now: dt.datetime) -> None:
        # Caller holds self._lock. Bounded: a flood of distinct (valid-looking) URLs cannot grow it.
        self._cache = {url: c for url, c in self._cache.items() if c.usable_at(now)}
        while len(self._cache) >= self._max_cached:
            del self._cache[min(self._cache, key=lambda url: self._cache[url].expires_at)]
        self._cache[cert.url] = cert
