"""A self-signed certificate for the console when the user brings none (``otm serve --tls``).

Made with ``cryptography`` (the maintained binding of OpenSSL): an ECDSA
P-256 key and a certificate valid for a year for the names and addresses
the console answers on.  Browsers will warn until someone trusts it; the
fingerprint ``otm serve`` prints lets them check it is this one.  The key
file is written readable by its owner only.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

VALID_DAYS = 365


def self_signed(cert: Path, key: Path, names: list[str], now: dt.datetime | None = None) -> str:
    """Write a new key and certificate for ``names`` (hostnames or IPs); its SHA-256
    fingerprint (hex, colon-separated)."""
    when = now or dt.datetime.now(dt.UTC)
    private = ec.generate_private_key(ec.SECP256R1())
    alt: list[x509.GeneralName] = []
    for name in names:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt.append(x509.DNSName(name))
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, names[0] if names else "otm console"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "otm console (self-signed)"),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(when - dt.timedelta(minutes=5))
        .not_valid_after(when + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(private, hashes.SHA256())
    )
    key.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(
            private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return fingerprint(cert)


def fingerprint(cert: Path) -> str:
    """The SHA-256 fingerprint of a PEM certificate file, as browsers show it."""
    loaded = x509.load_pem_x509_certificate(cert.read_bytes())
    digest = loaded.fingerprint(hashes.SHA256())
    return ":".join(f"{b:02X}" for b in digest)
