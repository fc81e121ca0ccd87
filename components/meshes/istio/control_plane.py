"""One cluster's Istio control plane: namespace, plug-in CA, base chart and one istiod release per revision.

Order (each step `depends_on` the previous): `istio-system` labelled with the network -> `cacerts`
(before istiod, else istiod self-signs) -> base (CRDs, reader account, validator) -> istiod revisions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from ... import naming
from ...clusters import Cluster
from ...config import MeshSpec, ObservabilitySpec
from ...k8s import helm_release, mesh_namespace
from ...trust import ClusterCa
from . import values
from .settings import IstioSettings, Revision


@dataclass(frozen=True)
class ControlPlaneArgs:
    cluster: Cluster
    mesh: MeshSpec
    settings: IstioSettings
    ca: ClusterCa | None
    """The cluster's intermediate; None on a remote cluster, whose proxies are signed by its primary."""
    serves_remotes: bool
    remote_pilot_address: pulumi.Input[str] | None = None
    """For a remote cluster: its primary's east-west gateway address."""
    observability: ObservabilitySpec = field(default_factory=ObservabilitySpec)
    """The fleet's `observability`: its tracing collector goes into meshConfig. Default: off."""


class IstioControlPlane(pulumi.ComponentResource):
    namespace: k8s.core.v1.Namespace
    base: k8s.helm.v3.Release
    istiod: dict[str, k8s.helm.v3.Release]

    def __init__(self, args: ControlPlaneArgs, opts: pulumi.ResourceOptions) -> None:
        cluster = args.cluster.spec
        super().__init__("meshfleet:istio:ControlPlane", cluster.name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.namespace = mesh_namespace(
            naming.child(cluster.name, values.NAMESPACE),
            values.NAMESPACE,
            values.namespace_labels(cluster),
            child,
            values.namespace_annotations(cluster),
        )
        after_namespace: list[pulumi.Resource] = [self.namespace]
        if args.ca is not None:
            after_namespace.append(self._cacerts(cluster.name, args.ca))
        # A Release (components/k8s/helm.py): base's templated CRDs then follow Helm's keep policy
        # instead of being deleted with the chart as under Chart v4, and it previews without a cluster.
        self.base = helm_release(
            naming.child(cluster.name, "istio-base"),
            "istio-base",
            args.settings.chart("base"),
            values.NAMESPACE,
            values.base_values(args.settings, cluster),
            pulumi.ResourceOptions(
                parent=self,
                depends_on=after_namespace,
                # Belt and braces for the CRDs: Istio's CRDs carry `helm.sh/resource-policy: keep`, and
                # removing the mesh from the stack leaves the base release (CRDs, and with them every
                # user's routing objects) in the cluster instead of uninstalling it.
                retain_on_delete=True,
            ),
        )
        self.istiod = {}
        for revision in _tag_order(args.settings.revisions):
            # A revision gaining a tag waits for the ones without tags, so that a tag moved in one
            # `pulumi up` is released by its old holder before the new one claims it (both render the
            # same webhook name).
            untagged = [self.istiod[r.name] for r in args.settings.revisions if not r.tags and r.name in self.istiod]
            # A Release: istiod patches its own webhooks (caBundle, failurePolicy) once running; Helm's
            # three-way merge leaves those fields alone where Chart v4's server-side apply fights over
            # them, and Helm sets .Release.IsUpgrade, which the 1.30 webhook templates depend on.
            self.istiod[revision.name] = helm_release(
                naming.child(cluster.name, "istiod", revision.name),
                f"istiod-{revision.name}",
                revision.chart("istiod"),
                values.NAMESPACE,
                self._istiod_values(args, revision),
                pulumi.ResourceOptions(parent=self, depends_on=[self.base, *after_namespace, *untagged]),
            )
        self.register_outputs({"namespace": self.namespace.metadata.name, "revisions": list(self.istiod)})

    def _cacerts(self, cluster: str, ca: ClusterCa) -> k8s.core.v1.Secret:
        # The four files of Istio's plug-in CA; root-cert.pem holds the whole bundle so that a root
        # rotation is a bundle change istiod accepts.
        return k8s.core.v1.Secret(
            naming.child(cluster, "cacerts"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name="cacerts", namespace=values.NAMESPACE),
            type="Opaque",
            string_data={
                "ca-cert.pem": ca.certificate_pem,
                "ca-key.pem": ca.private_key_pem,
                "root-cert.pem": ca.bundle_pem,
                "cert-chain.pem": ca.chain_pem,
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace]),
        )

    @staticmethod
    def _istiod_values(args: ControlPlaneArgs, revision: Revision) -> dict[str, object]:
        cluster = args.cluster.spec
        if cluster.is_primary:
            return values.istiod_values(args.mesh, revision, cluster, args.serves_remotes, args.observability)
        assert args.remote_pilot_address is not None
        return values.remote_istiod_values(args.mesh, revision, cluster, args.remote_pilot_address)

    @property
    def releases(self) -> list[pulumi.Resource]:
        return [self.base, *self.istiod.values()]


def _tag_order(revisions: Sequence[Revision]) -> list[Revision]:
    return sorted(revisions, key=lambda r: bool(r.tags))
