"""Consul across the fleet: per cluster a datacenter (servers, connect injector, mesh gateway), its mesh-wide
config entries and its exports; across clusters a peering for every pair of datacenters, each side of it
under its own cluster's component."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ... import naming
from ...clusters import Cluster
from ...config import FleetSpec
from ...gateways import allowed_sources, sources_are_known
from ...last_deployment import LastDeployment
from ...observability.telemetry import MeshTelemetryArgs, mesh_telemetry
from ...trust import FleetTrust
from ..base import MeshDeployment
from . import discovery, values
from .control_plane import ConsulControlPlane, ControlPlaneArgs
from .eastwest import MeshGateway
from .settings import GATEWAY_API_CRDS_OUTPUT, GENERATION_OUTPUT, ConsulSettings


@dataclass(frozen=True)
class ConsulMeshArgs:
    fleet: FleetSpec
    settings: ConsulSettings
    clusters: Mapping[str, Cluster]
    trust: FleetTrust
    last: LastDeployment


class ConsulCluster(pulumi.ComponentResource):
    """Everything Consul puts into one cluster; its children inherit the cluster's provider."""

    control_plane: ConsulControlPlane
    gateway: MeshGateway
    mesh_entry: k8s.apiextensions.CustomResource
    proxy_defaults: k8s.apiextensions.CustomResource
    intentions: k8s.apiextensions.CustomResource
    exports: k8s.apiextensions.CustomResource | None
    """None without peers: the webhook refuses an export with no consumer."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions) -> None:
        super().__init__("meshfleet:consul:Cluster", name, None, opts)


class ConsulMesh(MeshDeployment):
    clusters: dict[str, ConsulCluster]
    tokens: dict[tuple[str, str], k8s.core.v1.Secret]
    """The read of each peering's token, keyed by (acceptor, dialer)."""

    def __init__(self, name: str, args: ConsulMeshArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meshfleet:consul:Mesh", name, None, opts)
        self._args = args
        self.clusters = {name: self._install(cluster) for name, cluster in args.clusters.items()}
        generation = args.settings.peering_token_generation
        pairs = discovery.pairs(list(self.clusters))
        self.tokens = {}
        for acceptor in self.clusters:
            dialers = [d for a, d in pairs if a == acceptor]
            if dialers:
                tokens = discovery.accept(self._side(acceptor), dialers, generation)
                self.tokens.update({(acceptor, d): token for d, token in tokens.items()})
        for dialer in self.clusters:
            dialed = {a: token for (a, d), token in self.tokens.items() if d == dialer}
            if dialed:
                discovery.dial(self._side(dialer), dialed)
        self.register_outputs(
            {
                "gateway_addresses": {name: c.gateway.address for name, c in self.clusters.items()},
                "injection_label": dict(values.INJECTION_LABEL),
                "peerings": [f"{a}<-{d}" for a, d in self.tokens],
            }
        )

    def _install(self, cluster: Cluster) -> ConsulCluster:
        args, spec = self._args, cluster.spec
        node = ConsulCluster(spec.name, pulumi.ResourceOptions(parent=self, providers=[cluster.provider]))
        sources = allowed_sources(cluster, args.clusters) if sources_are_known(cluster, args.clusters) else None
        node.control_plane = ConsulControlPlane(
            ControlPlaneArgs(
                cluster=cluster,
                mesh=args.fleet.mesh,
                settings=args.settings,
                ca=args.trust.clusters[spec.name],
                allowed_sources=sources,
                observability=args.fleet.observability,
            ),
            pulumi.ResourceOptions(parent=node),
        )
        release = node.control_plane.release
        node.gateway = MeshGateway(spec, release, args.last.gateway_address(spec.name, "consul"), pulumi.ResourceOptions(parent=node))
        # Every Consul custom resource passes the connect injector's webhook (failurePolicy Fail), which
        # runs in the release: nothing below may be created before it.
        after_release = pulumi.ResourceOptions(parent=node, depends_on=[release])
        # Pulumi waits until the entry is in Consul (Synced): a token generated before Consul knows
        # peerThroughMeshGateways carries the servers' pod addresses, which no peer reaches (docs/consul.md).
        node.mesh_entry = self._entry(
            spec.name, "Mesh", "mesh", values.mesh_entry_spec(args.fleet.mesh), after_release, {values.WAIT_FOR: values.SYNCED}
        )
        node.proxy_defaults = self._entry(
            spec.name,
            "ProxyDefaults",
            "global",
            values.proxy_defaults_spec(args.fleet.mesh, args.fleet.observability),
            # Relaxing mTLS in ProxyDefaults needs the Mesh entry's permission first.
            pulumi.ResourceOptions(parent=node, depends_on=[release, node.mesh_entry]),
        )
        peers = [name for name in args.clusters if name != spec.name]
        # ACLs make Consul's default intention deny: the fleet's one wildcard intention says what
        # mesh.defaultAccess says, locally and from every peer (values.mesh_default_action).
        node.intentions = self._entry(
            spec.name,
            "ServiceIntentions",
            "default",
            # Sources name peers as this cluster's peerings do (the local name of the remote cluster).
            values.default_intentions_spec([values.peer_name(p) for p in peers], values.mesh_default_action(args.fleet.mesh)),
            after_release,
        )
        # No peers, nothing to export to: the webhook refuses a service without a consumer
        # (exportedservices_types.go ExportedService.validate), which would fail a one-cluster fleet's `up`.
        node.exports = discovery.exported_services(spec.name, peers, [release], pulumi.ResourceOptions(parent=node)) if peers else None
        mesh_telemetry(
            MeshTelemetryArgs(spec, args.fleet.observability, "consul", values.SCRAPE_TARGET, [release], values.GATEWAY_SCRAPE_TARGET),
            pulumi.ResourceOptions(parent=node),
        )
        node.register_outputs({"gateway_address": node.gateway.address, "datacenter": values.datacenter(spec)})
        return node

    @staticmethod
    def _entry(
        cluster: str, kind: str, name: str, spec: dict[str, Any], opts: pulumi.ResourceOptions, annotations: dict[str, str] | None = None
    ) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            naming.child(cluster, kind.lower()),
            api_version=values.API_VERSION,
            kind=kind,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=values.NAMESPACE, annotations=annotations),
            spec=spec,
            opts=opts,
        )

    def _side(self, cluster: str) -> discovery.PeeringSide:
        node = self.clusters[cluster]
        return discovery.PeeringSide(
            cluster=cluster,
            provider=self._args.clusters[cluster].provider,
            tolerant_reads=self._args.clusters[cluster].tolerant_reads,
            parent=node,
            after=[node.control_plane.release, node.mesh_entry],
        )

    def cluster_outputs(self, cluster: str) -> dict[str, pulumi.Input[object]]:
        return {"eastWestGatewayAddress": self.clusters[cluster].gateway.address}

    def state_outputs(self) -> dict[str, pulumi.Input[object]]:
        settings = self._args.settings
        return {GENERATION_OUTPUT: settings.peering_token_generation, GATEWAY_API_CRDS_OUTPUT: settings.install_gateway_api_crds}

    def fleet_outputs(self) -> dict[str, pulumi.Input[object]]:
        return {
            "injectionLabel": dict(values.INJECTION_LABEL),
            "injectionAnnotations": {},
            "revisions": {},
            "defaultRevision": None,
        }
