"""Endpoint discovery without istioctl: one remote secret per primary, holding every cluster it watches.

istiod (pilot `pkg/kube/multicluster/secretcontroller.go` at 1.30.3, `addRemoteConfig`) reads every
Secret labelled `istio/multiCluster: "true"` in its namespace and registers one cluster per data key:
the key is the cluster ID, the value a kubeconfig for that cluster's `istio-reader-service-account`
with an inline token (istiod rejects exec plugins). So each primary gets ONE Secret,
`istio-remote-secrets`, with a key per other cluster: the resource count grows with the fleet, not
with its square. What istiod does on each change, and why a token rotation, a cluster joining and a
cluster leaving each take one `pulumi up` without disturbing the other peers:
- a key's kubeconfig changes (token rotation): istiod builds the new client and stops the old one only
  after the new one has synced (make-before-break, `ClusterStore.Swap`);
- a key is added or removed (a cluster joins or leaves): that cluster alone is added or stopped;
- a key naming a cluster that ANOTHER secret already registered is ignored ("cluster has already been
  registered") and is not retried when that other secret goes away. Clusters therefore never move
  between secrets silently; see `retired_remote_secret` for the one move this module makes.
The `networking.istio.io/cluster` annotation istioctl writes names one cluster and is read by nobody
but istioctl, so the per-primary Secret has none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s

from ... import naming
from ...clusters import Cluster
from ...k8s import ReaderCredentials
from . import values

READER_SERVICE_ACCOUNT = "istio-reader-service-account"
MULTICLUSTER_LABEL = "istio/multiCluster"
REMOTE_SECRETS = "istio-remote-secrets"
"""The one remote secret of a primary (never `istio-remote-secret-<x>`, istioctl's pattern, so it cannot
collide with a secret istioctl wrote for a cluster)."""


def reader_credentials(cluster: Cluster, generation: int, after: list[pulumi.Resource], opts: pulumi.ResourceOptions) -> ReaderCredentials:
    """The token of the cluster's reader account; the account comes from the base chart, its RBAC from istiod."""
    return ReaderCredentials(
        naming.child(cluster.spec.name, "istio-reader"),
        cluster,
        values.NAMESPACE,
        READER_SERVICE_ACCOUNT,
        generation,
        after,
        opts,
    )


def reader_kubeconfigs(readers: Mapping[str, ReaderCredentials]) -> pulumi.Output[dict[str, str]]:
    """Every read cluster's reader kubeconfig by cluster name, in one Output shared by all primaries
    (gathering the peers per primary would be N² Output operations for the SDK)."""
    if not readers:  # a lone primary: Output.all() of nothing is a list, not a dict
        return pulumi.Output.from_input({})
    return pulumi.Output.all(**{name: credentials.kubeconfig for name, credentials in readers.items()})


def remote_secrets(
    holder: Cluster,
    kubeconfigs: pulumi.Output[dict[str, str]],
    after: Sequence[pulumi.Resource],
    opts: pulumi.ResourceOptions,
) -> k8s.core.v1.Secret:
    """The Secret through which `holder`'s istiod discovers the endpoints of every other cluster in
    `kubeconfigs` (reader_kubeconfigs): one data key per cluster, its reader kubeconfig."""
    me = holder.spec.name
    return k8s.core.v1.Secret(
        naming.child(me, "remote-secrets"),
        metadata=k8s.meta.v1.ObjectMetaArgs(name=REMOTE_SECRETS, namespace=values.NAMESPACE, labels={MULTICLUSTER_LABEL: "true"}),
        type="Opaque",
        string_data=kubeconfigs.apply(
            lambda by_cluster: {name: kubeconfig for name, kubeconfig in sorted(by_cluster.items()) if name != me}
        ),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(after))),
    )


# --- migration from one remote secret per pair ----------------------------------------------------


def legacy_remote_secret_name(cluster: str) -> str:
    """What releases before the per-primary layout named the Secret through which a primary read `cluster`."""
    return f"istio-remote-secret-{cluster}"


def retired_remote_secret(holder: Cluster, observed: str, opts: pulumi.ResourceOptions) -> k8s.core.v1.Secret:
    """The per-pair Secret older releases made in `holder` for `observed`, at its old resource name,
    emptied and unlabelled (`mesh.istio.migrateRemoteSecrets`).

    istiod keys a cluster by the secret that registered it and ignores the same cluster in another
    secret, for good: had the per-primary Secret been written while the per-pair ones were still
    labelled, its keys would be ignored, and when Pulumi then deleted the per-pair Secrets (deletes come
    last in an update) every peer would drop out of discovery until something touched the new Secret.
    Updating these first makes istiod let go of each peer; the per-primary Secret, which waits for
    them, then registers every peer again within the same `pulumi up`. The peer's endpoints are away
    for that moment (one remote-cluster sync): istiod has no make-before-break across secrets. The next
    `pulumi up` without the setting deletes these, which istiod no longer watches.
    """
    return k8s.core.v1.Secret(
        naming.child(holder.spec.name, "remote-secret", observed),
        metadata=k8s.meta.v1.ObjectMetaArgs(name=legacy_remote_secret_name(observed), namespace=values.NAMESPACE),
        type="Opaque",
        opts=opts,
    )
