"""The `mesh.linkerd` block, and what a fleet must not ask of Linkerd (checked before anything is created)."""

from __future__ import annotations

from dataclasses import dataclass

from meshfleet_appteam.linkerd.locality import ALTERNATIVES

from ...config import FleetSpec, Section
from ...config.reader import EXACT_VERSION, quote
from ...k8s import ChartRef

REPOSITORY = "https://helm.linkerd.io/edge"
# Chart versions of edge releases are `<year>.<month>.<n>` (bin/compute-edge-version); every value path
# and CRD field this module writes was checked against edge-26.8.3.
VERSION_LINE = "2026.8"
DEFAULT_VERSION = "2026.8.3"


@dataclass(frozen=True)
class LinkerdSettings:
    version: str
    """Version of the linkerd-crds, linkerd-control-plane and linkerd-multicluster charts (mesh.version)."""
    reader_token_generation: int
    """Bumping it rotates every link's service-account token (and restarts what reads them)."""
    remote_discovery: bool = False
    """Whether the destination controllers get every peer's credentials, for remote discovery and federated
    services (pod-to-pod across clusters). Gateway mode never reads them."""

    def chart(self, chart: str) -> ChartRef:
        return ChartRef(REPOSITORY, chart, self.version)


def parse_settings(fleet: FleetSpec, s: Section) -> LinkerdSettings:
    s.reject_unknown(["readerTokenGeneration", "remoteDiscovery"])
    version = fleet.mesh.version or DEFAULT_VERSION
    if fleet.mesh.version and EXACT_VERSION.match(version) and not version.startswith(f"{VERSION_LINE}."):
        s.problems.add(
            "meshfleet:mesh.version",
            f"{quote(version)} is outside Linkerd edge {VERSION_LINE} (charts {VERSION_LINE}.x), the line this meshfleet release "
            f"pins; use a {VERSION_LINE}.x chart version such as {DEFAULT_VERSION!r}",
        )
    if fleet.trust.algorithm == "RSA":
        s.problems.add(
            "meshfleet:trust.algorithm",
            "'RSA' cannot sign Linkerd's identity issuers: `linkerd check` and the linkerd CLI require each issuer to be an "
            "ECDSA P-256 certificate; use 'ECDSA' (the default) for a Linkerd fleet",
        )
    if fleet.mesh.locality_failover:
        s.problems.add(
            "meshfleet:mesh.locality.failover",
            "Linkerd has no automatic cross-cluster locality failover, so this order would never be applied; remove it. " + ALTERNATIVES,
        )
    _check_spread(fleet, s)
    generation = s.integer("readerTokenGeneration", 1, minimum=1, maximum=1_000_000) or 1
    remote_discovery = s.boolean("remoteDiscovery", False)
    return LinkerdSettings(version=version, reader_token_generation=generation, remote_discovery=remote_discovery)


SPREAD = (
    "Linkerd's HA values put each replica on its own node (required pod anti-affinity on kubernetes.io/hostname, "
    "charts/partials/templates/_affinity.tpl), so replicas beyond the node count stay Pending"
)


def _check_spread(fleet: FleetSpec, s: Section) -> None:
    """Replicas above what a created cluster's node pool guarantees (its minimum size) never all schedule once
    more than one asks for the anti-affinity (values.py turns it on then). Adopted clusters' nodes are unknown
    here: docs/linkerd.md states the rule for them."""
    control_plane = fleet.mesh.control_plane_replicas
    for cluster in fleet.clusters.values():
        if cluster.create is None:
            continue
        nodes = cluster.create.nodes.min_size
        pool = f"{cluster.config_key}.create.nodes.minSize"
        if control_plane > 1 and control_plane > nodes:
            s.problems.add(
                "meshfleet:mesh.controlPlane.replicas",
                f"{control_plane} replicas of each control-plane component cannot all run in cluster {cluster.name!r}, whose "
                f"node pool guarantees {nodes} nodes ({pool}): {SPREAD}; use at most {nodes} replicas, or raise minSize",
            )
        if cluster.gateway.replicas > 1 and cluster.gateway.replicas > nodes:
            s.problems.add(
                f"{cluster.config_key}.gateway.replicas",
                f"{cluster.gateway.replicas} multicluster gateway replicas cannot all run in cluster {cluster.name!r}, whose node "
                f"pool guarantees {nodes} nodes ({pool}): {SPREAD}; use at most {nodes} replicas (meshfleet:gateway.replicas or "
                "the cluster's own gateway.replicas), or raise minSize",
            )


__all__ = ["DEFAULT_VERSION", "LinkerdSettings", "parse_settings"]
