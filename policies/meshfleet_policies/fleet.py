"""Stack policies: the clusters form one mesh (one version per revision, one mesh id, one trust domain,
one root), and every control-plane cluster enforces mesh-wide STRICT mTLS between identities bound to
workloads."""

from __future__ import annotations

from collections import defaultdict

from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import Certificate
from pulumi_policy import ReportViolation, StackValidationArgs, StackValidationPolicy

from .facts import MESHES, ControlPlane, control_planes
from .pem import certificates, issued_by_one_of
from .resources import as_resource


def _listing(by_value: dict[str, list[str]]) -> str:
    return "; ".join(f"{value!r} in {', '.join(sorted(clusters))}" for value, clusters in sorted(by_value.items()))


def _one_value(planes: list[ControlPlane], what: str, attribute: str, fix: str, report_violation: ReportViolation) -> None:
    by_value: dict[str, list[str]] = defaultdict(list)
    for plane in planes:
        value = getattr(plane, attribute)
        if value is not None:
            by_value[str(value)].append(plane.cluster)
    if len(by_value) > 1:
        report_violation(f"the clusters disagree on the {what}: {_listing(by_value)}; {fix}", None)


def _consistency(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    resources = [as_resource(r) for r in args.resources]
    planes = list(control_planes(resources))
    _one_value(planes, "mesh id", "mesh_id", "set one mesh.meshId for the whole fleet", report_violation)
    _one_value([p for p in planes if not p.is_remote], "trust domain", "trust_domain", "set one mesh.trustDomain", report_violation)
    revisions: dict[str, list[ControlPlane]] = defaultdict(list)
    for plane in planes:
        revisions[plane.revision].append(plane)
    for revision, same_revision in sorted(revisions.items()):
        _one_value(
            same_revision,
            f"chart version of revision {revision or 'default'!r}",
            "chart_version",
            "run each revision at one version in every cluster (mesh.version, mesh.istio.revisions[].version)",
            report_violation,
        )

    anchors = [a for r in resources for mesh in MESHES if (a := mesh.trust_anchors(r)) is not None]
    bundles: dict[frozenset[bytes], list[str]] = defaultdict(list)
    roots_of: dict[str, list[Certificate]] = {}
    for anchor in anchors:
        roots = certificates(anchor.roots_pem)
        roots_of[anchor.cluster] = roots
        bundles[frozenset(c.public_bytes(Encoding.DER) for c in roots)].append(anchor.cluster)
    for material in (m for r in resources for mesh in MESHES if (m := mesh.ca_material(r)) is not None):
        ca = certificates(material.ca_cert_pem)
        if not ca or not issued_by_one_of(ca[0], roots_of.get(material.cluster, [])):
            report_violation(
                f"the CA certificate of {material.cluster} is not issued by a root of the fleet's bundle; "
                "issue every cluster's intermediate from trust.signingRoot",
                material.urn,
            )
    if len(bundles) > 1:
        report_violation(
            "the clusters trust different root bundles ("
            + "; ".join(sorted(", ".join(sorted(clusters)) for clusters in bundles.values()))
            + "); every cluster must trust the fleet's one root bundle (trust.roots)",
            None,
        )


def _strict_mtls(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    resources = [as_resource(r) for r in args.resources]
    planes = {p.cluster_key: p for p in control_planes(resources) if not p.is_remote}
    modes = {found.cluster_key: found for r in resources for mesh in MESHES if (found := mesh.mesh_wide_mtls(r)) is not None}
    for key, plane in sorted(planes.items(), key=lambda item: item[1].cluster):
        policy = modes.get(key)
        if policy is None:
            report_violation(f"cluster {plane.cluster} has no mesh-wide mTLS policy; set mesh.mtls: STRICT", plane.urn)
        elif policy.mode != "STRICT":
            report_violation(
                f"cluster {plane.cluster} accepts plain text (mesh-wide mTLS is {policy.mode}); set mesh.mtls: STRICT", policy.urn
            )
        if plane.unbound_identities:
            # STRICT mTLS that authenticates names anyone may claim is mTLS in name only.
            report_violation(f"cluster {plane.cluster} binds mesh identities to no workload: {plane.unbound_identities}", plane.urn)


mesh_fleet_consistency = StackValidationPolicy(
    name="mesh-fleet-consistency",
    description="One mesh version per revision, one mesh id, one trust domain, and every cluster's CA from the one fleet root.",
    validate=_consistency,
)

strict_mtls_mesh_wide = StackValidationPolicy(
    name="strict-mtls-mesh-wide",
    description="Every cluster running a control plane enforces mesh-wide STRICT mTLS, between identities bound to workloads.",
    validate=_strict_mtls,
)
