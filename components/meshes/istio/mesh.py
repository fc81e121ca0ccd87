"""Istio across the fleet: per cluster a control plane, an east-west gateway and mTLS policy; across
clusters the remote secret in each primary through which it discovers every other cluster's endpoints."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from ... import naming
from ...clusters import Cluster
from ...config import FleetSpec
from ...gateways import allowed_sources, sources_are_known
from ...k8s import ReaderCredentials
from ...last_deployment import LastDeployment
from ...observability.telemetry import MeshTelemetryArgs, mesh_telemetry
from ...trust import FleetTrust
from ..base import MeshDeployment
from . import access, discovery, values
from .control_plane import ControlPlaneArgs, IstioControlPlane
from .eastwest import EastWestGateway, EastWestGatewayArgs, address_for_remotes
from .settings import IstioSettings


@dataclass(frozen=True)
class IstioMeshArgs:
    fleet: FleetSpec
    settings: IstioSettings
    clusters: Mapping[str, Cluster]
    trust: FleetTrust
    last: LastDeployment


class IstioCluster(pulumi.ComponentResource):
    """Everything Istio puts into one cluster; its children inherit the cluster's provider."""

    control_plane: IstioControlPlane
    gateway: EastWestGateway
    reader: ReaderCredentials | None

    def __init__(self, name: str, opts: pulumi.ResourceOptions) -> None:
        super().__init__("meshfleet:istio:Cluster", name, None, opts)
        self.reader = None


