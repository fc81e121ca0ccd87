"""One cluster's Linkerd control plane: the `linkerd` namespace, the identity issuer Secret, then the
linkerd-crds and linkerd-control-plane charts.

Order (each step `depends_on` the previous): `linkerd` namespace -> `linkerd-identity-issuer` (the
identity controller mounts it and fails to start without it) -> linkerd-crds -> linkerd-control-plane.
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
from .settings import LinkerdSettings


@dataclass(frozen=True)
class ControlPlaneArgs:
    cluster: Cluster
    mesh: MeshSpec
    settings: LinkerdSettings
    ca: ClusterCa
    """The cluster's intermediate: Linkerd's identity issuer."""


class LinkerdControlPlane(pulumi.ComponentResource):
    namespace: k8s.core.v1.Namespace
    issuer: k8s.core.v1.Secret
    crds: k8s.helm.v3.Release
    control_plane: k8s.helm.v3.Release

    def __init__(self, args: ControlPlaneArgs, opts: pulumi.ResourceOptions) -> None:
        cluster = args.cluster.spec
        super().__init__("meshfleet:linkerd:ControlPlane", cluster.name, None, opts)
        self.namespace = mesh_namespace(
            naming.child(cluster.name, values.NAMESPACE),
            values.NAMESPACE,
            values.control_plane_namespace_labels(),
            pulumi.ResourceOptions(parent=self),
            values.control_plane_namespace_annotations(),
        )
        self.issuer = self._issuer(cluster.name, args.ca)
        self.crds = helm_release(
            naming.child(cluster.name, "linkerd-crds"),
            "linkerd-crds",
            args.settings.chart("linkerd-crds"),
            values.NAMESPACE,
            values.crds_values(),
            pulumi.ResourceOptions(
                parent=self,
                depends_on=[self.namespace],
                # The CRDs carry every user's HTTPRoutes and policies: removing the mesh from the stack
                # leaves them in the cluster instead of deleting them with the chart.
                retain_on_delete=True,
            ),
        )
        self.control_plane = helm_release(
            naming.child(cluster.name, "linkerd-control-plane"),
            "linkerd-control-plane",
            args.settings.chart("linkerd-control-plane"),
            values.NAMESPACE,
            values.control_plane_values(args.mesh, args.ca.bundle_pem),
            pulumi.ResourceOptions(parent=self, depends_on=[self.crds, self.issuer]),
        )
        self.register_outputs({"namespace": self.namespace.metadata.name, "issuer": self.issuer.metadata.name})

    def _issuer(self, cluster: str, ca: ClusterCa) -> k8s.core.v1.Secret:
        # `kubernetes.io/tls` scheme: the identity controller reads tls.crt and tls.key and watches them,
        # so a re-issued intermediate is picked up without a restart; ca.crt is what `linkerd check`
        # verifies the issuer against.
        return k8s.core.v1.Secret(
            naming.child(cluster, values.ISSUER_SECRET),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=values.ISSUER_SECRET, namespace=values.NAMESPACE),
            type="kubernetes.io/tls",
            string_data={"tls.crt": ca.certificate_pem, "tls.key": ca.private_key_pem, "ca.crt": ca.bundle_pem},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace]),
        )

    @property
    def releases(self) -> list[pulumi.Resource]:
        return [self.crds, self.control_plane]
