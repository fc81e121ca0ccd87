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
from ...gateways import gateway_address
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
    published_address: pulumi.Input[str | None]
    """The address the last deployment published, which a preview shows (`gateway_address`)."""


class MulticlusterGateway(pulumi.ComponentResource):
    namespace: k8s.core.v1.Namespace
    release: k8s.helm.v3.Release
    address: pulumi.Output[str]
    """The gateway load balancer's IP or hostname."""

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
        self.address = gateway_address(
            naming.child(cluster.name, values.GATEWAY_NAME, "service"),
            self.release,
            values.GATEWAY_NAME,
            args.published_address,
            pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"address": self.address})
