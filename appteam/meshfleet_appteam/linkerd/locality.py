"""Locality on Linkerd, said plainly: Linkerd open source has no automatic cross-cluster locality failover.

What exists (../shared/reference/linkerd-consul-facts.md 2e): within a cluster, topology-aware routing
(EndpointSlice zone hints) and `internalTrafficPolicy: Local`; across clusters, traffic goes where an
HTTPRoute's weights send it (a share to the mirrored `<service>-<cluster>` Services), or a federated
service balances over every cluster's endpoints without preferring the near ones. linkerd-failover, the
operator that flipped weights on readiness, has not been released since 0.1.3 (2023) and needs SMI.
So a fleet asking for a failover order is refused, and so is an app team asking for one.
"""

from __future__ import annotations

from ..locality import LocalitySupport

LOCALITY = LocalitySupport(
    cross_cluster_failover=False,
    summary="within a cluster only (topology-aware routing); across clusters traffic follows HTTPRoute weights to the "
    "mirrored '<service>-<cluster>' Services or is balanced by federated services, with no automatic locality failover",
)

ALTERNATIVES = (
    "What Linkerd offers instead: topology-aware routing within a cluster, weighted HTTPRoute backends that send "
    "a share of a service's traffic to its mirrored '<service>-<cluster>' Services, and federated services "
    "(label 'mirror.linkerd.io/federated: member') that balance across every cluster (docs/linkerd.md, \"Locality\")"
)
