"""Is a downloaded certificate chain Amazon's signing certificate? Chain validation against trusted roots.

Amazon's rules: a currently valid leaf whose SAN contains echo-api.amazon.com, chaining to a trusted
root. `signing_cert(url, pem, store, now)` applies them to a PEM chain and gives the leaf's public
key with the time the whole chain is valid for; `load_trusted_roots` makes the trust anchors.
"""
from __future__ import annotations

import datetime as dt
import re
import warnings
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import verification as x509v

from .verification_error import VerificationError

__all__ = ["ECHO_API_SAN", "SigningCert", "load_trusted_roots", "signing_cert"]

ECHO_API_SAN = "echo-api.amazon.com"

_PEM_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


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


def signing_cert(cert_url: str, pem: bytes, store: x509v.Store, now: dt.datetime) -> SigningCert:
    """The signing certificate in the PEM chain downloaded from `cert_url`, or VerificationError
    saying which rule it broke (an unparsable chain is "cert_chain_malformed")."""
    try:
        return _validate(cert_url, pem, store, now)
    except (ValueError, UnsupportedAlgorithm) as exc:  # unparsable certificate or extension
        raise VerificationError("cert_chain_malformed", f"{type(exc).__name__}: {exc}") from None


def _validate(cert_url: str, pem: bytes, store: x509v.Store, now: dt.datetime) -> SigningCert:
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
        chain = _path_verifier(store, now).verify(leaf, intermediates)
    except x509v.VerificationError as exc:
        raise VerificationError("cert_chain_untrusted", str(exc)) from None
    return SigningCert(
        url=cert_url,
        leaf=leaf,
        public_key=public_key,
        not_before=max(c.not_valid_before_utc for c in chain),
        expires_at=min(c.not_valid_after_utc for c in chain),
    )


def _path_verifier(store: x509v.Store, now: dt.datetime) -> x509v.ServerVerifier:
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
        .store(store)
        .time(now)
        .extension_policies(ca_policy=x509v.ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee_policy)
        .build_server_verifier(x509.DNSName(ECHO_API_SAN))
    )


def _dns_names(cert: x509.Certificate) -> set[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return {name.lower() for name in san.get_values_for_type(x509.DNSName)}
