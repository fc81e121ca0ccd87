"""One cluster's Istio control plane: namespace, plug-in CA, base chart and one istiod release per revision.

Order (each step `depends_on` the previous): `istio-system` labelled with the network -> `cacerts`
(before istiod, else istiod self-signs) -> base (CRDs, reader account, validator) -> istiod revisions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from ... import naming
from ...clusters import Cluster
from ...config import ClusterSpec, MeshSpec, ObservabilitySpec
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
    tags: dict[str, RevisionTag]
    """Per tag: its injection webhooks and its Service."""

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
            # Not retained on delete: removing the mesh must also remove `istiod-default-validator`, which
            # would otherwise outlive istiod and, failing closed, reject every Istio object in the cluster.
            # The CRDs (and every user's routing objects) survive anyway: each carries
            # `helm.sh/resource-policy: keep` (base chart files/crd-all.gen.yaml), which Helm honours on uninstall.
            pulumi.ResourceOptions(parent=self, depends_on=after_namespace),
        )
        self.istiod = {}
        for revision in args.settings.revisions:
            # A Release: istiod patches its own webhooks (caBundle, failurePolicy) once running; Helm's
            # three-way merge leaves those fields alone where Chart v4's server-side apply fights over
            # them, and Helm sets .Release.IsUpgrade, which the 1.30 webhook templates depend on.
            self.istiod[revision.name] = helm_release(
                naming.child(cluster.name, "istiod", revision.name),
                f"istiod-{revision.name}",
                revision.chart("istiod"),
                values.NAMESPACE,
                self._istiod_values(args, revision),
                pulumi.ResourceOptions(parent=self, depends_on=[self.base, *after_namespace]),
            )
        # After every revision: a tag points at its revision's istiod, and a stack that still has tags in
        # its releases (older meshfleet) has them removed by the releases' update before they are made here.
        self.tags = {tag: self._revision_tag(cluster, tag, revision) for revision in args.settings.revisions for tag in revision.tags}
        self.register_outputs({"namespace": self.namespace.metadata.name, "revisions": list(self.istiod), "tags": list(self.tags)})

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

    def _revision_tag(self, cluster: ClusterSpec, tag: str, revision: Revision) -> RevisionTag:
        """One revision tag: its injection webhooks and its Service (values.py explains why they are not
        rendered by the istiod release). Moving the tag updates both in place."""
        name = naming.child(cluster.name, "revision-tag", tag)
        child = pulumi.ResourceOptions(parent=self, depends_on=list(self.istiod.values()))
        labels = values.revision_tag_labels(tag, revision)
        # caBundle is left out: the revision's istiod patches it, and server-side apply keeps its field.
        webhook = k8s.admissionregistration.v1.MutatingWebhookConfiguration(
            naming.child(name, "webhook"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=values.revision_tag_webhook_name(tag), labels=labels),
            webhooks=values.revision_tag_webhooks(tag, revision, cluster),  # type: ignore[arg-type]
            opts=child,
        )
        service = k8s.core.v1.Service(
            naming.child(name, "service"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=values.revision_tag_service_name(tag), namespace=values.NAMESPACE, labels=labels),
            spec=values.revision_tag_service_spec(revision),  # type: ignore[call-overload]
            opts=child,
        )
        return RevisionTag(webhook, service)

    @property
    def releases(self) -> list[pulumi.Resource]:
        return [self.base, *self.istiod.values()]


@dataclass(frozen=True)
class RevisionTag:
    webhook: k8s.admissionregistration.v1.MutatingWebhookConfiguration
    service: k8s.core.v1.Service
