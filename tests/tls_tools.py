"""Issuing workload certificates under a cluster's intermediate and shaking hands with them over loopback,
as two meshed workloads in different clusters would (SPIFFE identities, mutual TLS)."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from components.simulation.mocks import self_signed_ca


@dataclass(frozen=True)
class Workload:
    chain_pem: str
    """Leaf then its issuing intermediate, as a proxy presents it."""
    key_pem: str


def load_cert(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode())


def load_certs(pem: str) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(pem.encode())


def new_root(name: str, days: int = 3650) -> tuple[str, str]:
    """A root CA made outside the stack (for bring-your-own-root tests): certificate and key PEM."""
    return self_signed_ca(name, organization="byo", days=days, path_length=1)


def issue_workload(
    ca_cert_pem: str, ca_key_pem: str, spiffe_id: str | None = None, *, dns_name: str | None = None, is_ca: bool = False
) -> Workload:
    """A workload certificate as istiod issues it (no subject, a SPIFFE URI SAN), or as Linkerd's identity
    service does (`dns_name`: one DNS SAN, the proxy's identity; pkg/identity/service.go)."""
    names: list[x509.GeneralName] = [x509.UniformResourceIdentifier(spiffe_id)] if spiffe_id else []
    names += [x509.DNSName(dns_name)] if dns_name else []
    ca_cert = load_cert(ca_cert_pem)
    ca_key = serialization.load_pem_private_key(ca_key_pem.encode(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rogue CA")] if is_ca else []))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            ),
            critical=False,
        )
    )
    if is_ca:
        builder = (
            builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, True, False, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        )
    else:
        builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True).add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
    cert = builder.sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    leaf = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    return Workload(chain_pem=leaf + ca_cert_pem.strip() + "\n", key_pem=key_pem)


@dataclass
class HandshakeResult:
    ok: bool
    server_saw: str | None
    """The client's identity as the server verified it: its SPIFFE id, else its DNS name (Linkerd)."""
    error: str | None
    client_saw: str | None = None
    """The server's identity as the client verified it."""


def _identity(peer: Any) -> str | None:
    names = list((peer or {}).get("subjectAltName", ()))
    for kind in ("URI", "DNS"):
        found = next((str(entry[1]) for entry in names if entry[0] == kind), None)
        if found:
            return found
    return None


def _context(side: int, workload: Workload, trust_bundle_pem: str, directory: Path, name: str) -> ssl.SSLContext:
    context = ssl.SSLContext(side)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    cert_file, key_file = directory / f"{name}.crt", directory / f"{name}.key"
    cert_file.write_text(workload.chain_pem)
    key_file.write_text(workload.key_pem)
    context.load_cert_chain(cert_file, key_file)
    context.load_verify_locations(cadata=trust_bundle_pem)
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = False  # mesh peers verify SPIFFE URIs, not host names
    return context


@dataclass
class _Exchange:
    server_saw: str | None = None
    """The client's identity as the server read it from the client certificate."""
    client_saw: str | None = None
    """The server's identity as the client read it."""
    server_error: str | None = None
    client_error: str | None = None


def _loopback_exchange(server_context: ssl.SSLContext, client_context: ssl.SSLContext, server_hostname: str | None = None) -> _Exchange:
    """One TLS connection over a loopback socket and an echoed ping, each side's outcome recorded."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    exchange = _Exchange()

    def serve() -> None:
        connection, _ = listener.accept()
        try:
            with server_context.wrap_socket(connection, server_side=True) as tls:
                exchange.server_saw = _identity(tls.getpeercert())
                tls.sendall(tls.recv(16))
        except (ssl.SSLError, OSError) as error:
            exchange.server_error = str(error)
        finally:
            connection.close()

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            client_context.wrap_socket(raw, server_hostname=server_hostname) as tls,
        ):
            exchange.client_saw = _identity(tls.getpeercert())
            tls.sendall(b"ping")
            if tls.recv(16) != b"ping":
                exchange.client_error = "no echo"
    except (ssl.SSLError, OSError) as error:
        exchange.client_error = str(error)
    thread.join(timeout=10)
    listener.close()
    return exchange


def mutual_tls(server: Workload, server_trust: str, client: Workload, client_trust: str, directory: Path) -> HandshakeResult:
    """Mutual TLS over a loopback socket; both sides verify the peer against their trust bundle."""
    server_context = _context(ssl.PROTOCOL_TLS_SERVER, server, server_trust, directory, "server")
    client_context = _context(ssl.PROTOCOL_TLS_CLIENT, client, client_trust, directory, "client")
    exchange = _loopback_exchange(server_context, client_context)
    ok = exchange.client_error is None and exchange.server_error is None
    return HandshakeResult(
        ok=ok,
        server_saw=exchange.server_saw if ok else None,
        error=None if ok else str(exchange.server_error or exchange.client_error),
        client_saw=exchange.client_saw if ok else None,
    )


def issue_server(ca_cert_pem: str, ca_key_pem: str, dns_name: str) -> Workload:
    """A server certificate for `dns_name`, as Consul's tls-init signs the servers' (serverAuth and clientAuth;
    consul-k8s control-plane/helper/cert/tls_util.go GenerateCert)."""
    ca_cert = load_cert(ca_cert_pem)
    ca_key = serialization.load_pem_private_key(ca_key_pem.encode(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns_name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name), x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        # Go's x509.CreateCertificate copies the parent's subject key id into the authority key id, which is how a
        # verifier tells apart two CAs of the same subject (a cluster's intermediates under two roots).
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    return Workload(chain_pem=cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem=key_pem)


def server_tls(server: Workload, trust_pem: str, server_name: str, directory: Path, *, partial_chain: bool = False) -> str | None:
    """One-way TLS over loopback, the client checking `server_name`; the error, or None if it verified.

    `partial_chain` lets a CA that is not self-signed be the anchor, as Go's crypto/x509 (Consul) does with
    a `ca_file` holding only the datacenter's CA."""
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    (directory / "server.crt").write_text(server.chain_pem)
    (directory / "server.key").write_text(server.key_pem)
    server_context.load_cert_chain(directory / "server.crt", directory / "server.key")
    client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_context.load_verify_locations(cadata=trust_pem)
    if partial_chain:
        client_context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    # The client's verdict: a server that fails the handshake fails the client's side of it too.
    return _loopback_exchange(server_context, client_context, server_name).client_error
