"""Clusters of the fleet: created on AWS or GCP, or adopted. Each yields a `Cluster` record."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

import pulumi

from ..config import ClusterSpec, EksSpec, FleetSpec, GkeSpec
from .base import NO_NEEDS, Cluster, ClusterNeeds, MeshFirewall
from .eks import EksCluster
from .existing import ExistingCluster
from .gke import GkeCluster


def build_clusters(
    spec: FleetSpec,
    kubeconfig_secrets: Mapping[str, pulumi.Input[str]],
    opts: pulumi.ResourceOptions,
    peers_read_api: bool = True,
    needs: ClusterNeeds = NO_NEEDS,
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
        clusters[name] = _build(cluster, peers, kubeconfig_secrets, opts, needs)
    # Gathered once for the fleet: a gather of the peers per cluster is N² Output operations, which
    # cost a 100-cluster evaluation more CPU than all its resources' own registrations.
    if resolvers:
        egress: pulumi.Output[dict[str, list[str]]] = pulumi.Output.all(**{name: c.egress_cidrs for name, c in clusters.items()})
        for name, resolve in resolvers.items():
            resolve(egress.apply(functools.partial(_peer_cidrs, name)))
    return clusters


def _peer_cidrs(me: str, by_cluster: dict[str, list[str]]) -> list[str]:
    return sorted({cidr for peer, cidrs in by_cluster.items() if peer != me for cidr in cidrs})


def _build(
    cluster: ClusterSpec,
    peer_egress: pulumi.Output[list[str]],
    kubeconfig_secrets: Mapping[str, pulumi.Input[str]],
    opts: pulumi.ResourceOptions,
    needs: ClusterNeeds,
) -> Cluster:
    if isinstance(cluster.create, EksSpec):
        return EksCluster(cluster, peer_egress, opts, needs).cluster
    if isinstance(cluster.create, GkeSpec):
        return GkeCluster(cluster, peer_egress, opts, needs).cluster
    return ExistingCluster(cluster, kubeconfig_secrets.get(cluster.name), opts, needs).cluster


__all__ = ["Cluster", "ClusterNeeds", "MeshFirewall", "build_clusters"]
