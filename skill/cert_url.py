"""Where a signing certificate chain may come from: Amazon's rules for the `SignatureCertChainUrl` header.

The URL must point at https://s3.amazonaws.com[:443]/echo.api/... (developer.amazon.com, "Host a
Custom Skill as a Web Service"). `normalize_cert_url` checks that and gives the one URL to fetch.
"""
from __future__ import annotations

import posixpath
import urllib.parse

from .verification_error import VerificationError

__all__ = ["CERT_URL_HOST", "CERT_URL_PATH_PREFIX", "normalize_cert_url"]

CERT_URL_HOST = "s3.amazonaws.com"
CERT_URL_PATH_PREFIX = "/echo.api/"


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
