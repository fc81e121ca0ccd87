"""Clusters of the fleet: created on AWS or GCP, or adopted. Each yields a `Cluster` record."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pulumi

from ..config import ClusterSpec, EksSpec, FleetSpec, GkeSpec
from .base import Cluster, MeshFirewall
from .eks import EksCluster
from .existing import ExistingCluster
from .gke import GkeCluster


def build_clusters(
    spec: FleetSpec,
    kubeconfig_secrets: Mapping[str, pulumi.Input[str]],
    opts: pulumi.ResourceOptions,
    peers_read_api: bool = True,
) -> dict[str, Cluster]:
    """Every cluster, side by side: none waits for another.

    When the mesh's control planes read their peers' API servers (`peers_read_api`), a created cluster
    with narrowed API access admits its peers' egress addresses; those come from the peers' NAT
    addresses, which are resolved after all clusters are declared (no cluster depends on another
    cluster, only on its peers' addresses).
    """
    clusters: dict[str, Cluster] = {}
    resolvers: dict[str, Callable[[pulumi.Output[list[str]]], None]] = {}
    for name, cluster in spec.clusters.items():
        peers: pulumi.Output[list[str]]
        if peers_read_api:
            peers, resolvers[name] = pulumi.deferred_output()  # type: ignore[assignment]  # generic T is not inferred
        else:
            peers = pulumi.Output.from_input([])
        clusters[name] = _build(cluster, peers, kubeconfig_secrets, opts)
    for name, resolve in resolvers.items():
        others = [c.egress_cidrs for other, c in clusters.items() if other != name]
        resolve(pulumi.Output.all(*others).apply(lambda lists: sorted({cidr for cidrs in lists for cidr in cidrs})))
    return clusters


def _build(
    cluster: ClusterSpec,
    peer_egress: pulumi.Output[list[str]],
    kubeconfig_secrets: Mapping[str, pulumi.Input[str]],
    opts: pulumi.ResourceOptions,
) -> Cluster:
    if isinstance(cluster.create, EksSpec):
        return EksCluster(cluster, peer_egress, opts).cluster
    if isinstance(cluster.create, GkeSpec):
        return GkeCluster(cluster, peer_egress, opts).cluster
    return ExistingCluster(cluster, kubeconfig_secrets.get(cluster.name), opts).cluster


__all__ = ["Cluster", "MeshFirewall", "build_clusters"]
