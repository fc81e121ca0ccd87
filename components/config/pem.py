"""Checks on a root CA brought from secret config, so a bad one fails before anything is created."""

from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key


def root_certificate_problems(cert_pem: str, key_pem: str | None, algorithm: str) -> list[str]:
    """Problems with a provided root: not a PEM CA certificate, expired, or not matching its key."""
    try:
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
    except ValueError:
        return ["is not a PEM-encoded X.509 certificate ('-----BEGIN CERTIFICATE-----')"]
    problems: list[str] = []
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        is_ca = constraints.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        problems.append("is not a CA certificate (basicConstraints CA:TRUE is missing)")
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        if not usage.key_cert_sign:
            problems.append("may not sign certificates (keyUsage lacks keyCertSign)")
    except x509.ExtensionNotFound:
        pass
    if cert.not_valid_after_utc <= datetime.datetime.now(datetime.UTC):
        problems.append(f"expired on {cert.not_valid_after_utc:%Y-%m-%d}")
    public_key = cert.public_key()
    expected = ec.EllipticCurvePublicKey if algorithm == "ECDSA" else rsa.RSAPublicKey
    if not isinstance(public_key, expected):
        kind = "ECDSA" if isinstance(public_key, ec.EllipticCurvePublicKey) else "RSA" if isinstance(public_key, rsa.RSAPublicKey) else None
        problems.append(f"has {f'an {kind}' if kind else 'a ' + type(public_key).__name__} key but trust.algorithm is {algorithm!r}")
    if key_pem is not None:
        try:
            key = load_pem_private_key(key_pem.encode(), password=None)
        except (ValueError, TypeError):
            problems.append("private key is not an unencrypted PEM private key")
        else:
            if key.public_key().public_numbers() != public_key.public_numbers():  # type: ignore[union-attr]
                problems.append("private key does not match the certificate's public key")
    return problems
