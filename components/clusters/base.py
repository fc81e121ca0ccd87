"""What every cluster gives the rest of the fleet, however it came to exist."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from .. import naming
from ..config import ClusterSpec

EVERYWHERE = "0.0.0.0/0"


class MeshFirewall(Protocol):
    """Opens the mesh's ports on a cluster the stack created (security groups on AWS, firewall rules on GCP)."""

    def allow_from_control_plane(self, purpose: str, ports: Sequence[int]) -> None:
        """Let the cluster's own API server reach pods on `ports` (admission webhooks)."""

    def allow_from_peers(self, purpose: str, ports: Sequence[int], cidrs: pulumi.Input[Sequence[str]]) -> None:
        """Let the other clusters reach `ports` on the nodes from `cidrs`, and nothing wider."""


@dataclass(frozen=True)
class ClusterNeeds:
    """What the fleet's mesh needs of every cluster it runs on: a created cluster is given it, an adopted one
    must have it (docs/consul.md, "What a cluster must provide")."""

    volumes: bool = False
    """Dynamically provisioned volumes (Consul's servers run as a StatefulSet with volume claims). Default: none."""
    gateway_api_crds: bool = False
    """The Gateway API's standard CRDs, served by the cluster (Consul's connect injector watches them when its
    chart does not install them). Default: not needed."""


NO_NEEDS = ClusterNeeds()


@dataclass(frozen=True)
class Cluster:
    spec: ClusterSpec
    provider: k8s.Provider
    """The only way anything reaches this cluster: default Kubernetes providers are disabled."""
    tolerant_reads: Callable[[], k8s.Provider]
    """The provider for reads a preview must survive while the cluster is unreachable, made when a mesh first
    asks for it (see `kubernetes_providers`)."""
    endpoint: pulumi.Output[str]
    """API server URL as the other clusters reach it."""
    ca_certificate_pem: pulumi.Output[str]
    """The CA (PEM) of the certificate `endpoint` presents: what a client dialing `endpoint` must trust,
    which need not be the CA of the cluster's service-account tokens (`ca.crt`). Empty when the
    endpoint is publicly trusted (an adopted cluster whose kubeconfig names no CA)."""
    egress_cidrs: pulumi.Output[list[str]]
    """Source addresses of this cluster's traffic to public endpoints (NAT addresses), for peers' allow-lists."""
    private_cidrs: pulumi.Output[list[str]]
    """Node and pod ranges, for peers reached over private connectivity."""
    has_known_egress: bool
    """Whether egress_cidrs can be non-empty; false for an adopted cluster without `egressCidrs`."""
    firewall: MeshFirewall | None
    """None for adopted clusters: their network belongs to someone else."""
    component: pulumi.Resource
    storage_class: str | None = None
    """The StorageClass the mesh's volume claims name (ClusterNeeds.volumes); None: the cluster's default class."""
    prerequisites: tuple[pulumi.Resource, ...] = ()
    """What the mesh's control plane waits for: what the cluster was given for ClusterNeeds (a volume
    provisioner and its StorageClass), or the reads proving an adopted cluster has it."""

    def peer_source_cidrs(self, internal: bool) -> pulumi.Output[list[str]]:
        """Addresses this cluster's traffic comes from as a peer sees it, over private links or the internet."""
        return self.private_cidrs if internal else self.egress_cidrs


def api_access_cidrs(configured: Sequence[str], peer_egress_cidrs: pulumi.Input[Sequence[str]]) -> pulumi.Input[Sequence[str]]:
    """Who may reach a created cluster's API endpoint. Narrowed access still admits the other clusters'
    egress addresses: their control planes read this API for endpoint discovery."""
    if EVERYWHERE in configured:
        return list(configured)
    return pulumi.Output.from_input(peer_egress_cidrs).apply(lambda peers: sorted({*configured, *peers}))


class Connection(TypedDict, total=False):
    """How a Kubernetes provider reaches a cluster: a kubeconfig or the operator's own context, and the
    cluster's identity."""

    kubeconfig: pulumi.Input[str]
    context: str
    cluster_identifier: pulumi.Input[str]


def kubernetes_providers(
    cluster: str, connection: Connection, opts: pulumi.ResourceOptions
) -> tuple[k8s.Provider, Callable[[], k8s.Provider]]:
    """The cluster's Kubernetes provider, and a function that makes, once, a second one on the same connection
    for the reads a preview must survive while the cluster is unreachable.

    The provider fails a read of an unreachable cluster, in a preview as in `pulumi up` (provider.go Read at
    v4.32.0, ~1918-1940), and a failed read fails the whole preview. With `skipUpdateUnreachable` it warns
    and answers with what it was sent: for a read, the empty inputs of a `get`, so an empty object is how the
    program knows. With the cluster unreachable the flag also makes Check answer with the old inputs
    (~1172-1184), silently dropping a change, so it is never set on the provider that writes: only on this
    one, which only reads, and only for clusters a mesh reads from (Consul's peering tokens)."""
    provider = k8s.Provider(naming.child(cluster, "k8s"), **connection, opts=opts)

    @functools.cache
    def tolerant_reads() -> k8s.Provider:
        return k8s.Provider(naming.child(cluster, "k8s-reads"), **connection, skip_update_unreachable=True, opts=opts)

    return provider, tolerant_reads


def cluster_provider(
    parent: pulumi.Resource,
    cluster: str,
    kubeconfig: pulumi.Input[str],
    identifier: pulumi.Input[str],
    nodes: pulumi.Resource,
) -> tuple[k8s.Provider, Callable[[], k8s.Provider]]:
    """The Kubernetes providers of a created cluster (`kubernetes_providers`).

    `identifier` is the cloud's id of the cluster, which changes only when the cluster itself is replaced,
    so a kubeconfig edit does not replace every Kubernetes resource (pulumi-kubernetes#2745). The providers
    wait for the nodes: charts wait for their pods, which need somewhere to run.
    """
    connection = Connection(kubeconfig=kubeconfig, cluster_identifier=identifier)
    return kubernetes_providers(cluster, connection, pulumi.ResourceOptions(parent=parent, depends_on=[nodes]))
