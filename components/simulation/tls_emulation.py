"""pulumi-tls, emulated with real keys and certificates (the `cryptography` package).

Follows hashicorp/terraform-provider-tls (`internal/provider/common_cert.go`, `common_key.go`), which
pulumi-tls bridges, so that what the program asks for is what a real `pulumi up` would produce:
- keys: RSA as PKCS#1 `RSA PRIVATE KEY`, ECDSA as SEC1 `EC PRIVATE KEY`; the default curve is P224;
- every certificate has a critical BasicConstraints; `max_path_length` > 0 gives pathlen, 0 gives none
  (the provider never sets MaxPathLenZero);
- KeyUsage is critical, ExtKeyUsage is not; a CA (or `set_subject_key_id`) gets a SHA-1 subject key id;
- a locally signed certificate takes subject, SANs and key from the CSR and everything else from the
  resource, and carries the CA's subject key id as its authority key id;
- the digest follows the signer's key: SHA-256 for RSA and P-256, SHA-384 for P-384, SHA-512 for P-521.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import secrets
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

CURVES: dict[str, ec.EllipticCurve] = {"P224": ec.SECP224R1(), "P256": ec.SECP256R1(), "P384": ec.SECP384R1(), "P521": ec.SECP521R1()}
KEY_USAGES = {
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "cert_signing",
    "crl_signing",
    "encipher_only",
    "decipher_only",
}
EXTENDED_KEY_USAGES: dict[str, ObjectIdentifier] = {
    "any_extended": ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
    "server_auth": ExtendedKeyUsageOID.SERVER_AUTH,
    "client_auth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "code_signing": ExtendedKeyUsageOID.CODE_SIGNING,
    "email_protection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "ipsec_end_system": ObjectIdentifier("1.3.6.1.5.5.7.3.5"),
    "ipsec_tunnel": ObjectIdentifier("1.3.6.1.5.5.7.3.6"),
    "ipsec_user": ObjectIdentifier("1.3.6.1.5.5.7.3.7"),
    "timestamping": ExtendedKeyUsageOID.TIME_STAMPING,
    "ocsp_signing": ExtendedKeyUsageOID.OCSP_SIGNING,
    "microsoft_server_gated_crypto": ObjectIdentifier("1.3.6.1.4.1.311.10.3.3"),
    "netscape_server_gated_crypto": ObjectIdentifier("2.16.840.1.113730.4.1"),
    "microsoft_commercial_code_signing": ObjectIdentifier("1.3.6.1.4.1.311.2.1.22"),
    "microsoft_kernel_code_signing": ObjectIdentifier("1.3.6.1.4.1.311.61.1.1"),
}
# Order of createSubjectDistinguishedNames (Go's pkix.Name.ToRDNSequence).
SUBJECT_FIELDS = [
    ("country", NameOID.COUNTRY_NAME),
    ("province", NameOID.STATE_OR_PROVINCE_NAME),
    ("locality", NameOID.LOCALITY_NAME),
    ("streetAddresses", NameOID.STREET_ADDRESS),
    ("postalCode", NameOID.POSTAL_CODE),
    ("organization", NameOID.ORGANIZATION_NAME),
    ("organizationalUnit", NameOID.ORGANIZATIONAL_UNIT_NAME),
    ("commonName", NameOID.COMMON_NAME),
    ("serialNumber", NameOID.SERIAL_NUMBER),
    ("emailAddress", NameOID.EMAIL_ADDRESS),
]


class TlsEmulationError(ValueError):
    """What the real provider would refuse."""


def _algorithm(key: Any) -> str:
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return "RSA"
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return "ECDSA"
    return "ED25519"


def _load_key(pem: str) -> PrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey)
    return key


def _digest(key: PrivateKey) -> hashes.SHA256 | hashes.SHA384 | hashes.SHA512 | None:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return None
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size == 384:
        return hashes.SHA384()
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size == 521:
        return hashes.SHA512()
    return hashes.SHA256()


def _time(value: datetime.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"  # Go's RFC 3339 with nanoseconds


def private_key(inputs: Mapping[str, Any]) -> dict[str, Any]:
    algorithm = inputs["algorithm"]
    key: PrivateKey
    if algorithm == "RSA":
        key = rsa.generate_private_key(public_exponent=65537, key_size=int(inputs.get("rsaBits") or 2048))
    elif algorithm == "ECDSA":
        curve = inputs.get("ecdsaCurve") or "P224"
        key = ec.generate_private_key(CURVES[curve])
    elif algorithm == "ED25519":
        key = ed25519.Ed25519PrivateKey.generate()
    else:
        raise TlsEmulationError(f"unsupported algorithm {algorithm!r}")
    traditional = serialization.PrivateFormat.PKCS8 if algorithm == "ED25519" else serialization.PrivateFormat.TraditionalOpenSSL
    pem = key.private_bytes(serialization.Encoding.PEM, traditional, serialization.NoEncryption()).decode()
    pkcs8 = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    public = key.public_key()
    spki = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    outputs = {
        **inputs,
        "ecdsaCurve": inputs.get("ecdsaCurve") or "P224",
        "rsaBits": int(inputs.get("rsaBits") or 2048),
        "privateKeyPem": pem,
        "privateKeyPemPkcs8": pkcs8,
        "publicKeyPem": public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
        "privateKeyOpenssh": "",
        "publicKeyOpenssh": "",
        "publicKeyFingerprintMd5": "",
        "publicKeyFingerprintSha256": "",
        "id": hashlib.sha1(spki).hexdigest(),
    }
    if not (algorithm == "ECDSA" and outputs["ecdsaCurve"] == "P224"):  # x/crypto/ssh cannot encode P-224
        openssh = public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
        blob = base64.b64decode(openssh.split()[1])
        outputs["publicKeyOpenssh"] = openssh + "\n"
        outputs["privateKeyOpenssh"] = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        ).decode()
        outputs["publicKeyFingerprintMd5"] = ":".join(f"{b:02x}" for b in hashlib.md5(blob).digest())
        outputs["publicKeyFingerprintSha256"] = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return outputs


def _name(subject: Mapping[str, Any] | None) -> x509.Name:
    attributes: list[x509.NameAttribute] = []
    for field, oid in SUBJECT_FIELDS:
        value = (subject or {}).get(field)
        for item in value if isinstance(value, list) else [value]:
            if item:
                attributes.append(x509.NameAttribute(oid, str(item)))
    return x509.Name(attributes)


def _sans(inputs: Mapping[str, Any]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.DNSName(d) for d in inputs.get("dnsNames") or []]
    names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in inputs.get("ipAddresses") or []]
    names += [x509.UniformResourceIdentifier(u) for u in inputs.get("uris") or []]
    return names


def _certificate(
    inputs: Mapping[str, Any],
    subject: x509.Name,
    sans: list[x509.GeneralName],
    public_key: Any,
    issuer_name: x509.Name,
    signer: PrivateKey,
    authority_key_id: bytes | None,
) -> dict[str, Any]:
    uses = list(inputs.get("allowedUses") or [])
    unknown = [u for u in uses if u not in KEY_USAGES and u not in EXTENDED_KEY_USAGES]
    if unknown:
        raise TlsEmulationError(f"allowed_uses {unknown} are not supported by the tls provider")
    is_ca = bool(inputs.get("isCaCertificate"))
    path_length = int(inputs.get("maxPathLength", -1) if inputs.get("maxPathLength") is not None else -1)
    if is_ca and len(subject) == 0:
        raise TlsEmulationError("Must contain at least one Distinguished Name when creating a CA certificate")
    if not is_ca and path_length >= 1:
        raise TlsEmulationError("x509: only CAs are allowed to specify MaxPathLen")
    hours = int(inputs["validityPeriodHours"])
    not_before = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    not_after = not_before + datetime.timedelta(hours=hours)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(secrets.randbelow(1 << 128) or 1)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=path_length if is_ca and path_length > 0 else None), critical=True)
    )
    key_uses = {u for u in uses if u in KEY_USAGES}
    if key_uses:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature="digital_signature" in key_uses,
                content_commitment="content_commitment" in key_uses,
                key_encipherment="key_encipherment" in key_uses,
                data_encipherment="data_encipherment" in key_uses,
                key_agreement="key_agreement" in key_uses,
                key_cert_sign="cert_signing" in key_uses,
                crl_sign="crl_signing" in key_uses,
                encipher_only="encipher_only" in key_uses,
                decipher_only="decipher_only" in key_uses,
            ),
            critical=True,
        )
    extended = [EXTENDED_KEY_USAGES[u] for u in uses if u in EXTENDED_KEY_USAGES]
    if extended:
        builder = builder.add_extension(x509.ExtendedKeyUsage(extended), critical=False)
    if is_ca or inputs.get("setSubjectKeyId"):
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    if authority_key_id is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier(key_identifier=authority_key_id, authority_cert_issuer=None, authority_cert_serial_number=None),
            critical=False,
        )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=len(subject) == 0)
    cert = builder.sign(signer, _digest(signer))
    early = int(inputs.get("earlyRenewalHours") or 0)
    return {
        "certPem": cert.public_bytes(serialization.Encoding.PEM).decode(),
        "validityStartTime": _time(not_before),
        "validityEndTime": _time(not_after),
        "readyForRenewal": hours == 0 or early >= hours,
        "earlyRenewalHours": early,
        "maxPathLength": path_length,
        "id": str(cert.serial_number),
    }


def self_signed_cert(inputs: Mapping[str, Any]) -> dict[str, Any]:
    key = _load_key(inputs["privateKeyPem"])
    subject = _name(inputs.get("subject"))
    if inputs.get("setAuthorityKeyId") and not (inputs.get("isCaCertificate") or inputs.get("setSubjectKeyId")):
        raise TlsEmulationError("Could not determine Authority Key Identifier: the certificate has no Subject Key Identifier")
    authority = x509.SubjectKeyIdentifier.from_public_key(key.public_key()).digest if inputs.get("setAuthorityKeyId") else None
    computed = _certificate(inputs, subject, _sans(inputs), key.public_key(), subject, key, authority)
    return {**inputs, **computed, "keyAlgorithm": _algorithm(key)}


def cert_request(inputs: Mapping[str, Any]) -> dict[str, Any]:
    key = _load_key(inputs["privateKeyPem"])
    builder = x509.CertificateSigningRequestBuilder().subject_name(_name(inputs.get("subject")))
    sans = _sans(inputs)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    csr = builder.sign(key, _digest(key))
    der = csr.public_bytes(serialization.Encoding.DER)
    return {
        **inputs,
        "certRequestPem": csr.public_bytes(serialization.Encoding.PEM).decode(),
        "keyAlgorithm": _algorithm(key),
        "id": hashlib.sha1(der).hexdigest(),
    }


def locally_signed_cert(inputs: Mapping[str, Any]) -> dict[str, Any]:
    csr = x509.load_pem_x509_csr(inputs["certRequestPem"].encode())
    ca_cert = x509.load_pem_x509_certificate(inputs["caCertPem"].encode())
    ca_key = _load_key(inputs["caPrivateKeyPem"])
    try:
        sans = list(csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    except x509.ExtensionNotFound:
        sans = []
    try:
        authority: bytes | None = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        authority = None
    computed = _certificate(inputs, csr.subject, sans, csr.public_key(), ca_cert.subject, ca_key, authority)
    return {**inputs, **computed, "caKeyAlgorithm": _algorithm(ca_key)}


HANDLERS = {
    "tls:index/privateKey:PrivateKey": private_key,
    "tls:index/selfSignedCert:SelfSignedCert": self_signed_cert,
    "tls:index/certRequest:CertRequest": cert_request,
    "tls:index/locallySignedCert:LocallySignedCert": locally_signed_cert,
}
