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

These three per pair are what link-gen prints; nothing else is made per pair, and the program registers none
of them itself: a source's objects for all its targets are one group the Kubernetes provider registers
(components/k8s/peer_objects.py). A rotated token reaches its
readers without a restart of the service mirror: `controller-<target>` watches no Secret, but reloads its
credentials whenever the Link's spec changes (link_handlers.go:38, cmd/service-mirror/main.go:196-203 at
edge-26.8.3), and the Link names the token generation. The destination controller reloads nothing (its
cluster store handles Secret additions and deletions only, cluster_store.go:113-165), so each cluster's
`linkerd-destination` is restarted once per rotation, after all of that cluster's credentials are written.
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
from ...k8s.peer_objects import depends_on, object_ref, peer_objects
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
    after: Sequence[pulumi.Resource],
    opts: pulumi.ResourceOptions,
) -> k8s.yaml.v2.ConfigGroup:
    """All of the source's links, one group (components/k8s/peer_objects.py). `after`: the namespaces and the
    source's multicluster release (the Link CRD, and the controllers that read the Links)."""
    objs: list[dict[str, Any]] = []
    for target, peer in targets.items():
        secrets = credentials_secrets(target, trust_domain, peer.credentials)
        objs += [*secrets, link(target, trust_domain, peer.gateway_address, generation, secrets)]
    return peer_objects(naming.child(source, "links"), objs, after, opts)


def credentials_secrets(target: str, trust_domain: str, credentials: ReaderCredentials) -> list[dict[str, Any]]:
    """In the source: the Secret the service mirror reads, and the one the destination controller reads."""
    mirror = {"name": values.credentials_secret_name(target), "namespace": values.MULTICLUSTER_NAMESPACE}
    destination = {
        "name": values.credentials_secret_name(target),
        "namespace": values.NAMESPACE,
        "labels": values.destination_credentials_labels(target),
        "annotations": values.destination_credentials_annotations(trust_domain),
    }
    return [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": metadata,
            "type": MIRROR_SECRET_TYPE,
            "stringData": {KUBECONFIG_KEY: credentials.kubeconfig},
        }
        for metadata in (mirror, destination)
    ]


def link(
    target: str, trust_domain: str, address: pulumi.Input[str], generation: int, credentials: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """The Link waits for its credentials: the controller reads them when the Link appears or its spec
    changes, so a rotation's new generation reaches the Link only once the new token is in the Secrets."""
    refs = [object_ref("v1", "Secret", s["metadata"]["namespace"], s["metadata"]["name"]) for s in credentials]
    return {
        "apiVersion": values.LINK_API_VERSION,
        "kind": "Link",
        "metadata": {"name": target, "namespace": values.MULTICLUSTER_NAMESPACE, "annotations": depends_on(*refs)},
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
