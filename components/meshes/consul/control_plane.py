"""One cluster's Consul datacenter: namespace, the TLS CA Secrets, and the consul chart.

Order (each step `depends_on` the previous): `consul` namespace -> `consul-ca-cert` and `consul-ca-key`
-> the consul release (servers, connect injector, mesh gateway). The Secrets come first because, with
`global.tls.caCert` and `caKey` both set, the chart mounts them into its pre-install tls-init hook and
passes them as `-ca`/`-key` files (consul-k8s v2.0.3 `tls-init-job.yaml:91-94,109-117`): tls-init then
signs the servers' certificates with the file's first certificate and never looks up, nor generates, a CA
of its own (`subcommand/tls-init/command.go:103,129-130,181-199,226-233`). A Secret missing at that point
would leave the hook's pod waiting for its volume and the release failing at Helm's timeout.

A new CA file (a root rotation step, an intermediate's renewal) changes the release's CA digest
annotations, so Helm upgrades it: tls-init (pre-upgrade) re-issues the servers' certificates under the
file's first certificate after the Secrets changed, then servers, injector and mesh gateway restart on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from ... import naming
from ...clusters import Cluster
from ...config import MeshSpec, ObservabilitySpec
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
    """The cluster's intermediate: the CA of Consul's agent TLS (servers' RPC, HTTPS and gRPC). Not the peering
    token's CA: a token carries the datacenter's Connect CA roots (docs/consul.md, "Trust")."""
    allowed_sources: pulumi.Input[list[str]] | None
    """The mesh gateway's `loadBalancerSourceRanges`; None leaves it open to whoever can route to it."""
    observability: ObservabilitySpec = field(default_factory=ObservabilitySpec)
    """The fleet's `observability`: with metrics on, the chart's metrics values. Default: off."""


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
            # `tls.crt` is the CA file every Consul component verifies servers with: the signing intermediate first
            # (tls-init signs with the first PEM block, helper/cert ParseCert), then during a root rotation the
            # cluster's intermediate under the other root, so that servers certified under either verify.
            # `ca.crt`: the fleet roots the CA chains to, for verifiers and audits; the chart mounts only tls.crt.
            self._secret(cluster.name, values.CA_CERT_SECRET, {"tls.crt": args.ca.overlap_pem, "ca.crt": args.ca.bundle_pem}),
            self._secret(cluster.name, values.CA_KEY_SECRET, {"tls.key": args.ca.private_key_pem}),
        ]
        # A Release: tls-init is a pre-install hook (Chart v4 would drop it), and Helm waits for the
        # servers, the injector and the mesh gateway's load balancer before anything depends on them.
        self.release = helm_release(
            naming.child(cluster.name, values.RELEASE),
            values.RELEASE,
            args.settings.chart(),
            values.NAMESPACE,
            values.consul_values(
                args.mesh,
                cluster,
                args.allowed_sources,
                args.ca.overlap_pem,
                args.observability,
                args.cluster.storage_class,
                args.settings.install_gateway_api_crds,
            ),
            # The servers' volumes need the cluster's provisioner and StorageClass (or the reads proving an
            # adopted cluster has them), and the injector the Gateway API CRDs it watches.
            pulumi.ResourceOptions(parent=self, depends_on=[self.namespace, *self.ca_secrets, *args.cluster.prerequisites]),
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
