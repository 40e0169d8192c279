"""Write a self-signed TLS certificate for the compose stack's proxy, unless one is there.

Run once at first start (docker-compose.yml, service `proxy-cert`) with the API image, which
has `cryptography`:  python self_signed_cert.py DIRECTORY [HOSTNAME ...]
It writes DIRECTORY/cardgraph.crt and DIRECTORY/cardgraph.key (mode 0600) and leaves existing
files alone, so a real certificate put there is never replaced.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CERTIFICATE = "cardgraph.crt"
KEY = "cardgraph.key"
VALID_DAYS = 825  # the longest lifetime clients accept for a server certificate


def _alternative_names(hostnames: list[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for name in hostnames:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            names.append(x509.DNSName(name))
    return names


def write_self_signed(directory: Path, hostnames: list[str]) -> bool:
    """Write a certificate and key for `hostnames` unless both exist; whether one was written."""
    certificate_path, key_path = directory / CERTIFICATE, directory / KEY
    if certificate_path.exists() and key_path.exists():
        return False
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0])])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(_alternative_names(hostnames)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key_bytes)
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return True


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: self_signed_cert.py DIRECTORY [HOSTNAME ...]")
    names = sys.argv[2:] or ["localhost", "127.0.0.1"]
    written = write_self_signed(Path(sys.argv[1]), names)
    print("wrote a self-signed certificate" if written else "kept the existing certificate")
