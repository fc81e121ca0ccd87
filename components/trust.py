"""Shared trust for the fleet: one or more root CAs (the trust bundle) and one intermediate CA per cluster.

Every cluster's mesh CA is an intermediate signed by the fleet's signing root, and every cluster trusts
the whole bundle, so workloads in different clusters verify each other. Several roots in the bundle let
the root be rotated without an outage (docs/rotation.md, "The root, without an outage"):

1. add the new root to `trust.roots` (every cluster now trusts both),
2. set `trust.signingRoot` to it (intermediates are re-issued under the new root),
3. remove the old root.

Profiles follow ../shared/reference: ECDSA P-256 by default (Linkerd requires P-256 for its issuer,
Istio accepts it); CA certificates carry keyCertSign, cRLSign and digitalSignature and no extended key
usage. pulumi-tls cannot write `pathlen:0` (it never sets MaxPathLenZero), so the root carries
`pathlen:1` instead: exactly one CA below the root, which is what an intermediate `pathlen:0` would give.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pulumi
import pulumi_tls as tls
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from . import naming
from .config import RootSpec, TrustSpec

CA_USES = ["cert_signing", "crl_signing", "digital_signature"]
ROOT_PATH_LENGTH = 1


@dataclass(frozen=True)
class CaProfile:
    """The subject and names a mesh wants on a cluster's intermediate CA."""

    common_name: str
    locality: str | None = None
    dns_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProvidedRoot:
    """A root brought from secret config: its certificate, and its key unless it is trust-only."""

    certificate_pem: pulumi.Input[str]
    private_key_pem: pulumi.Input[str] | None


@dataclass(frozen=True)
class ClusterCa:
    """The CA material one cluster's mesh needs."""

    certificate_pem: pulumi.Output[str]
    """The cluster's intermediate CA certificate."""
    private_key_pem: pulumi.Output[str]
    """Its private key; always a Pulumi secret."""
    chain_pem: pulumi.Output[str]
    """Intermediate then signing root, as Istio's `cert-chain.pem`."""
    bundle_pem: pulumi.Output[str]
    """Every root of the fleet: what the cluster trusts."""
    signing_root: str


@dataclass(frozen=True)
class FleetTrustArgs:
    spec: TrustSpec
    profiles: Mapping[str, CaProfile]
    """One intermediate per entry, keyed by cluster name."""
    provided_roots: Mapping[str, ProvidedRoot]
    """Certificates (and keys) of the roots that `spec.roots` marks as provided, keyed by root name."""
    deployed_bundle: pulumi.Input[str | None] | None = None
    """The bundle the clusters run now (the stack's last `rootCaBundle`); None on a first deployment.
    A new bundle must contain it or be contained in it."""


@dataclass(frozen=True)
class _Root:
    certificate_pem: pulumi.Output[str]
    private_key_pem: pulumi.Output[str] | None


