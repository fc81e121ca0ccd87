"""Links without the linkerd CLI: for every ordered pair (source, target), what
`linkerd --context=<target> multicluster link-gen --cluster-name <target>` prints that gateway mode reads,
applied to the source.

- in the target: a token for the chart's remote-access account (`linkerd-service-mirror-remote-access-default`),
  owned by this program so that config rotates it (one token per target, shared by every source);
- in the source's `linkerd-multicluster`: Secret `cluster-credentials-<target>` (type
  `mirror.linkerd.io/remote-kubeconfig`, key `kubeconfig`) for the service mirror `controller-<target>`;
- the `Link` (multicluster.linkerd.io/v1alpha3) named `<target>` with the target gateway's address,
  port, identity and probe; the source's chart runs `controller-<target>` for it.

link-gen also prints the same credentials into the source's `linkerd` namespace for the destination
controller, which reads them only for remote discovery and federated services (pod-to-pod across
clusters). Gateway mode never does, so that Secret, and the destination restart it needs on rotation,
exist only with `mesh.linkerd.remoteDiscovery: true`.

Each object is a resource the program registers itself, child of the source cluster's component: a
preview then lists each one as created, updated or kept, and the policy pack sees each as itself
(docs/scale.md, "Why per-pair objects are plain resources"). A rotated token reaches its readers without a
restart of the service mirror: `controller-<target>` watches no Secret, but reloads its credentials
whenever the Link's spec changes (link_handlers.go:38, cmd/service-mirror/main.go:196-203 at
edge-26.8.3), and the Link names the token generation. The destination controller reloads nothing (its
cluster store handles Secret additions and deletions only, cluster_store.go:113-165), so with remote
discovery each cluster's `linkerd-destination` is restarted once per rotation, after all of that cluster's
credentials are written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class LinkTarget:
    """What a source needs of a target to link to it."""

    gateway_address: pulumi.Input[str]
    credentials: ReaderCredentials


def links(
    source: str,
    targets: Mapping[str, LinkTarget],
    trust_domain: str,
    generation: int,
    remote_discovery: bool,
    after: Sequence[pulumi.Resource],
    opts: pulumi.ResourceOptions,
    *,
    created_by: str,
) -> list[pulumi.Resource]:
    """All of the source's links, each Link after its credentials. `after`: the namespaces and the source's
    multicluster release (the Link CRD, and the controllers that read the Links). Returns every object made,
    for what must wait for all of them."""
    made: list[pulumi.Resource] = []
    waits = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(after)))
    for target, peer in targets.items():
        secrets = [
            k8s.core.v1.Secret(naming.child(source, role, target), **args, opts=waits)
            for role, args in credentials_secrets(target, trust_domain, peer.credentials, remote_discovery).items()
        ]
        link = k8s.apiextensions.CustomResource(
            naming.child(source, "link", target),
            **link_args(target, trust_domain, peer.gateway_address, generation, created_by),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[*after, *secrets])),
        )
        made += [*secrets, link]
    return made


def credentials_secrets(
    target: str, trust_domain: str, credentials: ReaderCredentials, remote_discovery: bool
) -> dict[str, dict[str, Any]]:
    """In the source, by role: the Secret the service mirror reads and, with remote discovery, the one the
    destination controller reads."""
    roles = {
        "link-credentials": k8s.meta.v1.ObjectMetaArgs(name=values.credentials_secret_name(target), namespace=values.MULTICLUSTER_NAMESPACE)
    }
    if remote_discovery:
        roles["destination-credentials"] = k8s.meta.v1.ObjectMetaArgs(
            name=values.credentials_secret_name(target),
            namespace=values.NAMESPACE,
            labels=values.destination_credentials_labels(target),
            annotations=values.destination_credentials_annotations(trust_domain),
        )
    return {
        role: {"metadata": metadata, "type": MIRROR_SECRET_TYPE, "string_data": {KUBECONFIG_KEY: credentials.kubeconfig}}
        for role, metadata in roles.items()
    }


def link_args(target: str, trust_domain: str, address: pulumi.Input[str], generation: int, created_by: str) -> dict[str, Any]:
    """The Link to `target`; made after its credentials: the controller reads them when the Link appears or its
    spec changes, so a rotation's new generation reaches the Link only once the new token is in the Secret.
    Annotated `linkerd.io/created-by` as link-gen does (`values.created_by`)."""
    return {
        "api_version": values.LINK_API_VERSION,
        "kind": "Link",
        "metadata": k8s.meta.v1.ObjectMetaArgs(
            name=target, namespace=values.MULTICLUSTER_NAMESPACE, annotations={values.CREATED_BY: created_by}
        ),
        "spec": values.link_spec(target, trust_domain, address, generation),
    }


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
