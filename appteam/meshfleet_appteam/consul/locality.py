"""Locality failover for one service in the free edition: a ServiceResolver whose failover lists peers.

Consul CE fails over between datacenters only to explicit targets (`failover["*"].targets[].peer`);
sameness groups, failover policies and prioritize-by-locality are Enterprise-only (hashicorp/consul
agent/structs/config_entry_discoverychain_ce.go), so none is ever written. The region order of
`mesh.locality.failover` therefore becomes, in the cluster the resolver is written into, the ordered
list of peers in the regions its own region fails over to. Consul fails over when no healthy instance is
left in the local datacenter: health checks decide, there is no outlier detection to pair it with.
A target must be exported to this cluster by the peer, which the fleet's ExportedServices does for every
service.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..locality import LocalityFailover
from . import values

# control-plane/api/v1alpha1/serviceresolver_types.go ServiceResolverSubsetMap.validate
SUBSET_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def failover_peers(cluster: str, regions: Mapping[str, str], failover: Sequence[LocalityFailover]) -> list[str]:
    """The peers `cluster` fails over to, in order: for each rule from its region, the other clusters of the
    target region (sorted by name, so the order never depends on the config's cluster order)."""
    if not failover:
        return []
    if cluster not in regions:
        raise ValueError(
            f"Consul fails over to named peers, so routing needs the cluster it is written into and every cluster's region; "
            f"got cluster {cluster!r} and regions for {sorted(regions)} (pass ServiceRoutingArgs.cluster and "
            "cluster_regions from the fleet's contract)"
        )
    peers: list[str] = []
    for rule in failover:
        if rule.from_region != regions[cluster]:
            continue
        for name in sorted(n for n, region in regions.items() if region == rule.to_region and n != cluster):
            if values.peer_name(name) not in peers:
                peers.append(values.peer_name(name))
    return peers


@dataclass(frozen=True)
class ServiceFailoverArgs:
    service: str
    namespace: str
    cluster: str = ""
    """The cluster the resolver is written into (its provider is in the options)."""
    cluster_regions: Mapping[str, str] = field(default_factory=dict)
    """Region of every cluster of the fleet, keyed by cluster name (peers are named after clusters)."""
    failover: Sequence[LocalityFailover] = ()
    """Region order; default: the fleet's `mesh.locality.failover`, else the local datacenter only."""
    subsets: Mapping[str, str] = field(default_factory=dict)
    """Named subsets (e.g. versions for a canary) and the `Service.Meta` value each selects."""
    meta_key: str = "version"


def service_resolver_spec(args: ServiceFailoverArgs) -> dict[str, Any]:
    bad = [name for name in args.subsets if not SUBSET_NAME.match(name)]
    if bad:
        raise ValueError(
            f"{args.service}: {', '.join(repr(b) for b in bad)} cannot name a Consul subset; use lowercase letters, digits and '-'"
        )
    spec: dict[str, Any] = {}
    if args.subsets:
        spec["subsets"] = {name: {"filter": f'Service.Meta.{args.meta_key} == "{meta}"'} for name, meta in args.subsets.items()}
    try:
        peers = failover_peers(args.cluster, args.cluster_regions, args.failover)
    except ValueError as error:
        raise ValueError(f"routing for {args.service}: {error}") from None
    if peers:
        # "*": every subset. A peer target names no subset (the webhook refuses target.peer with
        # target.serviceSubset), so failover reaches all of the peer's instances of the service.
        spec["failover"] = {"*": {"targets": [{"peer": peer} for peer in peers]}}
    return spec


class ServiceFailover(pulumi.ComponentResource):
    """Give a service failover to peers in one cluster's Consul (create it in every cluster with clients)."""

    service_resolver: k8s.apiextensions.CustomResource

    def __init__(self, name: str, args: ServiceFailoverArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meshfleet:consul:ServiceFailover", name, None, opts)
        self.service_resolver = k8s.apiextensions.CustomResource(
            name,
            api_version=values.API_VERSION,
            kind="ServiceResolver",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.service, namespace=args.namespace),
            spec=service_resolver_spec(args),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"service_resolver": args.service})
