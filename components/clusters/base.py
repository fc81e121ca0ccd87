"""What every cluster gives the rest of the fleet, however it came to exist."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

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
class Cluster:
    spec: ClusterSpec
    provider: k8s.Provider
    """The only way anything reaches this cluster: default Kubernetes providers are disabled."""
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

    def peer_source_cidrs(self, internal: bool) -> pulumi.Output[list[str]]:
        """Addresses this cluster's traffic comes from as a peer sees it, over private links or the internet."""
        return self.private_cidrs if internal else self.egress_cidrs


def api_access_cidrs(configured: Sequence[str], peer_egress_cidrs: pulumi.Input[Sequence[str]]) -> pulumi.Input[Sequence[str]]:
    """Who may reach a created cluster's API endpoint. Narrowed access still admits the other clusters'
    egress addresses: their control planes read this API for endpoint discovery."""
    if EVERYWHERE in configured:
        return list(configured)
    return pulumi.Output.from_input(peer_egress_cidrs).apply(lambda peers: sorted({*configured, *peers}))


def cluster_provider(
    parent: pulumi.Resource,
    cluster: str,
    kubeconfig: pulumi.Input[str],
    identifier: pulumi.Input[str],
    nodes: pulumi.Resource,
) -> k8s.Provider:
    """The one Kubernetes provider of a created cluster.

    `identifier` is the cloud's id of the cluster, which changes only when the cluster itself is replaced,
    so a kubeconfig edit does not replace every Kubernetes resource (pulumi-kubernetes#2745). The provider
    waits for the nodes: charts wait for their pods, which need somewhere to run.
    """
    return k8s.Provider(
        naming.child(cluster, "k8s"),
        kubeconfig=kubeconfig,
        cluster_identifier=identifier,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[nodes]),
    )
