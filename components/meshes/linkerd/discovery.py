"""Links without the linkerd CLI: for every ordered pair (source, target), what
`linkerd --context=<target> multicluster link-gen --cluster-name <target>` prints, applied to the source.

- in the target: a token for the chart's remote-access account (`linkerd-service-mirror-remote-access-default`),
  owned by this program so that config rotates it (one token per target, shared by every source);
- in the source's `linkerd-multicluster`: Secret `cluster-credentials-<target>` (type
  `mirror.linkerd.io/remote-kubeconfig`, key `kubeconfig`) for the service mirror `controller-<target>`;
- in the source's `linkerd`: the same Secret, labelled `multicluster.linkerd.io/cluster-name` and annotated
  with the target's trust and cluster domains, for the destination controller (remote discovery,
  federated services);
- the `Link` (multicluster.linkerd.io/v1alpha3) named `<target>` with the target gateway's address,
  port, identity and probe; the source's chart runs `controller-<target>` for it.

These three per pair are what link-gen prints; nothing else is made per pair. A rotated token reaches its
readers without a restart of the service mirror: `controller-<target>` watches no Secret, but reloads its
credentials whenever the Link's spec changes (link_handlers.go:38, cmd/service-mirror/main.go:196-203 at
edge-26.8.3), and the Link names the token generation. The destination controller reloads nothing (its
cluster store handles Secret additions and deletions only, cluster_store.go:113-165), so each cluster's
`linkerd-destination` is restarted once per rotation, after all of that cluster's credentials are written.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from ... import naming
from ...clusters import Cluster
from ...k8s import ReaderCredentials
from . import values

MIRROR_SECRET_TYPE = "mirror.linkerd.io/remote-kubeconfig"
KUBECONFIG_KEY = "kubeconfig"
DESTINATION = "linkerd-destination"


def reader_credentials(
    target: Cluster, generation: int, after: Sequence[pulumi.Resource], opts: pulumi.ResourceOptions
) -> ReaderCredentials:
    """The token other clusters read `target` with; the account and its ClusterRole come with the target's
    multicluster chart (templates/remote-access-service-mirror-rbac.yaml)."""
    return ReaderCredentials(
        naming.child(target.spec.name, "linkerd-reader"),
        target,
        values.MULTICLUSTER_NAMESPACE,
        values.REMOTE_ACCESS_ACCOUNT,
        generation,
        after,
        opts,
    )


def credentials_secrets(
    source: str,
    target: str,
    trust_domain: str,
    credentials: ReaderCredentials,
    after: Sequence[pulumi.Resource],
    opts: pulumi.ResourceOptions,
) -> list[k8s.core.v1.Secret]:
    """In the source: the Secret the service mirror reads, and the one the destination controller reads."""
    name = values.credentials_secret_name(target)
    placements = (
        ("link-credentials", values.MULTICLUSTER_NAMESPACE, None, None),
        (
            "destination-credentials",
            values.NAMESPACE,
            values.destination_credentials_labels(target),
            values.destination_credentials_annotations(trust_domain),
        ),
    )
    return [
        k8s.core.v1.Secret(
            naming.child(source, role, target),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels=labels, annotations=annotations),
            type=MIRROR_SECRET_TYPE,
            string_data={KUBECONFIG_KEY: credentials.kubeconfig},
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(after))),
        )
        for role, namespace, labels, annotations in placements
    ]


def link(
    source: str,
    target: str,
    trust_domain: str,
    address: pulumi.Input[str],
    generation: int,
    after: Sequence[pulumi.Resource],
    opts: pulumi.ResourceOptions,
) -> k8s.apiextensions.CustomResource:
    """`after`: the source's multicluster release (the Link CRD, and the controller that reads it) and the
    credentials: the controller reads them when the Link appears or its spec changes, so a rotation's new
    generation reaches the Link only once the new token is in the Secret."""
    return k8s.apiextensions.CustomResource(
        naming.child(source, "link", target),
        api_version="multicluster.linkerd.io/v1alpha3",
        kind="Link",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=target, namespace=values.MULTICLUSTER_NAMESPACE),
        spec=values.link_spec(target, trust_domain, address, generation),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(after))),
    )


def restart_destination(
    source: str, generation: int, after: Sequence[pulumi.Resource], opts: pulumi.ResourceOptions
) -> k8s.apps.v1.DeploymentPatch:
    """Roll the source's `linkerd-destination` when the token generation changes, once `after` (the control
    plane and every credentials Secret it reads) is written: one restart serves all the cluster's peers.

    A patch, not a chart value: each cluster's charts are installed before the peers can issue tokens
    for it (the token account comes with the peer's multicluster chart), so a chart value ordered after
    the credentials would make every pair of clusters wait for each other. Replacing the Secrets instead
    would make the cluster store drop the peer between the deletion and the addition.
    """
    return k8s.apps.v1.DeploymentPatch(
        naming.child(source, "restart", DESTINATION),
        metadata=k8s.meta.v1.ObjectMetaPatchArgs(name=DESTINATION, namespace=values.NAMESPACE),
        spec=k8s.apps.v1.DeploymentSpecPatchArgs(
            template=k8s.core.v1.PodTemplateSpecPatchArgs(
                metadata=k8s.meta.v1.ObjectMetaPatchArgs(annotations=values.restart_annotations(generation))
            )
        ),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(after))),
    )
