"""Linkerd across the fleet: per cluster a control plane and a multicluster gateway; across clusters a
Link from every cluster to every other, with its credentials, made without the linkerd CLI."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from ...clusters import Cluster
from ...config import FleetSpec
from ...gateways import allowed_sources, sources_are_known
from ...k8s import ReaderCredentials
from ...last_deployment import LastDeployment
from ...observability.telemetry import MeshTelemetryArgs, mesh_telemetry
from ...trust import FleetTrust
from ..base import MeshDeployment
from . import discovery, values
from .control_plane import ControlPlaneArgs, LinkerdControlPlane
from .eastwest import MulticlusterGateway, MulticlusterGatewayArgs
from .scraping import FleetScraping
from .settings import LinkerdSettings


@dataclass(frozen=True)
class LinkerdMeshArgs:
    fleet: FleetSpec
    settings: LinkerdSettings
    clusters: Mapping[str, Cluster]
    trust: FleetTrust
    last: LastDeployment


GATEWAY_ADDRESSES_OUTPUT = "linkerdGatewayAddresses"
"""The stack output (outside the contract) with every gateway's addresses, which the Links name and a preview reuses."""


def published_addresses(last: LastDeployment, cluster: str) -> pulumi.Output[list[str] | None]:
    """The gateway addresses the last deployment's Links named for `cluster`: its `linkerdGatewayAddresses`, or,
    from a deployment before that output, the contract's one address (what those Links held). Nested applies:
    `Output.all` would lift the fleet-wide dict into Outputs again for every cluster."""
    every = last.output(GATEWAY_ADDRESSES_OUTPUT)

    def published(first: str | None) -> pulumi.Output[list[str] | None] | None:
        if not first:
            return None  # the last deployment ran no Linkerd gateway there
        return every.apply(lambda recorded: [str(a) for a in (recorded or {}).get(cluster) or []] or [first])

    return pulumi.Output.unsecret(last.gateway_address(cluster, "linkerd").apply(published))


class LinkerdCluster(pulumi.ComponentResource):
    """Everything Linkerd puts into one cluster; its children inherit the cluster's provider."""

    control_plane: LinkerdControlPlane
    gateway: MulticlusterGateway
    reader: ReaderCredentials | None

    def __init__(self, name: str, opts: pulumi.ResourceOptions) -> None:
        super().__init__("meshfleet:linkerd:Cluster", name, None, opts)
        self.reader = None


class LinkerdMesh(MeshDeployment):
    clusters: dict[str, LinkerdCluster]

    def __init__(self, name: str, args: LinkerdMeshArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meshfleet:linkerd:Mesh", name, None, opts)
        self._args = args
        # Every cluster side by side: none waits for another until the links.
        self.clusters = {spec.name: self._install(args.clusters[spec.name]) for spec in args.fleet.clusters.values()}
        self._link()
        self.register_outputs({"gateway_addresses": {name: c.gateway.address for name, c in self.clusters.items()}})

    def _install(self, cluster: Cluster) -> LinkerdCluster:
        args, spec = self._args, cluster.spec
        node = LinkerdCluster(spec.name, pulumi.ResourceOptions(parent=self, providers=[cluster.provider]))
        child = pulumi.ResourceOptions(parent=node)
        node.control_plane = LinkerdControlPlane(
            ControlPlaneArgs(
                cluster=cluster,
                mesh=args.fleet.mesh,
                settings=args.settings,
                ca=args.trust.clusters[spec.name],
                observability=args.fleet.observability,
            ),
            child,
        )
        sources = allowed_sources(cluster, args.clusters) if sources_are_known(cluster, args.clusters) else None
        node.gateway = MulticlusterGateway(
            MulticlusterGatewayArgs(
                cluster=spec,
                mesh=args.fleet.mesh,
                settings=args.settings,
                allowed_sources=sources,
                linked=[name for name in args.fleet.clusters if name != spec.name],
                after=node.control_plane.releases,
                published_addresses=published_addresses(args.last, spec.name),
            ),
            child,
        )
        mesh_telemetry(
            MeshTelemetryArgs(spec, args.fleet.observability, "linkerd", values.SCRAPE_TARGET, node.control_plane.releases), child
        )
        observability = args.fleet.observability
        collector = observability.tracing if args.fleet.mesh.default_access == "deny" else None
        if observability.scraper is not None or collector is not None:
            FleetScraping(spec.name, observability.scraper, collector, [node.gateway.release], child)
        node.register_outputs({"gateway_address": node.gateway.address})
        return node

    def _link(self) -> None:
        """Every cluster links to every other: credentials and a Link in the source for each target."""
        args = self._args
        generation = args.settings.reader_token_generation
        trust_domain = args.fleet.mesh.trust_domain
        if len(self.clusters) < 2:
            return  # nobody to link to, and nobody to read this cluster
        for name, node in self.clusters.items():
            # The account and its ClusterRole come with the target's multicluster chart.
            node.reader = discovery.reader_credentials(
                args.clusters[name], generation, [node.gateway.release], pulumi.ResourceOptions(parent=node)
            )
        for source, node in self.clusters.items():
            in_source = pulumi.ResourceOptions(parent=node)
            targets = {
                target: discovery.LinkTarget(peer.gateway.link_address, peer.reader)
                for target, peer in self.clusters.items()
                if target != source and peer.reader is not None
            }
            links = discovery.links(
                source,
                targets,
                trust_domain,
                generation,
                args.settings.remote_discovery,
                [node.control_plane.namespace, node.gateway.namespace, node.gateway.release],
                in_source,
                created_by=values.created_by(args.settings.version),
            )
            if args.settings.remote_discovery:
                discovery.restart_destination(source, generation, [node.control_plane.control_plane, *links], in_source)

    def cluster_outputs(self, cluster: str) -> dict[str, pulumi.Input[object]]:
        return {"eastWestGatewayAddress": self.clusters[cluster].gateway.address}

    def state_outputs(self) -> dict[str, pulumi.Input[object]]:
        return {GATEWAY_ADDRESSES_OUTPUT: {name: node.gateway.addresses for name, node in self.clusters.items()}}

    def fleet_outputs(self) -> dict[str, pulumi.Input[object]]:
        return {
            # Linkerd injects namespaces annotated `linkerd.io/inject: enabled`; it reads no label.
            "injectionLabel": {},
            "injectionAnnotations": dict(values.INJECTION_ANNOTATIONS),
            "revisions": {},
            "defaultRevision": None,
        }