class FleetTrust(pulumi.ComponentResource):
    """The fleet's root CAs and the per-cluster intermediates they sign."""

    bundle_pem: pulumi.Output[str]
    root_certificates: dict[str, pulumi.Output[str]]
    clusters: dict[str, ClusterCa]

    def __init__(self, name: str, args: FleetTrustArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meshfleet:trust:FleetTrust", name, None, opts)
        self._spec = args.spec
        roots = {root.name: self._root(root, args.provided_roots.get(root.name)) for root in args.spec.roots}
        self.root_certificates = {name: root.certificate_pem for name, root in roots.items()}
        bundle = pulumi.Output.all(*self.root_certificates.values()).apply(join_pem)
        self.bundle_pem = pulumi.Output.all(bundle, args.deployed_bundle).apply(lambda pair: checked_rotation(pair[1], pair[0]))
        signer = roots[args.spec.signing_root]
        self.clusters = {cluster: self._intermediate(cluster, profile, signer) for cluster, profile in args.profiles.items()}
        self.register_outputs({"bundle_pem": self.bundle_pem, "root_certificates": self.root_certificates})

    def _key(self, name: str, opts: pulumi.ResourceOptions) -> tls.PrivateKey:
        if self._spec.algorithm == "RSA":
            return tls.PrivateKey(name, algorithm="RSA", rsa_bits=self._spec.rsa_bits, opts=opts)
        return tls.PrivateKey(name, algorithm="ECDSA", ecdsa_curve="P256", opts=opts)

    def _root(self, root: RootSpec, provided: ProvidedRoot | None) -> _Root:
        if root.provided:
            if provided is None:
                raise ValueError(f"root {root.name!r} is marked provided but its certificate was not passed")
            provided_key = provided.private_key_pem
            return _Root(
                # A certificate is public; only its key stays secret.
                pulumi.Output.unsecret(pulumi.Output.from_input(provided.certificate_pem)),
                None if provided_key is None else pulumi.Output.secret(provided_key),
            )
        # Deleting a root breaks trust in every cluster at once, so prod stacks protect it.
        opts = pulumi.ResourceOptions(parent=self, protect=root.protect)
        key = self._key(naming.child(root.name, "key"), opts)
        cert = tls.SelfSignedCert(
            naming.child(root.name, "cert"),
            private_key_pem=key.private_key_pem,
            is_ca_certificate=True,
            max_path_length=ROOT_PATH_LENGTH,
            allowed_uses=CA_USES,
            validity_period_hours=self._spec.root_validity_hours,
            subject=tls.SelfSignedCertSubjectArgs(
                organization=self._spec.organization,
                common_name=f"{self._spec.organization} root CA {root.name}",
            ),
            opts=opts,
        )
        return _Root(cert.cert_pem, key.private_key_pem)

    def _intermediate(self, cluster: str, profile: CaProfile, signer: _Root) -> ClusterCa:
        if signer.private_key_pem is None:
            raise ValueError(f"signing root {self._spec.signing_root!r} has no private key")
        # The signing root is part of the name: moving to a new root issues a new key and certificate
        # beside the old ones instead of mutating them.
        base = naming.child(cluster, self._spec.signing_root, "intermediate")
        opts = pulumi.ResourceOptions(parent=self)
        key = self._key(naming.child(base, "key"), opts)
        request = tls.CertRequest(
            naming.child(base, "csr"),
            private_key_pem=key.private_key_pem,
            subject=tls.CertRequestSubjectArgs(
                organization=self._spec.organization,
                common_name=profile.common_name,
                locality=profile.locality,
            ),
            dns_names=list(profile.dns_names) or None,
            opts=opts,
        )
        cert = tls.LocallySignedCert(
            naming.child(base, "cert"),
            cert_request_pem=request.cert_request_pem,
            ca_cert_pem=signer.certificate_pem,
            ca_private_key_pem=signer.private_key_pem,
            is_ca_certificate=True,
            allowed_uses=CA_USES,
            validity_period_hours=self._spec.intermediate_validity_hours,
            early_renewal_hours=self._spec.intermediate_early_renewal_hours,
            opts=opts,
        )
        return ClusterCa(
            certificate_pem=cert.cert_pem,
            private_key_pem=pulumi.Output.secret(key.private_key_pem),
            chain_pem=pulumi.Output.all(cert.cert_pem, signer.certificate_pem).apply(join_pem),
            bundle_pem=self.bundle_pem,
            signing_root=self._spec.signing_root,
        )


ROTATION_STEPS = (
    "rotate in steps, each a `pulumi up` that finishes before the next: 1. add the new root to trust.roots beside "
    "the current ones; 2. set trust.signingRoot to it (intermediates are re-issued under it); 3. remove the old roots"
)


def bundle_change_problem(deployed: str | None, new: str) -> str | None:
    """Why the clusters cannot move from the `deployed` bundle to `new`, or None if they can.

    istiod (with ISTIO_MULTIROOT_MESH) takes a root-cert.pem that adds or drops roots, i.e. a superset or
    subset of what it runs, and ignores any other change ("Updating new ROOT-CA not supported",
    pilot/pkg/bootstrap/istio_ca.go), leaving the cluster on roots that no longer sign anything. For any
    mesh such a swap cuts every connection between workloads of the old and the new root.
    """
    if not deployed or not deployed.strip():
        return None
    before = {cert.public_bytes(serialization.Encoding.DER): cert for cert in x509.load_pem_x509_certificates(deployed.encode())}
    after = {cert.public_bytes(serialization.Encoding.DER): cert for cert in x509.load_pem_x509_certificates(new.encode())}
    if before.keys() <= after.keys() or after.keys() <= before.keys():
        return None
    return (
        f"the root bundle would change from {_subjects(before.values())} to {_subjects(after.values())}, and neither contains "
        "the other: workloads under the old and the new roots could no longer verify each other (and Istio's istiod ignores such a change: "
        f"'Updating new ROOT-CA not supported'); {ROTATION_STEPS}"
    )


def checked_rotation(deployed: str | None, new: str) -> str:
    problem = bundle_change_problem(deployed, new)
    if problem is not None:
        raise pulumi.RunError(f"meshfleet:trust.roots: {problem}")
    return new


def _subjects(certs: Iterable[x509.Certificate]) -> str:
    return "[" + ", ".join(repr(cert.subject.rfc4514_string()) for cert in certs) + "]"


def join_pem(pems: list[str]) -> str:
    """Concatenate PEM blocks, each ending in exactly one newline."""
    return "".join(pem.strip() + "\n" for pem in pems)