class IstioMesh(MeshDeployment):
    clusters: dict[str, IstioCluster]

    def __init__(self, name: str, args: IstioMeshArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meshfleet:istio:Mesh", name, None, opts)
        self._args = args
        self.clusters = {}
        # Primaries first, side by side; a remote needs its primary's gateway address for its webhooks.
        ordered = sorted(args.clusters.values(), key=lambda c: not c.spec.is_primary)
        for cluster in ordered:
            self.clusters[cluster.spec.name] = self._install(cluster)
        in_primary = self._connect()
        for cluster in ordered:
            if cluster.spec.primary is not None:
                # The remote's injector gets its CA bundle, and its gateway the root-cert ConfigMap, only
                # once the primary manages the remote, i.e. holds its remote secret (1.30 install order).
                node = self.clusters[cluster.spec.name]
                self._gateway(cluster, node, [*node.control_plane.releases, *in_primary[cluster.spec.primary]])
        self.register_outputs(
            {
                "gateway_addresses": {name: c.gateway.address for name, c in self.clusters.items()},
                "injection_label": args.settings.injection_label,
            }
        )

    def _install(self, cluster: Cluster) -> IstioCluster:
        args, spec = self._args, cluster.spec
        node = IstioCluster(spec.name, pulumi.ResourceOptions(parent=self, providers=[cluster.provider]))
        child = pulumi.ResourceOptions(parent=node)
        serves_remotes = bool(args.fleet.remotes_of(spec.name))
        pilot_address = self._pilot_address(spec.primary) if spec.primary else None
        node.control_plane = IstioControlPlane(
            ControlPlaneArgs(
                cluster=cluster,
                mesh=args.fleet.mesh,
                settings=args.settings,
                ca=args.trust.clusters.get(spec.name),
                serves_remotes=serves_remotes,
                remote_pilot_address=pilot_address,
                observability=args.fleet.observability,
            ),
            child,
        )
        releases = node.control_plane.releases
        if spec.is_primary:
            self._gateway(cluster, node, releases)
        if spec.is_primary:
            # Mesh-wide mTLS lives in the root namespace of each cluster whose istiod reads config.
            k8s.apiextensions.CustomResource(
                naming.child(spec.name, "mesh-mtls"),
                api_version="security.istio.io/v1",
                kind="PeerAuthentication",
                metadata=k8s.meta.v1.ObjectMetaArgs(name="default", namespace=values.NAMESPACE),
                spec=values.peer_authentication_spec(args.fleet.mesh),
                opts=pulumi.ResourceOptions(parent=node, depends_on=releases),
            )
            access.mesh_default(spec.name, args.fleet.mesh, releases, pulumi.ResourceOptions(parent=node))
            telemetry = values.telemetry_spec(args.fleet.observability)
            if telemetry is not None:
                k8s.apiextensions.CustomResource(
                    naming.child(spec.name, "mesh-telemetry"),
                    api_version="telemetry.istio.io/v1",
                    kind="Telemetry",
                    metadata=k8s.meta.v1.ObjectMetaArgs(name=values.TELEMETRY_NAME, namespace=values.NAMESPACE),
                    spec=telemetry,
                    opts=pulumi.ResourceOptions(parent=node, depends_on=releases),
                )
        mesh_telemetry(
            MeshTelemetryArgs(spec, args.fleet.observability, "istio", values.SCRAPE_TARGET, releases), pulumi.ResourceOptions(parent=node)
        )
        return node

    def _gateway(self, cluster: Cluster, node: IstioCluster, after: list[pulumi.Resource]) -> None:
        args, spec = self._args, cluster.spec
        sources = allowed_sources(cluster, args.clusters) if sources_are_known(cluster, args.clusters) else None
        node.gateway = EastWestGateway(
            EastWestGatewayArgs(
                cluster=spec,
                settings=args.settings,
                allowed_sources=sources,
                expose_control_plane=bool(args.fleet.remotes_of(spec.name)),
                after=after,
                published_address=args.last.gateway_address(spec.name, "istio"),
            ),
            pulumi.ResourceOptions(parent=node),
        )
        node.register_outputs({"gateway_address": node.gateway.address})

    def _pilot_address(self, primary: str) -> pulumi.Output[str]:
        remotes = [c.name for c in self._args.fleet.remotes_of(primary)]
        return self.clusters[primary].gateway.address.apply(lambda address: address_for_remotes(primary, remotes, address))

    def _connect(self) -> dict[str, list[pulumi.Resource]]:
        """Remote secrets: in every primary, Secrets holding every other cluster (one up to
        discovery.CLUSTERS_PER_SECRET). Returns what was made in each primary."""
        args = self._args
        primaries = [name for name, c in args.fleet.clusters.items() if c.is_primary]
        for name, node in self.clusters.items():
            if any(p != name for p in primaries):
                node.reader = discovery.reader_credentials(
                    args.clusters[name],
                    args.settings.reader_token_generation,
                    node.control_plane.releases,
                    pulumi.ResourceOptions(parent=node),
                )
        readers = {name: node.reader for name, node in self.clusters.items() if node.reader is not None}
        kubeconfigs = discovery.reader_kubeconfigs(readers)
        made: dict[str, list[pulumi.Resource]] = {holder: [] for holder in primaries}
        deployed = args.last.clusters_on("istio")
        for holder in primaries:
            holder_node = self.clusters[holder]
            peers = [name for name in readers if name != holder]
            if not peers:
                continue  # a fleet of one
            retired: list[pulumi.Resource] = []
            if args.settings.migrate_remote_secrets:
                retired = [
                    discovery.retired_remote_secret(args.clusters[holder], name, pulumi.ResourceOptions(parent=holder_node))
                    for name in peers
                ]
            made[holder] += discovery.remote_secrets(
                holder,
                peers,
                kubeconfigs,
                deployed,
                args.settings.remote_secret_shards,
                # The holder's istiod must exist to pick the Secrets up. Each reader token already waits
                # for its cluster's istiod (its RBAC), so naming those releases again would only add
                # N² edges for the SDK to walk.
                [*holder_node.control_plane.releases, *retired],
                pulumi.ResourceOptions(parent=holder_node),
            )
        return made

    def cluster_outputs(self, cluster: str) -> dict[str, pulumi.Input[object]]:
        return {"eastWestGatewayAddress": self.clusters[cluster].gateway.address}

    def fleet_outputs(self) -> dict[str, pulumi.Input[object]]:
        settings = self._args.settings
        return {
            "injectionLabel": settings.injection_label,
            "injectionAnnotations": {},
            "revisions": {r.name: {"version": r.version, "tags": list(r.tags)} for r in settings.revisions},
            "defaultRevision": settings.tagged_default,
        }
