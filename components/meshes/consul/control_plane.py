"""One cluster's Consul datacenter: namespace, the TLS CA Secrets, and the consul chart.

Order (each step `depends_on` the previous): `consul` namespace -> `consul-ca-cert` and `consul-ca-key`
(before the release: its pre-install tls-init hook signs the servers' certificates with them, and would
otherwise make a CA of its own) -> the consul release (servers, connect injector, mesh gateway).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from ... import naming
from ...clusters import Cluster
from ...config import MeshSpec
from ...k8s import helm_release, mesh_namespace
from ...trust import ClusterCa
from . import values
from .settings import ConsulSettings


@dataclass(frozen=True)
class ControlPlaneArgs:
    cluster: Cluster
    mesh: MeshSpec
    settings: ConsulSettings
    ca: ClusterCa
    """The cluster's intermediate: the CA of Consul's agent TLS (RPC, HTTPS, gRPC and the peering token's CA)."""
    allowed_sources: pulumi.Input[list[str]] | None
    """The mesh gateway's `loadBalancerSourceRanges`; None leaves it open to whoever can route to it."""


class ConsulControlPlane(pulumi.ComponentResource):
    namespace: k8s.core.v1.Namespace
    ca_secrets: list[k8s.core.v1.Secret]
    release: k8s.helm.v3.Release

    def __init__(self, args: ControlPlaneArgs, opts: pulumi.ResourceOptions) -> None:
        cluster = args.cluster.spec
        super().__init__("meshfleet:consul:ControlPlane", cluster.name, None, opts)
        self.namespace = mesh_namespace(
            naming.child(cluster.name, values.NAMESPACE), values.NAMESPACE, {}, pulumi.ResourceOptions(parent=self)
        )
        self.ca_secrets = [
            # `ca.crt`: the fleet roots the CA chains to, for verifiers and audits; the chart mounts only tls.crt.
            self._secret(cluster.name, values.CA_CERT_SECRET, {"tls.crt": args.ca.certificate_pem, "ca.crt": args.ca.bundle_pem}),
            self._secret(cluster.name, values.CA_KEY_SECRET, {"tls.key": args.ca.private_key_pem}),
        ]
        # A Release: tls-init is a pre-install hook (Chart v4 would drop it), and Helm waits for the
        # servers, the injector and the mesh gateway's load balancer before anything depends on them.
        self.release = helm_release(
            naming.child(cluster.name, values.RELEASE),
            values.RELEASE,
            args.settings.chart(),
            values.NAMESPACE,
            values.consul_values(args.mesh, cluster, args.allowed_sources),
            pulumi.ResourceOptions(parent=self, depends_on=[self.namespace, *self.ca_secrets]),
        )
        self.register_outputs({"namespace": self.namespace.metadata.name, "datacenter": values.datacenter(cluster)})

    def _secret(self, cluster: str, name: str, data: dict[str, pulumi.Output[str]]) -> k8s.core.v1.Secret:
        # The certificate and the key in two Secrets, as the chart documents them: pods that only need
        # to trust the servers mount the certificate's Secret and never see the key.
        return k8s.core.v1.Secret(
            naming.child(cluster, name),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=values.NAMESPACE),
            type="Opaque",
            string_data=data,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace]),
        )
