"""Consul's east-west gateway in one cluster: the mesh gateway of the consul release (its values are in
values.mesh_gateway_values), and the load balancer address it publishes.

Peers never dial this address from config: the peering token carries it (the acceptor's servers learn
the gateway's WAN address from its Service). It is read for the contract and for operators.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from ... import naming
from ...config import ClusterSpec
from ...gateways import gateway_address
from . import values


class MeshGateway(pulumi.ComponentResource):
    address: pulumi.Output[str]
    """The load balancer's IP or hostname."""

    def __init__(
        self, cluster: ClusterSpec, release: k8s.helm.v3.Release, published: pulumi.Input[str | None], opts: pulumi.ResourceOptions
    ) -> None:
        super().__init__("meshfleet:consul:MeshGateway", cluster.name, None, opts)
        self.address = gateway_address(
            naming.child(cluster.name, values.MESH_GATEWAY_SERVICE),
            release,
            values.MESH_GATEWAY_SERVICE,
            published,
            pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"address": self.address})
