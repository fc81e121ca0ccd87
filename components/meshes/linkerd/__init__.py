"""Linkerd edge-26.8.3: multi-primary, every cluster linked to every other through its gateway, identity
issuers from the fleet's trust.

Where things are made:
- control_plane.py: `linkerd`, the `linkerd-identity-issuer` Secret, linkerd-crds and linkerd-control-plane
- eastwest.py: `linkerd-multicluster` and its chart (the gateway, the remote-access account, the
  service-mirror controllers) and the gateway's address
- discovery.py: links without the CLI: reader tokens, `cluster-credentials-<target>` Secrets, Links,
  and the destination controller's restart a rotated token needs
- values.py: every Helm value and custom-resource spec, as plain functions (the fleet's default access too)

App teams' pieces (routing, what Linkerd offers for locality, callers) are meshfleet_appteam.linkerd
(appteam/), which `Linkerd` extends: an app team installs them without the fleet.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from meshfleet_appteam.linkerd import LinkerdServices

from ...clusters import Cluster
from ...config import ClusterSpec, FleetSpec, MeshRules, Section, TracingRules
from ...last_deployment import LastDeployment
from ...trust import CaProfile, FleetTrust
from ..base import IdentitySupport, Mesh, MeshDeployment, MeshPorts
from . import values
from .mesh import LinkerdMesh, LinkerdMeshArgs
from .settings import DEFAULT_VERSION, VERSION_LINE, LinkerdSettings, parse_settings


class Linkerd(Mesh, LinkerdServices):
    rules = MeshRules(
        available=True,
        topologies=("multi-primary",),
        example_version=DEFAULT_VERSION,
        label=f"Linkerd edge {VERSION_LINE}",
        # kubeVersion ">=1.31.0-0" in all three charts' Chart.yaml at edge-26.8.3.
        kubernetes_minors=(31, None),
        # `linkerd check` warns of an issuer expiring within 60 days (pkg/issuercerts/issuercerts.go:22, 130-135 at
        # edge-26.8.3): re-issue 70 days before expiry, so that the warning never shows for a default fleet.
        early_renewal_hours=70 * 24,
        root_curve=(
            "secp256r1",
            "`linkerd check` accepts an ECDSA trust anchor only on P-256 (secp256r1) signed with SHA-256 "
            "(pkg/issuercerts/issuercerts.go checkECDSACertRequirements at edge-26.8.3); bring a P-256 root",
        ),
        tracing=TracingRules(
            # charts/linkerd-control-plane proxy.tracing at edge-26.8.3: a collector, no sampler.
            sampling_refusal="Linkerd's proxies have no sampling rate: they trace the requests whose incoming trace context the "
            "application marked sampled, so sample in the application's tracer",
            needs_collector_identity=True,
            scraper_identity="its proxies serve metrics on their admin port (linkerd-admin), which enforces the inbound policy: "
            "under all-authenticated (STRICT mTLS) or deny an unmeshed Prometheus is refused, and the multicluster chart's "
            "linkerd-admin Server admits only linkerd-viz's Prometheus, so meshfleet authorizes a meshed Prometheus by its identity",
        ),
    )
    ports = MeshPorts(webhooks=values.WEBHOOK_PORTS, east_west=(values.GATEWAY_PORT, values.PROBE_PORT))
    identity = IdentitySupport(
        shared_root=True,
        summary="each cluster's identity issuer is an intermediate of the fleet's root, and every proxy trusts the whole "
        "root bundle (identityTrustAnchorsPEM), so workloads verify each other across clusters",
    )

    def __init__(self, fleet: FleetSpec, settings: LinkerdSettings) -> None:
        super().__init__(fleet)
        self.settings = settings

    @classmethod
    def from_config(cls, fleet: FleetSpec, settings: Section) -> Linkerd:
        return cls(fleet, parse_settings(fleet, settings))

    def ca_profile(self, cluster: ClusterSpec) -> CaProfile | None:
        # Linkerd checks no name on the issuer; upstream's examples call it after the identity service.
        return CaProfile(common_name=values.identity_name(self.fleet.mesh.trust_domain), locality=cluster.name)

    def deploy(
        self, clusters: Mapping[str, Cluster], trust: FleetTrust, last: LastDeployment, opts: pulumi.ResourceOptions
    ) -> MeshDeployment:
        return LinkerdMesh("linkerd", LinkerdMeshArgs(self.fleet, self.settings, clusters, trust, last), opts)


__all__ = ["Linkerd"]
