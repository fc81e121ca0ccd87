"""Endpoint discovery without istioctl: remote secrets, as `istioctl create-remote-secret` would write them.

Every primary holds one Secret per other cluster (primary or remote): label `istio/multiCluster: "true"`,
annotation `networking.istio.io/cluster`, and one data key equal to the cluster name holding a kubeconfig
for that cluster's `istio-reader-service-account` with an inline token (istiod rejects exec plugins).
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from ... import naming
from ...clusters import Cluster
from ...k8s import ReaderCredentials
from . import values

READER_SERVICE_ACCOUNT = "istio-reader-service-account"
MULTICLUSTER_LABEL = "istio/multiCluster"
CLUSTER_ANNOTATION = "networking.istio.io/cluster"


def remote_secret_name(cluster: str) -> str:
    return f"istio-remote-secret-{cluster}"


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


def remote_secret(
    holder: Cluster,
    observed: Cluster,
    credentials: ReaderCredentials,
    after: list[pulumi.Resource],
    opts: pulumi.ResourceOptions,
) -> k8s.core.v1.Secret:
    """The Secret in `holder` through which its istiod discovers `observed`'s endpoints."""
    name = observed.spec.name
    return k8s.core.v1.Secret(
        naming.child(holder.spec.name, "remote-secret", name),
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=remote_secret_name(name),
            namespace=values.NAMESPACE,
            labels={MULTICLUSTER_LABEL: "true"},
            annotations={CLUSTER_ANNOTATION: name},
        ),
        type="Opaque",
        string_data={name: credentials.kubeconfig},
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=after)),
    )
