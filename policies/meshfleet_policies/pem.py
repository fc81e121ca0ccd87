"""Recognising key material and reading certificates in resource properties."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature

PRIVATE_KEY_MARKER = "PRIVATE KEY-----"


def string_values(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every string in (nested) resource properties, with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from string_values(item, (*path, str(key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from string_values(item, (*path, str(i)))


def certificates(pem: str) -> list[x509.Certificate]:
    """The certificates in `pem`; none if it holds no readable certificate (a policy reports that, it does not crash)."""
    try:
        return x509.load_pem_x509_certificates(pem.encode())
    except ValueError:
        return []


def issued_by_one_of(cert: x509.Certificate, roots: list[x509.Certificate]) -> bool:
    for root in roots:
        try:
            cert.verify_directly_issued_by(root)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return True
    return False
