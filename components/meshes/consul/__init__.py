"""Consul (consul-k8s 2.0.3, free edition): one datacenter per cluster, every pair peered through mesh
gateways, the agents' TLS CA from the fleet's trust.

Where things are made:
- control_plane.py: the `consul` namespace, the TLS CA Secrets and the consul release
- eastwest.py: the mesh gateway's load balancer address (the gateway itself is part of the release)
- discovery.py: peerings (acceptor, token hand-off, dialer) and the fleet's ExportedServices
- values.py: every Helm value and custom-resource spec, as plain functions (the fleet's default access too)

App teams' pieces (routing, failover to peers, callers) are meshfleet_appteam.consul (appteam/), which
`Consul` extends: an app team installs them without the fleet.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from meshfleet_appteam.consul import ConsulServices

from ...clusters import Cluster, ClusterNeeds
from ...config import ClusterSpec, FleetSpec, MeshRules, Section, TracingRules
from ...last_deployment import LastDeployment
from ...trust import CaProfile, FleetTrust
from ..base import IdentitySupport, Mesh, MeshDeployment, MeshPorts
from . import values
from .mesh import ConsulMesh, ConsulMeshArgs
from .settings import (
    DEFAULT_VERSION,
    GATEWAY_API_CRDS_OUTPUT,
    GENERATION_OUTPUT,
    VERSION_LINE,
    ConsulSettings,
    check_deployed_generation,
    continue_gateway_api_crds,
    parse_settings,
)


class Consul(Mesh, ConsulServices):
    # Three servers: a Raft quorum that survives one failure (two would survive none).
    rules = MeshRules(
        available=True,
        topologies=("multi-primary",),
        example_version=DEFAULT_VERSION,
        default_control_plane_replicas=3,
        label=f"consul-k8s {VERSION_LINE}",
        # kubeVersion ">=1.22.0-0" in charts/consul/Chart.yaml at v2.0.3.
        kubernetes_minors=(22, None),
        # Envoy's OpenTelemetry tracer names spans `service_name`, else "unknown_service:envoy", and Consul
        # configures it once for every sidecar (ProxyDefaults); its Zipkin tracer names them after the node's
        # cluster, which Consul's bootstrap sets to each proxy's service (values.envoy_tracing_config).
        tracing=TracingRules(
            zipkin="Consul's sidecars share one tracer configuration (ProxyDefaults), and Envoy's OpenTelemetry tracer names "
            "every span's service 'unknown_service:envoy' there; its Zipkin tracer names them after each proxy's service"
        ),
    )
    # Peering runs through the mesh gateways: no cluster reads another's API server.
    ports = MeshPorts(webhooks=(values.WEBHOOK_PORT,), east_west=(values.MESH_GATEWAY_PORT,), peers_read_api=False)
    # The agent TLS CA file holds the cluster's intermediates themselves, read once at start by servers, the
    # injector and every dataplane: the next one must be in it before it signs (docs/consul.md, "Rotating the root").
    standby_intermediates = True
    identity = IdentitySupport(
        shared_root=False,
        summary="each datacenter's built-in Connect CA signs its workloads under a root of its own, and peers "
        "exchange those roots as trust bundles when they peer; the fleet's intermediate is the CA of Consul's "
        "agent TLS (servers' RPC, HTTPS and gRPC) only (docs/consul.md, 'Why not the shared root'). With ACLs, a workload's "
        "identity is its Consul service, which a pod may register only as its Kubernetes service account's name",
    )

    def __init__(self, fleet: FleetSpec, settings: ConsulSettings) -> None:
        super().__init__(fleet)
        self.settings = settings

    @classmethod
    def from_config(cls, fleet: FleetSpec, settings: Section) -> Consul:
        return cls(fleet, parse_settings(fleet, settings))

    def check_last_deployment(self, last: LastDeployment) -> None:
        check_deployed_generation(self.settings, last.value(GENERATION_OUTPUT))
        self.settings = continue_gateway_api_crds(self.settings, last.value("mesh"), last.value(GATEWAY_API_CRDS_OUTPUT))

    def cluster_needs(self) -> ClusterNeeds:
        # Servers claim volumes (server-statefulset.yaml volumeClaimTemplates, always); the injector watches the
        # Gateway API kinds, whose CRDs the cluster serves unless the chart installs them.
        return ClusterNeeds(volumes=True, gateway_api_crds=not self.settings.install_gateway_api_crds)

    def ca_profile(self, cluster: ClusterSpec) -> CaProfile | None:
        # The CA of Consul's agent TLS in this datacenter (servers' RPC, HTTPS and gRPC; peering runs under the Connect CA).
        return CaProfile(common_name="Consul agent CA", locality=cluster.name)

    def deploy(
        self, clusters: Mapping[str, Cluster], trust: FleetTrust, last: LastDeployment, opts: pulumi.ResourceOptions
    ) -> MeshDeployment:
        return ConsulMesh("consul", ConsulMeshArgs(self.fleet, self.settings, clusters, trust, last), opts)


__all__ = ["Consul"]
