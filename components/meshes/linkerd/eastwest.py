"""Linkerd's east-west gateway in one cluster: the `linkerd-multicluster` namespace and the
linkerd-multicluster chart (the gateway, the remote-access account its peers read this cluster with,
the Link CRD, and one service-mirror controller per linked cluster), and the gateway's load balancer
address that the peers' Links point at."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from ... import naming
from ...config import ClusterSpec, MeshSpec
from ...gateways import gateway_addresses
from ...k8s import helm_release, mesh_namespace
from . import values
from .settings import LinkerdSettings


@dataclass(frozen=True)
class MulticlusterGatewayArgs:
    cluster: ClusterSpec
    mesh: MeshSpec
    settings: LinkerdSettings
    allowed_sources: pulumi.Input[list[str]] | None
    """`gateway.loadBalancerSourceRanges`; None leaves the load balancer open to whoever can route to it."""
    linked: Sequence[str]
    """The clusters this one links to: one service-mirror controller each."""
    after: Sequence[pulumi.Resource]
    """The control plane releases: the gateway's proxy is injected by the control plane."""
    published_addresses: pulumi.Input[list[str] | None]
    """The addresses the last deployment published, which a preview shows (`gateway_addresses`)."""


class MulticlusterGateway(pulumi.ComponentResource):
    namespace: k8s.core.v1.Namespace
    release: k8s.helm.v3.Release
    addresses: pulumi.Output[list[str]]
    """Every IP or hostname of the gateway's load balancer (a dual-stack one has one per family)."""
    address: pulumi.Output[str]
    """The first of them: the contract's `eastWestGatewayAddress`."""
    link_address: pulumi.Output[str]
    """What a Link's `gatewayAddress` holds: all of them, comma-separated, as `linkerd multicluster link-gen`
    writes it (multicluster/cmd/link-gen.go:277-292 at edge-26.8.3) and the service mirror splits it
    (multicluster/service-mirror/cluster_watcher.go:1538-1541), so a peer reaches the gateway over either family."""

    def __init__(self, args: MulticlusterGatewayArgs, opts: pulumi.ResourceOptions) -> None:
        cluster = args.cluster
        super().__init__("meshfleet:linkerd:MulticlusterGateway", cluster.name, None, opts)
        self.namespace = mesh_namespace(
            naming.child(cluster.name, values.MULTICLUSTER_NAMESPACE),
            values.MULTICLUSTER_NAMESPACE,
            values.multicluster_namespace_labels(),
            pulumi.ResourceOptions(parent=self),
        )
        # A Release: its post-install hook (namespace-metadata) runs, and Helm waits for the gateway's
        # load balancer address.
        self.release = helm_release(
            naming.child(cluster.name, "linkerd-multicluster"),
            "linkerd-multicluster",
            args.settings.chart("linkerd-multicluster"),
            values.MULTICLUSTER_NAMESPACE,
            values.multicluster_values(args.mesh, cluster, args.allowed_sources, args.linked),
            pulumi.ResourceOptions(parent=self, depends_on=[self.namespace, *args.after]),
        )
        self.addresses = gateway_addresses(
            naming.child(cluster.name, values.GATEWAY_NAME, "service"),
            self.release,
            values.GATEWAY_NAME,
            args.published_addresses,
            pulumi.ResourceOptions(parent=self),
        )
        self.address = self.addresses.apply(lambda addresses: addresses[0])
        self.link_address = self.addresses.apply(",".join)
        self.register_outputs({"addresses": self.addresses})
