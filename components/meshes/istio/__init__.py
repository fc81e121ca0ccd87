"""Istio 1.30: multi-primary or primary-remote, multi-network, plug-in CA from the fleet's trust.

Where things are made:
- control_plane.py: istio-system, `cacerts`, base and istiod (one release per revision)
- eastwest.py: the east-west gateway, cross-network Gateway and istiod exposure
- discovery.py: reader tokens and one remote secret per primary (endpoint discovery without istioctl)
- locality.py: the per-service DestinationRule with failover and outlier detection
- routing.py: app teams' weighted versions (canaries) on top of it
- access.py: the fleet's default access and app teams' callers (AuthorizationPolicies)
- values.py: every Helm value and custom-resource spec, as plain functions
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from ...clusters import Cluster
from ...config import ClusterSpec, FleetSpec, MeshRules, Section
from ...last_deployment import LastDeployment
from ...trust import CaProfile, FleetTrust
from ..access import ServiceAccessArgs
from ..base import IdentitySupport, LocalitySupport, Mesh, MeshDeployment, MeshPorts
from ..routing import ServiceRoutingArgs
from . import values
from .access import ACCESS, ServiceAccess
from .mesh import IstioMesh as IstioMeshDeployment
from .mesh import IstioMeshArgs
from .routing import ServiceRouting
from .settings import DEFAULT_VERSION, KUBERNETES_MINORS, VERSION_LINE, IstioSettings, parse_settings


class Istio(Mesh):
    type = "istio"
    rules = MeshRules(
        available=True,
        topologies=("multi-primary", "primary-remote"),
        example_version=DEFAULT_VERSION,
        label=f"Istio {VERSION_LINE}",
        kubernetes_minors=KUBERNETES_MINORS,
    )
    ports = MeshPorts(
        webhooks=(values.WEBHOOK_PORT,),
        east_west=(values.CROSS_NETWORK_PORT,),
        control_plane_exposure=(values.DISCOVERY_PORT, values.WEBHOOK_PORT),
    )
    locality = LocalitySupport(
        cross_cluster_failover=True,
        summary="nearest locality first, then the mesh-wide failover order; per service through a "
        "DestinationRule with outlier detection (ServiceFailover)",
    )
    identity = IdentitySupport(
        shared_root=True,
        summary="istiod signs workload certificates with the cluster's intermediate (plug-in CA `cacerts`), "
        "so every workload chains to the fleet's root bundle",
    )

    access = ACCESS

    def __init__(self, fleet: FleetSpec, settings: IstioSettings) -> None:
        super().__init__(fleet)
        self.settings = settings

    @classmethod
    def from_config(cls, fleet: FleetSpec, settings: Section) -> Istio:
        parsed = parse_settings(fleet, settings)
        return cls(fleet, parsed)

    def ca_profile(self, cluster: ClusterSpec) -> CaProfile | None:
        if not cluster.is_primary:
            return None  # a remote's proxies are signed by its primary's istiod
        # As istio/istio tools/certs builds intermediates (Makefile.selfsigned.mk).
        return CaProfile(common_name="Intermediate CA", locality=cluster.name, dns_names=(f"istiod.{values.NAMESPACE}.svc",))

    def deploy(
        self, clusters: Mapping[str, Cluster], trust: FleetTrust, last: LastDeployment, opts: pulumi.ResourceOptions
    ) -> MeshDeployment:
        return IstioMeshDeployment("istio", IstioMeshArgs(self.fleet, self.settings, clusters, trust, last), opts)

    @classmethod
    def service_routing(cls, name: str, args: ServiceRoutingArgs, opts: pulumi.ResourceOptions) -> pulumi.ComponentResource:
        return ServiceRouting(name, args, opts)

    @classmethod
    def service_access(cls, name: str, args: ServiceAccessArgs, opts: pulumi.ResourceOptions) -> pulumi.ComponentResource:
        return ServiceAccess(name, args, opts)


__all__ = ["Istio"]
