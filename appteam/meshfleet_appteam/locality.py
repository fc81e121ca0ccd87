"""Locality, mesh-neutral: the failover order between regions a service's routing follows, and what each
mesh really offers (a mesh that cannot fail over across clusters says so instead of pretending)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LocalityFailover:
    """Traffic from `from_region` fails over to `to_region` (the fleet's `mesh.locality.failover`)."""

    from_region: str
    to_region: str


@dataclass(frozen=True)
class LocalitySupport:
    """What locality-aware routing the mesh really offers; the fleet reports this instead of pretending."""

    cross_cluster_failover: bool
    summary: str


__all__ = ["LocalityFailover", "LocalitySupport"]
